// Every case of tests/conformance/ through the running server, one server per
// case on its cluster.yaml: all expected.json rows are asked in one
// CheckConnection batch (friendly form) and must match both the expectation
// and the offline evaluator (CompiledSnapshot on the same file), verdict AND
// reason. Rows whose endpoints are both IPs of one family are asked again in
// the compact form.

#include <signal.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/manifest_loader.h"
#include "core/protocol.h"
#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/server_process.h"
#include "tests/support/conformance_cases.h"

namespace netpol::integration {
namespace {

namespace pb = ::netpol::v1;
using ::netpol::conformance::ConformanceCase;
using ::netpol::conformance::ExpectedRow;

pb::Reason ToProto(Reason reason) {
  switch (reason) {
    case Reason::kLoopback:
      return pb::LOOPBACK;
    case Reason::kNotIsolated:
      return pb::NOT_ISOLATED;
    case Reason::kAllowedByPolicy:
      return pb::ALLOWED_BY_POLICY;
    case Reason::kDeniedEgress:
      return pb::DENIED_EGRESS;
    case Reason::kDeniedIngress:
      return pb::DENIED_INGRESS;
    case Reason::kInvalid:
      return pb::INVALID_CONNECTION;
  }
  return pb::REASON_UNSPECIFIED;
}

pb::Protocol ToProto(Protocol protocol) {
  switch (protocol) {
    case Protocol::kTcp:
      return pb::TCP;
    case Protocol::kUdp:
      return pb::UDP;
    case Protocol::kSctp:
      return pb::SCTP;
  }
  return pb::PROTOCOL_UNSPECIFIED;
}

void ToProto(const Endpoint& endpoint, pb::Endpoint* out) {
  if (const PodRef* pod = std::get_if<PodRef>(&endpoint)) {
    SetPod(out, pod->namespace_name, pod->name);
  } else {
    out->set_ip(std::get<IpAddress>(endpoint).ToString());
  }
}

// Network-order bytes of `ip` (4 or 16).
std::string AddressBytes(const IpAddress& ip) {
  std::string bytes;
  if (ip.is_v4()) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<char>((ip.v4() >> shift) & 0xff));
    }
    return bytes;
  }
  for (uint64_t half : {ip.hi, ip.lo}) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<char>((half >> shift) & 0xff));
    }
  }
  return bytes;
}

struct Row {
  std::string where;  // for failure messages
  Connection connection;
  std::optional<bool> expected_allowed;  // only for the default options
  Decision offline;
};

