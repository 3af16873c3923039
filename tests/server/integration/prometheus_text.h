#ifndef NETPOL_TESTS_SERVER_INTEGRATION_PROMETHEUS_TEXT_H_
#define NETPOL_TESTS_SERVER_INTEGRATION_PROMETHEUS_TEXT_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace netpol::integration {

// One sample of the Prometheus text exposition format.
struct Sample {
  std::string name;  // e.g. netpol_rpc_duration_seconds_count
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Scrape {
  std::vector<Sample> samples;
  std::map<std::string, std::string> types;  // family name -> "# TYPE" value

  // Sum of the samples named `name` whose labels include every pair of
  // `match`; nullopt when no sample matches.
  std::optional<double> Sum(
      const std::string& name,
      const std::map<std::string, std::string>& match = {}) const;
};

// Parses the text format (comments, labels with escapes, +Inf/NaN values).
// Malformed lines are errors naming the line.
absl::StatusOr<Scrape> ParsePrometheusText(const std::string& text);

}  // namespace netpol::integration

#endif  // NETPOL_TESTS_SERVER_INTEGRATION_PROMETHEUS_TEXT_H_
