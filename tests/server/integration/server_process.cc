#include "tests/server/integration/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "gtest/gtest.h"

#ifndef NETPOL_PDP_PATH
#error "NETPOL_PDP_PATH must name the built netpol-pdp binary"
#endif

extern char** environ;

namespace netpol::integration {
namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  return content.str();
}

// Reads from `fd` until a newline or EOF, or until `deadline`. Returns what
// was read (the line and anything after it in the same read).
absl::StatusOr<std::string> ReadFirstLine(int fd, absl::Time deadline) {
  std::string data;
  while (!absl::StrContains(data, '\n')) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("no ready line in time; stdout so far: \"", data, "\""));
    }
    pollfd p{fd, POLLIN, 0};
    const int n =
        poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    char buf[4096];
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return absl::UnavailableError(absl::StrCat(
          "stdout closed before the ready line; stdout: \"", data, "\""));
    }
    data.append(buf, static_cast<size_t>(got));
  }
  return data;
}

std::string ReadUntilEof(int fd, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string data;
  while (absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    data.append(buf, static_cast<size_t>(got));
  }
  return data;
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

// Every directory this process makes, removed at exit when all tests passed
// (kept for inspection otherwise).
std::string ProcessTestRoot() {
  return absl::StrCat(::testing::TempDir(), "netpol_pdp_", getpid());
}

class RemoveTestRootWhenPassed : public ::testing::Environment {
 public:
  void TearDown() override {
    if (!::testing::UnitTest::GetInstance()->Failed()) {
      std::error_code ignored;
      std::filesystem::remove_all(ProcessTestRoot(), ignored);
    }
  }
};
[[maybe_unused]] ::testing::Environment* const kRemoveTestRoot =
    ::testing::AddGlobalTestEnvironment(new RemoveTestRootWhenPassed);

}  // namespace

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

std::string MakeTestDir() {
  static std::atomic<int> counter{0};
  const ::testing::TestInfo* test =
      ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = test == nullptr ? "pdp" : test->name();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  const std::string dir =
      absl::StrCat(ProcessTestRoot(), "/", counter++, "_", name);
  std::filesystem::create_directories(dir);
  return dir;
}

void WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    file << content;
    ASSERT_TRUE(file.good()) << "cannot write " << tmp;
  }
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0)
      << "rename to " << path << ": " << std::strerror(errno);
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::vector<std::string>& args, absl::Duration timeout) {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const std::string stderr_path = MakeTestDir() + "/stderr";

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv_strings = {
      NETPOL_PDP_PATH, "--listen=127.0.0.1:0", "--admin-listen=127.0.0.1:0",
      "--metrics-listen=127.0.0.1:0"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  const int error = posix_spawn(&pid, NETPOL_PDP_PATH, &actions, nullptr,
                                argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (error != 0) {
    close(out[0]);
    return absl::InternalError(absl::StrCat("cannot start ", NETPOL_PDP_PATH,
                                            ": ", std::strerror(error)));
  }
  // From here on the destructor reaps the child whatever happens.
  std::unique_ptr<ServerProcess> server(
      new ServerProcess(pid, out[0], stderr_path));
  absl::StatusOr<std::string> first =
      ReadFirstLine(out[0], absl::Now() + timeout);
  if (!first.ok()) {
    return absl::Status(first.status().code(),
                        absl::StrCat(first.status().message(), "\nstderr:\n",
                                     server->Stderr()));
  }
  const size_t newline = first->find('\n');
  server->stdout_after_ready_ = first->substr(newline + 1);
  if (absl::Status s = server->ParseReadyLine(first->substr(0, newline));
      !s.ok()) {
    return s;
  }
  return server;
}

absl::Status ServerProcess::ParseReadyLine(const std::string& line) {
  std::vector<std::string> words = absl::StrSplit(line, ' ');
  if (words.size() != 4 || words[0] != "ready") {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed ready line: \"", line, "\""));
  }
  const std::pair<const char*, std::string*> fields[] = {
      {"data=", &data_address_},
      {"admin=", &admin_address_},
      {"metrics=", &metrics_address_}};
  for (int i = 0; i < 3; ++i) {
    const std::string& word = words[i + 1];
    if (!absl::StartsWith(word, fields[i].first) ||
        word.size() == std::strlen(fields[i].first) ||
        absl::EndsWith(word, ":0")) {
      return absl::InvalidArgumentError(
          absl::StrCat("ready line field ", i + 1, " is not ", fields[i].first,
                       "HOST:PORT with the bound port: \"", line, "\""));
    }
    *fields[i].second = word.substr(std::strlen(fields[i].first));
  }
  return absl::OkStatus();
}

std::optional<int> ServerProcess::WaitForExit(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exited_ = true;
      stdout_after_ready_ += ReadUntilEof(stdout_fd_, absl::Seconds(1));
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (done < 0 && errno != EINTR) {
      exited_ = true;  // not our child any more; nothing left to reap
      return -1;
    }
    if (absl::Now() >= deadline) return std::nullopt;
    absl::SleepFor(absl::Milliseconds(10));
  }
}

void ServerProcess::Signal(int signal) {
  if (!exited_) kill(pid_, signal);
}

absl::StatusOr<int> ServerProcess::Stop(int signal, absl::Duration timeout) {
  if (exited_) return absl::FailedPreconditionError("already stopped");
  Signal(signal);
  if (std::optional<int> code = WaitForExit(timeout)) return *code;
  kill(pid_, SIGKILL);
  WaitForExit(absl::Seconds(10));
  return absl::DeadlineExceededError(absl::StrCat(
      "netpol-pdp did not exit within ", absl::FormatDuration(timeout),
      " of signal ", signal, "; killed"));
}

ServerProcess::~ServerProcess() {
  if (!exited_) {
    absl::StatusOr<int> code = Stop(SIGTERM, absl::Seconds(5));
    if (!code.ok()) ADD_FAILURE() << code.status();
  }
  close(stdout_fd_);
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "---- netpol-pdp stderr (%s) ----\n%s---- end ----\n",
                 stderr_path_.c_str(), Stderr().c_str());
  }
}

std::string ServerProcess::Stderr() const {
  return ReadWholeFile(stderr_path_);
}

std::unique_ptr<netpol::v1::PolicyDecisionPoint::Stub>
ServerProcess::DecisionStub() const {
  return netpol::v1::PolicyDecisionPoint::NewStub(Channel(data_address_));
}

std::unique_ptr<netpol::v1::SnapshotAdmin::Stub> ServerProcess::AdminStub()
    const {
  return netpol::v1::SnapshotAdmin::NewStub(Channel(admin_address_));
}

std::unique_ptr<grpc::health::v1::Health::Stub> ServerProcess::HealthStub()
    const {
  return grpc::health::v1::Health::NewStub(Channel(data_address_));
}

}  // namespace netpol::integration
