#ifndef NETPOL_CORE_INTERNAL_CLUSTER_CHECKS_H_
#define NETPOL_CORE_INTERNAL_CLUSTER_CHECKS_H_

// Rules that span objects, applied to a loaded cluster and to a cluster
// with a proposed change applied, and the error formatting they share.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/model.h"

namespace netpol::internal {

// "<file>: document <n>", then ": <prefix>" when the source has one.
std::string DescribeSource(const SourceLocation& source);

// "<file>: document <n>: <prefix>.<path>: <message>"; the field part is
// left out when both prefix and path are empty.
std::string LocatedError(const SourceLocation& source, absl::string_view path,
                         absl::string_view message);

// Appends one error per object defined twice (same kind and
// namespace/name) and per pod-network IP claimed by two pods, each at the
// later object's source.
void CheckClusterConsistency(const Cluster& cluster,
                             std::vector<std::string>* errors);

// Adds the namespaces that pods or policies use but none declares, with
// only their name label (as the API server would have them), in order of
// first use.
void AddImpliedNamespaces(Cluster* cluster);

// InvalidArgument: "<n> error(s) <context>:" then one error per line.
absl::Status ErrorListStatus(const std::vector<std::string>& errors,
                             absl::string_view context);

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_CLUSTER_CHECKS_H_
