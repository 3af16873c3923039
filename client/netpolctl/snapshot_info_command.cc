// netpolctl snapshot info: the live and retained snapshots of a netpol-pdp.

#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/remote_flags.h"
#include "client/netpolctl/snapshot_info_format.h"
#include "netpol/v1/decision.grpc.pb.h"

namespace netpol::netpolctl {
namespace {

constexpr FlagSpec kFlags[] = {kServerFlag, kTimeoutFlag};

constexpr char kUsage[] =
    R"(Usage: netpolctl snapshot info --server ADDR [--timeout D]

Prints the live snapshot version of the netpol-pdp data plane at ADDR, then
every retained version (those a request may pin or a rollback may
republish), newest first, e.g.
  live version 3

  version 3 (live)
    created   2026-11-28T04:52:01.123Z
    hash      1a2b3c4d5e6f
    objects   2 namespaces, 5 pods, 3 network policies
    source    admin push: ci-42

Flags:
  --server ADDR      the netpol-pdp data plane, host:port
  --timeout D        deadline of the RPC, e.g. 500ms or 10s (default 10s)

Exit status: 0 printed; 2 usage error, or the server could not be reached
or failed.
)";

int Run(const ParsedArgs& args) {
  std::optional<absl::string_view> server = args.Value(kServerFlag.name);
  if (!server.has_value()) {
    PrintUsageError("snapshot info", "--server is required");
    return kExitUsage;
  }
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(args);
  if (!timeout.ok()) {
    PrintUsageError("snapshot info", timeout.status().message());
    return kExitUsage;
  }
  const std::string address(*server);
  auto stub = v1::PolicyDecisionPoint::NewStub(MakeChannel(address));
  v1::GetSnapshotResponse response;
  std::unique_ptr<grpc::ClientContext> context = MakeContext(*timeout);
  grpc::Status status =
      stub->GetSnapshot(context.get(), v1::GetSnapshotRequest(), &response);
  if (!status.ok()) {
    PrintError("snapshot info", RpcErrorMessage(address, status));
    return kExitUsage;
  }
  std::string output =
      absl::StrCat("live version ", response.current_version(), "\n");
  for (int i = response.retained_size() - 1; i >= 0; --i) {
    const v1::SnapshotInfo& info = response.retained(i);
    absl::StrAppend(
        &output, "\n",
        SnapshotInfoText(
            info, info.version() == response.current_version() ? "live" : ""));
  }
  std::fwrite(output.data(), 1, output.size(), stdout);
  return kExitOk;
}

}  // namespace

const Command& SnapshotInfoCommand() {
  static const Command command = {"snapshot info",
                                  "live and retained snapshots of a server",
                                  kUsage, kFlags, &Run};
  return command;
}

}  // namespace netpol::netpolctl
