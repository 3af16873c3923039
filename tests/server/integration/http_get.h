#ifndef NETPOL_TESTS_SERVER_INTEGRATION_HTTP_GET_H_
#define NETPOL_TESTS_SERVER_INTEGRATION_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace netpol::integration {

// GET http://`host_port``path` over a plain socket (HTTP/1.0, so the reply
// is never chunked). Returns the body of a 200 reply; any other status,
// socket error or timeout is an error.
absl::StatusOr<std::string> HttpGet(const std::string& host_port,
                                    const std::string& path,
                                    absl::Duration timeout = absl::Seconds(5));

}  // namespace netpol::integration

#endif  // NETPOL_TESTS_SERVER_INTEGRATION_HTTP_GET_H_
