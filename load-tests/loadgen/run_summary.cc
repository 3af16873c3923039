#include "load-tests/loadgen/run_summary.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpcpp/support/status_code_enum.h"

namespace netpol::loadgen {
namespace {

// Nearest-rank quantile of sorted values, in microseconds.
double QuantileUs(const std::vector<int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(q * sorted.size()));
  rank = std::clamp<size_t>(rank, 1, sorted.size());
  return sorted[rank - 1] / 1e3;
}

// gRPC status codes share Abseil's numbering (0..16).
std::string CodeName(int code) {
  std::string name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
  return name.empty() ? absl::StrCat("CODE_", code) : name;
}

}  // namespace

void Merge(std::vector<SenderTally>& tallies, RunSummary& summary) {
  std::vector<int64_t> all;
  size_t total = 0;
  for (const SenderTally& tally : tallies) total += tally.latencies_ns.size();
  all.reserve(total);
  for (SenderTally& tally : tallies) {
    all.insert(all.end(), tally.latencies_ns.begin(), tally.latencies_ns.end());
    for (const auto& [code, n] : tally.errors) summary.errors[code] += n;
    summary.wrong_verdicts += tally.wrong_verdicts;
    summary.skipped += tally.skipped;
  }
  std::sort(all.begin(), all.end());
  summary.ok = static_cast<int64_t>(all.size());
  summary.count = summary.ok;
  for (const auto& [code, n] : summary.errors) summary.count += n;
  double sum = 0;
  for (int64_t ns : all) sum += static_cast<double>(ns);
  summary.mean_us = all.empty() ? 0 : sum / all.size() / 1e3;
  summary.p50_us = QuantileUs(all, 0.50);
  summary.p90_us = QuantileUs(all, 0.90);
  summary.p99_us = QuantileUs(all, 0.99);
  summary.p999_us = QuantileUs(all, 0.999);
  summary.max_us = all.empty() ? 0 : all.back() / 1e3;
}

std::string FormatText(const RunSummary& s) {
  std::string out = absl::StrFormat(
      "\nSummary:\n"
      "  Target:        %s (%s, %s form, batch %d)\n"
      "  Concurrency:   %d on %d connections\n"
      "  Allowed share: %.3f\n"
      "  Count:         %d\n"
      "  Total:         %.2f s\n"
      "  Requests/sec:  %.1f\n"
      "  Decisions/sec: %.0f\n"
      "\nLatency (successful calls):\n"
      "  mean %.1f us  p50 %.1f us  p90 %.1f us  p99 %.1f us  p99.9 %.1f us"
      "  max %.1f us\n"
      "\nStatus code distribution:\n"
      "  [OK] %d responses\n",
      s.target, s.mode, s.form, s.batch, s.concurrency, s.connections,
      s.allowed_share, s.count, s.seconds, s.rps(), s.decisions_per_second(),
      s.mean_us, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.max_us, s.ok);
  for (const auto& [code, n] : s.errors) {
    absl::StrAppendFormat(&out, "  [%s] %d responses\n", CodeName(code), n);
  }
  if (s.wrong_verdicts > 0) {
    absl::StrAppendFormat(&out, "\nWrong verdicts: %d responses\n",
                          s.wrong_verdicts);
  }
  if (s.skipped > 0) {
    absl::StrAppendFormat(&out,
                          "\nSkipped starts (the server fell %s behind): %d\n",
                          "--concurrency calls", s.skipped);
  }
  if (s.churn_publishes > 0 || s.churn_errors > 0) {
    absl::StrAppendFormat(&out, "\nAdmin churn: %d publishes, %d errors\n",
                          s.churn_publishes, s.churn_errors);
  }
  return out;
}

std::string FormatJson(const RunSummary& s) {
  std::string errors;
  for (const auto& [code, n] : s.errors) {
    absl::StrAppend(&errors, errors.empty() ? "" : ", ", "\"", CodeName(code),
                    "\": ", n);
  }
  // Target strings are HOST:PORT; nothing here needs escaping.
  return absl::StrFormat(
      "{\"target\": \"%s\", \"mode\": \"%s\", \"form\": \"%s\", "
      "\"concurrency\": %d, \"connections\": %d, \"batch\": %d, "
      "\"allowed_share\": %.4f, \"count\": %d, \"ok\": %d, "
      "\"total_seconds\": %.4f, \"rps\": %.2f, \"decisions_per_second\": %.1f, "
      "\"latency_us\": {\"mean\": %.2f, \"p50\": %.2f, \"p90\": %.2f, "
      "\"p99\": %.2f, \"p999\": %.2f, \"max\": %.2f}, "
      "\"errors\": {%s}, \"wrong_verdicts\": %d, \"skipped\": %d, "
      "\"churn_publishes\": %d, \"churn_errors\": %d}\n",
      s.target, s.mode, s.form, s.concurrency, s.connections, s.batch,
      s.allowed_share, s.count, s.ok, s.seconds, s.rps(),
      s.decisions_per_second(), s.mean_us, s.p50_us, s.p90_us, s.p99_us,
      s.p999_us, s.max_us, errors, s.wrong_verdicts, s.skipped,
      s.churn_publishes, s.churn_errors);
}

}  // namespace netpol::loadgen
