#include "core/manifest_loader.h"

#include <optional>
#include <utility>
#include <variant>

#include "core/internal/cluster_checks.h"
#include "core/internal/document_walker.h"
#include "core/object_decoder.h"
#include "core/string_view_compat.h"

namespace netpol {
namespace {

void AddTo(Cluster& cluster, Namespace ns) {
  cluster.namespaces.push_back(std::move(ns));
}
void AddTo(Cluster& cluster, Pod pod) {
  cluster.pods.push_back(std::move(pod));
}
void AddTo(Cluster& cluster, NetworkPolicy policy) {
  cluster.policies.push_back(std::move(policy));
}

}  // namespace

void ManifestLoader::AddPath(const std::string& path) {
  std::vector<ManifestFile> files;
  file_reader_.Read(path, &files, &errors_);
  for (const ManifestFile& file : files) AddText(file.content, file.name);
}

void ManifestLoader::AddText(std::string_view text,
                             std::string_view source_name) {
  internal::WalkManifestObjects(
      AsAbsl(text), AsAbsl(source_name), &errors_,
      [this](const internal::ManifestObject& object, FieldErrors& errors) {
        if (!IsModelKind(object.kind)) {
          ++cluster_.skipped_kinds[object.kind];
          return;
        }
        std::optional<ModelObject> decoded = DecodeModelObject(
            object.node, object.kind, object.api_version, errors);
        if (!decoded) return;
        std::visit(
            [&](auto& value) {
              value.source = object.source;
              AddTo(cluster_, std::move(value));
            },
            *decoded);
      });
}

absl::StatusOr<Cluster> ManifestLoader::Finish() && {
  internal::CheckClusterConsistency(cluster_, &errors_);
  if (!errors_.empty()) {
    return internal::ErrorListStatus(errors_, "in manifests");
  }
  internal::AddImpliedNamespaces(&cluster_);
  return std::move(cluster_);
}

absl::StatusOr<Cluster> LoadManifests(const std::vector<std::string>& paths) {
  ManifestLoader loader;
  for (const std::string& path : paths) loader.AddPath(path);
  return std::move(loader).Finish();
}

}  // namespace netpol
