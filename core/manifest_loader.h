#ifndef NETPOL_CORE_MANIFEST_LOADER_H_
#define NETPOL_CORE_MANIFEST_LOADER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "core/model.h"

namespace netpol {

// Reads Kubernetes manifests (YAML streams or JSON, `kind: List` included)
// into a validated Cluster. Errors are collected across every file and
// document, so one load reports all of them, each as
//   <file>: document <n>: <field path>: <what is wrong>
//
// Usage:
//   ManifestLoader loader;
//   loader.AddPath("manifests/");
//   absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
class ManifestLoader {
 public:
  // A file, or a directory read recursively: files ending in .yaml, .yml or
  // .json, in name order. Entries starting with "." are skipped, so the
  // "..data" indirection of a ConfigMap volume is not read twice.
  void AddPath(const std::string& path);

  // Manifest text that did not come from a file (an admin push, a test);
  // `source_name` stands for the file name in errors.
  void AddText(std::string_view text, std::string_view source_name);

  // Validates cross-object rules (duplicates, IPs claimed twice), adds
  // implied namespaces and returns the cluster, or InvalidArgument whose
  // message lists every error, one per line.
  absl::StatusOr<Cluster> Finish() &&;

  // Errors so far, one entry per problem (also available after Finish()).
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  void AddFile(const std::string& path);

  Cluster cluster_;
  std::vector<std::string> errors_;
  // Canonical paths already read: a file named twice (directly and through
  // its directory) is read once.
  absl::flat_hash_set<std::string> files_read_;
};

// Convenience: loads every path with one ManifestLoader.
absl::StatusOr<Cluster> LoadManifests(const std::vector<std::string>& paths);

}  // namespace netpol

#endif  // NETPOL_CORE_MANIFEST_LOADER_H_
