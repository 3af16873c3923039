#ifndef NETPOL_LOAD_TESTS_LOADGEN_ADMIN_CHURN_H_
#define NETPOL_LOAD_TESTS_LOADGEN_ADMIN_CHURN_H_

// Publishes a new snapshot version at a fixed interval while a load runs,
// rolling back and forth between two retained versions through
// SnapshotAdmin.Rollback, to measure the data plane under publication.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace netpol::loadgen {

class AdminChurn {
 public:
  // Finds the live version through `data_channel` (GetSnapshot), then starts
  // publishing on a thread of its own.
  static absl::StatusOr<std::unique_ptr<AdminChurn>> Start(
      std::shared_ptr<grpc::Channel> data_channel,
      const std::string& admin_target, std::chrono::milliseconds interval);
  ~AdminChurn();  // stops and joins

  void Stop();
  int64_t publishes() const { return publishes_.load(); }
  int64_t errors() const { return errors_.load(); }

 private:
  AdminChurn(std::shared_ptr<grpc::Channel> admin_channel, uint64_t live,
             uint64_t other, std::chrono::milliseconds interval);
  void Run();

  std::shared_ptr<grpc::Channel> admin_channel_;
  // Rolling back to `other_` makes a new live version with its content; the
  // version it replaced is the next one to go back to.
  uint64_t live_;
  uint64_t other_;
  const std::chrono::milliseconds interval_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> publishes_{0};
  std::atomic<int64_t> errors_{0};
  std::thread thread_;
};

}  // namespace netpol::loadgen

#endif  // NETPOL_LOAD_TESTS_LOADGEN_ADMIN_CHURN_H_
