#include "server/compact_request_reader.h"

#include <algorithm>
#include <cstring>

#include "absl/base/optimization.h"
#include "server/wire_format.h"

namespace netpol::server {
namespace {

using wire::Key;
using wire::kLengthDelimited;
using wire::kVarint;
using wire::ReadKey;
using wire::ReadLength;
using wire::ReadVarint;
using wire::SkipValue;

std::string_view View(const uint8_t* begin, const uint8_t* end) {
  return {reinterpret_cast<const char*>(begin),
          static_cast<size_t>(end - begin)};
}

}  // namespace

void CompactRequestReader::Reserve(size_t values) {
  if (values <= values_capacity_) return;
  const size_t capacity = std::max(values, 2 * values_capacity_);
  auto grown = std::make_unique_for_overwrite<uint32_t[]>(capacity);
  if (values_size_ > 0) {
    std::memcpy(grown.get(), values_.get(), values_size_ * sizeof(uint32_t));
  }
  values_ = std::move(grown);
  values_capacity_ = capacity;
}

void CompactRequestReader::Trim(size_t max_bytes) {
  if (values_capacity_ * sizeof(uint32_t) > max_bytes) {
    values_.reset();
    values_size_ = values_capacity_ = 0;
  }
  if (blocks_.capacity() * sizeof(CompactBlock) > max_bytes) {
    blocks_ = {};
    value_starts_ = {};
  } else {
    blocks_.clear();
  }
}

bool CompactRequestReader::AppendPacked(const uint8_t* p, const uint8_t* end) {
  Reserve(values_size_ + static_cast<size_t>(end - p));  // ≥ 1 byte each
  uint32_t* out = values_.get() + values_size_;
  while (p != end) {
    // Ports with a protocol code are 3-byte varints, bare TCP ports 1 to
    // 3 bytes: those take the branches below, without a bound per byte.
    if (ABSL_PREDICT_TRUE(end - p >= 3)) {
      const uint32_t b0 = p[0], b1 = p[1], b2 = p[2];
      if (b0 < 0x80) {
        *out++ = b0;
        p += 1;
        continue;
      }
      if (b1 < 0x80) {
        *out++ = (b0 & 0x7f) | b1 << 7;
        p += 2;
        continue;
      }
      if (b2 < 0x80) {
        *out++ = (b0 & 0x7f) | (b1 & 0x7f) << 7 | b2 << 14;
        p += 3;
        continue;
      }
    }
    uint64_t value;
    p = ReadVarint(p, end, &value);
    if (p == nullptr) return false;
    *out++ = static_cast<uint32_t>(value);  // uint32: low 32 bits
  }
  values_size_ = static_cast<size_t>(out - values_.get());
  return true;
}

bool CompactRequestReader::ReadBlock(const uint8_t* p, const uint8_t* end) {
  CompactBlock block;
  const uint8_t* begin;
  uint64_t value;
  while (p != end) {
    Key key;
    if ((p = ReadKey(p, end, &key)) == nullptr) return false;
    switch (key.field) {
      case 1:  // family
        if (key.wire_type != kVarint) return false;
        if ((p = ReadVarint(p, end, &value)) == nullptr) return false;
        block.family = static_cast<uint32_t>(value);
        break;
      case 2:  // sources; the last occurrence wins, as in protobuf
      case 3:  // destinations
        if (key.wire_type != kLengthDelimited) return false;
        p = ReadLength(p, end, &begin);
        if (p == nullptr) return false;
        (key.field == 2 ? block.sources : block.destinations) = View(begin, p);
        break;
      case 4:  // port_protocols, packed or not
        if (key.wire_type == kLengthDelimited) {
          p = ReadLength(p, end, &begin);
          if (p == nullptr || !AppendPacked(begin, p)) return false;
        } else if (key.wire_type == kVarint) {
          p = ReadVarint(p, end, &value);
          if (p == nullptr) return false;
          Reserve(values_size_ + 1);
          values_[values_size_++] = static_cast<uint32_t>(value);
        } else {
          return false;
        }
        break;
      default:
        p = SkipValue(p, end, key.wire_type);
    }
    if (p == nullptr) return false;
  }
  blocks_.push_back(block);
  return true;
}

bool CompactRequestReader::Read(std::string_view bytes) {
  snapshot_version_ = 0;
  blocks_.clear();
  value_starts_.clear();
  values_size_ = 0;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* const end = p + bytes.size();
  const uint8_t* begin;
  uint64_t value;
  while (p != end) {
    Key key;
    if ((p = ReadKey(p, end, &key)) == nullptr) return false;
    switch (key.field) {
      case 1:  // friendly connections: protobuf's job
        return false;
      case 2:  // snapshot_version
      case 3:  // explain: friendly connections only, so no effect here
        if (key.wire_type != kVarint) return false;
        if ((p = ReadVarint(p, end, &value)) == nullptr) return false;
        if (key.field == 2) snapshot_version_ = value;
        break;
      case 4:  // compact
        if (key.wire_type != kLengthDelimited) return false;
        p = ReadLength(p, end, &begin);
        if (p == nullptr) return false;
        value_starts_.push_back(values_size_);
        if (!ReadBlock(begin, p)) return false;
        break;
      default:
        p = SkipValue(p, end, key.wire_type);
    }
    if (p == nullptr) return false;
  }
  value_starts_.push_back(values_size_);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    blocks_[i].port_protocols =
        absl::MakeConstSpan(values_.get() + value_starts_[i],
                            value_starts_[i + 1] - value_starts_[i]);
  }
  return true;
}

}  // namespace netpol::server
