// netpol-loadgen: a closed-loop gRPC load generator for
// netpol.v1.PolicyDecisionPoint (netpol-pdp, or the floor server) that
// prints a ghz-style summary and can write it as JSON.
//
//   netpol-loadgen --target 127.0.0.1:50051 --duration 5s --concurrency 64
//       --batch 1 --form friendly            (unary, one connection per RPC)
//   netpol-loadgen --target ... --duration 5s --concurrency 4 --batch 10000
//       --form compact --mode stream --allow-ratio 0.3 --json out.json
//
// Queries come from a generated cluster (--pods/--policies/--namespaces/
// --seed, the same as netpol-gen-cluster) or from --manifests; they are
// evaluated offline first so that --allow-ratio is exact and --verify can
// check every answer. --write-requests FILE writes the requests as ghz's
// data file instead of sending them. Every run is bounded: --duration or
// --total is required, and --max-runtime caps the whole run.
//
// Exit status: 0 when every call succeeded (and, with --verify, every
// verdict matched); 1 when calls failed or verdicts differed; 2 on bad
// flags or set-up failures.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "core/manifest_loader.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/grpcpp.h"
#include "load-tests/generator/cluster_generator.h"
#include "load-tests/loadgen/admin_churn.h"
#include "load-tests/loadgen/request_set.h"
#include "load-tests/loadgen/run_summary.h"
#include "load-tests/loadgen/senders.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "HOST:PORT of the server.");
ABSL_FLAG(int32_t, concurrency, 16,
          "Calls in flight: unary senders, or streams with --mode stream.");
ABSL_FLAG(int32_t, connections, 1,
          "Distinct channels (TCP connections); senders are spread over "
          "them round-robin.");
ABSL_FLAG(absl::Duration, duration, absl::ZeroDuration(),
          "How long to send (after --warmup). One of --duration or --total.");
ABSL_FLAG(int64_t, total, 0, "Calls to make. One of --duration or --total.");
ABSL_FLAG(absl::Duration, warmup, absl::ZeroDuration(),
          "With --duration: send for this long first without recording.");
ABSL_FLAG(absl::Duration, max_runtime, absl::Seconds(120),
          "Hard cap on sending time, whatever --duration or --total say.");
ABSL_FLAG(double, rate, 0,
          "Unary only: start this many RPCs per second (open loop) instead "
          "of keeping --concurrency in flight; --concurrency then caps the "
          "calls outstanding. 0: closed loop.");
ABSL_FLAG(int64_t, batch, 1, "Connections per request.");
ABSL_FLAG(std::string, form, "compact",
          "friendly (connections, IPs as text) or compact (packed blocks).");
ABSL_FLAG(std::string, mode, "unary", "unary (CheckConnection) or stream.");
ABSL_FLAG(double, allow_ratio, -1,
          "Share of allowed connections in [0, 1]; negative keeps the "
          "cluster's natural query mix.");
ABSL_FLAG(std::vector<std::string>, manifests, {},
          "Derive queries from these manifests instead of a generated "
          "cluster (they must be what the server serves).");
ABSL_FLAG(int32_t, namespaces, 100, "Generated cluster: namespaces.");
ABSL_FLAG(int32_t, pods, 10000, "Generated cluster: pods.");
ABSL_FLAG(int32_t, policies, 2000, "Generated cluster: policies.");
ABSL_FLAG(uint64_t, seed, 1, "Generated cluster seed (and query seed).");
ABSL_FLAG(int32_t, variants, 16, "Distinct requests cycled through.");
ABSL_FLAG(bool, verify, false,
          "Compare every response's verdicts with the offline evaluation.");
ABSL_FLAG(absl::Duration, rpc_deadline, absl::Seconds(10),
          "Deadline of each unary RPC.");
ABSL_FLAG(std::string, churn_admin, "",
          "HOST:PORT of SnapshotAdmin: while sending, publish a new version "
          "every --churn-interval by rolling back and forth between two "
          "retained versions.");
ABSL_FLAG(absl::Duration, churn_interval, absl::Milliseconds(100),
          "With --churn-admin: time between publications.");
