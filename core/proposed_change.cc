#include "core/proposed_change.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/internal/change_list_decoder.h"
#include "core/internal/cluster_checks.h"
#include "core/internal/document_walker.h"
#include "core/manifest_files.h"
#include "core/object_decoder.h"
#include "core/string_view_compat.h"

namespace netpol {
namespace {

// Collects the operations of every text, and every error.
class ChangeParser {
 public:
  void AddText(absl::string_view text, absl::string_view source_name) {
    internal::WalkManifestObjects(
        text, source_name, &errors_,
        [this](const internal::ManifestObject& object, FieldErrors& errors) {
          AddObject(object, errors);
        });
  }

  // `what` names the input in the error for an empty change.
  absl::StatusOr<ProposedChange> Finish(absl::string_view what) && {
    if (!errors_.empty()) {
      return internal::ErrorListStatus(errors_, "in the proposed change");
    }
    if (change_.operations.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what,
                       ": the proposed change is empty: no Namespace, Pod or "
                       "NetworkPolicy manifest and no ChangeList change"));
    }
    return std::move(change_);
  }

  std::vector<std::string>* errors() { return &errors_; }

 private:
  void AddObject(const internal::ManifestObject& object, FieldErrors& errors) {
    if (object.kind == internal::kChangeListKind) {
      internal::DecodeChangeList(object, errors, &change_);
      return;
    }
    if (!IsModelKind(object.kind)) {
      // Skipped in manifests; here it would be a change that silently
      // does nothing.
      errors.Add("kind", absl::StrCat("\"", object.kind,
                                      "\" is not supported in a proposed "
                                      "change: must be Namespace, Pod, "
                                      "NetworkPolicy or ChangeList"));
      return;
    }
    std::optional<ModelObject> decoded =
        DecodeModelObject(object.node, object.kind, object.api_version, errors);
    if (!decoded) return;
    std::visit(
        [&](auto& value) {
          value.source = object.source;
          change_.operations.push_back(std::move(value));
        },
        *decoded);
    change_.sources.push_back(object.source);
  }

  ProposedChange change_;
  std::vector<std::string> errors_;
};

std::string KeyOf(const Namespace& ns) { return ns.name; }
std::string KeyOf(const Pod& pod) {
  return absl::StrCat(pod.namespace_name, "/", pod.name);
}
std::string KeyOf(const NetworkPolicy& policy) {
  return absl::StrCat(policy.namespace_name, "/", policy.name);
}

// Objects of one kind by KeyOf, in their original order; new objects go
// last, deleted ones leave a hole until Take().
template <typename T>
class ObjectTable {
 public:
  explicit ObjectTable(const std::vector<T>& objects) {
    objects_.reserve(objects.size());
    for (const T& object : objects) {
      index_.emplace(KeyOf(object), objects_.size());
      objects_.emplace_back(object);
    }
  }

  T* Find(const std::string& key) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &*objects_[it->second];
  }

  void Upsert(T object) {
    auto [it, inserted] = index_.emplace(KeyOf(object), objects_.size());
    if (inserted) {
      objects_.emplace_back(std::move(object));
    } else {
      objects_[it->second] = std::move(object);
    }
  }

  // False when there is no such object.
  bool Erase(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    objects_[it->second].reset();
    index_.erase(it);
    return true;
  }

  template <typename Fn>
  void ForEach(Fn fn) {
    for (std::optional<T>& object : objects_) {
      if (object) fn(*object);
    }
  }

  std::vector<T> Take() && {
    std::vector<T> out;
    out.reserve(index_.size());
    for (std::optional<T>& object : objects_) {
      if (object) out.push_back(std::move(*object));
    }
    return out;
  }

 private:
  std::vector<std::optional<T>> objects_;
  absl::flat_hash_map<std::string, size_t> index_;
};

void ApplyEdit(const LabelEdit& edit, Labels& labels) {
  for (const std::string& key : edit.remove) labels.erase(key);
  for (const auto& [key, value] : edit.set) labels[key] = value;
}

// Applies operations in order, collecting an error per operation that
// cannot apply.
class ChangeApplier {
 public:
  explicit ChangeApplier(const Cluster& cluster)
      : namespaces_(cluster.namespaces),
        pods_(cluster.pods),
        policies_(cluster.policies),
        skipped_kinds_(cluster.skipped_kinds) {}

  void Apply(const ChangeOperation& operation, const SourceLocation& source) {
    // Paths relative to the operation's own location ("changes[2]").
    FieldErrors errors(
        absl::StrCat(source.file, ": document ", source.document),
        source.prefix, &errors_);
    std::visit([&](const auto& op) { ApplyOne(op, source, errors); },
               operation);
  }

