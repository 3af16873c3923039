#include "client/netpolctl/matrix_format.h"

#include <algorithm>
#include <cstddef>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "client/netpolctl/output_format.h"
#include "core/string_view_compat.h"
#include "nlohmann/json.hpp"

namespace netpol::netpolctl {
namespace {

std::string Title(const ReachabilityMatrix& matrix) {
  return absl::StrCat(AsAbsl(ProtocolName(matrix.protocol)), "/", matrix.port);
}

void AppendPadded(absl::string_view text, size_t width, std::string* out) {
  out->append(text.data(), text.size());
  out->append(width - std::min(width, text.size()), ' ');
}

// Ends a line without the trailing blanks padding would leave.
void EndLine(std::string* out) {
  out->resize(out->find_last_not_of(' ') + 1);  // npos + 1 == 0
  out->push_back('\n');
}

std::string FormatTable(const ReachabilityMatrix& matrix) {
  const std::vector<PodRef>& pods = matrix.pods;
  size_t label_width = 0;
  std::vector<size_t> widths;
  for (const PodRef& pod : pods) {
    label_width = std::max(label_width, pod.ToString().size());
    widths.push_back(std::max(pod.namespace_name.size(), pod.name.size()));
  }
  constexpr char kGap[] = "  ";
  std::string out = absl::StrCat(Title(matrix),
                                 ": rows are sources, columns destinations; "
                                 "'.' allowed, 'X' denied\n");
  // Two header rows: the namespace, then the pod name.
  for (bool namespace_row : {true, false}) {
    AppendPadded("", label_width, &out);
    for (size_t i = 0; i < pods.size(); ++i) {
      out.append(kGap);
      AppendPadded(namespace_row ? pods[i].namespace_name : pods[i].name,
                   widths[i], &out);
    }
    EndLine(&out);
  }
  for (size_t row = 0; row < pods.size(); ++row) {
    AppendPadded(pods[row].ToString(), label_width, &out);
    for (size_t col = 0; col < pods.size(); ++col) {
      out.append(kGap);
      AppendPadded(matrix.allowed[row][col] ? "." : "X", widths[col], &out);
    }
    EndLine(&out);
  }
  return out;
}

// RFC 4180: quote a field holding a separator, a quote or a line break.
std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(text);
  }
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

std::string FormatCsv(const ReachabilityMatrix& matrix) {
  std::string out = "src";
  for (const PodRef& pod : matrix.pods) {
    absl::StrAppend(&out, ",", CsvField(pod.ToString()));
  }
  out.push_back('\n');
  for (size_t row = 0; row < matrix.pods.size(); ++row) {
    out.append(CsvField(matrix.pods[row].ToString()));
    for (bool allowed : matrix.allowed[row]) {
      out.append(allowed ? ",1" : ",0");
    }
    out.push_back('\n');
  }
  return out;
}

std::string FormatJson(const ReachabilityMatrix& matrix) {
  nlohmann::ordered_json json;
  json["port"] = matrix.port;
  json["protocol"] = std::string(ProtocolName(matrix.protocol));
  nlohmann::ordered_json pods = nlohmann::ordered_json::array();
  for (const PodRef& pod : matrix.pods) pods.push_back(pod.ToString());
  json["pods"] = std::move(pods);
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const std::vector<bool>& row : matrix.allowed) {
    nlohmann::ordered_json cells = nlohmann::ordered_json::array();
    for (bool allowed : row) cells.push_back(allowed);
    rows.push_back(std::move(cells));
  }
  json["allowed"] = std::move(rows);
  return absl::StrCat(DumpJson(json), "\n");
}

std::string MarkdownCell(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}});
}

std::string FormatMarkdown(const ReachabilityMatrix& matrix) {
  std::string out =
      absl::StrCat("Reachability on ", Title(matrix),
                   " (rows: sources, columns: destinations)\n\n| src \\ dst |");
  for (const PodRef& pod : matrix.pods) {
    absl::StrAppend(&out, " ", MarkdownCell(pod.ToString()), " |");
  }
  out.append("\n| --- |");
  for (size_t i = 0; i < matrix.pods.size(); ++i) out.append(" --- |");
  out.push_back('\n');
  for (size_t row = 0; row < matrix.pods.size(); ++row) {
    absl::StrAppend(&out, "| ", MarkdownCell(matrix.pods[row].ToString()),
                    " |");
    for (bool allowed : matrix.allowed[row]) {
      out.append(allowed ? " allow |" : " deny |");
    }
    out.push_back('\n');
  }
  return out;
}

// A DOT double-quoted ID.
std::string DotId(absl::string_view text) {
  return absl::StrCat(
      "\"", absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

std::string FormatDot(const ReachabilityMatrix& matrix) {
  std::string out =
      absl::StrCat("digraph netpol {\n  label=",
                   DotId(absl::StrCat(Title(matrix), ": allowed connections")),
                   ";\n  node [shape=box];\n");
  std::map<absl::string_view, std::vector<size_t>> by_namespace;
  for (size_t i = 0; i < matrix.pods.size(); ++i) {
    by_namespace[matrix.pods[i].namespace_name].push_back(i);
  }
  for (const auto& [namespace_name, members] : by_namespace) {
    // Graphviz draws a subgraph as a box only when its name starts with
    // "cluster".
    absl::StrAppend(&out, "  subgraph ",
                    DotId(absl::StrCat("cluster_", namespace_name)),
                    " {\n    label=", DotId(namespace_name), ";\n");
    for (size_t i : members) {
      absl::StrAppend(&out, "    ", DotId(matrix.pods[i].ToString()),
                      " [label=", DotId(matrix.pods[i].name), "];\n");
    }
    out.append("  }\n");
  }
  for (size_t row = 0; row < matrix.pods.size(); ++row) {
    for (size_t col = 0; col < matrix.pods.size(); ++col) {
      if (row == col || !matrix.allowed[row][col]) continue;
      absl::StrAppend(&out, "  ", DotId(matrix.pods[row].ToString()), " -> ",
                      DotId(matrix.pods[col].ToString()), ";\n");
    }
  }
  out.append("}\n");
  return out;
}

}  // namespace

std::optional<MatrixFormat> ParseMatrixFormat(absl::string_view text) {
  if (text == "table") return MatrixFormat::kTable;
  if (text == "csv") return MatrixFormat::kCsv;
  if (text == "json") return MatrixFormat::kJson;
  if (text == "md") return MatrixFormat::kMarkdown;
  if (text == "dot") return MatrixFormat::kDot;
  return std::nullopt;
}

std::string FormatMatrix(const ReachabilityMatrix& matrix,
                         MatrixFormat format) {
  switch (format) {
    case MatrixFormat::kTable:
      return FormatTable(matrix);
    case MatrixFormat::kCsv:
      return FormatCsv(matrix);
    case MatrixFormat::kJson:
      return FormatJson(matrix);
    case MatrixFormat::kMarkdown:
      return FormatMarkdown(matrix);
    case MatrixFormat::kDot:
      return FormatDot(matrix);
  }
  return "";
}

}  // namespace netpol::netpolctl