ABSL_FLAG(std::string, json, "", "Also write the summary as JSON here.");
ABSL_FLAG(std::string, write_requests, "",
          "Write the requests as a JSON array (proto3 JSON mapping, the "
          "data-file format of ghz) to this file and exit without sending.");

namespace netpol::loadgen {
namespace {

struct Config {
  std::string target;
  int concurrency = 0;
  int connections = 0;
  std::optional<absl::Duration> duration;
  int64_t total = -1;
  absl::Duration warmup;
  absl::Duration max_runtime;
  bool stream = false;
  double rate = 0;
  RequestSetOptions requests;
  std::vector<std::string> manifests;
  GeneratorOptions cluster;
  bool verify = false;
  absl::Duration rpc_deadline;
  std::string churn_admin;
  absl::Duration churn_interval;
  std::string json;
  std::string write_requests;
};

absl::StatusOr<Config> ConfigFromFlags() {
  Config config;
  config.target = absl::GetFlag(FLAGS_target);
  config.concurrency = absl::GetFlag(FLAGS_concurrency);
  config.connections = absl::GetFlag(FLAGS_connections);
  if (config.concurrency < 1 || config.connections < 1) {
    return absl::InvalidArgumentError(
        "--concurrency and --connections must be at least 1");
  }
  const absl::Duration duration = absl::GetFlag(FLAGS_duration);
  const int64_t total = absl::GetFlag(FLAGS_total);
  const bool sends = absl::GetFlag(FLAGS_write_requests).empty();
  if (sends && (duration > absl::ZeroDuration()) == (total > 0)) {
    return absl::InvalidArgumentError(
        "give exactly one of --duration (> 0) or --total (> 0)");
  }
  if (duration > absl::ZeroDuration()) config.duration = duration;
  if (total > 0) config.total = total;
  config.warmup = absl::GetFlag(FLAGS_warmup);
  if (config.warmup < absl::ZeroDuration() ||
      (config.warmup > absl::ZeroDuration() && !config.duration)) {
    return absl::InvalidArgumentError("--warmup needs --duration");
  }
  config.max_runtime = absl::GetFlag(FLAGS_max_runtime);
  if (config.max_runtime <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--max-runtime must be positive");
  }
  const int64_t batch = absl::GetFlag(FLAGS_batch);
  const int32_t variants = absl::GetFlag(FLAGS_variants);
  if (batch < 1 || variants < 1) {
    return absl::InvalidArgumentError(
        "--batch and --variants must be at least 1");
  }
  config.requests.batch = static_cast<size_t>(batch);
  config.requests.variants = static_cast<size_t>(variants);
  const std::string form = absl::GetFlag(FLAGS_form);
  if (form != "friendly" && form != "compact") {
    return absl::InvalidArgumentError("--form must be friendly or compact");
  }
  config.requests.form = form == "compact" ? Form::kCompact : Form::kFriendly;
  const std::string mode = absl::GetFlag(FLAGS_mode);
  if (mode != "unary" && mode != "stream") {
    return absl::InvalidArgumentError("--mode must be unary or stream");
  }
  config.stream = mode == "stream";
  config.rate = absl::GetFlag(FLAGS_rate);
  if (config.rate < 0 || (config.rate > 0 && config.stream)) {
    return absl::InvalidArgumentError(
        "--rate must be positive and is for --mode unary only");
  }
  const double ratio = absl::GetFlag(FLAGS_allow_ratio);
  if (ratio > 1) {
    return absl::InvalidArgumentError("--allow-ratio must be at most 1");
  }
  if (ratio >= 0) config.requests.allow_ratio = ratio;
  config.requests.seed = absl::GetFlag(FLAGS_seed);
  config.manifests = absl::GetFlag(FLAGS_manifests);
  config.cluster.namespaces = absl::GetFlag(FLAGS_namespaces);
  config.cluster.pods = absl::GetFlag(FLAGS_pods);
  config.cluster.policies = absl::GetFlag(FLAGS_policies);
  config.cluster.seed = absl::GetFlag(FLAGS_seed);
  config.verify = absl::GetFlag(FLAGS_verify);
  config.rpc_deadline = absl::GetFlag(FLAGS_rpc_deadline);
  config.churn_admin = absl::GetFlag(FLAGS_churn_admin);
  config.churn_interval = absl::GetFlag(FLAGS_churn_interval);
  if (!config.churn_admin.empty() &&
      config.churn_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--churn-interval must be positive");
  }
  config.json = absl::GetFlag(FLAGS_json);
  config.write_requests = absl::GetFlag(FLAGS_write_requests);
  return config;
}

absl::StatusOr<Cluster> LoadCluster(const Config& config) {
  if (config.manifests.empty()) return GenerateCluster(config.cluster);
  return LoadManifests(config.manifests);
}

// Channels to one address share a TCP connection unless their arguments
// differ and each keeps its own subchannel pool.
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const Config& config) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < config.connections; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("netpol.loadgen.channel", i);
    args.SetMaxReceiveMessageSize(-1);
    channels.push_back(grpc::CreateCustomChannel(
        config.target, grpc::InsecureChannelCredentials(), args));
  }
  return channels;
}

