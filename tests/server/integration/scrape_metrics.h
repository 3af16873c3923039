#ifndef NETPOL_TESTS_SERVER_INTEGRATION_SCRAPE_METRICS_H_
#define NETPOL_TESTS_SERVER_INTEGRATION_SCRAPE_METRICS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "tests/server/integration/http_get.h"
#include "tests/server/integration/prometheus_text.h"
#include "tests/server/integration/server_process.h"

namespace netpol::integration {

// GET /metrics from the server and parse it.
inline absl::StatusOr<Scrape> ScrapeMetrics(const ServerProcess& server) {
  absl::StatusOr<std::string> body =
      HttpGet(server.metrics_address(), "/metrics");
  if (!body.ok()) return body.status();
  return ParsePrometheusText(*body);
}

// One series sum from a fresh scrape; -1 when the scrape fails or no
// sample matches (tests compare it against expected non-negative values).
inline double ScrapeSum(const ServerProcess& server, const std::string& name,
                        const std::map<std::string, std::string>& match = {}) {
  absl::StatusOr<Scrape> scrape = ScrapeMetrics(server);
  if (!scrape.ok()) return -1;
  return scrape->Sum(name, match).value_or(-1);
}

}  // namespace netpol::integration

#endif  // NETPOL_TESTS_SERVER_INTEGRATION_SCRAPE_METRICS_H_
