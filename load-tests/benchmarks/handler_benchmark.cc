// In-process cost of the data-plane handler per decision. BM_Evaluate: parse
// the request bytes with protobuf, EvaluateBatch, serialize the response,
// as CheckConnection does for friendly requests, minus the transport.
// BM_Floor: the same parse + serialize with a constant verdict and no
// evaluation, the protobuf floor of a generated-message handler (the floor
// server's). BM_Answer: the server's whole path (serialized_batch.h),
// which reads compact requests without protobuf.
//
// Cluster: 10,000 pods, 2,000 policies (GenerateCluster, seed 1), queries
// from GenerateQueries (seed 42), IPv4 only so both forms carry the same
// connections. Friendly form: one Connection per query, IPs as text.
// Compact form: one family-4 block. With and without a protobuf Arena.
//
// Then the metrics cost per 1,000-connection batch (the budget: under 5% of
// the batch), see BM_Metrics below.
//
//   netpol_handler_benchmark --benchmark_min_time=0.2

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/compiled_snapshot.h"
#include "core/snapshot_store.h"
#include "google/protobuf/arena.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "load-tests/generator/cluster_generator.h"
#include "load-tests/generator/query_generator.h"
#include "netpol/v1/decision.pb.h"
#include "prometheus/registry.h"
#include "server/batch_evaluator.h"
#include "server/serialized_batch.h"
#include "server/server_metrics.h"

