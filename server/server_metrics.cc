#include "server/server_metrics.h"

#include <array>
#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace netpol::server {
namespace {

// grpc::StatusCode values 0..16 (Abseil's numbering, and names via
// absl::StatusCodeToString); anything else is recorded as UNKNOWN.
constexpr int kStatusCodeCount = 17;

constexpr std::array<const char*, kRpcMethodCount> kMethodNames = {
    "CheckConnection", "CheckConnectionStream", "GetSnapshot", "ApplySnapshot",
    "Rollback",        "AnalyzeImpact",
};

constexpr int kReasonCount = static_cast<int>(Reason::kInvalid) + 1;
static_assert(kReasonCount ==
                  std::tuple_size_v<decltype(DecisionTally::by_reason)>,
              "DecisionTally::by_reason must have one slot per Reason");

// 50 µs .. 5 s: a small batch takes tens of microseconds, a 10,000-item
// batch with explanations tens of milliseconds; beyond 5 s is an outage.
const prometheus::Histogram::BucketBoundaries& RpcBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      50e-6, 100e-6, 250e-6, 500e-6, 1e-3,   2.5e-3, 5e-3, 10e-3,
      25e-3, 50e-3,  100e-3, 250e-3, 500e-3, 1.0,    2.5,  5.0};
  return *buckets;
}

// Connections per request, 1 .. 10,000 (the default --max-batch); larger
// configured limits land in +Inf.
const prometheus::Histogram::BucketBoundaries& BatchBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000};
  return *buckets;
}

// Compiles take milliseconds for small clusters and seconds for large ones.
const prometheus::Histogram::BucketBoundaries& CompileBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      1e-3,   2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3,
      500e-3, 1.0,    2.5,  5.0,   10.0,  30.0,  60.0};
  return *buckets;
}

bool IsAllowed(Reason reason) {
  return reason == Reason::kLoopback || reason == Reason::kNotIsolated ||
         reason == Reason::kAllowedByPolicy;
}

}  // namespace

struct ServerMetrics::Handles {
  prometheus::Family<prometheus::Histogram>* rpc_family = nullptr;
  // Created on first use so that /metrics lists only codes that occurred;
  // afterwards recording is one atomic load.
  std::array<std::array<std::atomic<prometheus::Histogram*>, kStatusCodeCount>,
             kRpcMethodCount>
      rpc{};

  std::array<prometheus::Counter*, kReasonCount> decisions{};
  prometheus::Histogram* batch_size = nullptr;

  prometheus::Counter* reloads_published = nullptr;
  prometheus::Counter* reloads_rejected = nullptr;
  prometheus::Histogram* compile_duration = nullptr;

  prometheus::Gauge* version = nullptr;
  prometheus::Gauge* namespaces = nullptr;
  prometheus::Gauge* pods = nullptr;
  prometheus::Gauge* policies = nullptr;
  prometheus::Gauge* retained = nullptr;

  prometheus::Histogram& Rpc(int method, int code) {
    std::atomic<prometheus::Histogram*>& slot = rpc[method][code];
    prometheus::Histogram* histogram = slot.load(std::memory_order_acquire);
    if (histogram == nullptr) {
      // Family::Add is thread-safe and returns the existing series for the
      // same labels, so racing first uses store the same pointer.
      histogram = &rpc_family->Add(
          {{"method", kMethodNames[method]},
           {"code",
            absl::StatusCodeToString(static_cast<absl::StatusCode>(code))}},
          RpcBuckets());
      slot.store(histogram, std::memory_order_release);
    }
    return *histogram;
  }
};