// One case: a server on its cluster.yaml answers every row. The server is
// signalled, not waited for, and handed to `stopping`: each takes ~2 s to
// exit, and waiting for them one by one would make the suite minutes long.
void CheckCase(const ConformanceCase& test_case, const CompileOptions& options,
               std::vector<std::unique_ptr<ServerProcess>>* stopping) {
  const std::string& cluster_path = test_case.cluster_path;

  absl::StatusOr<Cluster> cluster = LoadManifests({cluster_path});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> offline =
      CompiledSnapshot::Compile(*std::move(cluster), options);
  ASSERT_TRUE(offline.ok()) << offline.status();

  std::vector<Row> rows;
  for (size_t i = 0; i < test_case.rows.size(); ++i) {
    const ExpectedRow& item = test_case.rows[i];
    Row row;
    row.where = absl::StrCat("expected.json row ", i, ": ",
                             conformance::Describe(item));
    std::optional<Endpoint> src = ParseEndpoint(item.src);
    std::optional<Endpoint> dst = ParseEndpoint(item.dst);
    std::optional<Protocol> protocol = ParseProtocol(item.protocol);
    ASSERT_TRUE(src && dst && protocol) << row.where;
    row.connection = {*src, *dst, item.port, *protocol};
    // expected.json assumes ipBlocks match pod IPs.
    if (options.ipblock_matches_pods) row.expected_allowed = item.allowed;
    absl::StatusOr<Decision> decision = (*offline)->Decide(row.connection);
    ASSERT_TRUE(decision.ok()) << row.where << ": " << decision.status();
    row.offline = *decision;
    rows.push_back(std::move(row));
  }

  absl::StatusOr<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(
      {"--manifests=" + cluster_path, options.ipblock_matches_pods
                                          ? "--ipblock-matches-pods=true"
                                          : "--ipblock-matches-pods=false"});
  ASSERT_TRUE(started.ok()) << started.status();
  stopping->push_back(*std::move(started));
  ServerProcess& server = *stopping->back();
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> stub = server.DecisionStub();

  // Friendly form: every row in one batch.
  pb::CheckConnectionRequest request;
  for (const Row& row : rows) {
    pb::Connection* c = request.add_connections();
    ToProto(row.connection.source, c->mutable_source());
    ToProto(row.connection.destination, c->mutable_destination());
    c->set_port(row.connection.port);
    c->set_protocol(ToProto(row.connection.protocol));
  }
  pb::CheckConnectionResponse response;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::Status status = stub->CheckConnection(&context, request, &response);
    ASSERT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
  }
  EXPECT_EQ(response.snapshot_version(), 1u);
  ASSERT_EQ(response.decisions_size(), static_cast<int>(rows.size()));
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& row = rows[i];
    const pb::Decision& got = response.decisions(static_cast<int>(i));
    EXPECT_EQ(got.verdict() == pb::ALLOW,
              row.expected_allowed.value_or(row.offline.allowed))
        << row.where << "\n  server: " << got.ShortDebugString();
    EXPECT_EQ(got.verdict(), row.offline.allowed ? pb::ALLOW : pb::DENY)
        << row.where << "\n  server: " << got.ShortDebugString()
        << "\n  offline: " << ReasonName(row.offline.reason);
    EXPECT_EQ(got.reason(), ToProto(row.offline.reason))
        << row.where << "\n  server: " << got.ShortDebugString()
        << "\n  offline: " << ReasonName(row.offline.reason);
    EXPECT_TRUE(got.error().empty()) << row.where << ": " << got.error();
  }

  // Compact form: rows with two IPs of one family, one block per family.
  pb::CheckConnectionRequest compact_request;
  std::vector<const Row*> compact_rows;
  for (IpFamily family : {IpFamily::kV4, IpFamily::kV6}) {
    pb::CompactConnections block;
    block.set_family(static_cast<uint32_t>(family));
    for (const Row& row : rows) {
      const IpAddress* src = std::get_if<IpAddress>(&row.connection.source);
      const IpAddress* dst =
          std::get_if<IpAddress>(&row.connection.destination);
      if (src == nullptr || dst == nullptr || src->family != family ||
          dst->family != family) {
        continue;
      }
      block.mutable_sources()->append(AddressBytes(*src));
      block.mutable_destinations()->append(AddressBytes(*dst));
      block.add_port_protocols(
          row.connection.port |
          (static_cast<uint32_t>(ToProto(row.connection.protocol)) << 16));
      compact_rows.push_back(&row);
    }
    if (block.port_protocols_size() > 0) *compact_request.add_compact() = block;
  }
  if (!compact_rows.empty()) {
    pb::CheckConnectionResponse compact_response;
    grpc::ClientContext context;
    SetDeadline(&context);
    grpc::Status status =
        stub->CheckConnection(&context, compact_request, &compact_response);
    ASSERT_TRUE(status.ok())
        << status.error_code() << ": " << status.error_message();
    EXPECT_EQ(compact_response.decisions_size(), 0);
    const std::string& verdicts = compact_response.compact_verdicts();
    ASSERT_EQ(verdicts.size(), compact_rows.size());
    for (size_t i = 0; i < compact_rows.size(); ++i) {
      const Row& row = *compact_rows[i];
      EXPECT_EQ(static_cast<int>(verdicts[i]),
                row.offline.allowed ? pb::ALLOW : pb::DENY)
          << "compact: " << row.where;
      EXPECT_EQ(verdicts[i] == pb::ALLOW,
                row.expected_allowed.value_or(row.offline.allowed))
          << "compact: " << row.where;
    }
  }
  server.Signal(SIGTERM);
}

// Cases whose cluster is valid (no "expect_error" in meta.json).
void CheckEveryCase(const CompileOptions& options) {
  std::vector<ConformanceCase> cases;
  for (const std::string& name : conformance::ConformanceCaseNames()) {
    absl::StatusOr<ConformanceCase> test_case =
        conformance::LoadConformanceCase(name);
    ASSERT_TRUE(test_case.ok()) << test_case.status();
    if (!test_case->expect_error.has_value()) {
      cases.push_back(*std::move(test_case));
    }
  }
  ASSERT_FALSE(cases.empty())
      << "no cases under " << conformance::ConformanceDir();
  std::vector<std::unique_ptr<ServerProcess>> stopping;
  for (const ConformanceCase& test_case : cases) {
    SCOPED_TRACE(test_case.name);
    CheckCase(test_case, options, &stopping);
  }
}

TEST(ServerConformanceTest, EveryCaseMatchesExpectationsAndOfflineEvaluator) {
  CheckEveryCase(CompileOptions{});
}

// The flag reaches the compiler: verdicts follow the offline evaluator
// compiled with the same option (expected.json does not apply).
TEST(ServerConformanceTest, IpBlockNotMatchingPodsMatchesOfflineEvaluator) {
  CheckEveryCase(CompileOptions{.ipblock_matches_pods = false});
}

}  // namespace
}  // namespace netpol::integration
