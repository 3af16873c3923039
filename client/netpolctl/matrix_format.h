#ifndef NETPOL_CLIENT_NETPOLCTL_MATRIX_FORMAT_H_
#define NETPOL_CLIENT_NETPOLCTL_MATRIX_FORMAT_H_

// Renderings of a pod-to-pod reachability matrix. Like output_format.h,
// independent of where the decisions came from.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/decision.h"
#include "core/protocol.h"

namespace netpol::netpolctl {

struct ReachabilityMatrix {
  uint16_t port = 0;
  Protocol protocol = Protocol::kTcp;
  std::vector<PodRef> pods;  // rows (sources) and columns (destinations)
  // allowed[source][destination]
  std::vector<std::vector<bool>> allowed;
};

enum class MatrixFormat { kTable, kCsv, kJson, kMarkdown, kDot };

// "table", "csv", "json", "md", "dot".
std::optional<MatrixFormat> ParseMatrixFormat(absl::string_view text);

// The whole rendering, ending in a newline:
//   table  aligned grid, '.' allowed and 'X' denied, with a legend; column
//          headers give the namespace on one row and the pod name below it
//   csv    header "src,<dst>...", then one row per source; 1 allowed,
//          0 denied
//   json   {"port":80,"protocol":"TCP","pods":[..],"allowed":[[..],..]}
//   md     a Markdown table of "allow" / "deny" cells
//   dot    a Graphviz digraph: one edge per allowed pair of distinct pods,
//          pods clustered by namespace (subgraph cluster_<namespace>)
std::string FormatMatrix(const ReachabilityMatrix& matrix, MatrixFormat format);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_MATRIX_FORMAT_H_
