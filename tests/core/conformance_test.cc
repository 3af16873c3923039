// Runs every case directory under tests/conformance/ (found at run time, so
// cases added after the build are picked up):
//   cluster.yaml   manifests, loaded with ManifestLoader
//   expected.json  [{src, dst, port, protocol, allowed, why?}, ...]
//   meta.json      optional; {"expect_error": "<phrase>"} means loading
//                  must fail with a message containing the phrase.

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"
#include "core/decision.h"
#include "core/manifest_loader.h"
#include "core/protocol.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

#ifndef NETPOL_CONFORMANCE_DIR
#error "NETPOL_CONFORMANCE_DIR must name tests/conformance"
#endif

namespace netpol {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

fs::path ConformanceDir() {
  if (const char* dir = std::getenv("NETPOL_CONFORMANCE_DIR"); dir && *dir) {
    return dir;
  }
  return NETPOL_CONFORMANCE_DIR;
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(ConformanceDir(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_directory()) continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// gtest parameter names allow only [A-Za-z0-9_].
std::string TestName(const std::string& dir) {
  std::string out;
  for (char c : dir) {
    out.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  }
  return out;
}

class ConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ConformanceTest, MatchesExpectations) {
  const fs::path dir = ConformanceDir() / GetParam();
  const fs::path cluster_path = dir / "cluster.yaml";
  ASSERT_TRUE(fs::exists(cluster_path)) << cluster_path;

  nlohmann::json meta = nlohmann::json::object();
  if (fs::exists(dir / "meta.json")) {
    meta = nlohmann::json::parse(ReadFile(dir / "meta.json"), nullptr,
                                 /*allow_exceptions=*/false);
    ASSERT_FALSE(meta.is_discarded()) << "meta.json is not valid JSON";
  }

  ManifestLoader loader;
  loader.AddPath(cluster_path.string());
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();

  if (meta.is_object() && meta.contains("expect_error")) {
    const std::string phrase = meta["expect_error"].get<std::string>();
    ASSERT_FALSE(cluster.ok()) << "loading should fail with: " << phrase;
    EXPECT_THAT(std::string(cluster.status().message()), HasSubstr(phrase));
    return;
  }
  ASSERT_TRUE(cluster.ok()) << cluster.status();

  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
      CompiledSnapshot::Compile(*std::move(cluster));
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();

  const fs::path expected_path = dir / "expected.json";
  ASSERT_TRUE(fs::exists(expected_path)) << expected_path;
  nlohmann::json rows = nlohmann::json::parse(ReadFile(expected_path), nullptr,
                                              /*allow_exceptions=*/false);
  ASSERT_FALSE(rows.is_discarded()) << "expected.json is not valid JSON";
  ASSERT_TRUE(rows.is_array()) << "expected.json must be a list";

  int failures = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const nlohmann::json& row = rows[i];
    const std::string where =
        absl::StrCat("expected.json row ", i, ": ", row.dump());
    ASSERT_TRUE(row.is_object() && row.contains("src") && row.contains("dst") &&
                row.contains("port") && row.contains("allowed"))
        << where;
    std::optional<Endpoint> src = ParseEndpoint(row["src"].get<std::string>());
    std::optional<Endpoint> dst = ParseEndpoint(row["dst"].get<std::string>());
    ASSERT_TRUE(src.has_value() && dst.has_value()) << where;
    std::optional<Protocol> protocol = Protocol::kTcp;
    if (row.contains("protocol")) {
      protocol = ParseProtocol(row["protocol"].get<std::string>());
    }
    ASSERT_TRUE(protocol.has_value()) << where;
    Connection connection{*src, *dst, row["port"].get<uint32_t>(), *protocol};
    absl::StatusOr<Decision> decision = (*snapshot)->Decide(connection);
    ASSERT_TRUE(decision.ok()) << where << ": " << decision.status();
    const bool allowed = row["allowed"].get<bool>();
    if (decision->allowed != allowed) {
      ++failures;
      std::string why;
      if (absl::StatusOr<Explanation> e = (*snapshot)->Explain(connection);
          e.ok()) {
        why = e->ToText();
      }
      ADD_FAILURE() << where << "\n  expected "
                    << (allowed ? "allowed" : "denied") << ", got "
                    << (decision->allowed ? "allowed" : "denied") << " ("
                    << ReasonName(decision->reason) << ")\n"
                    << why;
    }
  }
  if (failures > 0) {
    ADD_FAILURE() << failures << " of " << rows.size() << " rows differ in "
                  << dir.string();
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ConformanceTest,
                         ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return TestName(info.param);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ConformanceTest);

TEST(ConformanceSuiteTest, HasCases) {
  EXPECT_FALSE(CaseNames().empty()) << "no cases under " << ConformanceDir();
}

}  // namespace
}  // namespace netpol
