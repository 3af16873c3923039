#include "server/batch_evaluator.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"
#include "core/snapshot_store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "netpol/v1/decision.pb.h"
#include "server/proto_convert.h"
#include "tests/core/test_util.h"

namespace netpol::server {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing_util::BFromAPolicyYaml;
using testing_util::CompileYaml;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

// x/a (app=a), x/b (app=b, dual-stack), y/c (app=c, dual-stack, no egress)
// and the policy "x/b-from-a": b accepts a on TCP 80 only.
std::string ClusterYaml(bool with_policies = true) {
  std::string yaml =
      absl::StrCat(NamespaceYaml("x"), NamespaceYaml("y"),
                   PodYaml("x", "a", "{app: a}", "10.0.1.10"),
                   PodYaml("x", "b", "{app: b}", "10.0.1.11,fd00::11"),
                   PodYaml("y", "c", "{app: c}", "10.0.2.10,fd00::20"));
  if (!with_policies) return yaml;
  return absl::StrCat(yaml, BFromAPolicyYaml(), R"(---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: no-egress, namespace: y}
spec:
  podSelector: {}
  policyTypes: [Egress]
)");
}

std::shared_ptr<const CompiledSnapshot> Compile(bool with_policies = true) {
  return CompileYaml(ClusterYaml(with_policies));
}

void AddIpConnection(v1::CheckConnectionRequest* request,
                     const std::string& src, const std::string& dst,
                     uint32_t port, v1::Protocol protocol = v1::TCP) {
  v1::Connection* c = request->add_connections();
  c->mutable_source()->set_ip(src);
  c->mutable_destination()->set_ip(dst);
  c->set_port(port);
  c->set_protocol(protocol);
}

void AddPodConnection(v1::CheckConnectionRequest* request,
                      const std::string& src_ns, const std::string& src,
                      const std::string& dst_ns, const std::string& dst,
                      uint32_t port) {
  v1::Connection* c = request->add_connections();
  c->mutable_source()->mutable_pod()->set_namespace_(src_ns);
  c->mutable_source()->mutable_pod()->set_name(src);
  c->mutable_destination()->mutable_pod()->set_namespace_(dst_ns);
  c->mutable_destination()->mutable_pod()->set_name(dst);
  c->set_port(port);
}

std::string V4Bytes(uint32_t host_order) {
  return {static_cast<char>(host_order >> 24),
          static_cast<char>(host_order >> 16),
          static_cast<char>(host_order >> 8), static_cast<char>(host_order)};
}

std::string V6Bytes(uint64_t hi, uint64_t lo) {
  std::string out;
  for (uint64_t half : {hi, lo}) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>(half >> shift));
    }
  }
  return out;
}

std::string AddressBytes(const IpAddress& ip) {
  return ip.is_v4() ? V4Bytes(ip.v4()) : V6Bytes(ip.hi, ip.lo);
}

IpAddress Ip(const std::string& text) { return *IpAddress::Parse(text); }

uint32_t PortProtocol(uint32_t port, uint32_t protocol) {
  return port | (protocol << 16);
}

class BatchEvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snapshot_ = Compile();
    ASSERT_NE(snapshot_, nullptr);
    store_.Publish(snapshot_, "test");
  }

  absl::Status Evaluate(const v1::CheckConnectionRequest& request,
                        BatchLimits limits = {}) {
    response_.Clear();
    tally_ = DecisionTally();
    return EvaluateBatch(store_, request, limits, &response_, &tally_);
  }

  uint64_t Tallied(Reason reason) const {
    return tally_.by_reason[static_cast<size_t>(reason)];
  }

  SnapshotStore store_{4};
  std::shared_ptr<const CompiledSnapshot> snapshot_;
  v1::CheckConnectionResponse response_;
  DecisionTally tally_;
};

TEST_F(BatchEvaluatorTest, UnavailableBeforeFirstSnapshot) {
  SnapshotStore empty;
  v1::CheckConnectionRequest request;
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 80);
  const absl::Status status =
      EvaluateBatch(empty, request, {}, &response_, &tally_);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("no snapshot loaded yet"));
}

