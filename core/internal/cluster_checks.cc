#include "core/internal/cluster_checks.h"

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace netpol::internal {
namespace {

// Reports objects defined twice; `key` names an object uniquely.
template <typename T, typename KeyFn>
void CheckUnique(const std::vector<T>& objects, absl::string_view kind,
                 KeyFn key, std::vector<std::string>* errors) {
  absl::flat_hash_map<std::string, const SourceLocation*> seen;
  for (const T& object : objects) {
    auto [it, inserted] = seen.emplace(key(object), &object.source);
    if (!inserted) {
      errors->push_back(LocatedError(
          object.source, "metadata.name",
          absl::StrCat(kind, " ", it->first, " is defined twice (first at ",
                       DescribeSource(*it->second), ")")));
    }
  }
}

}  // namespace

std::string DescribeSource(const SourceLocation& source) {
  std::string out = absl::StrCat(source.file, ": document ", source.document);
  if (!source.prefix.empty()) absl::StrAppend(&out, ": ", source.prefix);
  return out;
}

std::string LocatedError(const SourceLocation& source, absl::string_view path,
                         absl::string_view message) {
  std::string field = source.prefix;
  if (!path.empty()) {
    field = field.empty() ? std::string(path) : absl::StrCat(field, ".", path);
  }
  std::string out = absl::StrCat(source.file, ": document ", source.document);
  if (!field.empty()) absl::StrAppend(&out, ": ", field);
  absl::StrAppend(&out, ": ", message);
  return out;
}

void CheckClusterConsistency(const Cluster& cluster,
                             std::vector<std::string>* errors) {
  CheckUnique(
      cluster.namespaces, "Namespace",
      [](const Namespace& ns) { return ns.name; }, errors);
  CheckUnique(
      cluster.pods, "Pod",
      [](const Pod& pod) {
        return absl::StrCat(pod.namespace_name, "/", pod.name);
      },
      errors);
  CheckUnique(
      cluster.policies, "NetworkPolicy",
      [](const NetworkPolicy& p) {
        return absl::StrCat(p.namespace_name, "/", p.name);
      },
      errors);

  // Pod-network addresses are unique; hostNetwork pods share their node's.
  absl::flat_hash_map<IpAddress, const Pod*> owners;
  for (const Pod& pod : cluster.pods) {
    if (pod.host_network) continue;
    for (const IpAddress& ip : pod.ips) {
      auto [it, inserted] = owners.emplace(ip, &pod);
      if (!inserted) {
        errors->push_back(LocatedError(
            pod.source, "status.podIPs",
            absl::StrCat("IP ", ip.ToString(), " is also used by pod ",
                         it->second->namespace_name, "/", it->second->name,
                         " (", DescribeSource(it->second->source), ")")));
      }
    }
  }
}

void AddImpliedNamespaces(Cluster* cluster) {
  absl::flat_hash_set<std::string> declared;
  for (const Namespace& ns : cluster->namespaces) declared.insert(ns.name);
  auto imply = [&](const std::string& name, const SourceLocation& source) {
    if (!declared.insert(name).second) return;
    Namespace ns;
    ns.name = name;
    ns.labels[kNamespaceNameLabel] = name;
    ns.source = source;
    cluster->namespaces.push_back(std::move(ns));
  };
  for (const Pod& pod : cluster->pods) imply(pod.namespace_name, pod.source);
  for (const NetworkPolicy& p : cluster->policies) {
    imply(p.namespace_name, p.source);
  }
}

absl::Status ErrorListStatus(const std::vector<std::string>& errors,
                             absl::string_view context) {
  return absl::InvalidArgumentError(
      absl::StrCat(errors.size(), errors.size() == 1 ? " error " : " errors ",
                   context, ":\n", absl::StrJoin(errors, "\n")));
}

}  // namespace netpol::internal
