#include "tests/client/pdp_server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/client/netpolctl_runner.h"

extern char** environ;

namespace netpol::netpolctl::testing {
namespace {

constexpr auto kReadyTimeout = std::chrono::seconds(30);
constexpr auto kStopTimeout = std::chrono::seconds(10);

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// Waits up to `timeout` for `pid` to exit; true once it has been reaped.
bool WaitForExit(pid_t pid, std::chrono::steady_clock::duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid || (done < 0 && errno == ECHILD)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<PdpServerProcess>> PdpServerProcess::Start(
    const std::string& manifests) {
  const std::string dir = MakeTestDir();
  const std::string out_path = absl::StrCat(dir, "/server.out");
  const std::string err_path = absl::StrCat(dir, "/server.err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> args = {
      NETPOL_PDP_PATH,  "--listen",    "127.0.0.1:0",
      "--admin-listen", "127.0.0.1:0", "--metrics-listen",
      "127.0.0.1:0",    "--manifests", manifests};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, NETPOL_PDP_PATH, &actions, nullptr,
                                argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", NETPOL_PDP_PATH,
                                            ": ", std::strerror(error)));
  }
  // From here the destructor stops the process whatever happens.
  std::unique_ptr<PdpServerProcess> server(new PdpServerProcess(pid, dir));

  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = ReadFile(out_path);
    if (absl::StrContains(out, "\n")) {
      // ready data=HOST:PORT admin=HOST:PORT metrics=HOST:PORT
      const std::string ready = out.substr(0, out.find('\n'));
      for (absl::string_view field : absl::StrSplit(ready, ' ')) {
        if (absl::ConsumePrefix(&field, "data=")) {
          server->data_address_ = std::string(field);
        } else if (absl::ConsumePrefix(&field, "admin=")) {
          server->admin_address_ = std::string(field);
        }
      }
      if (server->data_address_.empty() || server->admin_address_.empty()) {
        return absl::InternalError(
            absl::StrCat("unexpected first line of netpol-pdp: ", out));
      }
      return server;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      return absl::InternalError(
          absl::StrCat("netpol-pdp exited before ready: ", ReadFile(err_path)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("netpol-pdp not ready in time: ", ReadFile(err_path)));
}

PdpServerProcess::~PdpServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    if (!WaitForExit(pid_, kStopTimeout)) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::filesystem::remove_all(dir_);
}

std::string UnusedLoopbackAddress() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return absl::StrCat("127.0.0.1:", ntohs(address.sin_port));
}

}  // namespace netpol::netpolctl::testing
