#include "client/lib/batch_codec.h"

#include <arpa/inet.h>

#include <string>
#include <type_traits>
#include <variant>

#include "absl/strings/str_cat.h"

namespace netpol::client::internal {
namespace {

using Form = EncodedBatch::Form;

// The raw address of an IP endpoint: 4 or 16 bytes, or empty for a pod
// reference or text that is no IP (left for the server to judge).
std::string RawAddress(const Endpoint& endpoint) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          unsigned char buf[16];
          if (inet_pton(AF_INET, v.c_str(), buf) == 1) {
            return std::string(reinterpret_cast<char*>(buf), 4);
          }
          if (inet_pton(AF_INET6, v.c_str(), buf) == 1) {
            return std::string(reinterpret_cast<char*>(buf), 16);
          }
          return "";
        } else if constexpr (std::is_same_v<T, PodRef>) {
          return "";
        } else {
          return std::string(reinterpret_cast<const char*>(v.data()), v.size());
        }
      },
      endpoint.value());
}

std::string IpText(const std::string& raw) {
  char buf[INET6_ADDRSTRLEN];
  const int family = raw.size() == 4 ? AF_INET : AF_INET6;
  inet_ntop(family, raw.data(), buf, sizeof(buf));
  return buf;
}

void ToProto(const Endpoint& endpoint, v1::Endpoint* out) {
  std::visit(
      [out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out->set_ip(v);
        } else if constexpr (std::is_same_v<T, PodRef>) {
          out->mutable_pod()->set_namespace_(v.ns);
          out->mutable_pod()->set_name(v.name);
        } else {
          out->set_ip(IpText(
              std::string(reinterpret_cast<const char*>(v.data()), v.size())));
        }
      },
      endpoint.value());
}

Reason FromProto(v1::Reason reason) {
  switch (reason) {
    case v1::LOOPBACK:
      return Reason::kLoopback;
    case v1::NOT_ISOLATED:
      return Reason::kNotIsolated;
    case v1::ALLOWED_BY_POLICY:
      return Reason::kAllowedByPolicy;
    case v1::DENIED_EGRESS:
      return Reason::kDeniedEgress;
    case v1::DENIED_INGRESS:
      return Reason::kDeniedIngress;
    case v1::INVALID_CONNECTION:
      return Reason::kInvalidConnection;
    default:
      return Reason::kUnspecified;
  }
}

}  // namespace

EncodedBatch EncodeBatch(absl::Span<const Connection> connections) {
  EncodedBatch batch;
  batch.slots.reserve(connections.size());
  // Blocks are created on first use; -1 = not yet.
  int block_index[2] = {-1, -1};
  uint32_t block_size[2] = {0, 0};
  for (const Connection& c : connections) {
    const std::string src = RawAddress(c.source);
    const std::string dst = RawAddress(c.destination);
    if (!src.empty() && src.size() == dst.size()) {
      const int f = src.size() == 4 ? 0 : 1;
      if (block_index[f] < 0) {
        block_index[f] = batch.request.compact_size();
        batch.request.add_compact()->set_family(f == 0 ? 4 : 6);
      }
      v1::CompactConnections* block =
          batch.request.mutable_compact(block_index[f]);
      block->mutable_sources()->append(src);
      block->mutable_destinations()->append(dst);
      block->add_port_protocols(static_cast<uint32_t>(c.port) |
                                static_cast<uint32_t>(c.protocol) << 16);
      batch.slots.push_back(
          {f == 0 ? Form::kCompactV4 : Form::kCompactV6, block_size[f]++});
      continue;
    }
    v1::Connection* out = batch.request.add_connections();
    ToProto(c.source, out->mutable_source());
    ToProto(c.destination, out->mutable_destination());
    out->set_port(c.port);
    out->set_protocol(static_cast<v1::Protocol>(c.protocol));
    batch.slots.push_back(
        {Form::kFriendly,
         static_cast<uint32_t>(batch.request.connections_size() - 1)});
  }
  return batch;
}

absl::StatusOr<std::vector<Decision>> DecodeResponse(
    const EncodedBatch& batch, const v1::CheckConnectionResponse& response) {
  // compact_verdicts holds the blocks back to back, in request order.
  size_t offset[2] = {0, 0};
  size_t compact_total = 0;
  for (const v1::CompactConnections& block : batch.request.compact()) {
    offset[block.family() == 4 ? 0 : 1] = compact_total;
    compact_total += block.port_protocols_size();
  }
  if (response.decisions_size() != batch.request.connections_size() ||
      response.compact_verdicts().size() != compact_total) {
    return absl::InternalError(
        absl::StrCat("response shape mismatch: ", response.decisions_size(),
                     " decisions, ", response.compact_verdicts().size(),
                     " compact verdicts for ", batch.request.connections_size(),
                     " + ", compact_total, " connections"));
  }
  std::vector<Decision> decisions(batch.slots.size());
  for (size_t i = 0; i < batch.slots.size(); ++i) {
    const EncodedBatch::Slot& slot = batch.slots[i];
    Decision& d = decisions[i];
    d.snapshot_version = response.snapshot_version();
    if (slot.form == Form::kFriendly) {
      const v1::Decision& in = response.decisions(slot.index);
      d.verdict = in.verdict() == v1::ALLOW ? Verdict::kAllow : Verdict::kDeny;
      d.reason = FromProto(in.reason());
      d.error = in.error();
    } else {
      const size_t base = offset[slot.form == Form::kCompactV4 ? 0 : 1];
      const auto verdict = static_cast<v1::Verdict>(
          static_cast<uint8_t>(response.compact_verdicts()[base + slot.index]));
      d.verdict = verdict == v1::ALLOW ? Verdict::kAllow : Verdict::kDeny;
    }
  }
  return decisions;
}

std::vector<Decision> FailDecisions(size_t count, bool fail_open,
                                    const absl::Status& status) {
  Decision fail;
  fail.verdict = fail_open ? Verdict::kAllow : Verdict::kDeny;
  fail.reason = Reason::kUnavailable;
  fail.error = status.ToString();
  return std::vector<Decision>(count, fail);
}

}  // namespace netpol::client::internal
