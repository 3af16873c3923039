#include "server/serialized_batch.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/snapshot_store.h"
#include "gmock/gmock.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "netpol/v1/decision.pb.h"
#include "server/batch_evaluator.h"
#include "server/proto_convert.h"
#include "tests/core/test_util.h"

namespace netpol::server {
namespace {

using testing_util::BFromAPolicyYaml;
using testing_util::CompileYaml;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

// x/a and x/b (dual-stack); b accepts a on TCP 80 only.
std::string ClusterYaml() {
  return absl::StrCat(
      NamespaceYaml("x"), PodYaml("x", "a", "{app: a}", "10.0.1.10,fd00::10"),
      PodYaml("x", "b", "{app: b}", "10.0.1.11,fd00::11"), BFromAPolicyYaml());
}

// 10.0.1.`last` and fd00::`last`, in network order.
std::string V4(uint8_t last) {
  return std::string("\x0a\x00\x01", 3) + static_cast<char>(last);
}

std::string V6(uint8_t last) {
  std::string bytes("\xfd\x00", 2);
  bytes.append(13, '\0');
  bytes.push_back(static_cast<char>(last));
  return bytes;
}

v1::CompactConnections* AddV4Block(v1::CheckConnectionRequest* request) {
  v1::CompactConnections* block = request->add_compact();
  block->set_family(4);
  const std::string a = V4(0x0a), b = V4(0x0b);
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {a, b}, {b, a}, {a, a}, {a, b}, {a, b}};
  const std::vector<uint32_t> port_protocols = {80 | 1 << 16, 80, 9, 81,
                                                80 | 7 << 16};  // invalid
  for (size_t i = 0; i < pairs.size(); ++i) {
    block->mutable_sources()->append(pairs[i].first);
    block->mutable_destinations()->append(pairs[i].second);
    block->add_port_protocols(port_protocols[i]);
  }
  return block;
}

void AddV6Block(v1::CheckConnectionRequest* request) {
  v1::CompactConnections* block = request->add_compact();
  block->set_family(6);
  block->set_sources(V6(0x10) + V6(0x11));
  block->set_destinations(V6(0x11) + V6(0x10));
  block->add_port_protocols(80);
  block->add_port_protocols(80 | 2 << 16);
}

void AddFriendly(v1::CheckConnectionRequest* request) {
  v1::Connection* c = request->add_connections();
  c->mutable_source()->set_ip("10.0.1.10");
  c->mutable_destination()->mutable_pod()->set_namespace_("x");
  c->mutable_destination()->mutable_pod()->set_name("b");
  c->set_port(80);
}

// The request as gRPC might deliver it: in `pieces` slices cut at random.
grpc::ByteBuffer Sliced(const std::string& bytes, int pieces,
                        std::mt19937& random) {
  std::vector<size_t> cuts = {0, bytes.size()};
  for (int i = 1; i < pieces; ++i) {
    cuts.push_back(bytes.empty() ? 0 : random() % bytes.size());
  }
  std::sort(cuts.begin(), cuts.end());
  std::vector<grpc::Slice> slices;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    slices.emplace_back(bytes.data() + cuts[i], cuts[i + 1] - cuts[i]);
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

std::string Flat(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Valid() || !buffer.Dump(&slices).ok()) return out;
  for (const grpc::Slice& s : slices) {
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return out;
}

class SerializedBatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.Publish(CompileYaml(ClusterYaml()), "test");
    store_.Publish(CompileYaml(ClusterYaml()), "test");
  }

  // Answer() against protobuf parsing and EvaluateBatch, the reference:
  // the same status, response bytes and tally, whatever the slicing.
  void ExpectSameAsEvaluateBatch(const std::string& bytes,
                                 BatchLimits limits = {}) {
    grpc::Status expected_status;
    std::string expected_bytes;
    DecisionTally expected_tally;
    v1::CheckConnectionRequest request;
    if (!request.ParseFromString(bytes)) {
      expected_status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "");
    } else {
      v1::CheckConnectionResponse response;
      expected_status = ToGrpcStatus(
          EvaluateBatch(store_, request, limits, &response, &expected_tally));
      if (expected_status.ok()) expected_bytes = response.SerializeAsString();
    }
    for (int pieces : {1, 2, 3, 7}) {
      SCOPED_TRACE(absl::StrCat(pieces, " slices"));
      grpc::ByteBuffer response;
      DecisionTally tally;
      const grpc::Status status = answerer_.Answer(
          store_, limits, Sliced(bytes, pieces, random_), &response, &tally);
      ASSERT_EQ(status.error_code(), expected_status.error_code())
          << status.error_message();
      if (!request.ParseFromString(bytes)) {
        EXPECT_EQ(status.error_message(),
                  "the request is not a serialized "
                  "netpol.v1.CheckConnectionRequest");
        continue;
      }
      EXPECT_EQ(status.error_message(), expected_status.error_message());
      EXPECT_EQ(Flat(response), expected_bytes);
      EXPECT_EQ(tally.batch_size, expected_tally.batch_size);
      EXPECT_EQ(tally.by_reason, expected_tally.by_reason);
    }
  }

  SnapshotStore store_{4};
  BatchAnswerer answerer_;  // reused, as by a gRPC thread or a stream
  std::mt19937 random_{3};
};

