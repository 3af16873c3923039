#include "server/batch_evaluator.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/byte_order.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/ip_address.h"
#include "server/proto_convert.h"

namespace netpol::server {
namespace {

constexpr char kAllowByte = static_cast<char>(v1::ALLOW);
constexpr char kDenyByte = static_cast<char>(v1::DENY);

// Compact protocol codes 0..3 (PROTOCOL_UNSPECIFIED, TCP, UDP, SCTP); see
// ValidCompactPortProtocol.
constexpr std::array<Protocol, 4> kCompactProtocols = {
    Protocol::kTcp, Protocol::kTcp, Protocol::kUdp, Protocol::kSctp};

size_t AddressWidth(uint32_t family) { return family == 4 ? 4 : 16; }

// Checks every block before any is evaluated, so a malformed request gets
// no partial answer, and counts the compact connections.
absl::Status ValidateCompact(absl::Span<const CompactBlock> blocks,
                             size_t* count) {
  for (size_t i = 0; i < blocks.size(); ++i) {
    const CompactBlock& block = blocks[i];
    if (block.family != 4 && block.family != 6) {
      return absl::InvalidArgumentError(absl::StrCat(
          "compact[", i, "]: family ", block.family, " is not 4 or 6"));
    }
    const size_t n = block.port_protocols.size();
    const size_t bytes = n * AddressWidth(block.family);
    if (block.sources.size() != bytes || block.destinations.size() != bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "compact[", i, "]: ", n, " port_protocols with family ", block.family,
          " need ", bytes, " bytes of sources and of destinations, got ",
          block.sources.size(), " and ", block.destinations.size()));
    }
    *count += n;
  }
  return absl::OkStatus();
}

IpAddress LoadV6Address(const char* bytes) {
  return IpAddress::V6(LoadBigEndian64(bytes), LoadBigEndian64(bytes + 8));
}

// One verdict byte per connection of an IPv6 `block` into `out`.
void DecideV6Block(const CompiledSnapshot& snapshot, const CompactBlock& block,
                   char* out, DecisionTally* tally) {
  const char* sources = block.sources.data();
  const char* destinations = block.destinations.data();
  const uint32_t* port_protocols = block.port_protocols.data();
  const size_t n = block.port_protocols.size();
  for (size_t i = 0; i < n; ++i) {
    if (!ValidCompactPortProtocol(port_protocols[i])) {
      out[i] = kDenyByte;
      ++tally->by_reason[static_cast<size_t>(Reason::kInvalid)];
      continue;
    }
    const Decision decision = snapshot.Decide(
        LoadV6Address(sources + i * 16), LoadV6Address(destinations + i * 16),
        static_cast<uint16_t>(port_protocols[i] & 0xffff),
        kCompactProtocols[port_protocols[i] >> 16]);
    out[i] = decision.allowed ? kAllowByte : kDenyByte;
    ++tally->by_reason[static_cast<size_t>(decision.reason)];
  }
}

void DecideCompact(const CompiledSnapshot& snapshot,
                   absl::Span<const CompactBlock> blocks, size_t count,
                   std::string* verdicts, DecisionTally* tally) {
  verdicts->resize(count);
  char* out = verdicts->data();
  for (const CompactBlock& block : blocks) {
    if (block.family == 4) {
      snapshot.DecideCompactV4(
          {block.sources.data(), block.destinations.data(),
           block.port_protocols.data(), block.port_protocols.size()},
          kAllowByte, kDenyByte, out, &tally->by_reason);
    } else {
      DecideV6Block(snapshot, block, out, tally);
    }
    out += block.port_protocols.size();
  }
}

// A friendly endpoint after syntax checks, viewing the request's strings.
struct ParsedEndpoint {
  std::optional<IpAddress> ip;  // unset: a pod reference
  std::string_view pod_namespace;
  std::string_view pod_name;
};

// `endpoint` checked and parsed; on failure `*error` says what is wrong.
// One named result, initialised from the parser's: the address is then
// parsed straight into the caller's object. Copying a returned
// optional<IpAddress> as a block, after the parser wrote it field by
// field, stalled every endpoint on store forwarding.
ParsedEndpoint ParseEndpoint(const v1::Endpoint& endpoint, const char* side,
                             std::string* error) {
  const v1::Endpoint::KindCase kind = endpoint.kind_case();
  ParsedEndpoint parsed{kind == v1::Endpoint::kIp
                            ? IpAddress::Parse(endpoint.ip())
                            : std::optional<IpAddress>(),
                        {},
                        {}};
  switch (kind) {
    case v1::Endpoint::kIp:
      if (!parsed.ip) {
        *error = absl::StrCat(side, ": \"", endpoint.ip(),
                              "\" is not an IP address");
      }
      break;
    case v1::Endpoint::kPod:
      parsed.pod_namespace = endpoint.pod().namespace_();
      parsed.pod_name = endpoint.pod().name();
      if (parsed.pod_namespace.empty() || parsed.pod_name.empty()) {
        *error = absl::StrCat(side, ": a pod needs a namespace and a name");
      }
      break;
    case v1::Endpoint::KIND_NOT_SET:
      *error = absl::StrCat(side, ": neither ip nor pod is set");
      break;
  }
  return parsed;
}

