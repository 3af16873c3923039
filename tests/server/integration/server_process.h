#ifndef NETPOL_TESTS_SERVER_INTEGRATION_SERVER_PROCESS_H_
#define NETPOL_TESTS_SERVER_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "netpol/v1/admin.grpc.pb.h"
#include "netpol/v1/decision.grpc.pb.h"

namespace netpol::integration {

// A fresh directory for the running test under ::testing::TempDir(); all
// of them are removed at exit when every test passed.
std::string MakeTestDir();

// A loopback address nothing listens on (a port bound, then released).
std::string UnusedLoopbackAddress();

// Writes `content` to `path` through a temporary file and rename(), so a
// watching server never reads it half-written.
void WriteFileAtomically(const std::string& path, const std::string& content);

// The built netpol-pdp binary running as a child process, listening on
// ephemeral loopback ports. The destructor always stops it: SIGTERM, then
// SIGKILL if it has not exited in time. On test failure it prints the
// server's stderr.
class ServerProcess {
 public:
  // Starts the binary with loopback port-0 listeners plus `args`, and waits
  // (at most `timeout`) for its ready line on stdout.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::vector<std::string>& args,
      absl::Duration timeout = absl::Seconds(10));

  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& data_address() const { return data_address_; }
  const std::string& admin_address() const { return admin_address_; }
  const std::string& metrics_address() const { return metrics_address_; }
  pid_t pid() const { return pid_; }

  std::unique_ptr<netpol::v1::PolicyDecisionPoint::Stub> DecisionStub() const;
  std::unique_ptr<netpol::v1::SnapshotAdmin::Stub> AdminStub() const;
  // The standard health service, on the data-plane listener.
  std::unique_ptr<grpc::health::v1::Health::Stub> HealthStub() const;

  // Sends `signal` without waiting, so several servers can drain at once;
  // Stop() or the destructor still waits for the exit.
  void Signal(int signal);

  // Sends `signal` and waits up to `timeout` for the exit. Returns the exit
  // code (128 + signal number when killed), or DeadlineExceeded (the child
  // is then killed).
  absl::StatusOr<int> Stop(int signal, absl::Duration timeout);

  // Everything the server wrote to stderr so far.
  std::string Stderr() const;
  // What the server wrote to stdout after its ready line (read once it has
  // exited; empty while it runs).
  const std::string& stdout_after_ready() const { return stdout_after_ready_; }

 private:
  ServerProcess(pid_t pid, int stdout_fd, std::string stderr_path)
      : pid_(pid),
        stdout_fd_(stdout_fd),
        stderr_path_(std::move(stderr_path)) {}

  // Parses `ready data=H:P admin=H:P metrics=H:P`.
  absl::Status ParseReadyLine(const std::string& line);
  // Waits for the child to exit; nullopt on timeout.
  std::optional<int> WaitForExit(absl::Duration timeout);

  pid_t pid_;
  bool exited_ = false;
  int stdout_fd_;
  std::string stderr_path_;
  std::string stdout_after_ready_;
  std::string data_address_;
  std::string admin_address_;
  std::string metrics_address_;
};

}  // namespace netpol::integration

#endif  // NETPOL_TESTS_SERVER_INTEGRATION_SERVER_PROCESS_H_
