#include "load-tests/loadgen/request_set.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"
#include "load-tests/generator/query_generator.h"
#include "load-tests/generator/rng.h"

namespace netpol::loadgen {
namespace {

// Queries pre-evaluated per verdict. Larger pools than this add no variety
// worth the generation time.
constexpr size_t kMinPool = 10000;
constexpr size_t kMaxPool = 200000;

void AppendAddress(const IpAddress& ip, std::string* out) {
  if (ip.is_v4()) {
    const uint32_t v = ip.v4();
    for (int shift = 24; shift >= 0; shift -= 8) {
      out->push_back(static_cast<char>((v >> shift) & 0xff));
    }
    return;
  }
  for (uint64_t word : {ip.hi, ip.lo}) {
    for (int shift = 56; shift >= 0; shift -= 8) {
      out->push_back(static_cast<char>((word >> shift) & 0xff));
    }
  }
}

// Core protocols count from 0 (TCP); the API's enum from 1.
uint32_t ToProtoProtocol(Protocol protocol) {
  return static_cast<uint32_t>(protocol) + 1;
}

char VerdictByte(bool allowed) {
  return static_cast<char>(allowed ? v1::ALLOW : v1::DENY);
}

void AddFriendly(const DecisionQuery& query, v1::CheckConnectionRequest* out) {
  v1::Connection* connection = out->add_connections();
  connection->mutable_source()->set_ip(query.source.ToString());
  connection->mutable_destination()->set_ip(query.destination.ToString());
  connection->set_port(query.port);
  connection->set_protocol(
      static_cast<v1::Protocol>(ToProtoProtocol(query.protocol)));
}

// One block per address family present, IPv4 first; `expected` follows.
void AddCompact(const std::vector<const DecisionQuery*>& queries,
                const std::vector<bool>& allowed,
                v1::CheckConnectionRequest* out, std::string* expected) {
  for (const bool v4 : {true, false}) {
    v1::CompactConnections* block = nullptr;
    for (size_t i = 0; i < queries.size(); ++i) {
      const DecisionQuery& query = *queries[i];
      if (query.source.is_v4() != v4) continue;
      if (block == nullptr) {
        block = out->add_compact();
        block->set_family(v4 ? 4 : 6);
      }
      AppendAddress(query.source, block->mutable_sources());
      AppendAddress(query.destination, block->mutable_destinations());
      block->add_port_protocols(query.port |
                                (ToProtoProtocol(query.protocol) << 16));
      expected->push_back(VerdictByte(allowed[i]));
    }
  }
}

}  // namespace

absl::StatusOr<RequestSet> BuildRequestSet(Cluster cluster,
                                           const RequestSetOptions& options) {
  if (options.batch == 0 || options.variants == 0) {
    return absl::InvalidArgumentError("batch and variants must be positive");
  }
  const size_t pool_size =
      std::clamp(options.batch * options.variants, kMinPool, kMaxPool);
  std::vector<DecisionQuery> queries =
      GenerateQueries(cluster, pool_size, options.seed);
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
      CompiledSnapshot::Compile(std::move(cluster));
  if (!snapshot.ok()) {
    return absl::Status(
        snapshot.status().code(),
        absl::StrCat("compiling the cluster: ", snapshot.status().message()));
  }
  std::vector<const DecisionQuery*> pools[2];  // [0] denied, [1] allowed
  for (const DecisionQuery& query : queries) {
    // The compact form carries one family per block: skip mixed pairs.
    if (query.source.family != query.destination.family) continue;
    const Decision decision = (*snapshot)->Decide(
        query.source, query.destination, query.port, query.protocol);
    pools[decision.allowed ? 1 : 0].push_back(&query);
  }
  const size_t usable = pools[0].size() + pools[1].size();
  const double ratio = options.allow_ratio.value_or(
      usable == 0 ? 0.0 : static_cast<double>(pools[1].size()) / usable);
  if (ratio < 0 || ratio > 1) {
    return absl::InvalidArgumentError("the allow ratio must be in [0, 1]");
  }
  if ((ratio > 0 && pools[1].empty()) || (ratio < 1 && pools[0].empty())) {
    return absl::FailedPreconditionError(
        absl::StrCat("the cluster's queries give ", pools[1].size(),
                     " allowed and ", pools[0].size(),
                     " denied connections: cannot reach allow ratio ", ratio));
  }

  RequestSet set;
  generator::Rng rng(options.seed, /*stream=*/0x10ad);
  size_t allowed_total = 0;
  for (size_t r = 0; r < options.variants; ++r) {
    std::vector<const DecisionQuery*> picked;
    std::vector<bool> allowed;
    picked.reserve(options.batch);
    allowed.reserve(options.batch);
    for (size_t i = 0; i < options.batch; ++i) {
      const bool allow = rng.Chance(ratio);
      picked.push_back(rng.Pick(pools[allow ? 1 : 0]));
      allowed.push_back(allow);
      allowed_total += allow ? 1 : 0;
    }
    v1::CheckConnectionRequest request;
    std::string expected;
    if (options.form == Form::kCompact) {
      AddCompact(picked, allowed, &request, &expected);
    } else {
      for (size_t i = 0; i < picked.size(); ++i) {
        AddFriendly(*picked[i], &request);
        expected.push_back(VerdictByte(allowed[i]));
      }
    }
    set.requests.push_back(std::move(request));
    set.expected_verdicts.push_back(std::move(expected));
  }
  set.allowed_share = static_cast<double>(allowed_total) /
                      static_cast<double>(options.batch * options.variants);
  return set;
}

std::string VerdictsOf(const v1::CheckConnectionResponse& response, Form form) {
  if (form == Form::kCompact) return response.compact_verdicts();
  std::string verdicts;
  verdicts.reserve(response.decisions_size());
  for (const v1::Decision& decision : response.decisions()) {
    verdicts.push_back(static_cast<char>(decision.verdict()));
  }
  return verdicts;
}

}  // namespace netpol::loadgen
