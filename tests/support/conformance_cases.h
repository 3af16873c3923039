#ifndef NETPOL_TESTS_SUPPORT_CONFORMANCE_CASES_H_
#define NETPOL_TESTS_SUPPORT_CONFORMANCE_CASES_H_

// The case directories of tests/conformance/, as the library, CLI and server
// conformance runners all read them. A case is a directory holding
//   cluster.yaml   manifests
//   expected.json  [{src, dst, port, protocol?, allowed, why?}, ...]
//   meta.json      optional; {"expect_error": "<phrase>"} means loading the
//                  cluster must fail with a message containing the phrase.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace netpol::conformance {

// One row of expected.json, kept as text: each runner parses it its own way.
struct ExpectedRow {
  std::string src;
  std::string dst;
  uint32_t port = 0;
  std::string protocol;  // "TCP" when the row has none
  bool allowed = false;
  std::string why;  // empty when the row has none
};

struct ConformanceCase {
  std::string name;  // the directory name
  std::filesystem::path dir;
  std::string cluster_path;
  std::optional<std::string> expect_error;
  std::vector<ExpectedRow> rows;
};

// The NETPOL_CONFORMANCE_DIR environment variable when set and non-empty,
// else the tests/conformance of the source tree.
std::filesystem::path ConformanceDir();

// Sorted names of the case directories (hidden ones skipped); empty when
// the directory cannot be read. Listed at run time, so new cases need no
// rebuild.
std::vector<std::string> ConformanceCaseNames();

// Reads case `name` of ConformanceDir(). Fails, naming the file and the row,
// when cluster.yaml is missing or meta.json or expected.json is malformed.
// expected.json is required unless the case expects an error.
absl::StatusOr<ConformanceCase> LoadConformanceCase(const std::string& name);

// "src -> dst PROTOCOL/port", for failure messages.
std::string Describe(const ExpectedRow& row);

// `name` with every character other than [A-Za-z0-9] replaced by '_', as
// GoogleTest requires of parameterized test names.
std::string GtestSafeName(std::string_view name);

}  // namespace netpol::conformance

#endif  // NETPOL_TESTS_SUPPORT_CONFORMANCE_CASES_H_
