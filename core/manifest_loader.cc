#include "core/manifest_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <cstring>
#include <system_error>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/object_decoder.h"
#include "yaml-cpp/yaml.h"

namespace netpol {
namespace {

namespace fs = std::filesystem;

// Directory nesting followed at most; guards against symlink loops.
constexpr int kMaxDirectoryDepth = 32;

struct RawDocument {
  std::string text;
  int first_line = 0;  // 0-based line of the document's first text line
};

bool IsBlankOrComment(absl::string_view line) {
  for (char c : line) {
    if (c == '#') return true;
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// Splits a YAML stream at "---" / "..." markers so each document parses on
// its own: one broken document does not hide errors in the others, and
// errors can name the document. A marker at column 0 is never content.
std::vector<RawDocument> SplitDocuments(absl::string_view text) {
  std::vector<RawDocument> docs(1);
  bool has_content = false;  // whether docs.back() holds anything but blanks
  bool seen_marker = false;
  int line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view line = text.substr(pos, end - pos);
    const bool start_marker =
        absl::StartsWith(line, "---") &&
        (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    const bool end_marker =
        absl::StartsWith(line, "...") &&
        (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
    if (start_marker) {
      // Text before the first marker is a document only if it has content.
      if (seen_marker || has_content) docs.emplace_back();
      seen_marker = true;
      has_content = false;
      docs.back().first_line = line_no;
      // Content may follow the marker on the same line ("--- {a: 1}").
      if (line.size() > 3) absl::StrAppend(&docs.back().text, line.substr(3));
      docs.back().text.push_back('\n');
    } else if (end_marker) {
      // Ends the document; what follows belongs to no document until "---".
    } else {
      if (docs.back().text.empty()) docs.back().first_line = line_no;
      absl::StrAppend(&docs.back().text, line);
      docs.back().text.push_back('\n');
      if (!IsBlankOrComment(line)) has_content = true;
    }
    pos = end + 1;
    ++line_no;
  }
  if (!seen_marker && !has_content) docs.clear();
  return docs;
}

bool IsManifestFile(const fs::path& path) {
  const std::string ext = path.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

void CollectFiles(const fs::path& dir, int depth, std::vector<fs::path>* files,
                  std::vector<std::string>* errors) {
  std::error_code ec;
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
      if (depth < kMaxDirectoryDepth) CollectFiles(entry, depth + 1, files, errors);
    } else if (IsManifestFile(entry)) {
      files->push_back(entry);
    }
  }
}

class DocumentDecoder {
 public:
  DocumentDecoder(Cluster* cluster, std::vector<std::string>* errors)
      : cluster_(cluster), errors_(errors) {}

  void DecodeText(absl::string_view text, absl::string_view source) {
    std::vector<RawDocument> docs = SplitDocuments(text);
    for (size_t i = 0; i < docs.size(); ++i) {
      const int number = static_cast<int>(i) + 1;
      const std::string location = absl::StrCat(source, ": document ", number);
      YAML::Node root;
      try {
        root = YAML::Load(docs[i].text);
      } catch (const YAML::Exception& e) {
        errors_->push_back(absl::StrCat(location, ": invalid YAML at line ",
                                        docs[i].first_line + e.mark.line + 1, ", column ",
                                        e.mark.column + 1, ": ", e.msg));
        continue;
      }
      DecodeRoot(root, SourceLocation{std::string(source), number, ""}, location);
    }
  }

 private:
  void DecodeRoot(const YAML::Node& root, SourceLocation source,
                  const std::string& location) {
    if (!root.IsDefined() || root.IsNull()) return;  // an empty document
    FieldErrors errors(location, "", errors_);
    try {
      DecodeObject(root, source, errors);
    } catch (const YAML::Exception& e) {
      // The decoder checks node types before access; this is a safety net.
      errors.Add("", absl::StrCat("unreadable object: ", e.what()));
    }
  }

  void DecodeObject(const YAML::Node& object, const SourceLocation& source,
                    FieldErrors& errors) {
    if (!object.IsMap()) {
      errors.Add("", object.IsSequence()
                         ? "expected a map (a Kubernetes object), got a list"
                         : "expected a map (a Kubernetes object), got a scalar");
      return;
    }
    const YAML::Node kind_node = object["kind"];
    const YAML::Node version_node = object["apiVersion"];
    if (!kind_node.IsDefined() || !kind_node.IsScalar()) {
      errors.Add("kind", "required (a string)");
      return;
    }
    const std::string kind = kind_node.Scalar();
    const std::string api_version =
        version_node.IsDefined() && version_node.IsScalar() ? version_node.Scalar() : "";
    const YAML::Node items = object["items"];
    if (absl::EndsWith(kind, "List") && items.IsDefined()) {
      DecodeList(items, source, errors);
      return;
    }
    const bool core_kind = kind == "Namespace" || kind == "Pod";
    if (core_kind || kind == "NetworkPolicy") {
      const std::string expected = core_kind ? "v1" : "networking.k8s.io/v1";
      if (api_version != expected) {
        errors.Add("apiVersion", absl::StrCat("\"", api_version, "\" is not supported for ",
                                              kind, ": expected \"", expected, "\""));
        return;
      }
    }
    if (kind == "Namespace") {
      if (auto ns = DecodeNamespace(object, errors)) {
        ns->source = source;
        cluster_->namespaces.push_back(std::move(*ns));
      }
    } else if (kind == "Pod") {
      if (auto pod = DecodePod(object, errors)) {
        pod->source = source;
        cluster_->pods.push_back(std::move(*pod));
      }
    } else if (kind == "NetworkPolicy") {
      if (auto policy = DecodeNetworkPolicy(object, errors)) {
        policy->source = source;
        cluster_->policies.push_back(std::move(*policy));
      }
    } else {
      ++cluster_->skipped_kinds[kind];
    }
  }

  void DecodeList(const YAML::Node& items, const SourceLocation& source,
                  FieldErrors& errors) {
    if (items.IsNull()) return;
    if (!items.IsSequence()) {
      errors.Add("items", "expected a list");
      return;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      SourceLocation item_source = source;
      item_source.prefix = absl::StrCat(source.prefix.empty() ? "" : source.prefix + ".",
                                        "items[", i, "]");
      FieldErrors item_errors(errors.location(), item_source.prefix, errors_);
      DecodeObject(items[i], item_source, item_errors);
    }
  }

  Cluster* cluster_;
  std::vector<std::string>* errors_;
};

std::string Describe(const SourceLocation& source) {
  std::string out = absl::StrCat(source.file, ": document ", source.document);
  if (!source.prefix.empty()) absl::StrAppend(&out, ": ", source.prefix);
  return out;
}

std::string Located(const SourceLocation& source, absl::string_view path,
                    absl::string_view message) {
  std::string field = source.prefix;
  if (!path.empty()) field = field.empty() ? std::string(path) : absl::StrCat(field, ".", path);
  return absl::StrCat(source.file, ": document ", source.document, ": ", field, ": ",
                      message);
}

// Reports objects defined twice; `key` names an object uniquely.
template <typename T, typename KeyFn>
void CheckUnique(const std::vector<T>& objects, absl::string_view kind, KeyFn key,
                 std::vector<std::string>* errors) {
  absl::flat_hash_map<std::string, const SourceLocation*> seen;
  for (const T& object : objects) {
    auto [it, inserted] = seen.emplace(key(object), &object.source);
    if (!inserted) {
      errors->push_back(Located(object.source, "metadata.name",
                                absl::StrCat(kind, " ", it->first, " is defined twice (first at ",
                                             Describe(*it->second), ")")));
    }
  }
}

}  // namespace

void ManifestLoader::AddPath(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    errors_.push_back(absl::StrCat(path, ": cannot read: ",
                                   ec ? ec.message() : "No such file or directory"));
    return;
  }
  if (!fs::is_directory(status)) {
    AddFile(path);
    return;
  }
  std::vector<fs::path> files;
  CollectFiles(path, 0, &files, &errors_);
  if (files.empty()) {
    errors_.push_back(absl::StrCat(path, ": no .yaml, .yml or .json files found"));
  }
  for (const fs::path& file : files) AddFile(file.string());
}

void ManifestLoader::AddFile(const std::string& path) {
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(path, ec);
  if (!files_read_.insert(ec ? path : canonical.string()).second) return;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors_.push_back(absl::StrCat(path, ": cannot read: ", std::strerror(errno)));
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    errors_.push_back(absl::StrCat(path, ": cannot read: I/O error"));
    return;
  }
  AddText(text.str(), path);
}

void ManifestLoader::AddText(std::string_view text, std::string_view source_name) {
  DocumentDecoder(&cluster_, &errors_)
      .DecodeText(absl::string_view(text.data(), text.size()),
                  absl::string_view(source_name.data(), source_name.size()));
}

absl::StatusOr<Cluster> ManifestLoader::Finish() && {
  CheckUnique(cluster_.namespaces, "Namespace",
              [](const Namespace& ns) { return ns.name; }, &errors_);
  CheckUnique(cluster_.pods, "Pod",
              [](const Pod& pod) { return absl::StrCat(pod.namespace_name, "/", pod.name); },
              &errors_);
  CheckUnique(cluster_.policies, "NetworkPolicy",
              [](const NetworkPolicy& p) { return absl::StrCat(p.namespace_name, "/", p.name); },
              &errors_);

  // Pod-network addresses are unique; hostNetwork pods share their node's.
  absl::flat_hash_map<IpAddress, const Pod*> owners;
  for (const Pod& pod : cluster_.pods) {
    if (pod.host_network) continue;
    for (const IpAddress& ip : pod.ips) {
      auto [it, inserted] = owners.emplace(ip, &pod);
      if (!inserted) {
        errors_.push_back(Located(
            pod.source, "status.podIPs",
            absl::StrCat("IP ", ip.ToString(), " is also used by pod ",
                         it->second->namespace_name, "/", it->second->name, " (",
                         Describe(it->second->source), ")")));
      }
    }
  }

  if (!errors_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(errors_.size(), errors_.size() == 1 ? " error" : " errors",
                     " in manifests:\n", absl::StrJoin(errors_, "\n")));
  }

  // A namespace used but not declared exists with only its name label.
  absl::flat_hash_set<std::string> declared;
  for (const Namespace& ns : cluster_.namespaces) declared.insert(ns.name);
  auto imply = [&](const std::string& name, const SourceLocation& source) {
    if (!declared.insert(name).second) return;
    Namespace ns;
    ns.name = name;
    ns.labels[kNamespaceNameLabel] = name;
    ns.source = source;
    cluster_.namespaces.push_back(std::move(ns));
  };
  for (const Pod& pod : cluster_.pods) imply(pod.namespace_name, pod.source);
  for (const NetworkPolicy& p : cluster_.policies) imply(p.namespace_name, p.source);
  return std::move(cluster_);
}

absl::StatusOr<Cluster> LoadManifests(const std::vector<std::string>& paths) {
  ManifestLoader loader;
  for (const std::string& path : paths) loader.AddPath(path);
  return std::move(loader).Finish();
}

}  // namespace netpol
