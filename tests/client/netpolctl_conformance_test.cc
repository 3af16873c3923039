// Runs `netpolctl eval` on every case of tests/conformance (see
// tests/support/conformance_cases.h). Cases are listed when the test binary
// starts, so new directories need no rebuild.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/client/netpolctl_runner.h"
#include "tests/support/conformance_cases.h"

namespace netpol::netpolctl::testing {
namespace {

using ::netpol::conformance::ConformanceCase;
using ::netpol::conformance::ExpectedRow;
using ::nlohmann::json;
using ::testing::HasSubstr;

class CliConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CliConformanceTest, EvalMatchesExpected) {
  absl::StatusOr<ConformanceCase> test_case =
      conformance::LoadConformanceCase(GetParam());
  ASSERT_TRUE(test_case.ok()) << test_case.status();
  const std::string& cluster = test_case->cluster_path;

  if (test_case->expect_error.has_value()) {
    RunResult result = RunNetpolctl({"eval", "--manifests", cluster});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_THAT(result.err, HasSubstr(*test_case->expect_error));
    return;
  }

  const std::vector<ExpectedRow>& expected = test_case->rows;
  std::string input;
  for (const ExpectedRow& row : expected) {
    json query = {{"src", row.src},
                  {"dst", row.dst},
                  {"port", row.port},
                  {"protocol", row.protocol}};
    absl::StrAppend(&input, query.dump(), "\n");
  }
  RunResult result = RunNetpolctl({"eval", "--manifests", cluster}, input);
  ASSERT_NE(result.exit_code, 2) << result.err;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), expected.size()) << result.out << result.err;

  std::vector<std::string> failures;
  for (size_t i = 0; i < expected.size(); ++i) {
    const ExpectedRow& row = expected[i];
    std::string where =
        absl::StrCat("row ", i, " (", conformance::Describe(row), ")");
    json got = json::parse(lines[i], nullptr, /*allow_exceptions=*/false);
    if (!got.is_object() || !got.contains("allowed")) {
      failures.push_back(absl::StrCat(where, ": ", lines[i]));
      continue;
    }
    if (got["allowed"] != row.allowed) {
      failures.push_back(absl::StrCat(
          where, ": expected ", row.allowed ? "allow" : "deny", ", got ",
          lines[i], row.why.empty() ? "" : absl::StrCat(" -- ", row.why)));
    }
  }
  EXPECT_TRUE(failures.empty())
      << failures.size() << " of " << expected.size() << " rows differ:\n"
      << absl::StrJoin(failures, "\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliConformanceTest,
    ::testing::ValuesIn(conformance::ConformanceCaseNames()),
    [](const ::testing::TestParamInfo<std::string>& info) {
      return conformance::GtestSafeName(info.param);
    });
// An empty tests/conformance is not an error of this test.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CliConformanceTest);

}  // namespace
}  // namespace netpol::netpolctl::testing
