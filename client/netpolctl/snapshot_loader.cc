#include "client/netpolctl/snapshot_loader.h"

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/netpolctl/command.h"
#include "core/manifest_loader.h"

namespace netpol::netpolctl {

std::unique_ptr<const CompiledSnapshot> LoadSnapshotFromFlags(
    const ParsedArgs& args, absl::string_view command) {
  const std::vector<std::string>& paths = args.Values(kManifestsFlag.name);
  if (paths.empty()) {
    PrintUsageError(command, "--manifests is required");
    return nullptr;
  }
  ManifestLoader loader;
  for (const std::string& path : paths) loader.AddPath(path);
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  if (!cluster.ok()) {
    // errors() stays valid after Finish(). Print the errors unprefixed, one
    // per line, so each starts with its file name.
    std::string errors = absl::StrJoin(loader.errors(), "\n");
    if (errors.empty()) errors = std::string(cluster.status().message());
    absl::StrAppend(&errors, "\n");
    std::fwrite(errors.data(), 1, errors.size(), stderr);
    PrintError(command,
               absl::StrCat(loader.errors().size(), " manifest error(s)"));
    return nullptr;
  }
  CompileOptions options;
  options.ipblock_matches_pods = !args.Has(kNoIpBlockPodsFlag.name);
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
      CompiledSnapshot::Compile(*std::move(cluster), options);
  if (!snapshot.ok()) {
    PrintError(command, absl::StrCat("cannot compile the cluster: ",
                                     snapshot.status().message()));
    return nullptr;
  }
  return *std::move(snapshot);
}

}  // namespace netpol::netpolctl
