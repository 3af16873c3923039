#include "server/request_field_budget.h"

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/wire_format.h"

namespace netpol::server {
namespace {

// The messages of a CheckConnectionRequest whose fields are counted.
enum class Schema { kRequest, kConnection, kEndpoint, kPodRef, kCompact };

// The message type of field `number` of `schema`, when it is a message.
bool NestedSchema(Schema schema, uint32_t number, Schema* nested) {
  switch (schema) {
    case Schema::kRequest:
      *nested = number == 1 ? Schema::kConnection : Schema::kCompact;
      return number == 1 || number == 4;
    case Schema::kConnection:
      *nested = Schema::kEndpoint;
      return number == 1 || number == 2;
    case Schema::kEndpoint:
      *nested = Schema::kPodRef;
      return number == 2;
    case Schema::kPodRef:
    case Schema::kCompact:
      return false;
  }
  return false;
}

enum class Outcome {
  kWithin,
  kTooManyTopLevel,
  kTooManyInEntry,
  kTooManyPorts,
  kMalformed
};

// What the count carries across messages.
struct Tally {
  size_t port_bytes = 0;      // of port_protocols, packed or not
  size_t max_port_bytes = 0;  // beyond it: kTooManyPorts
  uint32_t entry = 0;  // the request field whose entry went over its budget
};

// Counts the fields of [p, end), a `schema` message, against `*remaining`,
// and those of its known message fields: a request's entries (connections,
// compact blocks) against kEntryFieldBudget each, anything deeper against
// its entry's. Tags inside unknown groups count as fields; end-group tags
// do not, so every field counted takes 2 bytes at least.
Outcome CountFields(const uint8_t* p, const uint8_t* end, Schema schema,
                    size_t* remaining, Tally* tally) {
  std::vector<uint32_t> open_groups;
  while (p < end) {
    const uint8_t* const field_start = p;
    wire::Key key;
    p = wire::ReadKey(p, end, &key);
    if (p == nullptr) return Outcome::kMalformed;
    // port_protocols, packed or not, are bounded by their bytes instead;
    // with another wire type, field 4 is an unknown field like any other.
    const bool ports = schema == Schema::kCompact && key.field == 4 &&
                       (key.wire_type == wire::kVarint ||
                        key.wire_type == wire::kLengthDelimited) &&
                       open_groups.empty();
    if (!ports && key.wire_type != wire::kEndGroup) {
      if (*remaining == 0) {
        return schema == Schema::kRequest ? Outcome::kTooManyTopLevel
                                          : Outcome::kTooManyInEntry;
      }
      --*remaining;
    }
    switch (key.wire_type) {
      case wire::kStartGroup:
        open_groups.push_back(key.field);
        break;
      case wire::kEndGroup:
        if (open_groups.empty() || open_groups.back() != key.field) {
          return Outcome::kMalformed;
        }
        open_groups.pop_back();
        break;
      case wire::kLengthDelimited: {
        const uint8_t* payload;
        p = wire::ReadLength(p, end, &payload);
        if (p == nullptr) return Outcome::kMalformed;
        const size_t size = static_cast<size_t>(p - payload);
        if (ports) tally->port_bytes += size;
        Schema nested;
        if (!open_groups.empty() || !NestedSchema(schema, key.field, &nested)) {
          break;
        }
        size_t entry_budget = kEntryFieldBudget;
        size_t* budget = remaining;
        if (schema == Schema::kRequest) {
          // Every field takes 2 bytes at least: an entry this short
          // cannot go over its budget, and needs no count.
          if (size / 2 <= entry_budget) break;
          budget = &entry_budget;
        }
        const Outcome inner = CountFields(payload, p, nested, budget, tally);
        if (inner == Outcome::kTooManyInEntry && schema == Schema::kRequest) {
          tally->entry = key.field;
        }
        if (inner != Outcome::kWithin) return inner;
        break;
      }
      default:
        p = wire::SkipValue(p, end, key.wire_type);
        if (p == nullptr) return Outcome::kMalformed;
        if (ports) tally->port_bytes += static_cast<size_t>(p - field_start);
    }
    if (tally->port_bytes > tally->max_port_bytes) {
      return Outcome::kTooManyPorts;
    }
  }
  return open_groups.empty() ? Outcome::kWithin : Outcome::kMalformed;
}

}  // namespace

absl::Status CheckRequestFieldBudget(std::string_view request,
                                     size_t max_batch) {
  const size_t top_level_budget = max_batch + kTopLevelFieldSlack;
  if (request.size() / 2 <= top_level_budget) return absl::OkStatus();
  size_t remaining = top_level_budget;
  Tally tally;
  tally.max_port_bytes = kPortBytesPerConnection * max_batch;
  const auto* begin = reinterpret_cast<const uint8_t*>(request.data());
  switch (CountFields(begin, begin + request.size(), Schema::kRequest,
                      &remaining, &tally)) {
    case Outcome::kWithin:
      return absl::OkStatus();
    case Outcome::kTooManyTopLevel:
      return absl::InvalidArgumentError(absl::StrCat(
          "the request has more than ", top_level_budget,
          " top-level fields: each connection and each compact block is "
          "one, and a request holds at most --max-batch=",
          max_batch, " connections"));
    case Outcome::kTooManyInEntry:
      return absl::InvalidArgumentError(
          absl::StrCat("a ", tally.entry == 1 ? "connection" : "compact block",
                       " of the request has more than ", kEntryFieldBudget,
                       " fields in all; a well-formed one has at most 10"));
    case Outcome::kTooManyPorts:
      return absl::InvalidArgumentError(absl::StrCat(
          "the compact blocks' port_protocols take more than ",
          tally.max_port_bytes, " bytes, ", kPortBytesPerConnection,
          " for each of at most --max-batch=", max_batch, " connections"));
    case Outcome::kMalformed:
      break;
  }
  return absl::InvalidArgumentError(
      "the request is not a serialized netpol.v1.CheckConnectionRequest");
}

}  // namespace netpol::server
