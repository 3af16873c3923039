#ifndef NETPOL_SERVER_SERVER_METRICS_H_
#define NETPOL_SERVER_SERVER_METRICS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/decision.h"
#include "core/snapshot_store.h"
#include "grpcpp/support/status.h"

namespace prometheus {
class Registry;
}

namespace netpol::server {

enum class RpcMethod {
  kCheckConnection,
  kCheckConnectionStream,  // recorded per stream message
  kGetSnapshot,
  kApplySnapshot,
  kRollback,
  kAnalyzeImpact,
};
inline constexpr int kRpcMethodCount = 6;

// Decisions of one batch, tallied by the handler as it goes and recorded
// once: metrics cost per batch, not per decision.
struct DecisionTally {
  size_t batch_size = 0;  // connections in the request, both forms
  // Counts by Reason (core/decision.h order); verdict follows from reason.
  ReasonCounts by_reason{};
};

// The service's Prometheus metrics (prometheus-cpp). Every handle is
// created once in the constructor; recording never looks up labels.
// Thread-safe.
class ServerMetrics {
 public:
  explicit ServerMetrics(prometheus::Registry& registry);
  ~ServerMetrics();

  // netpol_rpc_duration_seconds{method,code} histogram.
  void RecordRpc(RpcMethod method, grpc::StatusCode code, double seconds);
  // netpol_decisions_total{verdict,reason} counters and the
  // netpol_batch_size histogram.
  void RecordBatch(const DecisionTally& tally);
  // netpol_snapshot_reloads_total{result="published"|"rejected"} and
  // netpol_snapshot_compile_duration_seconds (published ones).
  void RecordReload(bool published, double compile_seconds);
  // netpol_snapshot_version, netpol_snapshot_objects{kind},
  // netpol_snapshot_retained_versions gauges.
  void SetLiveSnapshot(const SnapshotInfo& live, size_t retained_versions);

 private:
  struct Handles;
  std::unique_ptr<Handles> handles_;
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_SERVER_METRICS_H_
