#include "server/request_field_budget.h"

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"

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

// Reads a varint of at most `max_bytes` bytes, the last of which must end
// it, as protobuf's parser requires; null when it cannot.
const char* ReadVarint(const char* p, const char* end, int max_bytes,
                       uint64_t* value) {
  uint64_t result = 0;
  for (int i = 0; i < max_bytes && p < end; ++i) {
    const uint8_t byte = static_cast<uint8_t>(*p++);
    result |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      *value = result;
      return p;
    }
  }
  return nullptr;
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

// Counts the fields of `bytes`, a `schema` message, against `*remaining`,
// and those of its known message fields: a request's entries (connections,
// compact blocks) against kEntryFieldBudget each, anything deeper against
// its entry's. Tags inside unknown groups count as fields; end-group tags
// do not, so every field counted takes 2 bytes at least.
Outcome CountFields(std::string_view bytes, Schema schema, size_t* remaining,
                    Tally* tally) {
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  std::vector<uint32_t> open_groups;
  while (p < end) {
    const char* const field_start = p;
    uint64_t value;
    // Tags take at most 5 bytes; protobuf keeps their low 32 bits.
    p = ReadVarint(p, end, 5, &value);
    if (p == nullptr) return Outcome::kMalformed;
    const uint32_t tag = static_cast<uint32_t>(value);
    if ((tag >> 3) == 0) return Outcome::kMalformed;
    const uint32_t number = tag >> 3;
    const uint32_t wire_type = tag & 7;
    // port_protocols, packed or not, are bounded by their bytes instead;
    // with another wire type, field 4 is an unknown field like any other.
    const bool ports = schema == Schema::kCompact && number == 4 &&
                       (wire_type == 0 || wire_type == 2) &&
                       open_groups.empty();
    if (!ports && wire_type != 4) {
      if (*remaining == 0) {
        return schema == Schema::kRequest ? Outcome::kTooManyTopLevel
                                          : Outcome::kTooManyInEntry;
      }
      --*remaining;
    }
    switch (wire_type) {
      case 0:
        p = ReadVarint(p, end, 10, &value);
        if (p == nullptr) return Outcome::kMalformed;
        if (ports) tally->port_bytes += static_cast<size_t>(p - field_start);
        break;
      case 1:
      case 5: {
        const size_t size = wire_type == 1 ? 8 : 4;
        if (static_cast<size_t>(end - p) < size) return Outcome::kMalformed;
        p += size;
        break;
      }
      case 2: {
        // Lengths are below 2 GiB: at most 5 bytes.
        p = ReadVarint(p, end, 5, &value);
        if (p == nullptr || value > static_cast<uint64_t>(end - p)) {
          return Outcome::kMalformed;
        }
        const std::string_view payload(p, static_cast<size_t>(value));
        p += value;
        if (ports) tally->port_bytes += payload.size();
        Schema nested;
        if (!open_groups.empty() || !NestedSchema(schema, number, &nested)) {
          break;
        }
        size_t entry_budget = kEntryFieldBudget;
        size_t* budget = remaining;
        if (schema == Schema::kRequest) {
          // Every field takes 2 bytes at least: an entry this short
          // cannot go over its budget, and needs no count.
          if (payload.size() / 2 <= entry_budget) break;
          budget = &entry_budget;
        }
        const Outcome inner = CountFields(payload, nested, budget, tally);
        if (inner == Outcome::kTooManyInEntry && schema == Schema::kRequest) {
          tally->entry = number;
        }
        if (inner != Outcome::kWithin) return inner;
        break;
      }
      case 3:
        open_groups.push_back(number);
        break;
      case 4:
        if (open_groups.empty() || open_groups.back() != number) {
          return Outcome::kMalformed;
        }
        open_groups.pop_back();
        break;
      default:
        return Outcome::kMalformed;
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
  switch (CountFields(request, Schema::kRequest, &remaining, &tally)) {
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
