// netpolctl snapshot apply: pushes manifests to a netpol-pdp's admin
// service, which validates, compiles and publishes them as a new version.

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/remote_flags.h"
#include "client/netpolctl/snapshot_info_format.h"
#include "client/netpolctl/snapshot_loader.h"
#include "core/manifest_files.h"
#include "netpol/v1/admin.grpc.pb.h"

namespace netpol::netpolctl {
namespace {

constexpr FlagSpec kFlags[] = {
    kManifestsFlag,
    kAdminFlag,
    kTimeoutFlag,
    {"dry-run", false, false},
    {"description", true, false},
};

constexpr char kUsage[] =
    R"(Usage: netpolctl snapshot apply --manifests PATH [--manifests PATH ...]
                              [--admin ADDR] [--timeout D] [--dry-run]
                              [--description TEXT]

Reads the manifests and pushes them to the admin service of a netpol-pdp
(SnapshotAdmin.ApplySnapshot) as the whole new cluster state. The server
validates and compiles them and publishes a new version, which is printed:
  published
  version 4 (live)
    created   ...
Invalid manifests publish nothing: every error is printed to stderr, with
file, document and field path, and the live snapshot keeps serving.

Flags:
  --manifests PATH   manifest file, or directory read recursively (.yaml,
                     .yml, .json); repeatable
  --admin ADDR       the admin listener, host:port (default 127.0.0.1:50052)
  --timeout D        deadline of the RPC, e.g. 500ms or 10s (default 10s)
  --dry-run          validate and compile only; print what would be published
  --description TEXT recorded in the snapshot's source ("admin push: TEXT")

Exit status: 0 published (or valid, with --dry-run); 2 usage error,
unreadable or invalid manifests, or the server could not be reached or
failed.
)";

constexpr absl::string_view kName = "snapshot apply";

int Run(const ParsedArgs& args) {
  const std::vector<std::string>& paths = args.Values(kManifestsFlag.name);
  if (paths.empty()) {
    PrintUsageError(kName, "--manifests is required");
    return kExitUsage;
  }
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(args);
  if (!timeout.ok()) {
    PrintUsageError(kName, timeout.status().message());
    return kExitUsage;
  }
  std::vector<ManifestFile> files;
  std::vector<std::string> read_errors;
  ManifestFileReader reader;
  for (const std::string& path : paths) reader.Read(path, &files, &read_errors);
  if (!read_errors.empty()) {
    PrintError(kName, absl::StrJoin(read_errors, "\n"));
    return kExitUsage;
  }
  v1::ApplySnapshotRequest request;
  for (ManifestFile& file : files) {
    v1::ManifestFile* out = request.add_manifests();
    out->set_name(std::move(file.name));
    out->set_content(std::move(file.content));
  }
  const bool dry_run = args.Has("dry-run");
  request.set_dry_run(dry_run);
  request.set_description(std::string(args.Value("description").value_or("")));

  const std::string address(
      args.Value(kAdminFlag.name).value_or(kDefaultAdminAddress));
  auto stub = v1::SnapshotAdmin::NewStub(MakeChannel(address));
  v1::ApplySnapshotResponse response;
  std::unique_ptr<grpc::ClientContext> context = MakeContext(*timeout);
  grpc::Status status = stub->ApplySnapshot(context.get(), request, &response);
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    // Every error on its line, unprefixed, as offline commands print them.
    std::string errors = absl::StrCat(status.error_message(), "\n");
    std::fwrite(errors.data(), 1, errors.size(), stderr);
    const size_t count =
        std::vector<absl::string_view>(
            absl::StrSplit(status.error_message(), '\n', absl::SkipEmpty()))
            .size();
    PrintError(kName, absl::StrCat(count, " manifest error(s); ",
                                   dry_run ? "nothing would be published"
                                           : "nothing was published"));
    return kExitUsage;
  }
  if (!status.ok()) {
    PrintError(kName, RpcErrorMessage(address, status));
    return kExitUsage;
  }
  std::string output = absl::StrCat(
      dry_run ? "valid (dry run, nothing published)\n" : "published\n",
      SnapshotInfoText(response.snapshot(), dry_run ? "" : "live"));
  std::fwrite(output.data(), 1, output.size(), stdout);
  return kExitOk;
}

}  // namespace

const Command& SnapshotApplyCommand() {
  static const Command command = {
      "snapshot apply", "push manifests to a server as a new snapshot", kUsage,
      kFlags, &Run};
  return command;
}

}  // namespace netpol::netpolctl
