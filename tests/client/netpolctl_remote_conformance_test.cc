// Runs every case of tests/conformance through `netpolctl --server` against
// a live netpol-pdp and requires the output, explanations and exit codes of
// the offline mode, byte for byte. Cases expecting invalid manifests are
// pushed with `snapshot apply`, which must report the offline errors.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/client/netpolctl_runner.h"
#include "tests/server/integration/server_process.h"
#include "tests/support/conformance_cases.h"

namespace netpol::netpolctl::testing {
namespace {

using ::netpol::conformance::ConformanceCase;
using ::netpol::conformance::ExpectedRow;
using ::nlohmann::json;
using ::testing::HasSubstr;

// The cluster every server of an invalid-manifests case starts with.
constexpr char kValidCluster[] = R"(apiVersion: v1
kind: Namespace
metadata:
  name: x
)";

// Every row as a query line, plus lines the client answers locally (bad
// JSON, a bad port) and one the server rejects (an unknown pod), so the
// error paths are compared too.
std::string QueryLines(const std::vector<ExpectedRow>& rows) {
  std::string input = "not json\n";
  for (const ExpectedRow& row : rows) {
    json query = {{"src", row.src},
                  {"dst", row.dst},
                  {"port", row.port},
                  {"protocol", row.protocol}};
    absl::StrAppend(&input, query.dump(), "\n");
  }
  if (!rows.empty()) {
    absl::StrAppend(
        &input,
        json({{"src", rows[0].src}, {"dst", rows[0].dst}, {"port", 0}}).dump(),
        "\n",
        json({{"src", "no-such/pod"},
              {"dst", rows[0].dst},
              {"port", rows[0].port}})
            .dump(),
        "\n");
  }
  return input;
}

void ExpectSameRun(const RunResult& remote, const RunResult& offline,
                   absl::string_view what) {
  EXPECT_EQ(remote.out, offline.out)
      << what << "\nremote stderr: " << remote.err;
  EXPECT_EQ(remote.exit_code, offline.exit_code)
      << what << "\nremote stderr: " << remote.err
      << "\noffline stderr: " << offline.err;
}

class RemoteConformanceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RemoteConformanceTest, RemoteOutputEqualsOffline) {
  absl::StatusOr<ConformanceCase> test_case =
      conformance::LoadConformanceCase(GetParam());
  ASSERT_TRUE(test_case.ok()) << test_case.status();
  const std::string& cluster = test_case->cluster_path;

  if (test_case->expect_error.has_value()) {
    const std::string dir = MakeTestDir();
    absl::StatusOr<std::unique_ptr<integration::ServerProcess>> server =
        integration::ServerProcess::Start(
            {"--manifests=" +
             std::string(WriteFile(dir, "valid.yaml", kValidCluster))});
    ASSERT_TRUE(server.ok()) << server.status();
    RunResult applied =
        RunNetpolctl({"snapshot", "apply", "--manifests", cluster, "--admin",
                      (*server)->admin_address()});
    EXPECT_EQ(applied.exit_code, 2) << applied.err;
    EXPECT_EQ(applied.out, "");
    EXPECT_THAT(applied.err, HasSubstr(*test_case->expect_error));
    // The manifest errors, as the offline mode prints them.
    RunResult offline = RunNetpolctl({"validate", "--manifests", cluster});
    for (const std::string& line : Lines(offline.err)) {
      if (absl::StartsWith(line, "netpolctl ")) continue;
      EXPECT_THAT(applied.err, HasSubstr(line));
    }
    return;
  }

  absl::StatusOr<std::unique_ptr<integration::ServerProcess>> server =
      integration::ServerProcess::Start(
          {"--manifests=" + std::string(cluster)});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string& address = (*server)->data_address();
  const std::string input = QueryLines(test_case->rows);

  for (bool explain : {false, true}) {
    std::vector<std::string> offline_args = {"eval", "--manifests", cluster};
    std::vector<std::string> remote_args = {"eval", "--server", address};
    if (explain) {
      offline_args.push_back("--explain");
      remote_args.push_back("--explain");
    }
    RunResult offline = RunNetpolctl(offline_args, input);
    ASSERT_EQ(offline.exit_code, 1) << offline.err;  // the invalid lines
    ExpectSameRun(RunNetpolctl(remote_args, input), offline,
                  explain ? "eval --explain" : "eval");
  }

  // check, on the first and last rows, with the server flag leading.
  if (test_case->rows.empty()) return;
  for (const ExpectedRow* row :
       {&test_case->rows.front(), &test_case->rows.back()}) {
    const std::vector<std::string> connection = {
        "--src",      row->src,      "--dst",
        row->dst,     "--port",      absl::StrCat(row->port),
        "--protocol", row->protocol, "--explain"};
    std::vector<std::string> offline_args = {"check", "--manifests", cluster};
    std::vector<std::string> remote_args = {"--server", address, "check"};
    offline_args.insert(offline_args.end(), connection.begin(),
                        connection.end());
    remote_args.insert(remote_args.end(), connection.begin(), connection.end());
    ExpectSameRun(RunNetpolctl(remote_args), RunNetpolctl(offline_args),
                  absl::StrCat("check ", conformance::Describe(*row)));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, RemoteConformanceTest,
    ::testing::ValuesIn(conformance::ConformanceCaseNames()),
    [](const ::testing::TestParamInfo<std::string>& info) {
      return conformance::GtestSafeName(info.param);
    });
// An empty tests/conformance is not an error of this test.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RemoteConformanceTest);

}  // namespace
}  // namespace netpol::netpolctl::testing
