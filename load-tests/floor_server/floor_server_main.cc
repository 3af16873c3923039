// netpol-floor-server: the load tests' floor (see floor_service.h).
//
//   netpol-floor-server [--listen 127.0.0.1:0] [--max-receive-bytes N]
//
// stdout: one line `ready data=HOST:PORT` once listening, like netpol-pdp's
// ready line. Exits 0 on SIGTERM/SIGINT, 1 when it cannot listen, 2 on a
// bad command line.

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "grpcpp/grpcpp.h"
#include "load-tests/floor_server/floor_service.h"

namespace {

struct Flags {
  std::string listen = "127.0.0.1:0";
  int max_receive_bytes = 64 << 20;  // as netpol-pdp's default
};

[[noreturn]] void Usage(const char* error) {
  std::fprintf(stderr,
               "netpol-floor-server: %s\nusage: netpol-floor-server "
               "[--listen HOST:PORT] [--max-receive-bytes N]\n",
               error);
  std::exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      Usage("missing flag value");
    }
    if (arg == "--listen") {
      flags.listen = value;
    } else if (arg == "--max-receive-bytes") {
      char* end = nullptr;
      const long bytes = std::strtol(value.c_str(), &end, 10);
      if (end == value.c_str() || *end != '\0' || bytes < 1024 ||
          bytes > (1l << 30)) {
        Usage("--max-receive-bytes: expected 1024..2^30");
      }
      flags.max_receive_bytes = static_cast<int>(bytes);
    } else {
      Usage("unknown flag");
    }
  }
  return flags;
}

}  // namespace

int main(int argc, char** argv) {
  // Blocked before gRPC starts threads, so only sigwait() sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // As netpol-pdp does (server_main.cc), so that both pay the same.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  const Flags flags = ParseFlags(argc, argv);
  netpol::loadtests::FloorService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(flags.listen, grpc::InsecureServerCredentials(),
                           &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(flags.max_receive_bytes);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "netpol-floor-server: cannot listen on %s\n",
                 flags.listen.c_str());
    return 1;
  }
  std::printf("ready data=%s:%d\n",
              flags.listen.substr(0, flags.listen.rfind(':')).c_str(), port);
  std::fflush(stdout);

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  server->Shutdown();
  return 0;
}
#include "absl/synchronization/mutex.h"