TEST_F(SerializedBatchTest, CompactRequestsAnswerAsEvaluateBatch) {
  v1::CheckConnectionRequest request;
  AddV4Block(&request);
  ExpectSameAsEvaluateBatch(request.SerializeAsString());
  AddV6Block(&request);
  AddV4Block(&request);
  ExpectSameAsEvaluateBatch(request.SerializeAsString());
  request.set_snapshot_version(1);  // pinned, retained
  ExpectSameAsEvaluateBatch(request.SerializeAsString());
  ExpectSameAsEvaluateBatch("");  // nothing to decide
}

TEST_F(SerializedBatchTest, OtherRequestsAnswerAsEvaluateBatch) {
  v1::CheckConnectionRequest friendly;
  AddFriendly(&friendly);
  ExpectSameAsEvaluateBatch(friendly.SerializeAsString());
  friendly.set_explain(true);
  ExpectSameAsEvaluateBatch(friendly.SerializeAsString());
  AddV4Block(&friendly);  // both forms in one request
  ExpectSameAsEvaluateBatch(friendly.SerializeAsString());
  // Friendly connections after the compact block on the wire.
  v1::CheckConnectionRequest compact;
  AddV4Block(&compact);
  v1::CheckConnectionRequest tail;
  AddFriendly(&tail);
  ExpectSameAsEvaluateBatch(compact.SerializeAsString() +
                            tail.SerializeAsString());
}

TEST_F(SerializedBatchTest, ErrorsAsEvaluateBatch) {
  v1::CheckConnectionRequest request;
  AddV4Block(&request)->set_family(5);
  ExpectSameAsEvaluateBatch(request.SerializeAsString());  // bad family
  request.mutable_compact(0)->set_family(6);
  ExpectSameAsEvaluateBatch(request.SerializeAsString());  // short columns
  request.Clear();
  AddV4Block(&request);
  ExpectSameAsEvaluateBatch(request.SerializeAsString(), BatchLimits{4});
  request.set_snapshot_version(99);
  ExpectSameAsEvaluateBatch(request.SerializeAsString());  // not retained
  AddFriendly(&request);
  ExpectSameAsEvaluateBatch(request.SerializeAsString());
  ExpectSameAsEvaluateBatch(std::string("\x22\x05\x08", 3));  // truncated
  ExpectSameAsEvaluateBatch(std::string("\x0a\x05\x08", 3));
}

// Empty compact blocks cost 2 bytes each on the wire and tens of bytes
// parsed: their count is refused before either parser runs, although they
// hold no connection for --max-batch to count.
TEST_F(SerializedBatchTest, TooManyFieldsAreRefusedBeforeParsing) {
  std::string empty_blocks;
  for (int i = 0; i < 1000000; ++i) empty_blocks += std::string("\x22\x00", 2);
  for (int pieces : {1, 3}) {
    grpc::ByteBuffer response;
    DecisionTally tally;
    const grpc::Status status = answerer_.Answer(
        store_, BatchLimits{}, Sliced(empty_blocks, pieces, random_), &response,
        &tally);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(),
                ::testing::HasSubstr("more than 10016 top-level fields"));
    EXPECT_EQ(tally.batch_size, 0u);
  }
  v1::CheckConnectionRequest usual;
  AddV4Block(&usual);
  ExpectSameAsEvaluateBatch(usual.SerializeAsString());
}

// A request past BatchAnswerer::kKeptBytes (an unknown field of 3 MiB,
// and 300,000 packed varints declared in a block with no addresses): its
// buffers are freed, and the answerer serves the next requests as before.
TEST_F(SerializedBatchTest, HugeRequestThenUsualOnes) {
  v1::CheckConnectionRequest request;
  AddV4Block(&request);
  const std::string usual = request.SerializeAsString();
  std::string unknown_field = "\xfa\x01";  // field 31, length-delimited
  const std::string payload(3 << 20, 'u');
  size_t n = payload.size();
  for (; n >= 0x80; n >>= 7) {
    unknown_field.push_back(static_cast<char>(n | 0x80));
  }
  unknown_field.push_back(static_cast<char>(n));
  v1::CheckConnectionRequest many;
  v1::CompactConnections* block = many.add_compact();
  block->set_family(4);
  for (int i = 0; i < 300000; ++i) block->add_port_protocols(80);
  ExpectSameAsEvaluateBatch(usual + unknown_field + payload);
  // Short columns; a --max-batch that lets the ports through to the reader.
  ExpectSameAsEvaluateBatch(many.SerializeAsString(), BatchLimits{300000});
  ExpectSameAsEvaluateBatch(usual);
  AddV6Block(&request);
  ExpectSameAsEvaluateBatch(request.SerializeAsString());
}

TEST(SerializedBatchEmptyStoreTest, UnavailableUntilFirstSnapshot) {
  SnapshotStore empty;
  BatchAnswerer answerer;
  v1::CheckConnectionRequest request;
  AddV4Block(&request);
  const std::string bytes = request.SerializeAsString();
  const grpc::Slice slice(bytes.data(), bytes.size());
  grpc::ByteBuffer response;
  DecisionTally tally;
  const grpc::Status status = answerer.Answer(
      empty, {}, grpc::ByteBuffer(&slice, 1), &response, &tally);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "no snapshot loaded yet");
}

}  // namespace
}  // namespace netpol::server
