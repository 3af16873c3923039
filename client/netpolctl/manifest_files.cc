#include "client/netpolctl/manifest_files.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace netpol::netpolctl {
namespace {

namespace fs = std::filesystem;

// As core/manifest_loader.cc: guards against symlink loops.
constexpr int kMaxDirectoryDepth = 32;

bool IsManifestFile(const fs::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

class Reader {
 public:
  void AddPath(const std::string& path) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      errors_.push_back(absl::StrCat(
          path,
          ": cannot read: ", ec ? ec.message() : "No such file or directory"));
      return;
    }
    if (!fs::is_directory(status)) {
      AddFile(path);
      return;
    }
    const size_t before = files_.size();
    AddDirectory(path, 0);
    if (files_.size() == before) {
      errors_.push_back(
          absl::StrCat(path, ": no .yaml, .yml or .json files found"));
    }
  }

  absl::StatusOr<std::vector<ManifestFileText>> Finish() && {
    if (!errors_.empty()) {
      return absl::InvalidArgumentError(absl::StrJoin(errors_, "\n"));
    }
    return std::move(files_);
  }

 private:
  void AddDirectory(const fs::path& dir, int depth) {
    std::error_code ec;
    std::vector<fs::path> entries;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->path().filename().string().starts_with(".")) continue;
      entries.push_back(it->path());
    }
    if (ec) {
      errors_.push_back(
          absl::StrCat(dir.string(), ": cannot read: ", ec.message()));
      return;
    }
    std::sort(entries.begin(), entries.end());
    for (const fs::path& entry : entries) {
      if (fs::is_directory(entry, ec)) {
        if (depth < kMaxDirectoryDepth) AddDirectory(entry, depth + 1);
      } else if (IsManifestFile(entry)) {
        AddFile(entry.string());
      }
    }
  }

  void AddFile(const std::string& path) {
    std::error_code ec;
    const fs::path canonical = fs::weakly_canonical(path, ec);
    if (!seen_.insert(ec ? path : canonical.string()).second) return;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      errors_.push_back(
          absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
      return;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
      errors_.push_back(absl::StrCat(path, ": cannot read: I/O error"));
      return;
    }
    files_.push_back({path, std::move(text).str()});
  }

  std::vector<ManifestFileText> files_;
  std::vector<std::string> errors_;
  absl::flat_hash_set<std::string> seen_;
};

}  // namespace

absl::StatusOr<std::vector<ManifestFileText>> ReadManifestFiles(
    const std::vector<std::string>& paths) {
  Reader reader;
  for (const std::string& path : paths) reader.AddPath(path);
  return std::move(reader).Finish();
}

}  // namespace netpol::netpolctl