ServerMetrics::ServerMetrics(prometheus::Registry& registry)
    : handles_(std::make_unique<Handles>()) {
  Handles& h = *handles_;
  h.rpc_family = &prometheus::BuildHistogram()
                      .Name("netpol_rpc_duration_seconds")
                      .Help(
                          "Server-side RPC latency by method and status "
                          "code; streams record one sample per message.")
                      .Register(registry);
  // Successful calls are listed from the start, so rates exist at zero.
  for (int method = 0; method < kRpcMethodCount; ++method) h.Rpc(method, 0);

  auto& decisions = prometheus::BuildCounter()
                        .Name("netpol_decisions_total")
                        .Help("Connections decided, by verdict and reason.")
                        .Register(registry);
  for (int reason = 0; reason < kReasonCount; ++reason) {
    const Reason r = static_cast<Reason>(reason);
    h.decisions[reason] =
        &decisions.Add({{"verdict", IsAllowed(r) ? "ALLOW" : "DENY"},
                        {"reason", std::string(ReasonName(r))}});
  }
  h.batch_size = &prometheus::BuildHistogram()
                      .Name("netpol_batch_size")
                      .Help("Connections per decision request, both forms.")
                      .Register(registry)
                      .Add({}, BatchBuckets());

  auto& reloads = prometheus::BuildCounter()
                      .Name("netpol_snapshot_reloads_total")
                      .Help("Snapshot loads (files or admin push), by result.")
                      .Register(registry);
  h.reloads_published = &reloads.Add({{"result", "published"}});
  h.reloads_rejected = &reloads.Add({{"result", "rejected"}});
  h.compile_duration = &prometheus::BuildHistogram()
                            .Name("netpol_snapshot_compile_duration_seconds")
                            .Help("Time to compile a published snapshot.")
                            .Register(registry)
                            .Add({}, CompileBuckets());

  h.version = &prometheus::BuildGauge()
                   .Name("netpol_snapshot_version")
                   .Help("Version of the live snapshot; 0 before the first.")
                   .Register(registry)
                   .Add({});
  auto& objects = prometheus::BuildGauge()
                      .Name("netpol_snapshot_objects")
                      .Help("Objects in the live snapshot, by kind.")
                      .Register(registry);
  h.namespaces = &objects.Add({{"kind", "Namespace"}});
  h.pods = &objects.Add({{"kind", "Pod"}});
  h.policies = &objects.Add({{"kind", "NetworkPolicy"}});
  h.retained = &prometheus::BuildGauge()
                    .Name("netpol_snapshot_retained_versions")
                    .Help("Snapshot versions retained for pinning/rollback.")
                    .Register(registry)
                    .Add({});
}

ServerMetrics::~ServerMetrics() = default;

void ServerMetrics::RecordRpc(RpcMethod method, grpc::StatusCode code,
                              double seconds) {
  int code_index = static_cast<int>(code);
  if (code_index < 0 || code_index >= kStatusCodeCount) {
    code_index = static_cast<int>(grpc::StatusCode::UNKNOWN);
  }
  handles_->Rpc(static_cast<int>(method), code_index).Observe(seconds);
}

void ServerMetrics::RecordBatch(const DecisionTally& tally) {
  for (int reason = 0; reason < kReasonCount; ++reason) {
    if (tally.by_reason[reason] != 0) {
      handles_->decisions[reason]->Increment(
          static_cast<double>(tally.by_reason[reason]));
    }
  }
  handles_->batch_size->Observe(static_cast<double>(tally.batch_size));
}

void ServerMetrics::RecordReload(bool published, double compile_seconds) {
  if (published) {
    handles_->reloads_published->Increment();
    handles_->compile_duration->Observe(compile_seconds);
  } else {
    handles_->reloads_rejected->Increment();
  }
}

void ServerMetrics::SetLiveSnapshot(const SnapshotInfo& live,
                                    size_t retained_versions) {
  handles_->version->Set(static_cast<double>(live.version));
  handles_->namespaces->Set(static_cast<double>(live.namespaces));
  handles_->pods->Set(static_cast<double>(live.pods));
  handles_->policies->Set(static_cast<double>(live.policies));
  handles_->retained->Set(static_cast<double>(retained_versions));
}

}  // namespace netpol::server