TEST_F(BatchEvaluatorTest, FriendlyIpsAndPodsAreDecided) {
  v1::CheckConnectionRequest request;
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 80);  // a -> b allowed
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 81);  // wrong port
  AddPodConnection(&request, "y", "c", "x", "a", 80);       // c has no egress
  AddPodConnection(&request, "x", "a", "x", "a", 9);        // loopback
  AddIpConnection(&request, "192.0.2.1", "10.0.1.10", 443, v1::UDP);
  ASSERT_TRUE(Evaluate(request).ok());

  ASSERT_EQ(response_.decisions_size(), 5);
  const auto& d = response_.decisions();
  EXPECT_EQ(d[0].verdict(), v1::ALLOW);
  EXPECT_EQ(d[0].reason(), v1::ALLOWED_BY_POLICY);
  EXPECT_EQ(d[1].verdict(), v1::DENY);
  EXPECT_EQ(d[1].reason(), v1::DENIED_INGRESS);
  EXPECT_EQ(d[2].verdict(), v1::DENY);
  EXPECT_EQ(d[2].reason(), v1::DENIED_EGRESS);
  EXPECT_EQ(d[3].verdict(), v1::ALLOW);
  EXPECT_EQ(d[3].reason(), v1::LOOPBACK);
  EXPECT_EQ(d[4].verdict(), v1::ALLOW);
  EXPECT_EQ(d[4].reason(), v1::NOT_ISOLATED);
  for (const v1::Decision& decision : d) {
    EXPECT_THAT(decision.error(), IsEmpty());
    EXPECT_FALSE(decision.has_explanation());
  }
  EXPECT_EQ(response_.snapshot_version(), 1u);
  EXPECT_THAT(response_.compact_verdicts(), IsEmpty());
  EXPECT_EQ(tally_.batch_size, 5u);
  EXPECT_EQ(Tallied(Reason::kAllowedByPolicy), 1u);
  EXPECT_EQ(Tallied(Reason::kDeniedIngress), 1u);
  EXPECT_EQ(Tallied(Reason::kDeniedEgress), 1u);
  EXPECT_EQ(Tallied(Reason::kLoopback), 1u);
  EXPECT_EQ(Tallied(Reason::kNotIsolated), 1u);
}

TEST_F(BatchEvaluatorTest, InvalidItemsAreDeniedAndTheRestAnswered) {
  v1::CheckConnectionRequest request;
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 80);
  AddIpConnection(&request, "10.0.1.300", "10.0.1.11", 80);
  AddPodConnection(&request, "x", "nobody", "x", "b", 80);
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 0);
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 65536);
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 80,
                  static_cast<v1::Protocol>(7));
  request.add_connections()->set_port(80);  // no endpoints at all
  AddPodConnection(&request, "", "a", "x", "b", 80);
  AddPodConnection(&request, "x", "a", "x", "b", 80);
  ASSERT_TRUE(Evaluate(request).ok());

  ASSERT_EQ(response_.decisions_size(), 9);
  const auto& d = response_.decisions();
  const std::vector<std::string> expected_errors = {
      "",
      "source: \"10.0.1.300\" is not an IP address",
      "unknown pod x/nobody",
      "port 0 is out of range",
      "port 65536 is out of range",
      "protocol 7 is not TCP, UDP or SCTP",
      "source: neither ip nor pod is set",
      "source: a pod needs a namespace and a name",
      ""};
  for (int i = 0; i < d.size(); ++i) {
    SCOPED_TRACE(i);
    if (expected_errors[i].empty()) {
      EXPECT_EQ(d[i].verdict(), v1::ALLOW);
      EXPECT_EQ(d[i].reason(), v1::ALLOWED_BY_POLICY);
      EXPECT_THAT(d[i].error(), IsEmpty());
    } else {
      EXPECT_EQ(d[i].verdict(), v1::DENY);
      EXPECT_EQ(d[i].reason(), v1::INVALID_CONNECTION);
      EXPECT_THAT(d[i].error(), HasSubstr(expected_errors[i]));
    }
  }
  EXPECT_EQ(Tallied(Reason::kInvalid), 7u);
  EXPECT_EQ(Tallied(Reason::kAllowedByPolicy), 2u);
  EXPECT_EQ(tally_.batch_size, 9u);
}

