#ifndef NETPOL_CLIENT_NETPOLCTL_QUERY_PARSER_H_
#define NETPOL_CLIENT_NETPOLCTL_QUERY_PARSER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/decision.h"
#include "core/protocol.h"

namespace netpol::netpolctl {

// Validation shared by query lines and check's flags. Errors are
// InvalidArgument with a message fit for the user; `field` names the input.

// "ns/name" is a pod, anything else must be an IP address.
absl::StatusOr<Endpoint> ParseEndpointField(absl::string_view field,
                                            absl::string_view text);
// "TCP", "udp", "Sctp", ...: protocol names are case-insensitive here.
absl::StatusOr<Protocol> ParseProtocolField(absl::string_view text);
// 1..65535.
absl::Status CheckPort(int64_t port);

// Parses eval's JSON Lines queries:
//   {"src": "x/a" | "10.0.0.7", "dst": "y/b" | "192.0.2.1", "port": 80,
//    "protocol": "TCP"}
// "protocol" is optional (TCP); other keys are ignored, so rows of a test
// table that carry expectations can be fed as they are. Reuse one parser
// across lines: it keeps its buffers, and it builds no JSON tree.
class QueryParser {
 public:
  // Fills *connection, or returns InvalidArgument saying what is wrong with
  // the line.
  absl::Status Parse(absl::string_view line, Connection* connection);

 private:
  std::string src_;
  std::string dst_;
  std::string protocol_;
};

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_QUERY_PARSER_H_
