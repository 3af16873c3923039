// netpol-pdp: the NetworkPolicy decision point server.
//
// Contract with whoever starts it (integration tests parse this):
//  - stdout: exactly one line, `ready data=HOST:PORT admin=HOST:PORT
//    metrics=HOST:PORT` with the bound ports, printed and flushed once every
//    listener is up and the initial --manifests load was attempted.
//  - stderr: everything else; one line per published or rejected snapshot
//    (see SnapshotPublisher), a rejected file load followed by every error,
//    indented by two spaces.
//  - exit 0 after SIGTERM/SIGINT and a graceful drain; 1 when a listener or
//    the watch cannot be set up, or when Abseil's parser rejects a flag
//    (unknown name, unparsable value); 2 when a flag value is out of range
//    or flags contradict each other.

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/snapshot_store.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "netpol/v1/decision.grpc.pb.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "server/admin_service.h"
#include "server/decision_service.h"
#include "server/manifest_watcher.h"
#include "server/reflection_service.h"
#include "server/server_metrics.h"
#include "server/snapshot_publisher.h"

// Flags are spelled with dashes on the command line (--admin-listen); Abseil
// needs identifiers, so NormalizeArgs() maps dashes to underscores.
ABSL_FLAG(std::string, listen, "0.0.0.0:50051",
          "HOST:PORT of the data plane (netpol.v1.PolicyDecisionPoint, "
          "grpc.health.v1.Health, reflection). Port 0 picks a free port.");
ABSL_FLAG(std::string, admin_listen, "127.0.0.1:50052",
          "HOST:PORT of the admin service (netpol.v1.SnapshotAdmin, with "
          "health and reflection), a "
          "separate server that never shares the data-plane listener; keep "
          "it on loopback unless access to it is controlled. Must not use "
          "the --listen port.");
ABSL_FLAG(std::string, metrics_listen, "0.0.0.0:9090",
          "HOST:PORT serving Prometheus metrics at /metrics.");
ABSL_FLAG(std::vector<std::string>, manifests, {},
          "Manifest file or directory (read recursively: .yaml, .yml, "
          ".json); repeat the flag or separate paths with commas. Loaded at "
          "start. If that load fails, every error is logged and the server "
          "keeps running, NOT_SERVING, until a valid snapshot is published "
          "through --watch or the admin service.");
ABSL_FLAG(bool, watch, false,
          "Watch the --manifests paths (inotify; ConfigMap volumes and "
          "atomic renames included) and reload the whole set after changes. "
          "An invalid reload is logged and the live snapshot keeps serving.");
ABSL_FLAG(absl::Duration, watch_debounce, absl::Milliseconds(200),
          "With --watch: quiet time after the last change before reloading.");
ABSL_FLAG(int32_t, history, 16,
          "Snapshot versions retained for snapshot_version pinning and "
          "Rollback (at least 1).");
ABSL_FLAG(int64_t, max_batch, 10000,
          "Most connections per CheckConnection request (both forms "
          "counted); larger requests fail with INVALID_ARGUMENT.");
ABSL_FLAG(bool, ipblock_matches_pods, true,
          "Whether ipBlock peers match pod IPs too (upstream conformance "
          "behaviour). false restricts ipBlocks to addresses outside the pod "
          "network, as some CNIs do.");
ABSL_FLAG(int64_t, max_receive_bytes, 64 << 20,
          "Largest request message accepted, in bytes, on both servers "
          "(SetMaxReceiveMessageSize). 64 MiB fits a 10,000-connection batch "
          "with text IPs many times over and a large admin push; bigger "
          "messages fail with RESOURCE_EXHAUSTED.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(5),
          "On SIGTERM/SIGINT, how long in-flight RPCs may take to finish "
          "before they are cancelled.");