// Stores `parsed` into `out`, reusing the strings of a PodRef already there:
// a batch of pod references allocates only for its longest names.
void StoreEndpoint(const ParsedEndpoint& parsed, Endpoint* out) {
  if (parsed.ip) {
    *out = *parsed.ip;
    return;
  }
  PodRef* ref = std::get_if<PodRef>(out);
  if (ref == nullptr) ref = &out->emplace<PodRef>();
  ref->namespace_name.assign(parsed.pod_namespace);
  ref->name.assign(parsed.pod_name);
}

// Evaluates friendly connections one by one, except IPv4 pairs, which are
// held and decided together through CompiledSnapshot::DecideV4: a batch
// overlaps the cache misses that a lone decision waits out. Call Flush()
// after the last Evaluate().
class FriendlyEvaluator {
 public:
  // `count`: the batch's connections. Short batches decide IPv4 pairs one
  // by one: holding them pays off only when there are many.
  FriendlyEvaluator(const CompiledSnapshot& snapshot, bool explain,
                    size_t count, DecisionTally* tally)
      : snapshot_(snapshot),
        explain_(explain),
        tally_(tally),
        pending_(count >= kMinHeld && !explain ? std::make_unique<Pending>()
                                               : nullptr) {}

  // Decides the held IPv4 pairs.
  void Flush() {
    if (pending_ == nullptr) return;
    Pending& p = *pending_;
    snapshot_.DecideV4(absl::MakeConstSpan(p.connections.data(), p.count),
                       absl::MakeSpan(p.decisions.data(), p.count));
    for (size_t i = 0; i < p.count; ++i) Valid(p.decisions[i], p.outputs[i]);
    p.count = 0;
  }

  void Evaluate(const v1::Connection& connection, v1::Decision* out) {
    const std::optional<Protocol> protocol = FromProto(connection.protocol());
    if (!protocol) {
      return Invalid(absl::StrCat("protocol ", connection.protocol(),
                                  " is not TCP, UDP or SCTP"),
                     out);
    }
    if (connection.port() == 0 || connection.port() > 65535) {
      return Invalid(absl::StrCat("port ", connection.port(),
                                  " is out of range: must be 1-65535"),
                     out);
    }
    std::string error;
    const ParsedEndpoint source =
        ParseEndpoint(connection.source(), "source", &error);
    if (!error.empty()) return Invalid(std::move(error), out);
    const ParsedEndpoint destination =
        ParseEndpoint(connection.destination(), "destination", &error);
    if (!error.empty()) return Invalid(std::move(error), out);
    const uint16_t port = static_cast<uint16_t>(connection.port());
    if (source.ip && destination.ip && !explain_) {
      if (pending_ != nullptr && source.ip->is_v4() &&
          destination.ip->is_v4()) {
        Pending& p = *pending_;
        p.connections[p.count] = {source.ip->v4(), destination.ip->v4(), port,
                                  *protocol};
        p.outputs[p.count] = out;
        if (++p.count == kPendingMax) Flush();
        return;
      }
      return Valid(
          snapshot_.Decide(*source.ip, *destination.ip, port, *protocol), out);
    }

    StoreEndpoint(source, &scratch_.source);
    StoreEndpoint(destination, &scratch_.destination);
    scratch_.port = port;
    scratch_.protocol = *protocol;
    if (explain_) {
      absl::StatusOr<Explanation> explanation = snapshot_.Explain(scratch_);
      if (!explanation.ok()) {
        return Invalid(std::string(explanation.status().message()), out);
      }
      ToProto(*explanation, out->mutable_explanation());
      return Valid(explanation->decision, out);
    }
    absl::StatusOr<Decision> decision = snapshot_.Decide(scratch_);
    if (!decision.ok()) {
      return Invalid(std::string(decision.status().message()), out);
    }
    Valid(*decision, out);
  }

 private:
  void Valid(const Decision& decision, v1::Decision* out) {
    out->set_verdict(ToProtoVerdict(decision.allowed));
    out->set_reason(ToProto(decision.reason));
    ++tally_->by_reason[static_cast<size_t>(decision.reason)];
  }

  void Invalid(std::string error, v1::Decision* out) {
    out->set_verdict(v1::DENY);
    out->set_reason(v1::INVALID_CONNECTION);
    out->set_error(std::move(error));
    ++tally_->by_reason[static_cast<size_t>(Reason::kInvalid)];
  }