  absl::StatusOr<Cluster> Finish() && {
    Cluster result;
    result.namespaces = std::move(namespaces_).Take();
    result.pods = std::move(pods_).Take();
    result.policies = std::move(policies_).Take();
    result.skipped_kinds = std::move(skipped_kinds_);
    internal::CheckClusterConsistency(result, &errors_);
    if (!errors_.empty()) {
      return internal::ErrorListStatus(errors_, "applying the proposed change");
    }
    internal::AddImpliedNamespaces(&result);
    return result;
  }

 private:
  void ApplyOne(Namespace ns, const SourceLocation& source,
                FieldErrors& errors) {
    internal::ValidateLabels(ns.labels, "metadata.labels", errors);
    ns.labels[kNamespaceNameLabel] = ns.name;  // the API server enforces it
    ns.source = source;
    namespaces_.Upsert(std::move(ns));
  }
  void ApplyOne(Pod pod, const SourceLocation& source, FieldErrors& errors) {
    internal::ValidateLabels(pod.labels, "metadata.labels", errors);
    pod.source = source;
    pods_.Upsert(std::move(pod));
  }
  void ApplyOne(NetworkPolicy policy, const SourceLocation& source,
                FieldErrors&) {
    policy.source = source;
    policies_.Upsert(std::move(policy));
  }

  void ApplyOne(const DeletePolicy& op, const SourceLocation&,
                FieldErrors& errors) {
    const std::string key = absl::StrCat(op.namespace_name, "/", op.name);
    if (!policies_.Erase(key)) {
      errors.Add("deleteNetworkPolicy",
                 absl::StrCat("NetworkPolicy ", key, " does not exist"));
    }
  }

  void ApplyOne(const DeletePod& op, const SourceLocation&,
                FieldErrors& errors) {
    const std::string key = absl::StrCat(op.namespace_name, "/", op.name);
    if (!pods_.Erase(key)) {
      errors.Add("deletePod", absl::StrCat("Pod ", key, " does not exist"));
    }
  }

  void ApplyOne(const LabelPods& op, const SourceLocation&,
                FieldErrors& errors) {
    const int before = errors.count();
    internal::ValidateLabelEdit(op.edit, /*of_namespace=*/false, "labelPods",
                                errors);
    if (errors.count() != before) return;
    if (!op.selector) {
      const std::string key = absl::StrCat(op.namespace_name, "/", op.name);
      Pod* pod = pods_.Find(key);
      if (pod == nullptr) {
        errors.Add("labelPods", absl::StrCat("Pod ", key, " does not exist"));
        return;
      }
      ApplyEdit(op.edit, pod->labels);
      return;
    }
    int matched = 0;
    pods_.ForEach([&](Pod& pod) {
      if (pod.namespace_name != op.namespace_name ||
          !op.selector->Matches(pod.labels)) {
        return;
      }
      ApplyEdit(op.edit, pod.labels);
      ++matched;
    });
    if (matched == 0) {
      errors.Add(
          "labelPods.selector",
          absl::StrCat("\"", op.selector->ToString(),
                       "\" matches no pod in namespace ", op.namespace_name));
    }
  }

  void ApplyOne(const LabelNamespace& op, const SourceLocation&,
                FieldErrors& errors) {
    const int before = errors.count();
    internal::ValidateLabelEdit(op.edit, /*of_namespace=*/true,
                                "labelNamespace", errors);
    if (errors.count() != before) return;
    Namespace* ns = namespaces_.Find(op.name);
    if (ns == nullptr) {
      errors.Add("labelNamespace",
                 absl::StrCat("Namespace ", op.name, " does not exist"));
      return;
    }
    ApplyEdit(op.edit, ns->labels);
  }

  ObjectTable<Namespace> namespaces_;
  ObjectTable<Pod> pods_;
  ObjectTable<NetworkPolicy> policies_;
  std::map<std::string, int> skipped_kinds_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::StatusOr<ProposedChange> ParseProposedChange(
    std::string_view text, std::string_view source_name) {
  ChangeParser parser;
  parser.AddText(AsAbsl(text), AsAbsl(source_name));
  return std::move(parser).Finish(AsAbsl(source_name));
}

absl::StatusOr<ProposedChange> LoadProposedChange(
    const std::vector<std::string>& paths) {
  ChangeParser parser;
  ManifestFileReader reader;
  for (const std::string& path : paths) {
    std::vector<ManifestFile> files;
    reader.Read(path, &files, parser.errors());
    for (const ManifestFile& file : files) {
      parser.AddText(file.content, file.name);
    }
  }
  return std::move(parser).Finish(absl::StrJoin(paths, ", "));
}

absl::StatusOr<Cluster> ApplyProposedChange(const Cluster& cluster,
                                            const ProposedChange& change) {
  if (change.sources.size() != change.operations.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("a proposed change needs one source per operation: ",
                     change.operations.size(), " operations, ",
                     change.sources.size(), " sources"));
  }
  ChangeApplier applier(cluster);
  for (size_t i = 0; i < change.operations.size(); ++i) {
    applier.Apply(change.operations[i], change.sources[i]);
  }
  return std::move(applier).Finish();
}

}  // namespace netpol