namespace netpol::server {
namespace {

constexpr size_t kMaxBatch = 10000;

enum Form : int64_t { kFriendly = 0, kCompact = 1 };

struct Fixture {
  std::string error;  // set when compiling failed
  SnapshotStore store;
  std::vector<DecisionQuery> queries;  // IPv4 only, at least kMaxBatch
};

const Fixture& GetFixture() {
  static const Fixture* const fixture = [] {
    auto* f = new Fixture();
    GeneratorOptions options;
    options.namespaces = 100;
    options.pods = 10000;
    options.policies = 2000;
    options.seed = 1;
    absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
        CompiledSnapshot::Compile(GenerateCluster(options));
    if (!snapshot.ok()) {
      f->error = std::string(snapshot.status().message());
      return f;
    }
    for (const DecisionQuery& q :
         GenerateQueries((*snapshot)->cluster(), 2 * kMaxBatch, 42)) {
      if (q.source.is_v4() && q.destination.is_v4()) f->queries.push_back(q);
    }
    if (f->queries.size() < kMaxBatch) f->error = "too few IPv4 queries";
    f->store.Publish(*std::move(snapshot), "handler benchmark");
    return f;
  }();
  return *fixture;
}

void AppendBigEndian(uint32_t value, std::string* out) {
  const char bytes[4] = {
      static_cast<char>(value >> 24), static_cast<char>(value >> 16),
      static_cast<char>(value >> 8), static_cast<char>(value)};
  out->append(bytes, 4);
}

// The wire bytes of a request holding the first `batch` queries.
std::string RequestBytes(const Fixture& f, Form form, size_t batch) {
  v1::CheckConnectionRequest request;
  if (form == kFriendly) {
    for (size_t i = 0; i < batch; ++i) {
      const DecisionQuery& q = f.queries[i];
      v1::Connection* c = request.add_connections();
      c->mutable_source()->set_ip(q.source.ToString());
      c->mutable_destination()->set_ip(q.destination.ToString());
      c->set_port(q.port);
      c->set_protocol(
          static_cast<v1::Protocol>(static_cast<int>(q.protocol) + 1));
    }
  } else {
    v1::CompactConnections* block = request.add_compact();
    block->set_family(4);
    for (size_t i = 0; i < batch; ++i) {
      const DecisionQuery& q = f.queries[i];
      AppendBigEndian(q.source.v4(), block->mutable_sources());
      AppendBigEndian(q.destination.v4(), block->mutable_destinations());
      block->add_port_protocols(
          q.port | ((static_cast<uint32_t>(q.protocol) + 1) << 16));
    }
  }
  return request.SerializeAsString();
}

// The floor's handler: a constant verdict per connection, no snapshot.
void AnswerConstant(const v1::CheckConnectionRequest& request,
                    v1::CheckConnectionResponse* response) {
  auto* decisions = response->mutable_decisions();
  decisions->Reserve(request.connections_size());
  for (int i = 0; i < request.connections_size(); ++i) {
    v1::Decision* d = decisions->Add();
    d->set_verdict(v1::ALLOW);
    d->set_reason(v1::NOT_ISOLATED);
  }
  size_t compact = 0;
  for (const v1::CompactConnections& block : request.compact()) {
    compact += static_cast<size_t>(block.port_protocols_size());
  }
  response->mutable_compact_verdicts()->assign(compact,
                                               static_cast<char>(v1::ALLOW));
}

// One handler call on messages that live as long as one RPC would.
template <bool kEvaluate>
bool HandleOnce(const Fixture& f, const std::string& bytes, bool use_arena,
                std::string* out) {
  google::protobuf::Arena arena;
  v1::CheckConnectionRequest heap_request;
  v1::CheckConnectionResponse heap_response;
  v1::CheckConnectionRequest* request =
      use_arena
          ? google::protobuf::Arena::CreateMessage<v1::CheckConnectionRequest>(
                &arena)
          : &heap_request;
  v1::CheckConnectionResponse* response =
      use_arena
          ? google::protobuf::Arena::CreateMessage<v1::CheckConnectionResponse>(
                &arena)
          : &heap_response;
  if (!request->ParseFromString(bytes)) return false;
  if constexpr (kEvaluate) {
    DecisionTally tally;
    if (!EvaluateBatch(f.store, *request, BatchLimits{kMaxBatch}, response,
                       &tally)
             .ok()) {
      return false;
    }
  } else {
    AnswerConstant(*request, response);
  }
  out->clear();
  return response->SerializeToString(out);
}

template <bool kEvaluate>
void BM_Handler(benchmark::State& state) {
  const Fixture& f = GetFixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const Form form = static_cast<Form>(state.range(0));
  const size_t batch = static_cast<size_t>(state.range(1));
  const bool use_arena = state.range(2) != 0;
  const std::string bytes = RequestBytes(f, form, batch);
  std::string out;
  for (auto _ : state) {
    if (!HandleOnce<kEvaluate>(f, bytes, use_arena, &out)) {
      state.SkipWithError("handler failed");
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
  state.counters["request_bytes_per_item"] =
      static_cast<double>(bytes.size()) / static_cast<double>(batch);
}

void Args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"compact", "batch", "arena"})
      ->ArgsProduct({{kFriendly, kCompact}, {1, 100, 10000}, {0, 1}});
}

BENCHMARK_TEMPLATE(BM_Handler, true)->Name("BM_Evaluate")->Apply(Args);
BENCHMARK_TEMPLATE(BM_Handler, false)->Name("BM_Floor")->Apply(Args);

// What the server runs per request: BatchAnswerer::Answer from a request
// ByteBuffer of `slices` slices (gRPC hands a 110 KB request over in 2 to
// 4) to a response ByteBuffer. Compact requests skip protobuf's parser
// (CompactRequestReader); friendly ones go through EvaluateBatch on an
// Arena, as BM_Evaluate/arena:1.
void BM_Answer(benchmark::State& state) {
  const Fixture& f = GetFixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const Form form = static_cast<Form>(state.range(0));
  const size_t batch = static_cast<size_t>(state.range(1));
  const size_t pieces = static_cast<size_t>(state.range(2));
  const std::string bytes = RequestBytes(f, form, batch);
  std::vector<grpc::Slice> slices;
  for (size_t i = 0; i < pieces; ++i) {
    const size_t begin = bytes.size() * i / pieces;
    const size_t end = bytes.size() * (i + 1) / pieces;
    slices.emplace_back(bytes.data() + begin, end - begin);
  }
  const grpc::ByteBuffer request(slices.data(), slices.size());
  BatchAnswerer answerer;
  grpc::ByteBuffer response;
  for (auto _ : state) {
    DecisionTally tally;
    if (!answerer
             .Answer(f.store, BatchLimits{kMaxBatch}, request, &response,
                     &tally)
             .ok()) {
      state.SkipWithError("handler failed");
      return;
    }
    benchmark::DoNotOptimize(response.Length());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
}

BENCHMARK(BM_Answer)
    ->ArgNames({"compact", "batch", "slices"})
    ->ArgsProduct({{kFriendly, kCompact}, {1, 100, 10000}, {1}})
    ->Args({kFriendly, 10000, 3})
    ->Args({kCompact, 10000, 3});

// Metrics cost per batch, on one parsed 1,000-connection request per form:
//   BM_BatchNoMetrics    EvaluateBatch alone, tally ignored;
//   BM_BatchWithMetrics  the same plus exactly what CheckConnection records
//                        (decision_service.cc): a steady_clock read before
//                        and after, RecordRpc and RecordBatch;
//   BM_MetricsOnly       that recording alone, with a real batch's tally.
// The response is cleared and reused, as the stream reactor does, which
// keeps the batch cost (the denominator) at its lowest. All threads share
// one ServerMetrics, as the server's handler threads do; Threads(2) puts
// the histograms' mutexes under contention.

constexpr size_t kMetricsBatch = 1000;

using Clock = std::chrono::steady_clock;

enum class Recording { kNone, kAfterBatch, kOnly };

ServerMetrics& SharedMetrics() {
  static prometheus::Registry* const registry = new prometheus::Registry();
  static ServerMetrics* const metrics = new ServerMetrics(*registry);
  return *metrics;
}

template <Recording kRecording>
void BM_Metrics(benchmark::State& state) {
  const Fixture& f = GetFixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const Form form = static_cast<Form>(state.range(0));
  v1::CheckConnectionRequest request;
  v1::CheckConnectionResponse response;
  // The first evaluation checks the request and gives kOnly its tally.
  DecisionTally tally;
  if (!request.ParseFromString(RequestBytes(f, form, kMetricsBatch)) ||
      !EvaluateBatch(f.store, request, BatchLimits{kMaxBatch}, &response,
                     &tally)
           .ok()) {
    state.SkipWithError("batch failed");
    return;
  }
  ServerMetrics& metrics = SharedMetrics();
  for (auto _ : state) {
    Clock::time_point start;
    if constexpr (kRecording != Recording::kNone) start = Clock::now();
    if constexpr (kRecording != Recording::kOnly) {
      response.Clear();
      tally = DecisionTally();
      if (!EvaluateBatch(f.store, request, BatchLimits{kMaxBatch}, &response,
                         &tally)
               .ok()) {
        state.SkipWithError("batch failed");
        return;
      }
    }
    if constexpr (kRecording != Recording::kNone) {
      metrics.RecordRpc(
          RpcMethod::kCheckConnection, grpc::StatusCode::OK,
          std::chrono::duration<double>(Clock::now() - start).count());
      metrics.RecordBatch(tally);
    }
  }
  if constexpr (kRecording != Recording::kOnly) {
    state.SetItemsProcessed(state.iterations() *
                            static_cast<int64_t>(kMetricsBatch));
  }
}

void MetricsArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"compact"})
      ->Arg(kFriendly)
      ->Arg(kCompact)
      ->Threads(1)
      ->Threads(2);
}

BENCHMARK_TEMPLATE(BM_Metrics, Recording::kNone)
    ->Name("BM_BatchNoMetrics")
    ->Apply(MetricsArgs);
BENCHMARK_TEMPLATE(BM_Metrics, Recording::kAfterBatch)
    ->Name("BM_BatchWithMetrics")
    ->Apply(MetricsArgs);
BENCHMARK_TEMPLATE(BM_Metrics, Recording::kOnly)
    ->Name("BM_MetricsOnly")
    ->Apply(MetricsArgs);

}  // namespace
}  // namespace netpol::server

BENCHMARK_MAIN();
