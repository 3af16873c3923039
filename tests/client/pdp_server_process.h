#ifndef NETPOL_TESTS_CLIENT_PDP_SERVER_PROCESS_H_
#define NETPOL_TESTS_CLIENT_PDP_SERVER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace netpol::netpolctl::testing {

// The built netpol-pdp, running as a child process on loopback ephemeral
// ports with one manifest path. Destroying it stops the process (SIGTERM,
// then SIGKILL if it does not exit within seconds).
class PdpServerProcess {
 public:
  // Starts the server and waits (bounded) for its `ready` line. Fails with
  // the server's stderr when it exits or does not get ready in time.
  static absl::StatusOr<std::unique_ptr<PdpServerProcess>> Start(
      const std::string& manifests);

  ~PdpServerProcess();
  PdpServerProcess(const PdpServerProcess&) = delete;
  PdpServerProcess& operator=(const PdpServerProcess&) = delete;

  const std::string& data_address() const { return data_address_; }
  const std::string& admin_address() const { return admin_address_; }

 private:
  PdpServerProcess(pid_t pid, std::string dir) : pid_(pid), dir_(dir) {}

  pid_t pid_;
  std::string dir_;  // holds the server's stdout and stderr
  std::string data_address_;
  std::string admin_address_;
};

// A loopback address nothing listens on (a port bound, then released).
std::string UnusedLoopbackAddress();

}  // namespace netpol::netpolctl::testing

#endif  // NETPOL_TESTS_CLIENT_PDP_SERVER_PROCESS_H_
