#ifndef NETPOL_SERVER_REQUEST_FIELD_BUDGET_H_
#define NETPOL_SERVER_REQUEST_FIELD_BUDGET_H_

// A bound on the fields of a serialized CheckConnectionRequest, checked
// before any parser allocates.
//
// Both parsers allocate per field entry, not per wire byte: an empty
// compact block is 2 bytes on the wire and 60-80 bytes parsed, and so is
// an unknown field, which protobuf keeps; a 1-byte port_protocols value
// parses to 4. 64 MiB of them (--max-receive-bytes) would take gigabytes
// before --max-batch, which counts connections, could refuse the request.
// Every field counted takes at least 2 bytes, so counting costs nothing
// for requests too small to exceed the budget, and one pass over the
// top-level keys (and the few fields of each long entry) otherwise.

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace netpol::server {

// Fields a request may hold at the top level beyond max_batch (its
// singular fields, repeated or unknown, within reason).
inline constexpr size_t kTopLevelFieldSlack = 16;
// Fields one connection or compact block may hold with everything nested
// in it; a well-formed one has at most 10. A block's port_protocols are
// not counted here but by their bytes, in all blocks together.
inline constexpr size_t kEntryFieldBudget = 64;
// Bytes of port_protocols per connection allowed: an unpacked value with
// its key and a 10-byte varint (the longest protobuf reads) takes 11.
// Every value parses to 4 bytes, in a vector protobuf may grow twice over.
inline constexpr size_t kPortBytesPerConnection = 11;

// INVALID_ARGUMENT when `request` has more than max_batch +
// kTopLevelFieldSlack top-level fields, a `connections` or `compact`
// entry with more than kEntryFieldBudget fields in all (naming which), or
// more than kPortBytesPerConnection * max_batch bytes of port_protocols
// in the blocks it reads (blocks of 128 bytes or less are not read); and
// "not a serialized netpol.v1.CheckConnectionRequest" for bytes it cannot
// read, which protobuf cannot read either. OK otherwise: what it does not
// read is left to the parsers, which may still refuse it.
absl::Status CheckRequestFieldBudget(std::string_view request,
                                     size_t max_batch);

}  // namespace netpol::server

#endif  // NETPOL_SERVER_REQUEST_FIELD_BUDGET_H_
