#ifndef NETPOL_SERVER_IMPACT_HANDLER_H_
#define NETPOL_SERVER_IMPACT_HANDLER_H_

// AnalyzeImpact: which flows a proposed change, or another retained
// version, would newly deny or newly allow compared with a snapshot.
//
// An analysis compiles a snapshot and diffs two: tens to hundreds of
// milliseconds of CPU on large clusters. It therefore runs on the handler's
// own worker thread, never on gRPC's callback threads, which stay free for
// CheckConnection. Both snapshots are held by shared_ptr, taken inside a
// short SnapshotStore::Reader section: a long analysis never holds a read
// section, so it never delays the reclamation of retired states.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/snapshot_store.h"
#include "grpcpp/grpcpp.h"
#include "netpol/v1/decision.pb.h"
#include "server/server_metrics.h"

namespace netpol::server {

// Request fields of 0 take the default; larger values than the maximum are
// clamped to it (the response says `truncated` when something was cut).
struct ImpactLimits {
  uint32_t default_max_flips = 1000;
  uint32_t max_flips = 100000;
  uint32_t max_samples_per_flip = 100;
  uint32_t default_max_pods_per_group = 100;
  uint32_t max_pods_per_group = 10000;
  // Wire size of a response at most: under the 4 MiB every gRPC client
  // accepts by default. Flips beyond it are left out (`truncated`).
  size_t max_response_bytes = 4'000'000;
};

// Answers `request` on the calling thread. Errors:
//   INVALID_ARGUMENT  neither proposed_change nor other_version set, or a
//                     change that does not parse, apply or compile (every
//                     problem with its location, capped at 4 KiB);
//   UNAVAILABLE       no snapshot published yet;
//   NOT_FOUND         snapshot_version or other_version is not retained.
// The proposed change is compiled with the "before" snapshot's options.
absl::Status AnalyzeImpact(const SnapshotStore& store,
                           const v1::AnalyzeImpactRequest& request,
                           const ImpactLimits& limits,
                           v1::AnalyzeImpactResponse* response);

// Runs AnalyzeImpact calls one at a time on a dedicated thread, and logs
// one line per analysis:
//   impact analysis: version 3 vs proposed change "ci.yaml": 4 flips
//       (4 listed), 3 pods affected, 2 flows newly denied, 0 newly
//       allowed, 0 pods added, 0 removed, in 35.2 ms
//   impact analysis failed (version 3 vs version 9): NOT_FOUND: ...
// (wrapped here; one line each).
class ImpactHandler {
 public:
  using LogSink = std::function<void(std::string_view line)>;

  struct Options {
    ImpactLimits limits;
    // Analyses running or queued; beyond it a request is refused with
    // RESOURCE_EXHAUSTED rather than queued behind minutes of work.
    size_t max_pending = 4;
    LogSink log;  // empty: one line per call to stderr
  };

  // `store` and `metrics` must outlive the handler; `metrics` may be null.
  ImpactHandler(const SnapshotStore& store, ServerMetrics* metrics,
                Options options);
  // Answers every queued analysis, then stops the worker.
  ~ImpactHandler();

  ImpactHandler(const ImpactHandler&) = delete;
  ImpactHandler& operator=(const ImpactHandler&) = delete;

  // Queues the analysis and returns at once; the worker calls
  // reactor->Finish. A call cancelled while queued is not analysed.
  void Start(grpc::CallbackServerContext* context,
             const v1::AnalyzeImpactRequest* request,
             v1::AnalyzeImpactResponse* response,
             grpc::ServerUnaryReactor* reactor);

 private:
  struct Job {
    grpc::CallbackServerContext* context;
    const v1::AnalyzeImpactRequest* request;
    v1::AnalyzeImpactResponse* response;
    grpc::ServerUnaryReactor* reactor;
    absl::Time start;
  };

  void Work();
  // Analyses, records and logs one job; the caller finishes the call.
  grpc::Status Run(const Job& job);
  void Log(std::string_view line) const;

  const SnapshotStore& store_;
  ServerMetrics* const metrics_;
  const Options options_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;  // guarded by mutex_
  size_t pending_ = 0;     // queued or running; guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread worker_;     // last: starts once the rest is initialized
};

}  // namespace netpol::server

#endif  // NETPOL_SERVER_IMPACT_HANDLER_H_
