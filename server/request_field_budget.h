#ifndef NETPOL_SERVER_REQUEST_FIELD_BUDGET_H_
#define NETPOL_SERVER_REQUEST_FIELD_BUDGET_H_

// A bound on the fields of a serialized CheckConnectionRequest, checked
// before any parser allocates.
//
// Both parsers allocate per field entry, not per wire byte: an empty
// compact block is 2 bytes on the wire and 60-80 bytes parsed, and so is
// an unknown field, which protobuf keeps. 64 MiB of them
// (--max-receive-bytes) would take gigabytes before --max-batch, which
// counts connections, could refuse the request. Every field takes at least
// 2 bytes, so counting them costs nothing for requests too small to
// exceed the budget, and one pass over the top-level keys otherwise.

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace netpol::server {

// Fields a request may hold at the top level beyond max_batch (its
// singular fields, repeated or unknown, within reason).
inline constexpr size_t kTopLevelFieldSlack = 16;
// Fields one connection or compact block may hold with everything nested
// in it; a well-formed one has at most 8 (unpacked port_protocols are
// not counted: they parse to 4 bytes each).
inline constexpr size_t kEntryFieldBudget = 64;

// INVALID_ARGUMENT when `request` has more than max_batch +
// kTopLevelFieldSlack top-level fields, or a `connections` or `compact`
// entry with more than kEntryFieldBudget fields in all, naming which; also
// when the scan meets bytes protobuf would refuse as well. OK otherwise,
// including for bytes the parsers will refuse: the scan stops at the
// first field it cannot read only when that field is one protobuf cannot
// read either.
absl::Status CheckRequestFieldBudget(std::string_view request,
                                     size_t max_batch);

}  // namespace netpol::server

#endif  // NETPOL_SERVER_REQUEST_FIELD_BUDGET_H_
