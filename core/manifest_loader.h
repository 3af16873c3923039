#ifndef NETPOL_CORE_MANIFEST_LOADER_H_
#define NETPOL_CORE_MANIFEST_LOADER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/manifest_files.h"
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
  // A file, or a directory read recursively (see ManifestFileReader:
  // .yaml, .yml and .json files in name order, dot entries skipped, each
  // file and directory read once).
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
  Cluster cluster_;
  std::vector<std::string> errors_;
  ManifestFileReader file_reader_;
};

// Convenience: loads every path with one ManifestLoader.
absl::StatusOr<Cluster> LoadManifests(const std::vector<std::string>& paths);

}  // namespace netpol

#endif  // NETPOL_CORE_MANIFEST_LOADER_H_
