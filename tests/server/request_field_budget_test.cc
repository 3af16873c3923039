#include "server/request_field_budget.h"

#include <cstdint>
#include <random>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "netpol/v1/decision.pb.h"
#include "tests/server/wire_builder.h"

namespace netpol::server {
namespace {

using ::testing::HasSubstr;

constexpr size_t kMaxBatch = 100;
constexpr size_t kTopLevelBudget = kMaxBatch + kTopLevelFieldSlack;

std::string Repeat(const std::string& field, size_t times) {
  std::string bytes;
  for (size_t i = 0; i < times; ++i) bytes += field;
  return bytes;
}

// A field the request does not define (number 9), with a 2-byte varint so
// that the smallest requests over the budget are still above the size at
// which counting starts.
const std::string kUnknown = Wire().VarintField(9, 300).bytes();

TEST(RequestFieldBudgetTest, TopLevelFieldsUpToTheBudget) {
  const std::string empty_block = Wire().BytesField(4, "").bytes();
  const std::string empty_connection = Wire().BytesField(1, "").bytes();
  for (const std::string& field : {empty_block, empty_connection, kUnknown}) {
    EXPECT_TRUE(
        CheckRequestFieldBudget(Repeat(field, kTopLevelBudget), kMaxBatch)
            .ok());
    const absl::Status over =
        CheckRequestFieldBudget(Repeat(field, kTopLevelBudget + 1), kMaxBatch);
    EXPECT_EQ(over.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(over.message(), HasSubstr("more than 116 top-level fields"));
    EXPECT_THAT(over.message(), HasSubstr("--max-batch=100"));
  }
}

TEST(RequestFieldBudgetTest, RequestsTooShortToGoOverAreNotRead) {
  // 2 * 116 bytes cannot hold 117 fields, whatever they are.
  EXPECT_TRUE(CheckRequestFieldBudget(std::string(2 * kTopLevelBudget, '\xff'),
                                      kMaxBatch)
                  .ok());
  EXPECT_EQ(CheckRequestFieldBudget(
                std::string(2 * kTopLevelBudget + 2, '\xff'), kMaxBatch)
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// Fields nested anywhere in one connection count against its budget:
// protobuf merges repeated occurrences of a singular message, keeping the
// unknown fields of each.
TEST(RequestFieldBudgetTest, EachEntryHasABudgetForEverythingInIt) {
  const auto pod_ref = [](size_t unknown) {
    return Wire().BytesField(1, "ns").BytesField(2, "name").Raw(
        Repeat(kUnknown, unknown));
  };
  const auto endpoint = [&](size_t unknown) {
    return Wire().BytesField(2, pod_ref(unknown).bytes());
  };
  // Per side: source, pod, namespace, name and 27 unknown fields; with
  // port and protocol, 64 in all.
  const std::string within = Wire()
                                 .BytesField(1, endpoint(27).bytes())
                                 .BytesField(2, endpoint(27).bytes())
                                 .VarintField(3, 80)
                                 .VarintField(4, 1)
                                 .bytes();
  const std::string over = within + kUnknown;
  const std::string filler = Repeat(kUnknown, kTopLevelBudget - 2);
  const absl::Status status = CheckRequestFieldBudget(
      filler + Wire().BytesField(1, over).bytes(), kMaxBatch);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("a connection of the request has more than 64 fields"));
  EXPECT_TRUE(CheckRequestFieldBudget(
                  filler + Wire().BytesField(1, within).bytes(), kMaxBatch)
                  .ok());

  // The same for a compact block's unknown fields.
  const std::string block =
      Wire().VarintField(1, 4).Raw(Repeat(kUnknown, kEntryFieldBudget)).bytes();
  const absl::Status compact = CheckRequestFieldBudget(
      filler + Wire().BytesField(4, block).bytes(), kMaxBatch);
  EXPECT_THAT(compact.message(),
              HasSubstr("a compact block of the request has more than 64"));
}

TEST(RequestFieldBudgetTest, UnpackedPortsAreNotCounted) {
  Wire block;
  block.VarintField(1, 4);
  for (int i = 0; i < 5000; ++i) block.VarintField(4, 80 | 6 << 16);
  EXPECT_TRUE(CheckRequestFieldBudget(
                  Wire().BytesField(4, block.bytes()).bytes(), kMaxBatch)
                  .ok());
}

TEST(RequestFieldBudgetTest, GroupsCountTheirTags) {
  Wire group;
  group.Key(15, 3);
  for (size_t i = 0; i < kTopLevelBudget; ++i) group.VarintField(1, 300);
  group.Key(15, 4);
  EXPECT_THAT(CheckRequestFieldBudget(group.bytes(), kMaxBatch).message(),
              HasSubstr("top-level fields"));
  // An end-group that closes nothing, or another group, is malformed.
  const std::string mismatched =
      Wire().Key(15, 3).Raw(Repeat(kUnknown, 80)).Key(14, 4).bytes();
  EXPECT_THAT(CheckRequestFieldBudget(mismatched, kMaxBatch).message(),
              HasSubstr("not a serialized"));
}

// Real requests of the largest size allowed pass with room to spare.
TEST(RequestFieldBudgetTest, FullBatchesPass) {
  constexpr size_t kFullBatch = 10000;
  v1::CheckConnectionRequest friendly;
  for (size_t i = 0; i < kFullBatch; ++i) {
    v1::Connection* c = friendly.add_connections();
    c->mutable_source()->mutable_pod()->set_namespace_("namespace-" +
                                                       std::to_string(i));
    c->mutable_source()->mutable_pod()->set_name(std::string(200, 'p'));
    c->mutable_destination()->set_ip("10.1.2.3");
    c->set_port(443);
    c->set_protocol(v1::UDP);
  }
  EXPECT_TRUE(
      CheckRequestFieldBudget(friendly.SerializeAsString(), kFullBatch).ok());

  v1::CheckConnectionRequest compact;
  compact.set_snapshot_version(7);
  for (int family : {4, 6}) {
    v1::CompactConnections* block = compact.add_compact();
    block->set_family(family);
    for (size_t i = 0; i < kFullBatch / 2; ++i) {
      block->add_port_protocols(80 | 6 << 16);
    }
    block->set_sources(std::string(family * kFullBatch / 2, 'a'));
    block->set_destinations(std::string(family * kFullBatch / 2, 'b'));
  }
  EXPECT_TRUE(
      CheckRequestFieldBudget(compact.SerializeAsString(), kFullBatch).ok());
}

// The scan calls bytes malformed only when protobuf refuses them too: it
// must never turn away a request protobuf would read.
TEST(RequestFieldBudgetTest, MalformedOnlyWhenProtobufRefusesToo) {
  std::mt19937_64 random(11);
  int malformed = 0, passed = 0;
  for (int round = 0; round < 300; ++round) {
    v1::CheckConnectionRequest request;
    for (int i = 0; i < 1 + static_cast<int>(random() % 6); ++i) {
      v1::Connection* c = request.add_connections();
      c->mutable_source()->mutable_pod()->set_name(
          std::string(random() % 80, 'n'));
      c->mutable_destination()->set_ip("10.0.0.1");
      c->set_port(static_cast<uint32_t>(random() % 70000));
    }
    v1::CompactConnections* block = request.add_compact();
    block->set_family(4);
    for (int i = 0; i < static_cast<int>(random() % 50); ++i) {
      block->add_port_protocols(static_cast<uint32_t>(random()));
    }
    block->set_sources(std::string(4 * (random() % 50), 's'));
    std::string bytes = request.SerializeAsString() +
                        Wire().Key(20, 3).VarintField(1, 5).Key(20, 4).bytes();
    ASSERT_TRUE(CheckRequestFieldBudget(bytes, 2).ok());
    for (int k = 0; k < 100; ++k) {
      std::string damaged = bytes;
      const int flips = 1 + static_cast<int>(random() % 3);
      for (int f = 0; f < flips; ++f) {
        damaged[random() % damaged.size()] = static_cast<char>(random());
      }
      const absl::Status status = CheckRequestFieldBudget(damaged, 2);
      if (absl::StrContains(status.message(), "not a serialized")) {
        ++malformed;
        v1::CheckConnectionRequest parsed;
        EXPECT_FALSE(parsed.ParseFromString(damaged));
        if (HasFailure()) return;
      } else if (status.ok()) {
        ++passed;
      }
    }
  }
  EXPECT_GT(malformed, 1000);
  EXPECT_GT(passed, 1000);
}

}  // namespace
}  // namespace netpol::server
