// netpolctl check: decides one connection given on the command line.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/output_format.h"
#include "client/netpolctl/query_parser.h"
#include "client/netpolctl/snapshot_loader.h"
#include "core/compiled_snapshot.h"

namespace netpol::netpolctl {
namespace {

constexpr FlagSpec kFlags[] = {
    kManifestsFlag,        {"src", true, false},      {"dst", true, false},
    {"port", true, false}, {"protocol", true, false}, {"explain", false, false},
    kNoIpBlockPodsFlag,
};

constexpr char kUsage[] =
    R"(Usage: netpolctl check --manifests PATH [--manifests PATH ...]
                      --src S --dst D --port N [--protocol P] [--explain]
                      [--no-ipblock-pods]

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

Exit status: 0 a verdict was printed, whether ALLOW or DENY; 1 the
connection is invalid (bad endpoint, port or protocol, unknown pod); 2 usage
or manifest error.
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
  std::unique_ptr<const CompiledSnapshot> snapshot =
      LoadSnapshotFromFlags(args, "check");
  if (snapshot == nullptr) return kExitUsage;

  absl::StatusOr<Connection> connection = ConnectionFromFlags(args);
  if (!connection.ok()) {
    PrintError("check", connection.status().message());
    return kExitInvalidInput;
  }
  std::string output;
  if (args.Has("explain")) {
    absl::StatusOr<Explanation> explanation = snapshot->Explain(*connection);
    if (!explanation.ok()) {
      PrintError("check", explanation.status().message());
      return kExitInvalidInput;
    }
    output = absl::StrCat(VerdictLine(*connection, explanation->decision), "\n",
                          explanation->ToText());
    if (output.back() != '\n') output.push_back('\n');
  } else {
    absl::StatusOr<Decision> decision = snapshot->Decide(*connection);
    if (!decision.ok()) {
      PrintError("check", decision.status().message());
      return kExitInvalidInput;
    }
    output = absl::StrCat(VerdictLine(*connection, *decision), "\n");
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
