// The client's coalescing path: PdpClient::CheckOne from N threads (batched
// into shared RPCs by the flusher thread) against one Check RPC per call,
// both against an in-process DecisionService on 127.0.0.1.
//
// Cluster: GenerateCluster (1,000 pods, 200 policies, seed 1); connections
// between IPv4 pod addresses, so both paths send the compact form.
// Time (real) is wall time over the calls of all threads, so one call's
// mean latency is Time x threads; items_per_second is the throughput of all
// threads together; avg_batch is the mean number of CheckOne calls per
// coalesced RPC. With one thread, CheckOne pays the coalescing delay.
//
//   netpol_coalescing_benchmark --benchmark_min_time=1

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"
#include "core/snapshot_store.h"
#include "grpcpp/grpcpp.h"
#include "load-tests/generator/cluster_generator.h"
#include "netpol/client/pdp_client.h"
#include "server/decision_service.h"

namespace netpol {
namespace {

using client::Connection;
using client::Endpoint;
using client::PdpClient;

struct Fixture {
  std::string error;  // set when setting up failed
  SnapshotStore store;
  std::unique_ptr<server::DecisionService> service;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<PdpClient> client;
  std::vector<Connection> connections;
};

// 10.x pod addresses come from the generator's pod network.
std::vector<Connection> MakeConnections(const Cluster& cluster) {
  std::vector<client::Ipv4Bytes> ips;
  for (const Pod& pod : cluster.pods) {
    for (const IpAddress& ip : pod.ips) {
      if (!ip.is_v4()) continue;
      client::Ipv4Bytes bytes;
      const uint32_t v = ip.v4();
      for (int i = 0; i < 4; ++i)
        bytes[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
      ips.push_back(bytes);
    }
  }
  std::vector<Connection> out;
  for (size_t i = 0; i + 1 < ips.size() && out.size() < 4096; ++i) {
    out.push_back({Endpoint::Ipv4(ips[i]),
                   Endpoint::Ipv4(ips[(i * 7919 + 1) % ips.size()]),
                   static_cast<uint16_t>(i % 2 ? 8080 : 443)});
  }
  return out;
}

Fixture& GetFixture() {
  static Fixture* const fixture = [] {
    auto* f = new Fixture();
    GeneratorOptions options;
    options.namespaces = 20;
    options.pods = 1000;
    options.policies = 200;
    absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
        CompiledSnapshot::Compile(GenerateCluster(options));
    if (!snapshot.ok()) {
      f->error = std::string(snapshot.status().message());
      return f;
    }
    f->connections = MakeConnections((*snapshot)->cluster());
    f->store.Publish(*std::move(snapshot), "coalescing benchmark");
    f->service = std::make_unique<server::DecisionService>(
        f->store, server::BatchLimits{}, nullptr);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(f->service.get());
    f->server = builder.BuildAndStart();
    client::PdpClientOptions client_options;
    client_options.target = absl::StrCat("127.0.0.1:", port);
    client_options.deadline = absl::Seconds(1);  // measure, never fail
    absl::StatusOr<std::unique_ptr<PdpClient>> client =
        PdpClient::Create(client_options);
    if (port == 0 || !client.ok() || f->connections.empty()) {
      f->error = "could not start the server or client";
      return f;
    }
    f->client = *std::move(client);
    return f;
  }();
  return *fixture;
}

void CountUnavailable(benchmark::State& state, int64_t unavailable) {
  state.counters["unavailable"] = benchmark::Counter(
      static_cast<double>(unavailable), benchmark::Counter::kAvgThreads);
}

void BM_CheckOneCoalesced(benchmark::State& state) {
  Fixture& f = GetFixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  const client::PdpClientStats before = f.client->stats();
  size_t i = state.thread_index() * 997;
  int64_t unavailable = 0;
  for (auto _ : state) {
    const client::Decision d =
        f.client->CheckOne(f.connections[i++ % f.connections.size()]);
    unavailable += d.unavailable();
  }
  state.SetItemsProcessed(state.iterations());
  CountUnavailable(state, unavailable);
  if (state.thread_index() == 0) {  // approximate: other threads may lag
    const client::PdpClientStats after = f.client->stats();
    const uint64_t batches = after.coalesced_batches - before.coalesced_batches;
    state.counters["avg_batch"] =
        batches == 0 ? 0.0
                     : static_cast<double>(after.coalesced_connections -
                                           before.coalesced_connections) /
                           static_cast<double>(batches);
  }
}

void BM_CheckPerCall(benchmark::State& state) {
  Fixture& f = GetFixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  size_t i = state.thread_index() * 997;
  int64_t unavailable = 0;
  for (auto _ : state) {
    const std::vector<client::Decision> d =
        f.client->Check({&f.connections[i++ % f.connections.size()], 1});
    unavailable += d[0].unavailable();
  }
  state.SetItemsProcessed(state.iterations());
  CountUnavailable(state, unavailable);
}

BENCHMARK(BM_CheckOneCoalesced)->ThreadRange(1, 64)->UseRealTime();
BENCHMARK(BM_CheckPerCall)->ThreadRange(1, 64)->UseRealTime();

}  // namespace
}  // namespace netpol

BENCHMARK_MAIN();
