#ifndef NETPOL_SERVER_WIRE_FORMAT_H_
#define NETPOL_SERVER_WIRE_FORMAT_H_

// Reading the protobuf wire format by hand, by protobuf's own rules (those
// of its 3.21 parser), for the readers that look at request bytes before
// or instead of protobuf: CompactRequestReader and CheckRequestFieldBudget.
// Every function returns the position after what it read, or null where
// protobuf's parser would fail.

#include <cstdint>

namespace netpol::server::wire {

inline constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2,
                          kStartGroup = 3, kEndGroup = 4, kFixed32 = 5;

// A varint of at most `max_bytes` bytes, the last of which must end it;
// bits past the 64th are dropped.
inline const uint8_t* ReadVarint(const uint8_t* p, const uint8_t* end,
                                 uint64_t* value, int max_bytes = 10) {
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (p == end) return nullptr;
    const uint8_t byte = *p++;
    result |= uint64_t{byte & 0x7fu} << (7 * i);
    if (byte < 0x80) {
      *value = result;
      return p;
    }
  }
  return nullptr;
}

// A field's key: at most 5 bytes, of which protobuf keeps the low 32 bits;
// field number 0 is refused.
struct Key {
  uint32_t field;
  uint32_t wire_type;
};
inline const uint8_t* ReadKey(const uint8_t* p, const uint8_t* end, Key* key) {
  uint64_t value;
  p = ReadVarint(p, end, &value, 5);
  if (p == nullptr) return nullptr;
  const uint32_t tag = static_cast<uint32_t>(value);
  if ((tag >> 3) == 0) return nullptr;
  *key = {tag >> 3, tag & 7};
  return p;
}

// The payload of a length-delimited field, [*begin, returned position):
// a length of at most 5 bytes that fits in what is left.
inline const uint8_t* ReadLength(const uint8_t* p, const uint8_t* end,
                                 const uint8_t** begin) {
  uint64_t length;
  p = ReadVarint(p, end, &length, 5);
  if (p == nullptr || length > static_cast<uint64_t>(end - p)) return nullptr;
  *begin = p;
  return p + length;
}

// Skips the value of a varint, fixed or length-delimited field; null for
// groups and the invalid wire types 6 and 7.
inline const uint8_t* SkipValue(const uint8_t* p, const uint8_t* end,
                                uint32_t wire_type) {
  switch (wire_type) {
    case kVarint: {
      uint64_t ignored;
      return ReadVarint(p, end, &ignored);
    }
    case kFixed64:
      return end - p >= 8 ? p + 8 : nullptr;
    case kLengthDelimited: {
      const uint8_t* ignored;
      return ReadLength(p, end, &ignored);
    }
    case kFixed32:
      return end - p >= 4 ? p + 4 : nullptr;
    default:
      return nullptr;
  }
}

}  // namespace netpol::server::wire

#endif  // NETPOL_SERVER_WIRE_FORMAT_H_
