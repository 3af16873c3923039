#ifndef NETPOL_TESTS_SERVER_WIRE_BUILDER_H_
#define NETPOL_TESTS_SERVER_WIRE_BUILDER_H_

// Hand-written protobuf encoding, for shapes protobuf itself never writes
// (unpacked repeated fields, repeated singular fields, odd field orders,
// unknown fields and groups).

#include <cstdint>
#include <string>

namespace netpol::server {

class Wire {
 public:
  Wire& Varint(uint64_t value) {
    while (value >= 0x80) {
      bytes_.push_back(static_cast<char>(value | 0x80));
      value >>= 7;
    }
    bytes_.push_back(static_cast<char>(value));
    return *this;
  }
  Wire& Key(uint32_t field, uint32_t wire_type) {
    return Varint(field << 3 | wire_type);
  }
  Wire& VarintField(uint32_t field, uint64_t value) {
    return Key(field, 0).Varint(value);
  }
  Wire& BytesField(uint32_t field, const std::string& value) {
    Key(field, 2).Varint(value.size());
    bytes_ += value;
    return *this;
  }
  Wire& Raw(const std::string& bytes) {
    bytes_ += bytes;
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace netpol::server

#endif  // NETPOL_TESTS_SERVER_WIRE_BUILDER_H_