// IPv4 pairs are held and decided in groups; each answer must still land
// on its own connection among pods, invalid items and other addresses.
TEST_F(BatchEvaluatorTest, LongFriendlyBatchMatchesDecideAcrossHeldPairs) {
  const std::vector<std::string> ips = {"10.0.1.10", "10.0.1.11", "10.0.2.10",
                                        "192.0.2.7"};
  const std::vector<uint32_t> ports = {80, 81, 443};
  v1::CheckConnectionRequest request;
  std::vector<Decision> expected;
  for (size_t i = 0; i < 700; ++i) {
    const uint32_t port = ports[(i / 5) % ports.size()];
    if (i % 11 == 0) {
      AddPodConnection(&request, "x", "a", "x", "b", port);
      expected.push_back(*snapshot_->Decide(
          Connection{PodRef{"x", "a"}, PodRef{"x", "b"}, port}));
    } else if (i % 13 == 0) {
      AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 0);
      expected.push_back({false, Reason::kInvalid});
    } else {
      const std::string& src = ips[i % ips.size()];
      const std::string& dst = ips[(i / 4) % ips.size()];
      AddIpConnection(&request, src, dst, port);
      expected.push_back(snapshot_->Decide(
          Ip(src), Ip(dst), static_cast<uint16_t>(port), Protocol::kTcp));
    }
  }
  ASSERT_TRUE(Evaluate(request).ok());
  ASSERT_EQ(response_.decisions_size(), 700);
  std::array<uint64_t, 6> expected_tally{};
  for (int i = 0; i < response_.decisions_size(); ++i) {
    SCOPED_TRACE(i);
    const v1::Decision& d = response_.decisions(i);
    EXPECT_EQ(d.verdict(), expected[i].allowed ? v1::ALLOW : v1::DENY);
    EXPECT_EQ(d.reason(), ToProto(expected[i].reason));
    ++expected_tally[static_cast<size_t>(expected[i].reason)];
  }
  EXPECT_EQ(tally_.by_reason, expected_tally);
}

TEST_F(BatchEvaluatorTest, ExplainFillsExplanations) {
  v1::CheckConnectionRequest request;
  request.set_explain(true);
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 80);
  AddPodConnection(&request, "x", "a", "x", "b", 81);
  AddPodConnection(&request, "x", "a", "x", "ghost", 81);
  ASSERT_TRUE(Evaluate(request).ok());

  ASSERT_EQ(response_.decisions_size(), 3);
  const v1::Decision& allowed = response_.decisions(0);
  EXPECT_EQ(allowed.verdict(), v1::ALLOW);
  ASSERT_TRUE(allowed.has_explanation());
  const v1::Explanation& e = allowed.explanation();
  EXPECT_THAT(e.source(), HasSubstr("x/a"));
  EXPECT_THAT(e.destination(), HasSubstr("x/b"));
  EXPECT_EQ(e.ingress().pod(), "x/b");
  EXPECT_TRUE(e.ingress().isolated());
  EXPECT_TRUE(e.ingress().allowed());
  ASSERT_EQ(e.ingress().allowing_rules_size(), 1);
  EXPECT_EQ(e.ingress().allowing_rules(0).policy(), "x/b-from-a");
  EXPECT_EQ(e.ingress().allowing_rules(0).rule_index(), 0);
  EXPECT_FALSE(e.egress().isolated());
  EXPECT_THAT(e.text(), HasSubstr("x/b-from-a"));

  const v1::Decision& denied = response_.decisions(1);
  EXPECT_EQ(denied.reason(), v1::DENIED_INGRESS);
  EXPECT_THAT(denied.explanation().ingress().selecting_policies(),
              ::testing::ElementsAre("x/b-from-a"));
  EXPECT_FALSE(denied.explanation().ingress().allowed());

  EXPECT_EQ(response_.decisions(2).reason(), v1::INVALID_CONNECTION);
  EXPECT_THAT(response_.decisions(2).error(), HasSubstr("unknown pod x/ghost"));
}

