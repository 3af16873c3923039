#ifndef NETPOL_CORE_PROPOSED_CHANGE_H_
#define NETPOL_CORE_PROPOSED_CHANGE_H_

// A change someone proposes to a cluster, for impact analysis: objects to
// create or replace, objects to delete, label edits. Read from the same
// YAML/JSON text as manifests:
//
//   - Namespace, Pod and NetworkPolicy manifests are upserts (an object with
//     the same namespace/name is replaced, else added);
//   - documents of kind ChangeList (apiVersion netpol-pdp.dev/v1) hold
//     deletions and label edits:
//
//     apiVersion: netpol-pdp.dev/v1
//     kind: ChangeList
//     changes:
//     - deleteNetworkPolicy: {namespace: shop, name: db-policy}
//     - deletePod: {namespace: shop, name: api-0}
//     - labelPods:            # by name, or every pod a selector matches
//         namespace: shop
//         name: api-0         # or  selector: {matchLabels: {app: api}}
//         set: {app: api-v2}  # added or overwritten
//         remove: [tier]      # keys removed
//     - labelNamespace: {name: shop, set: {team: b}, remove: [env]}
//
// Operations apply in document order. Each must do something: deleting or
// relabelling an object that does not exist, or a selector matching no pod,
// is an error, so a typo never yields an empty, reassuring diff.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/label_selector.h"
#include "core/model.h"

namespace netpol {

struct DeleteObject {
  std::string namespace_name;
  std::string name;
};

struct DeletePolicy : DeleteObject {};
struct DeletePod : DeleteObject {};

struct LabelEdit {
  Labels set;                       // added or overwritten
  std::vector<std::string> remove;  // keys removed (absent keys are fine)
};

struct LabelPods {
  std::string namespace_name;
  std::string name;                       // one pod, or
  std::optional<LabelSelector> selector;  // every matching pod
  LabelEdit edit;
};

struct LabelNamespace {
  std::string name;
  LabelEdit edit;  // may not touch kubernetes.io/metadata.name
};

using ChangeOperation =
    std::variant<Namespace, Pod, NetworkPolicy, DeletePolicy, DeletePod,
                 LabelPods, LabelNamespace>;

struct ProposedChange {
  // In document order; each with the location it was read from.
  std::vector<ChangeOperation> operations;
  std::vector<SourceLocation> sources;  // parallel to operations
};

// Reads a proposed change. Errors as the manifest loader reports them:
// "<source_name>: document N: field.path: message", all of them at once.
absl::StatusOr<ProposedChange> ParseProposedChange(
    std::string_view text, std::string_view source_name);

// Reads a proposed change from files or directories, as ManifestLoader
// reads manifests.
absl::StatusOr<ProposedChange> LoadProposedChange(
    const std::vector<std::string>& paths);

// `cluster` with `change` applied, validated as a loaded cluster is
// (duplicate IPs, label syntax, implied namespaces). InvalidArgument naming
// the operation's location when an operation cannot apply.
absl::StatusOr<Cluster> ApplyProposedChange(const Cluster& cluster,
                                            const ProposedChange& change);

}  // namespace netpol

#endif  // NETPOL_CORE_PROPOSED_CHANGE_H_
