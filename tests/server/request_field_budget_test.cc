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

// port_protocols count by their bytes, in all blocks together, packed or
// not: 11 per connection --max-batch allows.
TEST(RequestFieldBudgetTest, PortProtocolsCountByTheirBytes) {
  const size_t limit = kPortBytesPerConnection * kMaxBatch;  // 1,100
  const auto unpacked = [](size_t values) {                  // 4 bytes each
    Wire block;
    block.VarintField(1, 4);
    for (size_t i = 0; i < values; ++i) block.VarintField(4, 80 | 6 << 16);
    return Wire().BytesField(4, block.bytes()).bytes();
  };
  EXPECT_TRUE(CheckRequestFieldBudget(unpacked(limit / 4), kMaxBatch).ok());
  EXPECT_THAT(
      CheckRequestFieldBudget(unpacked(limit / 4 + 1), kMaxBatch).message(),
      HasSubstr("port_protocols take more than 1100 bytes"));

  // Field 4 as fixed32 is no port: an unknown field, counted as one.
  Wire fixed;
  fixed.VarintField(1, 4);
  for (size_t i = 0; i < kEntryFieldBudget; ++i) fixed.Key(4, 5).Raw("abcd");
  EXPECT_THAT(
      CheckRequestFieldBudget(Wire().BytesField(4, fixed.bytes()).bytes(),
                              kMaxBatch)
          .message(),
      HasSubstr("a compact block of the request has more than 64 fields"));

  // One packed flood: 1-byte values, each 4 bytes parsed.
  const std::string flood =
      Wire()
          .BytesField(4, Wire()
                             .VarintField(1, 4)
                             .BytesField(4, std::string(limit + 1, '\x01'))
                             .bytes())
          .bytes();
  EXPECT_THAT(CheckRequestFieldBudget(flood, kMaxBatch).message(),
              HasSubstr("port_protocols take more than 1100 bytes"));
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

// Protobuf keeps the low 32 bits of a 5-byte tag, whatever its fifth
// byte: such a field must count as one, not as malformed bytes.
TEST(RequestFieldBudgetTest, FiveByteTagsAsProtobufReadsThem) {
  const std::string filler = Repeat(kUnknown, 100);
  int accepted = 0;
  for (int fifth = 0; fifth < 0x80; ++fifth) {
    std::string tag = {'\x88', '\x80', '\x80', '\x80',
                       static_cast<char>(fifth)};
    const std::string bytes = filler + tag + std::string("\x01", 1);
    v1::CheckConnectionRequest parsed;
    if (!parsed.ParseFromString(bytes)) continue;
    ++accepted;
    EXPECT_TRUE(CheckRequestFieldBudget(bytes, kMaxBatch).ok()) << fifth;
  }
  EXPECT_GT(accepted, 16);  // more than the tags that fit in 32 bits
}

// Damage of the kinds random flips rarely make, at the top level and deep
// in a connection long enough to be read: the scan calls each malformed,
// and protobuf refuses each too.
TEST(RequestFieldBudgetTest, StructuredDamageIsMalformedForBoth) {
  const std::string filler = Repeat(kUnknown, 100);
  const std::string name(150, 'n');
  // A connection whose source pod ends with `tail` inside the PodRef.
  const auto deep = [&](const std::string& tail) {
    const std::string pod = Wire().BytesField(2, name).Raw(tail).bytes();
    const std::string source = Wire().BytesField(2, pod).bytes();
    return Wire().BytesField(1, Wire().BytesField(1, source).bytes()).bytes();
  };
  const std::string eleven_byte_varint =
      Wire().Key(9, 0).Raw(std::string(10, '\x80') + '\x01').bytes();
  const std::string wire_type_6 = Wire().Key(9, 6).Raw("\x01").bytes();
  const std::string wire_type_7 = Wire().Key(9, 7).Raw("\x01").bytes();
  const std::string stray_end = Wire().Key(9, 4).bytes();
  const std::string open_group = Wire().Key(9, 3).VarintField(1, 1).bytes();
  const std::string long_length =
      Wire().Key(9, 2).Raw("\xff\xff\xff\xff\x0f").bytes();
  for (const std::string& damage :
       {eleven_byte_varint, wire_type_6, wire_type_7, stray_end, open_group,
        long_length}) {
    for (const std::string& bytes : {filler + damage, filler + deep(damage)}) {
      v1::CheckConnectionRequest parsed;
      EXPECT_FALSE(parsed.ParseFromString(bytes));
      EXPECT_THAT(CheckRequestFieldBudget(bytes, kMaxBatch).message(),
                  HasSubstr("not a serialized"));
    }
  }
  // Inside an unknown group a connection is only bytes, to protobuf and to
  // the scan: the stray end-group in it is not read by either.
  const std::string in_group = filler + Wire().Key(9, 3).bytes() +
                               deep(stray_end) + Wire().Key(9, 4).bytes();
  v1::CheckConnectionRequest parsed;
  EXPECT_TRUE(parsed.ParseFromString(in_group));
  EXPECT_TRUE(CheckRequestFieldBudget(in_group, kMaxBatch).ok());
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
      // Some connections long enough for their fields to be counted.
      c->mutable_source()->mutable_pod()->set_name(
          std::string(random() % 200, 'n'));
      c->mutable_destination()->set_ip("10.0.0.1");
      c->set_port(static_cast<uint32_t>(random() % 70000));
    }
    v1::CompactConnections* block = request.add_compact();
    block->set_family(4);
    // 1-byte values, under the port budget of max_batch 2 (22 bytes).
    for (int i = 0; i < static_cast<int>(random() % 8); ++i) {
      block->add_port_protocols(static_cast<uint32_t>(random() % 128));
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
