// Runs `netpolctl eval` on every case of tests/conformance: a directory
// with cluster.yaml, expected.json (rows of {src, dst, port, protocol,
// allowed, ...}) and optionally meta.json, whose "expect_error" is a phrase
// the load error must contain. Cases are listed when the test binary
// starts, so new directories need no rebuild.

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/client/netpolctl_runner.h"

namespace netpol::netpolctl::testing {
namespace {

using ::nlohmann::json;
using ::testing::HasSubstr;

namespace fs = std::filesystem;

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  std::error_code error;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(CONFORMANCE_DIR, error)) {
    if (entry.is_directory() && fs::exists(entry.path() / "cluster.yaml")) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

json ReadJson(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
}

std::string DescribeRow(const json& row) {
  return absl::StrCat(row.value("src", "?"), " -> ", row.value("dst", "?"), " ",
                      row.value("protocol", "TCP"), "/", row.value("port", 0));
}

class CliConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(CliConformanceTest, EvalMatchesExpected) {
  const fs::path dir = fs::path(CONFORMANCE_DIR) / GetParam();
  const std::string cluster = (dir / "cluster.yaml").string();
  json meta = json::object();
  if (fs::exists(dir / "meta.json")) {
    meta = ReadJson(dir / "meta.json");
    ASSERT_TRUE(meta.is_object()) << "meta.json is not a JSON object";
  }

  if (meta.contains("expect_error")) {
    ASSERT_TRUE(meta["expect_error"].is_string());
    RunResult result = RunNetpolctl({"eval", "--manifests", cluster});
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_THAT(result.err, HasSubstr(meta["expect_error"].get<std::string>()));
    return;
  }

  json expected = ReadJson(dir / "expected.json");
  ASSERT_TRUE(expected.is_array()) << "expected.json is not a JSON array";
  std::string input;
  for (const json& row : expected) {
    ASSERT_TRUE(row.is_object() && row.contains("allowed") &&
                row["allowed"].is_boolean())
        << "bad row in expected.json: " << row.dump();
    json query = json::object();
    for (const char* key : {"src", "dst", "port", "protocol"}) {
      if (row.contains(key)) query[key] = row[key];
    }
    absl::StrAppend(&input, query.dump(), "\n");
  }
  RunResult result = RunNetpolctl({"eval", "--manifests", cluster}, input);
  ASSERT_NE(result.exit_code, 2) << result.err;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), expected.size()) << result.out << result.err;

  std::vector<std::string> failures;
  for (size_t i = 0; i < expected.size(); ++i) {
    const json& row = expected[i];
    std::string where = absl::StrCat("row ", i, " (", DescribeRow(row), ")");
    json got = json::parse(lines[i], nullptr, /*allow_exceptions=*/false);
    if (!got.is_object() || !got.contains("allowed")) {
      failures.push_back(absl::StrCat(where, ": ", lines[i]));
      continue;
    }
    if (got["allowed"] != row["allowed"]) {
      failures.push_back(absl::StrCat(
          where, ": expected ", row["allowed"].get<bool>() ? "allow" : "deny",
          ", got ", lines[i],
          row.contains("why") ? absl::StrCat(" -- ", row["why"].dump()) : ""));
    }
  }
  EXPECT_TRUE(failures.empty())
      << failures.size() << " of " << expected.size() << " rows differ:\n"
      << absl::StrJoin(failures, "\n");
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

// GoogleTest names allow only letters, digits and '_'.
std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cases, CliConformanceTest,
                         ::testing::ValuesIn(CaseNames()), TestName);
// An empty tests/conformance is not an error of this test.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CliConformanceTest);

}  // namespace
}  // namespace netpol::netpolctl::testing