  static constexpr size_t kMinHeld = 16;
  static constexpr size_t kPendingMax = 256;

  // IPv4 pairs not decided yet, and where their decisions go (elements of
  // a RepeatedPtrField keep their addresses as it grows).
  struct Pending {
    std::array<V4Connection, kPendingMax> connections;
    std::array<Decision, kPendingMax> decisions;
    std::array<v1::Decision*, kPendingMax> outputs;
    size_t count = 0;
  };

  const CompiledSnapshot& snapshot_;
  const bool explain_;
  DecisionTally* const tally_;
  Connection scratch_;  // reused for pod references and explanations
  const std::unique_ptr<Pending> pending_;  // null: decide pairs at once
};

std::string RetainedRange(absl::Span<const PublishedSnapshot> retained) {
  if (retained.empty()) return "none";
  return absl::StrCat(retained.front().info.version, "-",
                      retained.back().info.version);
}

// Both forms of a request, however it was parsed.
struct BatchInput {
  uint64_t snapshot_version = 0;
  const google::protobuf::RepeatedPtrField<v1::Connection>* connections =
      nullptr;  // null: none
  bool explain = false;
  absl::Span<const CompactBlock> compact;
};

// Where the answers go; `decisions` may be null when there are no
// friendly connections.
struct BatchOutput {
  uint64_t* snapshot_version;
  google::protobuf::RepeatedPtrField<v1::Decision>* decisions;
  std::string* verdicts;
};

absl::Status Evaluate(const SnapshotStore& store, const BatchInput& input,
                      const BatchLimits& limits, const BatchOutput& output,
                      DecisionTally* tally) {
  size_t compact_count = 0;
  if (absl::Status status = ValidateCompact(input.compact, &compact_count);
      !status.ok()) {
    return status;
  }
  const size_t friendly_count =
      input.connections == nullptr
          ? 0
          : static_cast<size_t>(input.connections->size());
  const size_t total = friendly_count + compact_count;
  if (total > limits.max_batch) {
    return absl::InvalidArgumentError(absl::StrCat(
        "batch of ", total, " connections (", friendly_count, " connections + ",
        compact_count, " compact) exceeds the maximum of ", limits.max_batch));
  }

  SnapshotStore::Reader reader(store);
  if (reader.Current() == nullptr) {
    return absl::UnavailableError("no snapshot loaded yet");
  }
  const PublishedSnapshot* published = reader.Find(input.snapshot_version);
  if (published == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "snapshot version ", input.snapshot_version,
        " is not retained (retained: ", RetainedRange(reader.Retained()), ")"));
  }
  const CompiledSnapshot& snapshot = *published->snapshot;
  *output.snapshot_version = published->info.version;
  tally->batch_size += total;

  if (friendly_count > 0) {
    FriendlyEvaluator evaluator(snapshot, input.explain, friendly_count, tally);
    output.decisions->Reserve(static_cast<int>(friendly_count));
    for (const v1::Connection& connection : *input.connections) {
      evaluator.Evaluate(connection, output.decisions->Add());
    }
    evaluator.Flush();
  }
  output.verdicts->clear();
  if (compact_count > 0) {
    DecideCompact(snapshot, input.compact, compact_count, output.verdicts,
                  tally);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EvaluateBatch(const SnapshotStore& store,
                           const v1::CheckConnectionRequest& request,
                           const BatchLimits& limits,
                           v1::CheckConnectionResponse* response,
                           DecisionTally* tally) {
  absl::InlinedVector<CompactBlock, 4> blocks;
  blocks.reserve(static_cast<size_t>(request.compact_size()));
  for (const v1::CompactConnections& block : request.compact()) {
    blocks.push_back({block.family(), block.sources(), block.destinations(),
                      block.port_protocols()});
  }
  uint64_t version = 0;
  const absl::Status status =
      Evaluate(store,
               {request.snapshot_version(), &request.connections(),
                request.explain(), blocks},
               limits,
               {&version, response->mutable_decisions(),
                response->mutable_compact_verdicts()},
               tally);
  if (status.ok()) response->set_snapshot_version(version);
  return status;
}

absl::StatusOr<uint64_t> EvaluateCompactBatch(
    const SnapshotStore& store, uint64_t snapshot_version,
    absl::Span<const CompactBlock> blocks, const BatchLimits& limits,
    std::string* verdicts, DecisionTally* tally) {
  uint64_t version = 0;
  const absl::Status status =
      Evaluate(store, {snapshot_version, nullptr, false, blocks}, limits,
               {&version, nullptr, verdicts}, tally);
  if (!status.ok()) return status;
  return version;
}

}  // namespace netpol::server
