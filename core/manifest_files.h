#ifndef NETPOL_CORE_MANIFEST_FILES_H_
#define NETPOL_CORE_MANIFEST_FILES_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace netpol {

struct ManifestFile {
  std::string name;  // the path as given or found; errors name files by it
  std::string content;
};

// Finds and reads manifest files the way every tool of the project does:
// a path is a file, or a directory read recursively — files ending in
// .yaml, .yml or .json, in name order; entries starting with "." skipped
// (so a ConfigMap volume's "..data" indirection is read once); each
// directory entered once by its canonical path (symlink loops end at once).
// A file named twice, across calls too, is read once.
class ManifestFileReader {
 public:
  // Appends what `path` holds to `files`, and one line per problem to
  // `errors`: "<path>: cannot read: ...", "<dir>: no .yaml, .yml or .json
  // files found".
  void Read(const std::string& path, std::vector<ManifestFile>* files,
            std::vector<std::string>* errors);

 private:
  void ReadFile(const std::string& path, std::vector<ManifestFile>* files,
                std::vector<std::string>* errors);

  absl::flat_hash_set<std::string> files_read_;  // canonical paths
};

}  // namespace netpol

#endif  // NETPOL_CORE_MANIFEST_FILES_H_
