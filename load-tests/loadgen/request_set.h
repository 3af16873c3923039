#ifndef NETPOL_LOAD_TESTS_LOADGEN_REQUEST_SET_H_
#define NETPOL_LOAD_TESTS_LOADGEN_REQUEST_SET_H_

// The requests netpol-loadgen sends: batches sampled from a cluster's
// realistic query mix, with a chosen share of allowed connections, and the
// verdicts the server must give for them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/model.h"
#include "netpol/v1/decision.pb.h"

namespace netpol::loadgen {

enum class Form { kFriendly, kCompact };

struct RequestSetOptions {
  size_t batch = 1;      // connections per request
  size_t variants = 16;  // distinct requests, cycled through by the senders
  Form form = Form::kCompact;
  // Share of allowed connections; unset keeps the generator's natural mix.
  std::optional<double> allow_ratio;
  uint64_t seed = 1;
};

struct RequestSet {
  std::vector<v1::CheckConnectionRequest> requests;
  // Per request, the expected verdict of every connection in response
  // order (compact blocks in request order, or the decisions).
  std::vector<std::string> expected_verdicts;
  double allowed_share = 0;  // measured over all requests
};

// Pre-evaluates a pool of GenerateQueries() queries offline with
// CompiledSnapshot and samples each request from the allowed and denied
// pools. Fails when the cluster does not compile or a needed pool is empty.
absl::StatusOr<RequestSet> BuildRequestSet(Cluster cluster,
                                           const RequestSetOptions& options);

// The verdicts `response` carries, in the order of expected_verdicts.
std::string VerdictsOf(const v1::CheckConnectionResponse& response, Form form);

}  // namespace netpol::loadgen

#endif  // NETPOL_LOAD_TESTS_LOADGEN_REQUEST_SET_H_
