#ifndef NETPOL_LOAD_TESTS_LOADGEN_RUN_SUMMARY_H_
#define NETPOL_LOAD_TESTS_LOADGEN_RUN_SUMMARY_H_

// What one netpol-loadgen run measured, printed the way ghz prints it and
// written as JSON for the measurement scripts.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace netpol::loadgen {

// Per sender, so that senders never share a counter; merged at the end.
struct SenderTally {
  std::vector<int64_t> latencies_ns;  // successful RPCs (stream messages)
  std::map<int, int64_t> errors;      // by gRPC status code
  int64_t wrong_verdicts = 0;         // responses differing from offline
  int64_t skipped = 0;  // open loop: starts dropped at the in-flight cap
};

struct RunSummary {
  std::string target;
  std::string mode;  // "unary" or "stream"
  std::string form;  // "friendly" or "compact"
  int concurrency = 0;
  int connections = 0;
  int64_t batch = 0;
  double allowed_share = 0;
  double seconds = 0;

  int64_t count = 0;  // RPCs or stream messages, errors included
  int64_t ok = 0;
  std::map<int, int64_t> errors;
  int64_t wrong_verdicts = 0;
  int64_t skipped = 0;
  int64_t churn_publishes = 0;  // admin Rollbacks during the run
  int64_t churn_errors = 0;
  // Latency quantiles of successful calls, microseconds.
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0,
         mean_us = 0;

  double rps() const { return seconds > 0 ? ok / seconds : 0; }
  double decisions_per_second() const { return rps() * batch; }
};

// Fills the counts and quantiles of `summary` from the senders' tallies.
void Merge(std::vector<SenderTally>& tallies, RunSummary& summary);

std::string FormatText(const RunSummary& summary);
std::string FormatJson(const RunSummary& summary);

}  // namespace netpol::loadgen

#endif  // NETPOL_LOAD_TESTS_LOADGEN_RUN_SUMMARY_H_
