#include "tests/server/integration/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace netpol::integration {
namespace {

// Closes the socket on every return path.
class Socket {
 public:
  Socket() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

absl::Status Errno(const char* what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::string> HttpGet(const std::string& host_port,
                                    const std::string& path,
                                    absl::Duration timeout) {
  const size_t colon = host_port.rfind(':');
  int port = 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (colon == std::string::npos ||
      !absl::SimpleAtoi(host_port.substr(colon + 1), &port) ||
      inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) !=
          1) {
    return absl::InvalidArgumentError(
        absl::StrCat("not an IPv4 HOST:PORT: ", host_port));
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));

  Socket sock;
  if (sock.fd() < 0) return Errno("socket");
  const timeval tv = absl::ToTimeval(timeout);
  setsockopt(sock.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(sock.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(sock.fd(), reinterpret_cast<const sockaddr*>(&addr),
              sizeof addr) != 0) {
    return Errno("connect");
  }
  const std::string request =
      absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", host_port, "\r\n\r\n");
  if (send(sock.fd(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return Errno("send");
  }

  const absl::Time deadline = absl::Now() + timeout;
  std::string reply;
  char buf[16384];
  for (;;) {
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError("HTTP reply not complete in time");
    }
    const ssize_t got = recv(sock.fd(), buf, sizeof buf, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return Errno("recv");
    if (got == 0) break;
    reply.append(buf, static_cast<size_t>(got));
  }

  const size_t header_end = reply.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    return absl::DataLossError(absl::StrCat("no HTTP header in: ", reply));
  }
  const std::string status_line = reply.substr(0, reply.find("\r\n"));
  if (!absl::StartsWith(status_line, "HTTP/1.") ||
      !absl::StrContains(status_line, " 200")) {
    return absl::UnavailableError(absl::StrCat("HTTP reply: ", status_line));
  }
  return reply.substr(header_end + 4);
}

}  // namespace netpol::integration
