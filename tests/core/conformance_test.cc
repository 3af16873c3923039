// Runs every case directory under tests/conformance/ (found at run time, so
// cases added after the build are picked up):
//   cluster.yaml   manifests, loaded with ManifestLoader
//   expected.json  [{src, dst, port, protocol, allowed, why?}, ...]
//   meta.json      optional; {"expect_error": "<phrase>"} means loading
//                  must fail with a message containing the phrase.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/manifest_loader.h"
#include "core/protocol.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/conformance_cases.h"

namespace netpol {
namespace {

using ::netpol::conformance::ConformanceCase;
using ::netpol::conformance::ConformanceCaseNames;
using ::netpol::conformance::ConformanceDir;
using ::netpol::conformance::ExpectedRow;
using ::testing::HasSubstr;

class ConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, MatchesExpectations) {
  absl::StatusOr<ConformanceCase> test_case =
      conformance::LoadConformanceCase(GetParam());
  ASSERT_TRUE(test_case.ok()) << test_case.status();

  ManifestLoader loader;
  loader.AddPath(test_case->cluster_path);
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();

  if (test_case->expect_error.has_value()) {
    const std::string& phrase = *test_case->expect_error;
    ASSERT_FALSE(cluster.ok()) << "loading should fail with: " << phrase;
    EXPECT_THAT(std::string(cluster.status().message()), HasSubstr(phrase));
    return;
  }
  ASSERT_TRUE(cluster.ok()) << cluster.status();

  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
      CompiledSnapshot::Compile(*std::move(cluster));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();

  const std::vector<ExpectedRow>& rows = test_case->rows;
  int failures = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const ExpectedRow& row = rows[i];
    const std::string where =
        absl::StrCat("expected.json row ", i, ": ", conformance::Describe(row));
    std::optional<Endpoint> src = ParseEndpoint(row.src);
    std::optional<Endpoint> dst = ParseEndpoint(row.dst);
    ASSERT_TRUE(src.has_value() && dst.has_value()) << where;
    std::optional<Protocol> protocol = ParseProtocol(row.protocol);
    ASSERT_TRUE(protocol.has_value()) << where;
    Connection connection{*src, *dst, row.port, *protocol};
    absl::StatusOr<Decision> decision = (*snapshot)->Decide(connection);
    ASSERT_TRUE(decision.ok()) << where << ": " << decision.status();
    if (decision->allowed != row.allowed) {
      ++failures;
      std::string why;
      if (absl::StatusOr<Explanation> e = (*snapshot)->Explain(connection);
          e.ok()) {
        why = e->ToText();
      }
      ADD_FAILURE() << where << "\n  expected "
                    << (row.allowed ? "allowed" : "denied") << ", got "
                    << (decision->allowed ? "allowed" : "denied") << " ("
                    << ReasonName(decision->reason) << ")\n"
                    << why;
    }
  }
  if (failures > 0) {
    ADD_FAILURE() << failures << " of " << rows.size() << " rows differ in "
                  << test_case->dir.string();
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ConformanceTest,
                         ::testing::ValuesIn(ConformanceCaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return conformance::GtestSafeName(info.param);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConformanceTest);

TEST(ConformanceSuiteTest, HasCases) {
  EXPECT_FALSE(ConformanceCaseNames().empty())
      << "no cases under " << ConformanceDir();
}

}  // namespace
}  // namespace netpol
