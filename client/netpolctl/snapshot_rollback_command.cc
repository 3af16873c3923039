// netpolctl snapshot rollback: republishes a retained version of a
// netpol-pdp as a new version.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/remote_flags.h"
#include "client/netpolctl/snapshot_info_format.h"
#include "netpol/v1/admin.grpc.pb.h"

namespace netpol::netpolctl {
namespace {

constexpr FlagSpec kFlags[] = {kAdminFlag, kTimeoutFlag};

constexpr char kUsage[] =
    R"(Usage: netpolctl snapshot rollback VERSION [--admin ADDR] [--timeout D]

Republishes retained snapshot VERSION of a netpol-pdp (see `netpolctl
snapshot info`) as a new version, through its admin service, and prints
the new version:
  rolled back to 2
  version 5 (live)
    ...
    source    rollback to 2

Flags:
  --admin ADDR       the admin listener, host:port (default 127.0.0.1:50052)
  --timeout D        deadline of the RPC, e.g. 500ms or 10s (default 10s)

Exit status: 0 rolled back; 2 usage error, VERSION not retained, or the
server could not be reached or failed.
)";

constexpr absl::string_view kName = "snapshot rollback";

int Run(const ParsedArgs& args) {
  uint64_t version = 0;
  if (args.positionals.size() != 1 ||
      !absl::SimpleAtoi(args.positionals[0], &version) || version == 0) {
    PrintUsageError(kName, "needs one VERSION, a positive integer");
    return kExitUsage;
  }
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(args);
  if (!timeout.ok()) {
    PrintUsageError(kName, timeout.status().message());
    return kExitUsage;
  }
  const std::string address(
      args.Value(kAdminFlag.name).value_or(kDefaultAdminAddress));
  auto stub = v1::SnapshotAdmin::NewStub(MakeChannel(address));
  v1::RollbackRequest request;
  request.set_version(version);
  v1::RollbackResponse response;
  std::unique_ptr<grpc::ClientContext> context = MakeContext(*timeout);
  grpc::Status status = stub->Rollback(context.get(), request, &response);
  if (!status.ok()) {
    PrintError(kName, RpcErrorMessage(address, status));
    return kExitUsage;
  }
  std::string output =
      absl::StrCat("rolled back to ", version, "\n",
                   SnapshotInfoText(response.snapshot(), "live"));
  std::fwrite(output.data(), 1, output.size(), stdout);
  return kExitOk;
}

}  // namespace

const Command& SnapshotRollbackCommand() {
  static const Command command = {"snapshot rollback",
                                  "republish a retained snapshot of a server",
                                  kUsage,
                                  kFlags,
                                  &Run,
                                  /*max_positionals=*/1};
  return command;
}

}  // namespace netpol::netpolctl
