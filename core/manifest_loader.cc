#include "core/manifest_loader.h"

#include <algorithm>
#include <optional>
#include <sstream>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/object_decoder.h"
#include "yaml-cpp/eventhandler.h"
#include "yaml-cpp/yaml.h"

namespace netpol {
namespace {


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

bool IsMarker(absl::string_view line, absl::string_view marker) {
  return absl::StartsWith(line, marker) &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r');
}

// Splits a YAML stream at "---" / "..." markers so each document parses on
// its own: one broken document does not hide errors in the others, and
// errors can name the document. A marker at column 0 is never content. A
// document starts at "---", or at the first content line of the stream or
// after "...".
std::vector<RawDocument> SplitDocuments(absl::string_view text) {
  std::vector<RawDocument> docs;
  bool open = false;  // whether lines go to docs.back()
  int line_no = 0;
  for (size_t pos = 0; pos < text.size(); ++line_no) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    const absl::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (IsMarker(line, "---")) {
      docs.push_back({"", line_no});
      open = true;
      // Content may follow the marker on the same line ("--- {a: 1}").
      absl::StrAppend(&docs.back().text, line.substr(3), "\n");
      continue;
    }
    if (IsMarker(line, "...")) {
      open = false;
      continue;
    }
    if (!open) {
      if (IsBlankOrComment(line)) continue;
      docs.push_back({"", line_no});
      open = true;
    }
    absl::StrAppend(&docs.back().text, line, "\n");
  }
  return docs;
}

// Finds the first alias (`*name`) of a YAML document. Aliases are refused:
// yaml-cpp shares aliased nodes, but decoding walks each reference again,
// so a few hundred bytes of nested aliases could expand into billions of
// objects (the "billion laughs" attack) on an admin push.
class AliasFinder : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> first_alias;

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    if (!first_alias) first_alias = mark;
  }
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Throws YAML::Exception on a syntax error, as YAML::Load would.
std::optional<YAML::Mark> FirstAlias(const std::string& text) {
  if (text.find('*') == std::string::npos) return std::nullopt;  // fast path
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  AliasFinder finder;
  parser.HandleNextDocument(finder);
  return finder.first_alias;
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
        if (std::optional<YAML::Mark> alias = FirstAlias(docs[i].text)) {
          errors_->push_back(absl::StrCat(location, ": line ",
                                          docs[i].first_line + alias->line + 1,
                                          ": YAML aliases (*name) are not supported"));
          continue;
        }
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

  // The kind and apiVersion a typed list (PodList, ...) gives its items,
  // which the API server sends without their own.
  struct ListDefaults {
    std::string kind;
    std::string api_version;
  };

  static std::string ScalarOr(const YAML::Node& node, const std::string& fallback) {
    return node.IsDefined() && node.IsScalar() ? node.Scalar() : fallback;
  }

  void DecodeObject(const YAML::Node& object, const SourceLocation& source,
                    FieldErrors& errors, const ListDefaults* list = nullptr) {
    if (!object.IsMap()) {
      errors.Add("", object.IsSequence()
                         ? "expected a map (a Kubernetes object), got a list"
                         : "expected a map (a Kubernetes object), got a scalar");
      return;
    }
    const YAML::Node kind_node = object["kind"];
    if (kind_node.IsDefined() && !kind_node.IsScalar()) {
      errors.Add("kind", "expected a string");
      return;
    }
    const std::string kind = ScalarOr(kind_node, list ? list->kind : "");
    if (kind.empty()) {
      errors.Add("kind", "required (a string)");
      return;
    }
    const std::string api_version =
        ScalarOr(object["apiVersion"], list ? list->api_version : "");
    const YAML::Node items = object["items"];
    if (absl::EndsWith(kind, "List") && items.IsDefined()) {
      if (list != nullptr) {
        errors.Add("", "a List inside a List is not supported");
        return;
      }
      DecodeList(items, ListDefaults{kind.substr(0, kind.size() - 4), api_version}, source,
                 errors);
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

  // `defaults.kind` is empty for a plain `kind: List`.
  void DecodeList(const YAML::Node& items, const ListDefaults& defaults,
                  const SourceLocation& source, FieldErrors& errors) {
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
      DecodeObject(items[i], item_source, item_errors, &defaults);
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
  std::vector<ManifestFile> files;
  file_reader_.Read(path, &files, &errors_);
  for (const ManifestFile& file : files) AddText(file.content, file.name);
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
