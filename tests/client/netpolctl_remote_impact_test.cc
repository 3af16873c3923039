// netpolctl impact and diff against a live netpol-pdp serving the shop
// cluster: the output (and exit code, and error text) must be exactly what
// the offline commands print for the same states.

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/client/netpolctl_runner.h"
#include "tests/server/integration/server_process.h"

namespace netpol::netpolctl::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kShop = NETPOL_SOURCE_DIR "/deploy/examples/shop";
// The README's example change: the API pods relabelled.
const std::string kRelabelApi =
    NETPOL_SOURCE_DIR "/deploy/examples/shop-changes/relabel-api.yaml";
const std::string kData = NETPOL_SOURCE_DIR "/tests/client/testdata/impact/";
const std::string kDenyEgress = kData + "monitoring-deny-egress.yaml";

std::vector<std::string> Concat(std::vector<std::string> a,
                                const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

class RemoteImpactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<integration::ServerProcess>> server =
        integration::ServerProcess::Start({"--manifests=" + kShop});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  const std::string& data() const { return server_->data_address(); }

  // Runs `args` offline and against the server (with `remote_args` in
  // place of `offline_args`) and expects the same exit code and output.
  void ExpectSameOutput(const std::vector<std::string>& args,
                        const std::vector<std::string>& offline_args,
                        const std::vector<std::string>& remote_args) {
    RunResult offline = RunNetpolctl(Concat(args, offline_args));
    RunResult remote = RunNetpolctl(Concat(args, remote_args));
    EXPECT_EQ(remote.exit_code, offline.exit_code) << remote.err;
    EXPECT_EQ(remote.out, offline.out);
    EXPECT_EQ(remote.err, offline.err);
    EXPECT_THAT(offline.out, Not(IsEmpty()));
  }

  std::unique_ptr<integration::ServerProcess> server_;
};

TEST_F(RemoteImpactTest, ImpactPrintsWhatOfflinePrints) {
  const std::vector<std::vector<std::string>> cases = {
      {"--proposed", kRelabelApi},
      {"--proposed", kRelabelApi, "--fail-on", "newly-denied"},
      {"--proposed", kRelabelApi, "--format", "json",
       "--samples", "2"},
      {"--proposed", kData + "delete-db-policy.yaml", "--format", "csv"},
      {"--proposed", kData + "delete-db-policy.yaml", "--format", "md",
       "--max-flips", "3", "--fail-on", "any"},
      {"--proposed", kData + "add-api-pod.yaml", "--fail-on", "any"},
      {"--proposed", kData + "relabel-noop.yaml", "--samples", "5"},
      {"--proposed", kDenyEgress, "--samples", "1"},
  };
  for (const std::vector<std::string>& flags : cases) {
    SCOPED_TRACE(flags[1]);
    ExpectSameOutput(Concat({"impact"}, flags), {"--manifests", kShop},
                     {"--server", data()});
  }
}

TEST_F(RemoteImpactTest, InvalidChangeFailsAlikeWithEveryProblem) {
  RunResult remote = RunNetpolctl(
      {"impact", "--server", data(), "--proposed", kData + "typos.yaml"});
  EXPECT_EQ(remote.exit_code, 2);
  EXPECT_THAT(remote.err,
              HasSubstr("typos.yaml: document 1: changes[1]."
                        "deleteNetworkPolicy: NetworkPolicy prod/db-polcy does "
                        "not exist\n"));
  RunResult offline = RunNetpolctl(
      {"impact", "--manifests", kShop, "--proposed", kData + "typos.yaml"});
  EXPECT_EQ(remote.err, offline.err);
  EXPECT_THAT(remote.out, IsEmpty());
}

TEST_F(RemoteImpactTest, RetainedVersionsCompareAsManifestSets) {
  RunResult apply =
      RunNetpolctl({"snapshot", "apply", "--admin", server_->admin_address(),
                    "--manifests", kShop, "--manifests", kDenyEgress});
  ASSERT_EQ(apply.exit_code, 0) << apply.err;
  ASSERT_THAT(apply.out, HasSubstr("version 2 (live)"));

  // Version 1 is the shop as offline --manifests loads it.
  ExpectSameOutput({"impact", "--proposed", kRelabelApi},
                   {"--manifests", kShop},
                   {"--server", data(), "--version", "1"});
  // The live version 2 has the extra policy.
  ExpectSameOutput({"impact", "--proposed", kData + "delete-db-policy.yaml"},
                   {"--manifests", kShop, "--manifests", kDenyEgress},
                   {"--server", data()});
  for (const char* format : {"text", "json"}) {
    ExpectSameOutput(
        {"diff", "--format", format, "--fail-on", "newly-denied"},
        {"--manifests", kShop, "--manifests-b", kShop, "--manifests-b",
         kDenyEgress},
        {"--server", data(), "--version", "1", "--version-b", "2"});
    // Without --version: the live one (2) is "before".
    ExpectSameOutput({"diff", "--format", format},
                     {"--manifests", kShop, "--manifests", kDenyEgress,
                      "--manifests-b", kShop},
                     {"--server", data(), "--version-b", "1"});
  }

  RunResult missing =
      RunNetpolctl({"diff", "--server", data(), "--version-b", "9"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("other_version 9 is not retained"));
  EXPECT_THAT(missing.err, HasSubstr("(NOT_FOUND)"));
  EXPECT_THAT(missing.out, IsEmpty());
}

TEST_F(RemoteImpactTest, ServerTakesOneChangeFile) {
  RunResult result = RunNetpolctl({"impact", "--server", data(), "--proposed",
                                   kRelabelApi, "--proposed",
                                   kData + "add-api-pod.yaml"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err,
              HasSubstr("--server takes one --proposed file; 2 found"));
}

TEST(RemoteImpactUnreachableTest, ExitsTwoNamingTheServer) {
  const std::string address = integration::UnusedLoopbackAddress();
  RunResult result =
      RunNetpolctl({"impact", "--server", address, "--timeout", "2s",
                    "--proposed", kRelabelApi});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(
      result.err,
      HasSubstr("netpolctl impact: cannot reach netpol-pdp at " + address));
  EXPECT_THAT(result.out, IsEmpty());
}

}  // namespace
}  // namespace netpol::netpolctl::testing