namespace netpol::server {
namespace {

constexpr char kUsage[] =
    "netpol-pdp: Kubernetes NetworkPolicy decision point (gRPC).\n"
    "\n"
    "Usage: netpol-pdp [--manifests=PATH[,PATH...]]... [--watch] [flags]\n"
    "\n"
    "Prints `ready data=HOST:PORT admin=HOST:PORT metrics=HOST:PORT` on "
    "stdout\nonce listening; logs to stderr. Health (grpc.health.v1) is "
    "NOT_SERVING, for\n\"\" and netpol.v1.PolicyDecisionPoint, until the "
    "first snapshot is live.\nSIGTERM/SIGINT drain in-flight RPCs and exit "
    "0.\n";

// The flags listed by --help, in this order.
constexpr const char* kFlagNames[] = {
    "listen",
    "admin_listen",
    "metrics_listen",
    "manifests",
    "watch",
    "watch_debounce",
    "history",
    "max_batch",
    "ipblock_matches_pods",
    "max_receive_bytes",
    "shutdown_grace",
};

void PrintHelp() {
  std::string text = kUsage;
  absl::StrAppend(&text,
                  "\nFlags (--name=value; booleans also --name or "
                  "--name=false):\n");
  for (const char* name : kFlagNames) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    absl::StrAppend(&text, "  --", absl::StrReplaceAll(name, {{"_", "-"}}),
                    " (default: \"", flag->DefaultValue(), "\")\n");
    // Wraps the help text at about 76 columns, indented.
    std::string line = "     ";
    for (absl::string_view word :
         absl::StrSplit(flag->Help(), ' ', absl::SkipEmpty())) {
      if (line.size() + word.size() > 76) {
        absl::StrAppend(&text, line, "\n");
        line = "     ";
      }
      absl::StrAppend(&line, " ", word);
    }
    absl::StrAppend(&text, line, "\n");
  }
  std::fwrite(text.data(), 1, text.size(), stdout);
}

// Rewrites the command line for Abseil: flag names take underscores for
// dashes, and repeated --manifests occurrences (which Abseil would let
// override each other) become one comma-separated value. Arguments after a
// bare "--" are left alone.
std::vector<std::string> NormalizeArgs(int argc, char** argv) {
  std::vector<std::string> out = {argv[0]};
  std::vector<std::string> manifests;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") break;
    if (arg.size() < 2 || arg[0] != '-') {
      out.push_back(std::move(arg));
      continue;
    }
    const size_t name_start = arg[1] == '-' ? 2 : 1;
    const size_t equals = arg.find('=');
    std::string name = arg.substr(name_start, equals - name_start);
    absl::StrReplaceAll({{"-", "_"}}, &name);
    if (name == "manifests") {
      if (equals != std::string::npos) {
        manifests.push_back(arg.substr(equals + 1));
      } else if (i + 1 < argc) {
        manifests.push_back(argv[++i]);
      } else {
        out.push_back("--manifests");  // Abseil reports the missing value
      }
      continue;
    }
    out.push_back(absl::StrCat(
        "--", name, equals == std::string::npos ? "" : arg.substr(equals)));
  }
  if (!manifests.empty()) {
    out.push_back(absl::StrCat("--manifests=", absl::StrJoin(manifests, ",")));
  }
  for (; i < argc; ++i) out.push_back(argv[i]);
  return out;
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size() && args[i] != "--"; ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      return true;
    }
  }
  return false;
}

struct Config {
  std::string listen;
  std::string admin_listen;
  std::string metrics_listen;
  std::vector<std::string> manifests;
  bool watch = false;
  absl::Duration watch_debounce;
  size_t history = 16;
  size_t max_batch = 10000;
  bool ipblock_matches_pods = true;
  int max_receive_bytes = 0;
  absl::Duration shutdown_grace;
};

// The port of "HOST:PORT" ("[::1]:PORT" too), or an error.
absl::StatusOr<int> PortOf(const std::string& flag, const std::string& value) {
  const size_t colon = value.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(value).substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, "=", value, ": expected HOST:PORT, e.g. 127.0.0.1:0"));
  }
  return port;
}

// `address` with its port replaced by the bound one.
std::string WithPort(const std::string& address, int port) {
  return absl::StrCat(address.substr(0, address.rfind(':')), ":", port);
}

