#include "core/manifest_files.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace netpol {
namespace {

namespace fs = std::filesystem;

// Directory nesting followed at most.
constexpr int kMaxDirectoryDepth = 32;

bool IsManifestFile(const fs::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// Collects manifest files below `dir`. Each directory is entered once, by
// its canonical path, so symlink loops (`a -> .`) end at once instead of
// multiplying at every level.
void CollectFiles(const fs::path& dir, int depth, absl::flat_hash_set<std::string>* visited,
                  std::vector<fs::path>* files, std::vector<std::string>* errors) {
  std::error_code ec;
  const fs::path canonical = fs::canonical(dir, ec);
  if (!visited->insert(ec ? dir.string() : canonical.string()).second) return;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(".")) continue;
    entries.push_back(it->path());
  }
  if (ec) {
    errors->push_back(absl::StrCat(dir.string(), ": cannot read: ", ec.message()));
    return;
  }
  std::sort(entries.begin(), entries.end());
  for (const fs::path& entry : entries) {
    if (fs::is_directory(entry, ec)) {
      if (depth < kMaxDirectoryDepth) CollectFiles(entry, depth + 1, visited, files, errors);
    } else if (IsManifestFile(entry)) {
      files->push_back(entry);
    }
  }
}

}  // namespace

void ManifestFileReader::Read(const std::string& path, std::vector<ManifestFile>* files,
                              std::vector<std::string>* errors) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    errors->push_back(absl::StrCat(path, ": cannot read: ",
                                   ec ? ec.message() : "No such file or directory"));
    return;
  }
  if (!fs::is_directory(status)) {
    ReadFile(path, files, errors);
    return;
  }
  std::vector<fs::path> found;
  absl::flat_hash_set<std::string> visited;
  CollectFiles(path, 0, &visited, &found, errors);
  if (found.empty()) {
    errors->push_back(absl::StrCat(path, ": no .yaml, .yml or .json files found"));
  }
  for (const fs::path& file : found) ReadFile(file.string(), files, errors);
}

void ManifestFileReader::ReadFile(const std::string& path, std::vector<ManifestFile>* files,
                                  std::vector<std::string>* errors) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  if (!files_read_.insert(ec ? path : canonical.string()).second) return;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors->push_back(absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    errors->push_back(absl::StrCat(path, ": cannot read: I/O error"));
    return;
  }
  files->push_back({path, std::move(text).str()});
}

}  // namespace netpol