absl::Status WriteRequestsJson(const RequestSet& requests,
                               const std::string& path) {
  std::ofstream out(path);
  out << "[\n";
  for (size_t i = 0; i < requests.requests.size(); ++i) {
    std::string json;
    const auto status = google::protobuf::util::MessageToJsonString(
        requests.requests[i], &json);
    if (!status.ok()) {
      return absl::InternalError(
          absl::StrCat("request ", i, " to JSON: ", status.ToString()));
    }
    out << json << (i + 1 < requests.requests.size() ? ",\n" : "\n");
  }
  out << "]\n";
  out.close();
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::chrono::milliseconds Millis(absl::Duration d) {
  return std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

int Run(const Config& config) {
  absl::StatusOr<Cluster> cluster = LoadCluster(config);
  if (!cluster.ok()) {
    std::fprintf(stderr, "netpol-loadgen: %s\n",
                 std::string(cluster.status().message()).c_str());
    return 2;
  }
  absl::StatusOr<RequestSet> requests =
      BuildRequestSet(*std::move(cluster), config.requests);
  if (!requests.ok()) {
    std::fprintf(stderr, "netpol-loadgen: %s\n",
                 std::string(requests.status().message()).c_str());
    return 2;
  }

  if (!config.write_requests.empty()) {
    const absl::Status written =
        WriteRequestsJson(*requests, config.write_requests);
    if (!written.ok()) {
      std::fprintf(stderr, "netpol-loadgen: %s\n",
                   std::string(written.message()).c_str());
      return 2;
    }
    return 0;
  }

  std::vector<std::shared_ptr<grpc::Channel>> channels = MakeChannels(config);
  const auto connect_by =
      std::chrono::system_clock::now() + std::chrono::seconds(5);
  for (const auto& channel : channels) {
    if (!channel->WaitForConnected(connect_by)) {
      std::fprintf(stderr, "netpol-loadgen: cannot connect to %s\n",
                   config.target.c_str());
      return 2;
    }
  }
  std::vector<std::unique_ptr<v1::PolicyDecisionPoint::Stub>> stubs;
  for (const auto& channel : channels) {
    stubs.push_back(v1::PolicyDecisionPoint::NewStub(channel));
  }

  std::unique_ptr<AdminChurn> churn;
  if (!config.churn_admin.empty()) {
    absl::StatusOr<std::unique_ptr<AdminChurn>> started = AdminChurn::Start(
        channels.front(), config.churn_admin, Millis(config.churn_interval));
    if (!started.ok()) {
      std::fprintf(stderr, "netpol-loadgen: --churn-admin: %s\n",
                   std::string(started.status().message()).c_str());
      return 2;
    }
    churn = *std::move(started);
  }

  const Clock::time_point begin = Clock::now();
  const Clock::time_point measure_from = begin + Millis(config.warmup);
  absl::Duration sending = config.max_runtime;
  if (config.duration) {
    sending = std::min(sending, config.warmup + *config.duration);
  }
  const Clock::time_point stop_at = begin + Millis(sending);
  const int sender_count = config.rate > 0 ? 1 : config.concurrency;
  RunControl control(config.total, measure_from, sender_count);
  std::vector<std::unique_ptr<Sender>> senders;
  for (int i = 0; i < sender_count; ++i) {
    SenderConfig sender;
    sender.stub = stubs[i % stubs.size()].get();
    sender.requests = &*requests;
    sender.form = config.requests.form;
    sender.verify = config.verify;
    sender.rpc_deadline = Millis(config.rpc_deadline);
    sender.control = &control;
    sender.first_request = i % requests->requests.size();
    if (config.rate > 0) {
      senders.push_back(
          MakePacedUnarySender(sender, config.rate, config.concurrency));
    } else if (config.stream) {
      senders.push_back(
          MakeStreamSender(sender, Millis(sending + config.rpc_deadline)));
    } else {
      senders.push_back(MakeUnarySender(sender));
    }
  }
  for (auto& sender : senders) sender->Start();

  const bool stopped_by_itself = control.WaitUntilFinished(stop_at);
  control.Stop();
  if (!stopped_by_itself &&
      !control.WaitUntilFinished(stop_at + Millis(config.rpc_deadline) +
                                 std::chrono::seconds(5))) {
    // Deadlines end every call; this only guards against a broken server.
    std::fprintf(stderr, "netpol-loadgen: calls did not finish; giving up\n");
    std::fflush(stderr);
    std::_Exit(1);
  }
  if (churn != nullptr) churn->Stop();

  RunSummary summary;
  summary.target = config.target;
  summary.mode = config.stream ? "stream" : "unary";
  summary.form =
      config.requests.form == Form::kCompact ? "compact" : "friendly";
  summary.concurrency = config.concurrency;
  summary.connections = config.connections;
  summary.batch = static_cast<int64_t>(config.requests.batch);
  summary.allowed_share = requests->allowed_share;
  summary.seconds =
      std::chrono::duration<double>(control.finished_at() - measure_from)
          .count();
  if (churn != nullptr) {
    summary.churn_publishes = churn->publishes();
    summary.churn_errors = churn->errors();
  }
  std::vector<SenderTally> tallies;
  for (auto& sender : senders) tallies.push_back(std::move(sender->tally()));
  Merge(tallies, summary);

  const std::string text = FormatText(summary);
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (!config.json.empty()) {
    std::ofstream out(config.json);
    out << FormatJson(summary);
    if (!out.good()) {
      std::fprintf(stderr, "netpol-loadgen: cannot write %s\n",
                   config.json.c_str());
      return 2;
    }
  }
  const bool failed = summary.ok == 0 || !summary.errors.empty() ||
                      summary.wrong_verdicts > 0 || summary.churn_errors > 0;
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace netpol::loadgen

int main(int argc, char** argv) {
  // Debian's Abseil checks every Mutex (gRPC's included) for deadlocks
  // through a global lock graph; the generator must not spend on that.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // --help lists flags of the file named like the binary; ours is not.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "loadgen_main.cc");
  };
  absl::SetFlagsUsageConfig(usage);
  absl::SetProgramUsageMessage(
      "netpol-loadgen --target HOST:PORT (--duration D | --total N) "
      "[--concurrency N] [--connections N] [--batch N] "
      "[--form friendly|compact] [--mode unary|stream] [--allow-ratio R] "
      "[--json FILE]");
  // Flags are spelled with dashes; Abseil wants underscores in names.
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (i > 0 && arg.rfind("--", 0) == 0) {
      const size_t eq = arg.find('=');
      std::string name = arg.substr(2, eq == std::string::npos ? eq : eq - 2);
      absl::StrReplaceAll({{"-", "_"}}, &name);
      arg = absl::StrCat("--", name,
                         eq == std::string::npos ? "" : arg.substr(eq));
    }
    args.push_back(std::move(arg));
  }
  std::vector<char*> c_args;
  for (std::string& arg : args) c_args.push_back(arg.data());
  const std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(c_args.size()), c_args.data());
  if (positional.size() > 1) {
    std::fprintf(stderr, "netpol-loadgen: unexpected argument \"%s\"\n",
                 positional[1]);
    return 2;
  }
  absl::StatusOr<netpol::loadgen::Config> config =
      netpol::loadgen::ConfigFromFlags();
  if (!config.ok()) {
    std::fprintf(stderr, "netpol-loadgen: %s\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  return netpol::loadgen::Run(*config);
}