TEST_F(BatchEvaluatorTest, CompactVerdictsMatchDecide) {
  const std::vector<IpAddress> v4 = {Ip("10.0.1.10"), Ip("10.0.1.11"),
                                     Ip("10.0.2.10"), Ip("192.0.2.7")};
  const std::vector<IpAddress> v6 = {Ip("fd00::11"), Ip("fd00::20"),
                                     Ip("2001:db8::1")};
  const std::vector<uint32_t> ports = {80, 81, 443};

  v1::CheckConnectionRequest request;
  std::string expected;
  for (const auto* family : {&v4, &v6}) {
    v1::CompactConnections* block = request.add_compact();
    block->set_family(family == &v4 ? 4 : 6);
    for (const IpAddress& src : *family) {
      for (const IpAddress& dst : *family) {
        for (uint32_t port : ports) {
          for (uint32_t protocol : {0, 1, 2, 3}) {
            block->mutable_sources()->append(AddressBytes(src));
            block->mutable_destinations()->append(AddressBytes(dst));
            block->add_port_protocols(PortProtocol(port, protocol));
            const Protocol core_protocol =
                protocol <= 1
                    ? Protocol::kTcp
                    : (protocol == 2 ? Protocol::kUdp : Protocol::kSctp);
            const Decision decision = snapshot_->Decide(
                src, dst, static_cast<uint16_t>(port), core_protocol);
            expected.push_back(
                static_cast<char>(decision.allowed ? v1::ALLOW : v1::DENY));
          }
        }
      }
    }
  }
  ASSERT_TRUE(Evaluate(request).ok());
  EXPECT_EQ(response_.compact_verdicts(), expected);
  EXPECT_EQ(response_.decisions_size(), 0);
  EXPECT_EQ(tally_.batch_size, expected.size());
  // The mix must exercise both verdicts to mean anything.
  EXPECT_NE(expected.find(static_cast<char>(v1::ALLOW)), std::string::npos);
  EXPECT_NE(expected.find(static_cast<char>(v1::DENY)), std::string::npos);
}

TEST_F(BatchEvaluatorTest, CompactInvalidItemsAreDeny) {
  v1::CheckConnectionRequest request;
  v1::CompactConnections* block = request.add_compact();
  block->set_family(4);
  for (uint32_t port_protocol : {PortProtocol(80, 1), PortProtocol(0, 1),
                                 PortProtocol(80, 4), PortProtocol(80, 0)}) {
    block->mutable_sources()->append(V4Bytes(0x0a00010a));       // x/a
    block->mutable_destinations()->append(V4Bytes(0x0a00010b));  // x/b
    block->add_port_protocols(port_protocol);
  }
  ASSERT_TRUE(Evaluate(request).ok());
  const std::string expected = {
      static_cast<char>(v1::ALLOW), static_cast<char>(v1::DENY),
      static_cast<char>(v1::DENY), static_cast<char>(v1::ALLOW)};
  EXPECT_EQ(response_.compact_verdicts(), expected);
  EXPECT_EQ(Tallied(Reason::kInvalid), 2u);
  EXPECT_EQ(Tallied(Reason::kAllowedByPolicy), 2u);
}

