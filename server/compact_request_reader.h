#ifndef NETPOL_SERVER_COMPACT_REQUEST_READER_H_
#define NETPOL_SERVER_COMPACT_REQUEST_READER_H_

// Reads the high-rate shape of a serialized v1::CheckConnectionRequest —
// compact blocks, no friendly connections — straight from its wire bytes.
// Address columns stay views into the bytes and every block's
// port_protocols are decoded into one reused array: protobuf's generic
// parser spent 11% of a compact-10k server's CPU on those varints alone,
// and copied both address columns. No gRPC here.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace netpol::server {

// One v1::CompactConnections as views, whoever parsed it.
struct CompactBlock {
  uint32_t family = 0;
  std::string_view sources;
  std::string_view destinations;
  absl::Span<const uint32_t> port_protocols;
};

class CompactRequestReader {
 public:
  // True when `bytes` is a well-formed CheckConnectionRequest without
  // friendly connections: then snapshot_version() and blocks() are what
  // protobuf would parse (`explain` and unknown fields are skipped; both
  // packed and unpacked port_protocols are read). False for anything
  // else — friendly connections, a known field with an unexpected wire
  // type, groups, malformed bytes — which the caller hands to protobuf,
  // whose parser is the reference and reports the errors. blocks() views
  // `bytes` and this reader until the next Read.
  bool Read(std::string_view bytes);

  uint64_t snapshot_version() const { return snapshot_version_; }
  absl::Span<const CompactBlock> blocks() const { return blocks_; }

  // Frees whatever storage holds more than `max_bytes`, so that one huge
  // request does not pin its memory in a reader kept for the next ones.
  // Invalidates blocks().
  void Trim(size_t max_bytes);

 private:
  bool ReadBlock(const uint8_t* p, const uint8_t* end);
  // Appends the varints of a packed field in [p, end).
  bool AppendPacked(const uint8_t* p, const uint8_t* end);
  void Reserve(size_t values);

  uint64_t snapshot_version_ = 0;
  std::vector<CompactBlock> blocks_;
  // Per block, where its port_protocols start in values_ (values_ may
  // move while later blocks are read; spans are set at the end).
  std::vector<size_t> value_starts_;
  // Uninitialised storage for every block's port_protocols, kept between
  // requests.
  std::unique_ptr<uint32_t[]> values_;
  size_t values_size_ = 0;
  size_t values_capacity_ = 0;
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_COMPACT_REQUEST_READER_H_
