// netpolctl check: decides one connection given on the command line.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/decision_source.h"
#include "client/netpolctl/decision_source_flags.h"
#include "client/netpolctl/output_format.h"
#include "client/netpolctl/query_parser.h"
#include "client/netpolctl/remote_flags.h"
#include "client/netpolctl/snapshot_loader.h"

namespace netpol::netpolctl {
namespace {

constexpr FlagSpec kFlags[] = {
    kManifestsFlag,
    {"src", true, false},
    {"dst", true, false},
    {"port", true, false},
    {"protocol", true, false},
    {"explain", false, false},
    kNoIpBlockPodsFlag,
    kServerFlag,
    kTimeoutFlag,
};

constexpr char kUsage[] =
    R"(Usage: netpolctl check --manifests PATH [--manifests PATH ...]
                      --src S --dst D --port N [--protocol P] [--explain]
                      [--no-ipblock-pods]
       netpolctl check --server ADDR [--timeout D]
                      --src S --dst D --port N [--protocol P] [--explain]

Decides one connection and prints the verdict, e.g.
  ALLOW x/a -> y/b TCP/80 (ALLOWED_BY_POLICY)
  DENY 192.0.2.1 -> y/b TCP/443 (DENIED_INGRESS)

Flags:
  --manifests PATH   manifest file, or directory read recursively (.yaml,
                     .yml, .json); repeatable
  --src S, --dst D   a pod ("namespace/name") or an IP address
  --port N           destination port, 1..65535
  --protocol P       TCP (default), UDP or SCTP, in any case
  --explain          also print the policies and rules behind the verdict
  --no-ipblock-pods  ipBlock peers match only addresses outside the cluster,
                     not pod IPs
  --server ADDR      ask the netpol-pdp data plane at ADDR (host:port)
                     instead of evaluating --manifests locally; the output
                     is the same
  --timeout D        deadline of the RPC, e.g. 500ms or 10s (default 10s)

Exit status: 0 a verdict was printed, whether ALLOW or DENY; 1 the
connection is invalid (bad endpoint, port or protocol, unknown pod); 2 usage
or manifest error, or the server could not be reached or failed.
)";

absl::StatusOr<Connection> ConnectionFromFlags(const ParsedArgs& args) {
  Connection connection;
  absl::StatusOr<Endpoint> source =
      ParseEndpointField("--src", *args.Value("src"));
  if (!source.ok()) return source.status();
  absl::StatusOr<Endpoint> destination =
      ParseEndpointField("--dst", *args.Value("dst"));
  if (!destination.ok()) return destination.status();
  int64_t port = 0;
  if (!absl::SimpleAtoi(*args.Value("port"), &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--port \"", *args.Value("port"), "\" is not an integer"));
  }
  if (absl::Status status = CheckPort(port); !status.ok()) return status;
  if (std::optional<absl::string_view> text = args.Value("protocol")) {
    absl::StatusOr<Protocol> protocol = ParseProtocolField(*text);
    if (!protocol.ok()) return protocol.status();
    connection.protocol = *protocol;
  }
  connection.source = *std::move(source);
  connection.destination = *std::move(destination);
  connection.port = static_cast<uint32_t>(port);
  return connection;
}

int Run(const ParsedArgs& args) {
  for (absl::string_view required : {"src", "dst", "port"}) {
    if (!args.Has(required)) {
      PrintUsageError("check", absl::StrCat("--", required, " is required"));
      return kExitUsage;
    }
  }
  std::unique_ptr<DecisionSource> source =
      DecisionSourceFromFlags(args, "check");
  if (source == nullptr) return kExitUsage;

  absl::StatusOr<Connection> connection = ConnectionFromFlags(args);
  if (!connection.ok()) {
    PrintError("check", connection.status().message());
    return kExitInvalidInput;
  }
  const bool explain = args.Has("explain");
  std::vector<Answer> answers;
  if (absl::Status status =
          source->Decide({&*connection, 1}, explain, &answers);
      !status.ok()) {
    PrintError("check", status.message());
    return kExitUsage;
  }
  const Answer& answer = answers[0];
  if (!answer.status.ok()) {
    PrintError("check", answer.status.message());
    return kExitInvalidInput;
  }
  std::string output =
      absl::StrCat(VerdictLine(*connection, answer.explanation.decision), "\n");
  if (explain) {
    absl::StrAppend(&output, answer.explanation.ToText());
    if (output.back() != '\n') output.push_back('\n');
  }
  std::fwrite(output.data(), 1, output.size(), stdout);
  return kExitOk;
}

}  // namespace

const Command& CheckCommand() {
  static const Command command = {"check", "decide one connection", kUsage,
                                  kFlags, &Run};
  return command;
}

}  // namespace netpol::netpolctl