// IPv4 blocks are decided in chunks; a block several chunks long, with
// invalid items scattered across chunk edges, must match Decide item by
// item and in its per-reason tally.
TEST_F(BatchEvaluatorTest, LongCompactBlockMatchesDecideAcrossChunks) {
  const std::vector<IpAddress> v4 = {Ip("10.0.1.10"), Ip("10.0.1.11"),
                                     Ip("10.0.2.10"), Ip("192.0.2.7")};
  const std::vector<uint32_t> ports = {80, 81, 443, 0};  // 0 is invalid
  v1::CheckConnectionRequest request;
  v1::CompactConnections* block = request.add_compact();
  block->set_family(4);
  std::string expected;
  std::array<uint64_t, 6> expected_tally{};
  for (size_t i = 0; i < 1500; ++i) {
    const IpAddress& src = v4[i % v4.size()];
    const IpAddress& dst = v4[(i / 4) % v4.size()];
    const uint32_t port = ports[(i / 16) % ports.size()];
    const uint32_t protocol = i % 7 == 0 ? 5 : (i / 3) % 4;  // 5 is invalid
    block->mutable_sources()->append(AddressBytes(src));
    block->mutable_destinations()->append(AddressBytes(dst));
    block->add_port_protocols(PortProtocol(port, protocol));
    Decision decision{false, Reason::kInvalid};
    if (port != 0 && protocol <= 3) {
      const Protocol core_protocol =
          protocol <= 1 ? Protocol::kTcp
                        : (protocol == 2 ? Protocol::kUdp : Protocol::kSctp);
      decision = snapshot_->Decide(src, dst, static_cast<uint16_t>(port),
                                   core_protocol);
    }
    expected.push_back(
        static_cast<char>(decision.allowed ? v1::ALLOW : v1::DENY));
    ++expected_tally[static_cast<size_t>(decision.reason)];
  }
  ASSERT_TRUE(Evaluate(request).ok());
  EXPECT_EQ(response_.compact_verdicts(), expected);
  EXPECT_EQ(tally_.by_reason, expected_tally);
  EXPECT_GT(expected_tally[static_cast<size_t>(Reason::kInvalid)], 0u);
  EXPECT_NE(expected.find(static_cast<char>(v1::ALLOW)), std::string::npos);
}

TEST_F(BatchEvaluatorTest, BothFormsInOneRequest) {
  v1::CheckConnectionRequest request;
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 81);
  v1::CompactConnections* block = request.add_compact();
  block->set_family(6);
  block->set_sources(V6Bytes(0xfd00000000000000, 0x20));       // y/c
  block->set_destinations(V6Bytes(0xfd00000000000000, 0x11));  // x/b
  block->add_port_protocols(PortProtocol(80, 1));
  v1::CompactConnections* v4_block = request.add_compact();
  v4_block->set_family(4);
  v4_block->set_sources(V4Bytes(0x0a00010a));
  v4_block->set_destinations(V4Bytes(0x0a00010b));
  v4_block->add_port_protocols(PortProtocol(80, 1));
  ASSERT_TRUE(Evaluate(request).ok());

  ASSERT_EQ(response_.decisions_size(), 1);
  EXPECT_EQ(response_.decisions(0).reason(), v1::DENIED_INGRESS);
  const std::string expected = {static_cast<char>(v1::DENY),
                                static_cast<char>(v1::ALLOW)};
  EXPECT_EQ(response_.compact_verdicts(), expected);
  EXPECT_EQ(tally_.batch_size, 3u);
  EXPECT_EQ(Tallied(Reason::kDeniedIngress), 1u);
  EXPECT_EQ(Tallied(Reason::kDeniedEgress), 1u);
  EXPECT_EQ(Tallied(Reason::kAllowedByPolicy), 1u);
}

TEST_F(BatchEvaluatorTest, BatchLimitCountsBothForms) {
  v1::CheckConnectionRequest request;
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 80);
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 80);
  v1::CompactConnections* block = request.add_compact();
  block->set_family(4);
  for (int i = 0; i < 2; ++i) {
    block->mutable_sources()->append(V4Bytes(0x0a00010a));
    block->mutable_destinations()->append(V4Bytes(0x0a00010b));
    block->add_port_protocols(PortProtocol(80, 1));
  }
  EXPECT_TRUE(Evaluate(request, BatchLimits{4}).ok());

  const absl::Status status = Evaluate(request, BatchLimits{3});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("batch of 4 connections (2 connections + 2 compact) "
                        "exceeds the maximum of 3"));
  EXPECT_EQ(response_.decisions_size(), 0);
}

