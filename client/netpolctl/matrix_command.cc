// netpolctl matrix: the pod-to-pod reachability matrix on one port.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/matrix_format.h"
#include "client/netpolctl/query_parser.h"
#include "client/netpolctl/snapshot_loader.h"
#include "core/compiled_snapshot.h"

namespace netpol::netpolctl {
namespace {

constexpr FlagSpec kFlags[] = {
    kManifestsFlag,          {"port", true, false}, {"protocol", true, false},
    {"format", true, false}, kNoIpBlockPodsFlag,
};

constexpr char kUsage[] =
    R"(Usage: netpolctl matrix --manifests PATH [--manifests PATH ...] --port N
                       [--protocol P] [--format table|csv|json|md|dot]
                       [--no-ipblock-pods]

Prints whether every pod may connect to every pod on one port: rows are
sources, columns destinations, pods sorted by namespace and name. A pod may
always reach itself. hostNetwork pods are left out: they use their node's
address and NetworkPolicy does not apply to them. Offline only: a matrix
needs the pod list, which netpol-pdp does not serve (use eval --server with
queries built from your own pod list instead).

Formats:
  table  (default) aligned grid; '.' allowed, 'X' denied
  csv    header "src,<pod>...", then one row per source; 1 allowed, 0 denied
  json   {"port":N,"protocol":P,"pods":[...],"allowed":[[bool,...],...]}
  md     Markdown table of allow/deny cells
  dot    Graphviz digraph, an edge per allowed pair of distinct pods, pods
         clustered by namespace

Flags:
  --manifests PATH   manifest file, or directory read recursively (.yaml,
                     .yml, .json); repeatable
  --port N           destination port, 1..65535
  --protocol P       TCP (default), UDP or SCTP, in any case
  --format F         output format, see above
  --no-ipblock-pods  ipBlock peers match only addresses outside the cluster,
                     not pod IPs

Exit status: 0 the matrix was printed; 1 a pair could not be decided;
2 usage error (bad --port, --protocol or --format included) or manifest
error.
)";

// Every non-hostNetwork pod, sorted by namespace and name.
std::vector<PodRef> MatrixPods(const Cluster& cluster) {
  std::vector<PodRef> pods;
  for (const Pod& pod : cluster.pods) {
    if (!pod.host_network) pods.push_back({pod.namespace_name, pod.name});
  }
  std::sort(pods.begin(), pods.end(), [](const PodRef& a, const PodRef& b) {
    return std::tie(a.namespace_name, a.name) <
           std::tie(b.namespace_name, b.name);
  });
  return pods;
}

absl::StatusOr<ReachabilityMatrix> BuildMatrix(const CompiledSnapshot& snapshot,
                                               uint16_t port,
                                               Protocol protocol) {
  ReachabilityMatrix matrix;
  matrix.port = port;
  matrix.protocol = protocol;
  matrix.pods = MatrixPods(snapshot.cluster());
  Connection connection;
  connection.port = port;
  connection.protocol = protocol;
  for (const PodRef& source : matrix.pods) {
    connection.source = source;
    std::vector<bool>& row = matrix.allowed.emplace_back();
    for (const PodRef& destination : matrix.pods) {
      connection.destination = destination;
      absl::StatusOr<Decision> decision = snapshot.Decide(connection);
      if (!decision.ok()) return decision.status();
      row.push_back(decision->allowed);
    }
  }
  return matrix;
}

int Run(const ParsedArgs& args) {
  if (!args.Has("port")) {
    PrintUsageError("matrix", "--port is required");
    return kExitUsage;
  }
  int64_t port = 0;
  if (!absl::SimpleAtoi(*args.Value("port"), &port) || !CheckPort(port).ok()) {
    PrintUsageError("matrix", absl::StrCat("--port \"", *args.Value("port"),
                                           "\" is not a port in 1..65535"));
    return kExitUsage;
  }
  Protocol protocol = Protocol::kTcp;
  if (std::optional<absl::string_view> text = args.Value("protocol")) {
    absl::StatusOr<Protocol> parsed = ParseProtocolField(*text);
    if (!parsed.ok()) {
      PrintUsageError("matrix", parsed.status().message());
      return kExitUsage;
    }
    protocol = *parsed;
  }
  absl::string_view format_name = args.Value("format").value_or("table");
  std::optional<MatrixFormat> format = ParseMatrixFormat(format_name);
  if (!format.has_value()) {
    PrintUsageError("matrix",
                    absl::StrCat("unknown --format \"", format_name,
                                 "\"; expected table, csv, json, md or dot"));
    return kExitUsage;
  }
  std::unique_ptr<const CompiledSnapshot> snapshot =
      LoadSnapshotFromFlags(args, "matrix");
  if (snapshot == nullptr) return kExitUsage;

  absl::StatusOr<ReachabilityMatrix> matrix =
      BuildMatrix(*snapshot, static_cast<uint16_t>(port), protocol);
  if (!matrix.ok()) {
    PrintError("matrix", matrix.status().message());
    return kExitInvalidInput;
  }
  std::string output = FormatMatrix(*matrix, *format);
  std::fwrite(output.data(), 1, output.size(), stdout);
  return kExitOk;
}

}  // namespace

const Command& MatrixCommand() {
  static const Command command = {
      "matrix", "print the pod-to-pod reachability matrix on one port", kUsage,
      kFlags, &Run};
  return command;
}

}  // namespace netpol::netpolctl
