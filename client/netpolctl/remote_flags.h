#ifndef NETPOL_CLIENT_NETPOLCTL_REMOTE_FLAGS_H_
#define NETPOL_CLIENT_NETPOLCTL_REMOTE_FLAGS_H_

// Flags and helpers shared by the subcommands that talk to a live
// netpol-pdp.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/netpolctl/args.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/status.h"

namespace netpol::netpolctl {

inline constexpr FlagSpec kServerFlag = {"server", true, false};
inline constexpr FlagSpec kAdminFlag = {"admin", true, false};
inline constexpr FlagSpec kTimeoutFlag = {"timeout", true, false};

// The admin listener netpol-pdp uses by default.
inline constexpr char kDefaultAdminAddress[] = "127.0.0.1:50052";

// --timeout, 10s when absent; InvalidArgument when not a positive duration.
absl::StatusOr<absl::Duration> TimeoutFromFlags(const ParsedArgs& args);

// An insecure channel to `address`: netpol-pdp serves plaintext, on
// loopback or inside the pod network.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

// A context whose deadline is `timeout` from now.
std::unique_ptr<grpc::ClientContext> MakeContext(absl::Duration timeout);

// "<address>: <message> (<CODE>)", naming unreachable servers plainly.
std::string RpcErrorMessage(absl::string_view address,
                            const grpc::Status& status);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_REMOTE_FLAGS_H_
