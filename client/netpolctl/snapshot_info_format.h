#ifndef NETPOL_CLIENT_NETPOLCTL_SNAPSHOT_INFO_FORMAT_H_
#define NETPOL_CLIENT_NETPOLCTL_SNAPSHOT_INFO_FORMAT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "netpol/v1/decision.pb.h"

namespace netpol::netpolctl {

// A snapshot as `netpolctl snapshot ...` prints it, e.g.
//   version 3 (live)
//     created   2026-11-28T04:52:01.123Z
//     hash      1a2b3c4d5e6f
//     objects   2 namespaces, 5 pods, 3 network policies
//     skipped   Deployment 1, Service 2
//     source    admin push: ci-42
// `label` follows the version ("live", "dry run"); empty for none. The
// skipped line is left out when nothing was skipped.
std::string SnapshotInfoText(const v1::SnapshotInfo& info,
                             absl::string_view label);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_SNAPSHOT_INFO_FORMAT_H_
