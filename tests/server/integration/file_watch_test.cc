// --watch: a changed manifest file or ConfigMap-style directory is
// republished as the next version; a change that does not load is rejected
// (logged and counted) while the live version keeps serving. An invalid
// admin push is rejected the same way.

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/scrape_metrics.h"
#include "tests/server/integration/server_process.h"
#include "tests/server/integration/test_cluster.h"

namespace netpol::integration {
namespace {

namespace pb = ::netpol::v1;

pb::Verdict Verdict81(pb::PolicyDecisionPoint::Stub& stub) {
  pb::CheckConnectionResponse response;
  grpc::Status status = CheckOne(stub, PodConnection("b", "a", 81), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.decisions_size() == 1 ? response.decisions(0).verdict()
                                        : pb::VERDICT_UNSPECIFIED;
}

size_t LineCount(const std::string& text) {
  return std::count(text.begin(), text.end(), '\n');
}

double Rejected(const ServerProcess& server) {
  return ScrapeSum(server, "netpol_snapshot_reloads_total",
                   {{"result", "rejected"}});
}

TEST(FileWatchTest, RejectedReloadKeepsLiveVersion) {
  const std::string dir = MakeTestDir();
  const std::string path = dir + "/cluster.yaml";
  WriteFileAtomically(path, TestCluster({80}));
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({"--manifests=" + path, "--watch"});
  ASSERT_TRUE(server.ok()) << server.status();
  ServerProcess& pdp = **server;
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data = pdp.DecisionStub();
  ASSERT_EQ(LiveVersion(*data), 1u);
  const size_t log_lines = LineCount(pdp.Stderr());
  const double rejected_before = Rejected(pdp);
  EXPECT_GE(rejected_before, 0)
      << "netpol_snapshot_reloads_total{result=\"rejected\"} missing";

  WriteFileAtomically(path, kUnparsableYaml);
  EXPECT_TRUE(WaitUntil([&] { return Rejected(pdp) >= rejected_before + 1; }))
      << "the rejected reload was not counted";
  EXPECT_GT(LineCount(pdp.Stderr()), log_lines)
      << "the rejected reload was not logged";
  EXPECT_EQ(LiveVersion(*data), 1u);
  EXPECT_EQ(Verdict81(*data), pb::DENY);

  // Fixing the file publishes version 2.
  WriteFileAtomically(path, TestCluster({80, 81}));
  EXPECT_TRUE(WaitUntil([&] { return LiveVersion(*data) == 2; }));
  EXPECT_EQ(Verdict81(*data), pb::ALLOW);

  // An invalid admin push is rejected and counted too.
  const double rejected_after_file = Rejected(pdp);
  std::unique_ptr<pb::SnapshotAdmin::Stub> admin = pdp.AdminStub();
  pb::ApplySnapshotResponse applied;
  grpc::Status status = Apply(*admin, kPolicyWithTwoErrors, false, &applied);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(LiveVersion(*data), 2u);
  EXPECT_EQ(Verdict81(*data), pb::ALLOW);
  EXPECT_TRUE(
      WaitUntil([&] { return Rejected(pdp) >= rejected_after_file + 1; },
                absl::Seconds(2)))
      << "the rejected admin push was not counted in "
         "netpol_snapshot_reloads_total{result=\"rejected\"}";
}

// A ConfigMap volume as the kubelet writes it:
//   dir/..2026_<n>/cluster.yaml      the data, one directory per update
//   dir/..data -> ..2026_<n>         swapped by rename() of a new symlink
//   dir/cluster.yaml -> ..data/cluster.yaml
class ConfigMapDir {
 public:
  explicit ConfigMapDir(std::string dir) : dir_(std::move(dir)) {}

  void Update(const std::string& content) {
    const std::string stamp = "..2026_" + std::to_string(++updates_);
    std::filesystem::create_directory(dir_ + "/" + stamp);
    WriteFileAtomically(dir_ + "/" + stamp + "/cluster.yaml", content);
    const std::string tmp = dir_ + "/..data_tmp";
    ASSERT_EQ(symlink(stamp.c_str(), tmp.c_str()), 0) << std::strerror(errno);
    ASSERT_EQ(std::rename(tmp.c_str(), (dir_ + "/..data").c_str()), 0)
        << std::strerror(errno);
    if (updates_ == 1) {
      ASSERT_EQ(
          symlink("..data/cluster.yaml", (dir_ + "/cluster.yaml").c_str()), 0)
          << std::strerror(errno);
    }
  }

 private:
  std::string dir_;
  int updates_ = 0;
};

TEST(FileWatchTest, ConfigMapSymlinkSwapPublishesNextVersion) {
  const std::string dir = MakeTestDir() + "/config";
  std::filesystem::create_directory(dir);
  ConfigMapDir config_map(dir);
  ASSERT_NO_FATAL_FAILURE(config_map.Update(TestCluster({80})));
  absl::StatusOr<std::unique_ptr<ServerProcess>> server =
      ServerProcess::Start({"--manifests=" + dir, "--watch"});
  ASSERT_TRUE(server.ok()) << server.status();
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data =
      (*server)->DecisionStub();
  pb::GetSnapshotResponse snapshots;
  ASSERT_TRUE(GetSnapshot(*data, &snapshots).ok());
  ASSERT_EQ(snapshots.current_version(), 1u);
  ASSERT_EQ(snapshots.retained_size(), 1);
  EXPECT_EQ(snapshots.retained(0).pods(), 3u) << "read once, not per path";
  EXPECT_EQ(Verdict81(*data), pb::DENY);

  ASSERT_NO_FATAL_FAILURE(config_map.Update(TestCluster({80, 81})));
  ASSERT_TRUE(WaitUntil([&] { return LiveVersion(*data) == 2; }))
      << "version after the first swap: " << LiveVersion(*data);
  EXPECT_EQ(Verdict81(*data), pb::ALLOW);

  // A second swap proves the watch survived the first.
  ASSERT_NO_FATAL_FAILURE(config_map.Update(TestCluster({80})));
  ASSERT_TRUE(WaitUntil([&] { return LiveVersion(*data) == 3; }))
      << "version after the second swap: " << LiveVersion(*data);
  EXPECT_EQ(Verdict81(*data), pb::DENY);
}

}  // namespace
}  // namespace netpol::integration