absl::StatusOr<Config> ConfigFromFlags() {
  Config config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.admin_listen = absl::GetFlag(FLAGS_admin_listen);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  absl::StatusOr<int> data_port = PortOf("listen", config.listen);
  absl::StatusOr<int> admin_port = PortOf("admin-listen", config.admin_listen);
  absl::StatusOr<int> metrics_port =
      PortOf("metrics-listen", config.metrics_listen);
  for (const auto* port : {&data_port, &admin_port, &metrics_port}) {
    if (!port->ok()) return port->status();
  }
  if (*data_port != 0 && *data_port == *admin_port) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--admin-listen=", config.admin_listen,
        " uses the port of --listen=", config.listen,
        ": the admin service must never be reachable on the data-plane "
        "listener"));
  }
  for (const std::string& path : absl::GetFlag(FLAGS_manifests)) {
    if (!path.empty()) config.manifests.push_back(path);
  }
  config.watch = absl::GetFlag(FLAGS_watch);
  if (config.watch && config.manifests.empty()) {
    return absl::InvalidArgumentError("--watch needs --manifests");
  }
  config.watch_debounce = absl::GetFlag(FLAGS_watch_debounce);
  if (config.watch_debounce < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--watch-debounce must not be negative");
  }
  const int32_t history = absl::GetFlag(FLAGS_history);
  if (history < 1) {
    return absl::InvalidArgumentError("--history must be at least 1");
  }
  config.history = static_cast<size_t>(history);
  const int64_t max_batch = absl::GetFlag(FLAGS_max_batch);
  if (max_batch < 1) {
    return absl::InvalidArgumentError("--max-batch must be at least 1");
  }
  config.max_batch = static_cast<size_t>(max_batch);
  config.ipblock_matches_pods = absl::GetFlag(FLAGS_ipblock_matches_pods);
  const int64_t max_receive = absl::GetFlag(FLAGS_max_receive_bytes);
  if (max_receive < 1024 || max_receive > INT_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max-receive-bytes must be in 1024..", INT_MAX));
  }
  config.max_receive_bytes = static_cast<int>(max_receive);
  config.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  if (config.shutdown_grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--shutdown-grace must not be negative");
  }
  return config;
}

