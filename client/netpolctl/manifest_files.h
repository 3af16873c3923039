#ifndef NETPOL_CLIENT_NETPOLCTL_MANIFEST_FILES_H_
#define NETPOL_CLIENT_NETPOLCTL_MANIFEST_FILES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace netpol::netpolctl {

struct ManifestFileText {
  std::string name;  // the path, as ManifestLoader names files in errors
  std::string content;
};

// Reads the files `paths` name, as ManifestLoader::AddPath would: a file,
// or a directory read recursively (.yaml, .yml, .json, in name order,
// entries starting with "." skipped). A file named twice is read once.
// Fails with every unreadable path, one per line.
absl::StatusOr<std::vector<ManifestFileText>> ReadManifestFiles(
    const std::vector<std::string>& paths);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_MANIFEST_FILES_H_
