#ifndef NETPOL_TESTS_CLIENT_LIB_TEST_PDP_SERVER_H_
#define NETPOL_TESTS_CLIENT_LIB_TEST_PDP_SERVER_H_

// An in-process netpol.v1 PolicyDecisionPoint (the real DecisionService) on
// 127.0.0.1 with an ephemeral port, and the tests' two-pod cluster.

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/snapshot_store.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/decision_service.h"
#include "tests/core/test_util.h"

namespace netpol::client::client_testing {

// x/a (10.0.1.10) and x/b (10.0.1.11); b accepts a on TCP 80 only.
inline std::shared_ptr<const CompiledSnapshot> TwoPodSnapshot() {
  using testing_util::NamespaceYaml;
  using testing_util::PodYaml;
  return testing_util::CompileYaml(absl::StrCat(
      NamespaceYaml("x"), PodYaml("x", "a", "{app: a}", "10.0.1.10"),
      PodYaml("x", "b", "{app: b}", "10.0.1.11"),
      testing_util::BFromAPolicyYaml()));
}

class TestPdpServer {
 public:
  // Publishes TwoPodSnapshot() `versions` times (0: no snapshot, so the
  // service answers UNAVAILABLE until Publish()).
  explicit TestPdpServer(int versions = 1)
      : service_(store_, server::BatchLimits{}, nullptr) {
    for (int i = 0; i < versions; ++i) Publish();
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    EXPECT_NE(port_, 0);
  }
  ~TestPdpServer() { Stop(); }

  void Publish() { store_.Publish(TwoPodSnapshot(), "client test"); }
  // Open streams are cancelled after a short grace period.
  void Stop() {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(100));
    }
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  SnapshotStore store_{4};
  server::DecisionService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace netpol::client::client_testing

#endif  // NETPOL_TESTS_CLIENT_LIB_TEST_PDP_SERVER_H_
