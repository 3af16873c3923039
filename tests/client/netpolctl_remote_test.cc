// netpolctl against a live netpol-pdp: snapshot info/apply/rollback, eval
// in many batches, unreachable servers and the remote flags' usage errors.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/netpolctl_runner.h"
#include "tests/server/integration/server_process.h"

namespace netpol::netpolctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kShop = NETPOL_SOURCE_DIR "/deploy/examples/shop";

// Two pods, ingress to b denied.
constexpr char kDenyCluster[] = R"(apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
status: {podIP: 10.9.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
status: {podIP: 10.9.0.2}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-b, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
)";

constexpr char kInvalidCluster[] = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: x}
spec:
  podSelector: {}
  ingress:
  - from:
    - ipBlock: {cidr: 10.0.0.0/33}
    - ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}
)";

class RemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<integration::ServerProcess>> server =
        integration::ServerProcess::Start(
            {"--manifests=" + std::string(kShop)});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  const std::string& data() const { return server_->data_address(); }
  const std::string& admin() const { return server_->admin_address(); }

  std::unique_ptr<integration::ServerProcess> server_;
};

TEST_F(RemoteTest, SnapshotInfoApplyDryRunAndRollback) {
  RunResult info = RunNetpolctl({"snapshot", "info", "--server", data()});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_THAT(info.out, StartsWith("live version 1\n\nversion 1 (live)\n"));
  EXPECT_THAT(info.out, HasSubstr("2 namespaces, 5 pods, 3 network policies"));
  EXPECT_THAT(info.out, HasSubstr("source    files: "));

  const std::string dir = MakeTestDir();
  const std::string deny = WriteFile(dir, "deny.yaml", kDenyCluster);
  RunResult dry_run = RunNetpolctl({"--admin", admin(), "snapshot", "apply",
                                    "--manifests", deny, "--dry-run"});
  ASSERT_EQ(dry_run.exit_code, 0) << dry_run.err;
  EXPECT_THAT(dry_run.out, StartsWith("valid (dry run, nothing published)\n"
                                      "version 0\n"));
  EXPECT_THAT(dry_run.out,
              HasSubstr("1 namespaces, 2 pods, 1 network policies"));
  info = RunNetpolctl({"snapshot", "info", "--server", data()});
  EXPECT_THAT(info.out, StartsWith("live version 1\n"));

  RunResult applied =
      RunNetpolctl({"snapshot", "apply", "--manifests", deny, "--admin",
                    admin(), "--description", "ci-42"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  EXPECT_THAT(applied.out, StartsWith("published\nversion 2 (live)\n"));
  EXPECT_THAT(applied.out, HasSubstr("source    admin push: ci-42\n"));

  // The pushed cluster answers, exactly as offline.
  const std::string query = R"({"src": "x/a", "dst": "x/b", "port": 80})"
                            "\n";
  RunResult remote = RunNetpolctl({"eval", "--server", data()}, query);
  EXPECT_EQ(remote.out, R"({"allowed":false,"reason":"DENIED_INGRESS"})"
                        "\n");
  EXPECT_EQ(remote.out, RunNetpolctl({"eval", "--manifests", deny}, query).out);

  RunResult rolled_back =
      RunNetpolctl({"snapshot", "rollback", "1", "--admin", admin()});
  ASSERT_EQ(rolled_back.exit_code, 0) << rolled_back.err;
  EXPECT_THAT(rolled_back.out,
              StartsWith("rolled back to 1\nversion 3 (live)\n"));
  EXPECT_THAT(rolled_back.out, HasSubstr("source    rollback to 1\n"));
  remote = RunNetpolctl({"eval", "--server", data()}, query);
  EXPECT_THAT(remote.out, HasSubstr("unknown pod x/a"));

  info = RunNetpolctl({"snapshot", "info", "--server", data()});
  EXPECT_THAT(info.out, StartsWith("live version 3\n\nversion 3 (live)\n"));
  EXPECT_THAT(info.out, HasSubstr("\nversion 2\n"));
  EXPECT_THAT(info.out, HasSubstr("\nversion 1\n"));

  RunResult missing =
      RunNetpolctl({"snapshot", "rollback", "99", "--admin", admin()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("not retained"));
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND"));
}

TEST_F(RemoteTest, ApplyOfInvalidManifestsPrintsEveryErrorAndKeepsServing) {
  const std::string dir = MakeTestDir();
  const std::string bad = WriteFile(dir, "bad.yaml", kInvalidCluster);
  for (bool dry_run : {true, false}) {
    std::vector<std::string> args = {"snapshot", "apply",   "--manifests",
                                     bad,        "--admin", admin()};
    if (dry_run) args.push_back("--dry-run");
    RunResult applied = RunNetpolctl(args);
    EXPECT_EQ(applied.exit_code, 2);
    EXPECT_EQ(applied.out, "");
    // Both errors, each naming the file and field, as offline validate.
    RunResult offline = RunNetpolctl({"validate", "--manifests", bad});
    ASSERT_EQ(offline.exit_code, 2);
    std::vector<std::string> offline_errors = Lines(offline.err);
    offline_errors.pop_back();  // "netpolctl validate: 2 ..." summary
    ASSERT_EQ(offline_errors.size(), 2u) << offline.err;
    std::vector<std::string> remote_errors = Lines(applied.err);
    ASSERT_EQ(remote_errors.size(), 3u) << applied.err;
    EXPECT_EQ(remote_errors[0], offline_errors[0]);
    EXPECT_EQ(remote_errors[1], offline_errors[1]);
    EXPECT_THAT(remote_errors[2], HasSubstr("2 manifest error(s)"));
  }
  RunResult info = RunNetpolctl({"snapshot", "info", "--server", data()});
  EXPECT_THAT(info.out, StartsWith("live version 1\n"));

  RunResult missing = RunNetpolctl({"snapshot", "apply", "--manifests",
                                    dir + "/absent.yaml", "--admin", admin()});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("absent.yaml: cannot read"));
}

TEST_F(RemoteTest, EvalInManyBatchesKeepsEveryLineInOrder) {
  // Past several batches of 1000, with invalid lines scattered through:
  // answered locally (bad JSON, bad port) and by the server (unknown pod).
  const std::vector<std::string> queries = {
      R"({"src": "prod/api-0", "dst": "prod/db-0", "port": 3306})",
      R"({"src": "prod/web-0", "dst": "prod/db-0", "port": 3306})",
      R"({"src": "10.1.0.10", "dst": "prod/api-0", "port": 8000})",
      R"({"src": "prod/web-0", "dst": "192.0.2.1", "port": 443, "protocol": "UDP"})",
      R"({"src": "prod/web-0", "dst": "prod/web-0", "port": 1})",
  };
  std::string input;
  for (int i = 0; i < 3500; ++i) {
    if (i % 997 == 3) {
      absl::StrAppend(&input, "{broken\n");
    } else if (i % 1013 == 7) {
      absl::StrAppend(&input,
                      R"({"src": "a/b", "dst": "prod/db-0", "port": 1})", "\n");
    } else if (i % 1201 == 11) {
      absl::StrAppend(
          &input, R"({"src": "prod/api-0", "dst": "prod/db-0", "port": 70000})",
          "\n");
    } else {
      absl::StrAppend(&input, queries[i % queries.size()], "\n");
    }
  }
  RunResult offline = RunNetpolctl({"eval", "--manifests", kShop}, input);
  ASSERT_EQ(offline.exit_code, 1) << offline.err;
  ASSERT_EQ(Lines(offline.out).size(), 3500u);
  RunResult remote = RunNetpolctl({"eval", "--server", data()}, input);
  EXPECT_EQ(remote.exit_code, 1) << remote.err;
  EXPECT_EQ(remote.out, offline.out);
  EXPECT_THAT(remote.out, HasSubstr(R"({"error":"line 8: unknown pod a/b"})"));
}

TEST_F(RemoteTest, UsageErrorsOfRemoteFlags) {
  const std::vector<std::vector<std::string>> cases = {
      {"eval", "--server", data(), "--manifests", kShop},
      {"check", "--server", data(), "--no-ipblock-pods", "--src", "1.2.3.4",
       "--dst", "1.2.3.5", "--port", "80"},
      {"eval", "--server", data(), "--timeout", "soon"},
      {"eval", "--manifests", kShop, "--timeout", "1s"},
      {"matrix", "--server", data(), "--port", "80"},
      {"snapshot"},
      {"snapshot", "info"},
      {"snapshot", "rollback", "--admin", admin()},
      {"snapshot", "rollback", "two", "--admin", admin()},
      {"snapshot", "apply", "--admin", admin()},
  };
  for (const std::vector<std::string>& args : cases) {
    RunResult result = RunNetpolctl(args);
    EXPECT_EQ(result.exit_code, 2) << ::testing::PrintToString(args);
    EXPECT_THAT(result.err, Not(IsEmpty()));
    EXPECT_EQ(result.out, "");
  }
}

TEST(RemoteUnreachableTest, EveryRemoteCommandSaysSoAndExits2) {
  const std::string nowhere = integration::UnusedLoopbackAddress();
  const std::string dir = MakeTestDir();
  const std::string deny = WriteFile(dir, "deny.yaml", kDenyCluster);
  const std::vector<std::vector<std::string>> cases = {
      {"eval", "--server", nowhere},
      {"--server", nowhere, "check", "--src", "x/a", "--dst", "x/b", "--port",
       "80"},
      {"snapshot", "info", "--server", nowhere},
      {"snapshot", "apply", "--manifests", deny, "--admin", nowhere},
      {"snapshot", "rollback", "1", "--admin", nowhere, "--timeout", "2s"},
  };
  const std::string query = R"({"src": "x/a", "dst": "x/b", "port": 80})"
                            "\n";
  for (const std::vector<std::string>& args : cases) {
    RunResult result = RunNetpolctl(args, query);
    EXPECT_EQ(result.exit_code, 2) << ::testing::PrintToString(args);
    EXPECT_THAT(result.err,
                HasSubstr(absl::StrCat("cannot reach netpol-pdp at ", nowhere)))
        << ::testing::PrintToString(args);
    EXPECT_EQ(result.out, "");
  }
}

TEST(RemoteHelpTest, HelpDescribesRemoteMode) {
  RunResult help = RunNetpolctl({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("--server ADDR"));
  EXPECT_THAT(help.out, HasSubstr("snapshot rollback"));
  EXPECT_THAT(help.out, HasSubstr("matrix and validate are offline only"));
  for (const char* command : {"eval", "check"}) {
    RunResult usage = RunNetpolctl({command, "--help"});
    EXPECT_THAT(usage.out, HasSubstr("--server ADDR")) << command;
  }
  RunResult usage = RunNetpolctl({"help", "snapshot", "apply"});
  EXPECT_EQ(usage.exit_code, 0);
  EXPECT_THAT(usage.out, HasSubstr("--dry-run"));
}

}  // namespace
}  // namespace netpol::netpolctl::testing