TEST_F(BatchEvaluatorTest, MalformedCompactBlocksFailTheBatch) {
  struct Case {
    uint32_t family;
    size_t source_bytes;
    size_t destination_bytes;
    int ports;
    std::string message;
  };
  const std::vector<Case> cases = {
      {5, 4, 4, 1, "compact[1]: family 5 is not 4 or 6"},
      {0, 0, 0, 0, "compact[1]: family 0 is not 4 or 6"},
      {4, 3, 4, 1,
       "compact[1]: 1 port_protocols with family 4 need 4 bytes of sources "
       "and of destinations, got 3 and 4"},
      {4, 8, 4, 2, "need 8 bytes of sources and of destinations, got 8 and 4"},
      {6, 16, 16, 2, "2 port_protocols with family 6 need 32 bytes"},
      {6, 4, 4, 1, "need 16 bytes of sources and of destinations, got 4 and 4"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.message);
    v1::CheckConnectionRequest request;
    AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 80);
    v1::CompactConnections* good = request.add_compact();
    good->set_family(4);
    good->set_sources(V4Bytes(1));
    good->set_destinations(V4Bytes(2));
    good->add_port_protocols(80);
    v1::CompactConnections* bad = request.add_compact();
    bad->set_family(c.family);
    bad->set_sources(std::string(c.source_bytes, '\1'));
    bad->set_destinations(std::string(c.destination_bytes, '\1'));
    for (int i = 0; i < c.ports; ++i) bad->add_port_protocols(80);
    const absl::Status status = Evaluate(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(status.message(), HasSubstr(c.message));
    EXPECT_EQ(response_.decisions_size(), 0);
    EXPECT_THAT(response_.compact_verdicts(), IsEmpty());
  }
}

TEST_F(BatchEvaluatorTest, PinnedVersionsAnswerFromTheirSnapshot) {
  std::shared_ptr<const CompiledSnapshot> open = Compile(false);
  ASSERT_NE(open, nullptr);
  store_.Publish(open, "no policies");  // version 2

  v1::CheckConnectionRequest request;
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 81);
  ASSERT_TRUE(Evaluate(request).ok());
  EXPECT_EQ(response_.snapshot_version(), 2u);
  EXPECT_EQ(response_.decisions(0).reason(), v1::NOT_ISOLATED);

  request.set_snapshot_version(1);
  ASSERT_TRUE(Evaluate(request).ok());
  EXPECT_EQ(response_.snapshot_version(), 1u);
  EXPECT_EQ(response_.decisions(0).reason(), v1::DENIED_INGRESS);

  request.set_snapshot_version(2);
  ASSERT_TRUE(Evaluate(request).ok());
  EXPECT_EQ(response_.snapshot_version(), 2u);
  EXPECT_EQ(response_.decisions(0).reason(), v1::NOT_ISOLATED);
}

TEST_F(BatchEvaluatorTest, VersionsNoLongerRetainedAreNotFound) {
  for (int i = 0; i < 5; ++i) store_.Publish(snapshot_, "again");  // 2..6
  v1::CheckConnectionRequest request;
  AddIpConnection(&request, "10.0.1.10", "10.0.1.11", 80);
  for (uint64_t version : {1, 2, 7}) {
    request.set_snapshot_version(version);
    const absl::Status status = Evaluate(request);
    EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
    EXPECT_THAT(status.message(),
                HasSubstr(absl::StrCat("snapshot version ", version,
                                       " is not retained (retained: 3-6)")));
  }
  request.set_snapshot_version(3);
  EXPECT_TRUE(Evaluate(request).ok());
  EXPECT_EQ(response_.snapshot_version(), 3u);
}

}  // namespace
}  // namespace netpol::server
