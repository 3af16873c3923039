#include "server/compact_request_reader.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "netpol/v1/decision.pb.h"
#include "tests/server/wire_builder.h"

namespace netpol::server {
namespace {

std::string Packed(const std::vector<uint64_t>& values) {
  Wire wire;
  for (uint64_t v : values) wire.Varint(v);
  return wire.bytes();
}

// What the reader must agree with: protobuf's parse of the same bytes.
// The reader may decline bytes protobuf accepts, never the reverse, and
// never reads them differently. Returns whether the reader read them.
bool ExpectAgreesWithProtobuf(CompactRequestReader& reader,
                              const std::string& bytes) {
  v1::CheckConnectionRequest message;
  const bool parsed = message.ParseFromString(bytes);
  if (!reader.Read(bytes)) return false;
  EXPECT_TRUE(parsed) << "read bytes protobuf rejects";
  EXPECT_EQ(message.connections_size(), 0);
  EXPECT_EQ(reader.snapshot_version(), message.snapshot_version());
  if (reader.blocks().size() != static_cast<size_t>(message.compact_size())) {
    ADD_FAILURE() << reader.blocks().size() << " blocks read, "
                  << message.compact_size() << " parsed";
    return true;
  }
  for (int i = 0; i < message.compact_size(); ++i) {
    const v1::CompactConnections& expected = message.compact(i);
    const CompactBlock& block = reader.blocks()[static_cast<size_t>(i)];
    EXPECT_EQ(block.family, expected.family()) << "block " << i;
    EXPECT_EQ(block.sources, expected.sources()) << "block " << i;
    EXPECT_EQ(block.destinations, expected.destinations()) << "block " << i;
    EXPECT_EQ(std::vector<uint32_t>(block.port_protocols.begin(),
                                    block.port_protocols.end()),
              std::vector<uint32_t>(expected.port_protocols().begin(),
                                    expected.port_protocols().end()))
        << "block " << i;
  }
  return true;
}

v1::CheckConnectionRequest RandomRequest(std::mt19937_64& random) {
  v1::CheckConnectionRequest request;
  request.set_snapshot_version(random() % 3 == 0 ? 0
                                                 : random() >> (random() % 64));
  const int blocks = static_cast<int>(random() % 4);
  for (int b = 0; b < blocks; ++b) {
    v1::CompactConnections* block = request.add_compact();
    block->set_family(random() % 5 == 0 ? static_cast<uint32_t>(random())
                                        : (random() % 2 ? 4 : 6));
    const int n = static_cast<int>(random() % 40);
    for (int i = 0; i < n; ++i) {
      // Every varint length from 1 to 5 bytes.
      block->add_port_protocols(static_cast<uint32_t>(random()) >>
                                (random() % 32));
      for (int k = 0; k < 4; ++k) {
        block->mutable_sources()->push_back(static_cast<char>(random()));
        block->mutable_destinations()->push_back(static_cast<char>(random()));
      }
    }
  }
  return request;
}

TEST(CompactRequestReaderTest, ReadsWhatClientsSend) {
  v1::CheckConnectionRequest request;
  request.set_snapshot_version(7);
  v1::CompactConnections* v4 = request.add_compact();
  v4->set_family(4);
  v4->set_sources(std::string("\x0a\x00\x01\x0a\x0a\x00\x01\x0b", 8));
  v4->set_destinations(std::string("\x0a\x00\x01\x0b\x0a\x00\x02\x0a", 8));
  v4->add_port_protocols(80 | 1 << 16);  // 3-byte varint
  v4->add_port_protocols(443);           // 2 bytes
  v1::CompactConnections* v6 = request.add_compact();
  v6->set_family(6);
  v6->set_sources(std::string(16, '\x01'));
  v6->set_destinations(std::string(16, '\x02'));
  v6->add_port_protocols(53 | 2 << 16);

  CompactRequestReader reader;
  const std::string bytes = request.SerializeAsString();
  ASSERT_TRUE(reader.Read(bytes));
  EXPECT_EQ(reader.snapshot_version(), 7u);
  ASSERT_EQ(reader.blocks().size(), 2u);
  EXPECT_EQ(reader.blocks()[0].family, 4u);
  EXPECT_EQ(reader.blocks()[0].sources, v4->sources());
  EXPECT_EQ(reader.blocks()[0].destinations, v4->destinations());
  EXPECT_EQ(std::vector<uint32_t>(reader.blocks()[0].port_protocols.begin(),
                                  reader.blocks()[0].port_protocols.end()),
            (std::vector<uint32_t>{80 | 1 << 16, 443}));
  EXPECT_EQ(std::vector<uint32_t>(reader.blocks()[1].port_protocols.begin(),
                                  reader.blocks()[1].port_protocols.end()),
            (std::vector<uint32_t>{53 | 2 << 16}));
  // The address columns are views into the request, not copies.
  EXPECT_GE(reader.blocks()[0].sources.data(), bytes.data());
  EXPECT_LT(reader.blocks()[0].sources.data(), bytes.data() + bytes.size());

  ASSERT_TRUE(reader.Read(""));  // the empty request
  EXPECT_EQ(reader.snapshot_version(), 0u);
  EXPECT_TRUE(reader.blocks().empty());
}

TEST(CompactRequestReaderTest, RandomRequestsReadAsProtobufParsesThem) {
  std::mt19937_64 random(42);
  CompactRequestReader reader;  // reused, as the server does
  for (int round = 0; round < 2000; ++round) {
    const std::string bytes = RandomRequest(random).SerializeAsString();
    ASSERT_TRUE(reader.Read(bytes)) << "round " << round;
    ExpectAgreesWithProtobuf(reader, bytes);
    if (HasFailure()) return;
  }
}

TEST(CompactRequestReaderTest, ShapesProtobufWritesDifferently) {
  CompactRequestReader reader;
  const std::string block =
      Wire()
          .Key(4, 0)
          .Varint(80 | 1 << 16)                        // unpacked
          .BytesField(4, Packed({443, 1 << 16 | 22}))  // then packed
          .VarintField(1, 4)
          .BytesField(2, std::string(12, 'x'))  // replaced below
          .BytesField(3, std::string(12, 'y'))
          .BytesField(2, std::string(12, 's'))
          .VarintField(1, uint64_t{1} << 32 | 4)  // uint32: low bits
          .VarintField(15, 9)                     // unknown fields
          .Key(16, 1)
          .Raw(std::string(8, 'f'))
          .Key(17, 5)
          .Raw(std::string(4, 'f'))
          .BytesField(18, "unknown")
          .bytes();
  const std::vector<std::string> requests = {
      Wire().BytesField(4, block).VarintField(2, 9).bytes(),
      Wire()
          .VarintField(3, 1)
          .BytesField(4, block)
          .VarintField(2, 1)
          .VarintField(2, 5)
          .bytes(),  // explain ignored, last version wins
      Wire()
          .BytesField(4, block)
          .BytesField(4, "")
          .BytesField(4, block)
          .bytes(),
      Wire().Key(2, 0).Raw(std::string("\x80\x80\x00", 3)).bytes(),  // 0
  };
  for (const std::string& bytes : requests) {
    ASSERT_TRUE(reader.Read(bytes)) << &bytes - requests.data();
    ExpectAgreesWithProtobuf(reader, bytes);
  }
  ASSERT_TRUE(reader.Read(requests[0]));
  EXPECT_EQ(reader.blocks()[0].family, 4u);
  EXPECT_EQ(reader.blocks()[0].sources, std::string(12, 's'));
  EXPECT_EQ(reader.blocks()[0].port_protocols.size(), 3u);
}

TEST(CompactRequestReaderTest, DeclinesWhatItLeavesToProtobuf) {
  CompactRequestReader reader;
  v1::CheckConnectionRequest friendly;
  friendly.add_connections()->set_port(80);
  friendly.add_compact()->set_family(4);
  EXPECT_FALSE(reader.Read(friendly.SerializeAsString()));
  // Friendly connections after compact blocks.
  v1::CheckConnectionRequest mixed;
  mixed.add_compact()->set_family(4);
  EXPECT_FALSE(
      reader.Read(mixed.SerializeAsString() + friendly.SerializeAsString()));
  EXPECT_FALSE(reader.Read(Wire().Key(5, 3).Key(5, 4).bytes()));  // group
  EXPECT_FALSE(reader.Read(Wire().Key(2, 2).Varint(0).bytes()));  // wire type
  EXPECT_FALSE(reader.Read(Wire().Key(0, 0).Varint(0).bytes()));  // field 0
  EXPECT_FALSE(reader.Read(
      Wire().BytesField(4, Wire().Key(4, 5).Raw("abcd").bytes()).bytes()));
  EXPECT_FALSE(reader.Read(std::string("\x10", 1)));  // truncated
  EXPECT_FALSE(reader.Read(Wire()
                               .Key(2, 0)
                               .Raw(std::string(10, '\x80'))
                               .Raw("\x01")
                               .bytes()));  // 11-byte varint
  // A key written in 6 bytes, which protobuf rejects.
  const std::string six_byte_key =
      Wire().Raw(std::string("\x90\x80\x80\x80\x80\x00", 6)).Varint(1).bytes();
  EXPECT_FALSE(v1::CheckConnectionRequest().ParseFromString(six_byte_key));
  EXPECT_FALSE(reader.Read(six_byte_key));
  // A length written in 6 bytes, which protobuf rejects.
  EXPECT_FALSE(reader.Read(Wire()
                               .Key(9, 2)
                               .Raw(std::string("\x81\x80\x80\x80\x80\x00", 6))
                               .Raw("z")
                               .bytes()));
}

// Every prefix, and random corruptions, of valid requests: the reader
// declines or agrees with protobuf.
TEST(CompactRequestReaderTest, DamagedBytesDeclinedOrReadAsProtobufDoes) {
  std::mt19937_64 random(7);
  CompactRequestReader reader;
  int read = 0, declined = 0;
  for (int round = 0; round < 200; ++round) {
    const std::string bytes = RandomRequest(random).SerializeAsString();
    for (size_t length = 0; length < bytes.size(); ++length) {
      ++(ExpectAgreesWithProtobuf(reader, bytes.substr(0, length)) ? read
                                                                   : declined);
      if (HasFailure()) return;
    }
    for (int k = 0; k < 50 && !bytes.empty(); ++k) {
      std::string damaged = bytes;
      const int flips = 1 + static_cast<int>(random() % 3);
      for (int f = 0; f < flips; ++f) {
        damaged[random() % damaged.size()] = static_cast<char>(random());
      }
      ++(ExpectAgreesWithProtobuf(reader, damaged) ? read : declined);
      if (HasFailure()) return;
    }
  }
  // Both outcomes are exercised, many times.
  EXPECT_GT(read, 1000);
  EXPECT_GT(declined, 1000);
}

}  // namespace
}  // namespace netpol::server
