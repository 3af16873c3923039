#ifndef NETPOL_CLIENT_NETPOLCTL_DECISION_SOURCE_FLAGS_H_
#define NETPOL_CLIENT_NETPOLCTL_DECISION_SOURCE_FLAGS_H_

#include <memory>

#include "absl/strings/string_view.h"
#include "client/netpolctl/args.h"
#include "client/netpolctl/decision_source.h"

namespace netpol::netpolctl {

// The decision source the flags ask for: a live netpol-pdp with --server,
// else the cluster of --manifests compiled in-process. On a usage or
// manifest error prints it to stderr and returns nullptr: the caller exits
// with kExitUsage.
std::unique_ptr<DecisionSource> DecisionSourceFromFlags(
    const ParsedArgs& args, absl::string_view command);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_DECISION_SOURCE_FLAGS_H_