void Log(std::string_view message) {
  std::fprintf(stderr, "netpol-pdp: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::fflush(stderr);
}

void SetServing(grpc::HealthCheckServiceInterface& health, bool serving) {
  health.SetServingStatus(serving);  // the overall "" service
  health.SetServingStatus(v1::PolicyDecisionPoint::service_full_name(),
                          serving);
}

// Settings both servers share.
void Configure(const Config& config, grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(config.max_receive_bytes);
  // Without SO_REUSEPORT a second bind of a port fails loudly instead of
  // sharing it, so the admin service can never answer on the data port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
}

// What reflection lists on a server: `service`, health and reflection.
// Health's name comes from its descriptor, which also links the
// descriptor in, for reflection to describe it.
std::vector<std::string> ServicesBeside(const char* service) {
  return {service,
          grpc::health::v1::HealthCheckRequest::descriptor()
              ->file()
              ->service(0)
              ->full_name(),
          reflection::ServerReflection::service_full_name()};
}

int Run(const Config& config, const sigset_t& stop_signals) {
  auto registry = std::make_shared<prometheus::Registry>();
  ServerMetrics metrics(*registry);
  SnapshotStore store(config.history);

  // Set once the data server runs, before anything can publish: the admin
  // server and the watcher start later, the initial load too.
  std::atomic<grpc::HealthCheckServiceInterface*> health{nullptr};
  SnapshotPublisher::Options publisher_options;
  publisher_options.compile.ipblock_matches_pods = config.ipblock_matches_pods;
  publisher_options.on_publish = [&health](const SnapshotInfo&) {
    if (auto* service = health.load()) SetServing(*service, true);
  };
  SnapshotPublisher publisher(store, &metrics, std::move(publisher_options));

  // Every service in the process, health included, is a callback service:
  // a synchronous one would start gRPC poller threads that take the data
  // plane's I/O (see reflection_service.h). A test checks for them.
  grpc::EnableDefaultHealthCheckService(true);

  DecisionService decisions(store, BatchLimits{config.max_batch}, &metrics);
  grpc::ServerBuilder data_builder;
  int data_port = 0;
  data_builder.AddListeningPort(config.listen,
                                grpc::InsecureServerCredentials(), &data_port);
  data_builder.RegisterService(&decisions);
  ReflectionService data_reflection(
      ServicesBeside(v1::PolicyDecisionPoint::service_full_name()));
  data_builder.RegisterService(&data_reflection);
  Configure(config, data_builder);
  std::unique_ptr<grpc::Server> data_server = data_builder.BuildAndStart();
  if (data_server == nullptr || data_port == 0) {
    Log(absl::StrCat("cannot listen on --listen=", config.listen));
    return 1;
  }
  grpc::HealthCheckServiceInterface* data_health =
      data_server->GetHealthCheckService();
  SetServing(*data_health, false);
  health.store(data_health);

  AdminService admin(publisher, &metrics);
  grpc::ServerBuilder admin_builder;
  int admin_port = 0;
  admin_builder.AddListeningPort(
      config.admin_listen, grpc::InsecureServerCredentials(), &admin_port);
  admin_builder.RegisterService(&admin);
  ReflectionService admin_reflection(
      ServicesBeside(v1::SnapshotAdmin::service_full_name()));
  admin_builder.RegisterService(&admin_reflection);
  Configure(config, admin_builder);
  std::unique_ptr<grpc::Server> admin_server = admin_builder.BuildAndStart();
  if (admin_server == nullptr || admin_port == 0) {
    Log(absl::StrCat("cannot listen on --admin-listen=", config.admin_listen));
    data_server->Shutdown();
    return 1;
  }

  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    exposer = std::make_unique<prometheus::Exposer>(config.metrics_listen);
  } catch (const std::exception& e) {  // civetweb reports bind errors so
    Log(absl::StrCat("cannot listen on --metrics-listen=",
                     config.metrics_listen, ": ", e.what()));
    admin_server->Shutdown();
    data_server->Shutdown();
    return 1;
  }
  exposer->RegisterCollectable(registry);
  const std::vector<int> metrics_ports = exposer->GetListeningPorts();

  // The watch starts before the initial load, so no change slips between.
  std::unique_ptr<ManifestWatcher> watcher;
  if (config.watch) {
    ManifestWatcher::Options watch_options;
    watch_options.debounce = config.watch_debounce;
    absl::StatusOr<std::unique_ptr<ManifestWatcher>> started =
        ManifestWatcher::Start(
            config.manifests,
            [&publisher, &config] {
              // The publisher logs the outcome.
              (void)publisher.PublishFiles(config.manifests);
            },
            watch_options);
    if (!started.ok()) {
      Log(absl::StrCat("cannot --watch: ", started.status().message()));
      admin_server->Shutdown();
      data_server->Shutdown();
      return 1;
    }
    watcher = *std::move(started);
  }

  if (!config.manifests.empty()) {
    absl::StatusOr<SnapshotInfo> info =
        publisher.PublishFiles(config.manifests);
    if (!info.ok()) {
      Log(absl::StrCat(
          "the initial load failed; health stays NOT_SERVING until a valid "
          "snapshot is published (",
          config.watch ? "fix the files: they are watched, or " : "",
          "push one with SnapshotAdmin.ApplySnapshot)"));
    }
  } else {
    Log("no --manifests: NOT_SERVING until a snapshot is pushed with "
        "SnapshotAdmin.ApplySnapshot");
  }

  std::printf("ready data=%s admin=%s metrics=%s\n",
              WithPort(config.listen, data_port).c_str(),
              WithPort(config.admin_listen, admin_port).c_str(),
              WithPort(config.metrics_listen,
                       metrics_ports.empty() ? 0 : metrics_ports.front())
                  .c_str());
  std::fflush(stdout);

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) != 0) {
  }
  Log(absl::StrCat("received ", signal_number == SIGINT ? "SIGINT" : "SIGTERM",
                   "; draining for at most ",
                   absl::FormatDuration(config.shutdown_grace)));
  // Load balancers stop sending first; then no reload races the shutdown.
  data_health->Shutdown();
  watcher.reset();
  const auto deadline = std::chrono::system_clock::now() +
                        absl::ToChronoMilliseconds(config.shutdown_grace);
  data_server->Shutdown(deadline);
  admin_server->Shutdown(deadline);
  Log("stopped");
  // Every RPC has drained. Skip the destructors: prometheus-cpp's
  // civetweb server waits out a 2 s poll quantum when stopped, which would
  // hold every restart (and every test) for nothing.
  std::fflush(nullptr);
  std::_Exit(0);
}

}  // namespace
}  // namespace netpol::server

int main(int argc, char** argv) {
  // Blocked before any thread exists, so every thread inherits the mask and
  // the signals wait for sigwait() in Run() instead of killing the process.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // Debian builds Abseil with assertions, which turns on Mutex deadlock
  // detection: every lock gRPC takes would update a global lock graph
  // under a global spinlock (measured: ~5% of server CPU under load, and
  // contention between handler threads).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  std::vector<std::string> args = netpol::server::NormalizeArgs(argc, argv);
  if (netpol::server::WantsHelp(args)) {
    netpol::server::PrintHelp();
    return 0;
  }
  absl::SetProgramUsageMessage(netpol::server::kUsage);
  std::vector<char*> c_args;
  for (std::string& arg : args) c_args.push_back(arg.data());
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(c_args.size()), c_args.data());
  if (positional.size() > 1) {
    std::fprintf(stderr, "netpol-pdp: unexpected argument \"%s\"; see --help\n",
                 positional[1]);
    return 2;
  }
  absl::StatusOr<netpol::server::Config> config =
      netpol::server::ConfigFromFlags();
  if (!config.ok()) {
    std::fprintf(stderr, "netpol-pdp: %s; see --help\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  return netpol::server::Run(*config, stop_signals);
}
