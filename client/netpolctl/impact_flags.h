#ifndef NETPOL_CLIENT_NETPOLCTL_IMPACT_FLAGS_H_
#define NETPOL_CLIENT_NETPOLCTL_IMPACT_FLAGS_H_

// What `netpolctl impact` and `netpolctl diff` share: the output flags, the
// two ways to obtain an AnalyzeImpactResponse (compare compiled snapshots
// in-process, or ask a server), and printing it with --fail-on.

#include <cstdint>
#include <initializer_list>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/netpolctl/args.h"
#include "client/netpolctl/impact_format.h"
#include "core/compiled_snapshot.h"
#include "netpol/v1/decision.pb.h"

namespace netpol::netpolctl {

inline constexpr FlagSpec kImpactFormatFlag = {"format", true, false};
inline constexpr FlagSpec kFailOnFlag = {"fail-on", true, false};
inline constexpr FlagSpec kMaxFlipsFlag = {"max-flips", true, false};
inline constexpr FlagSpec kSamplesFlag = {"samples", true, false};

// Defaults and bounds shared with the server, so that offline and remote
// runs list the same flips.
inline constexpr uint32_t kDefaultMaxFlips = 1000;
inline constexpr uint32_t kMaxMaxFlips = 100000;
inline constexpr uint32_t kMaxSamples = 100;
inline constexpr uint32_t kMaxPodsPerGroup = 100;

enum class FailOn {
  kNever,
  kNewlyDenied,  // some flow is newly denied
  kAny,          // anything is reported: a flip, or a pod added or removed
};

struct ImpactOutputOptions {
  ImpactFormat format = ImpactFormat::kText;
  FailOn fail_on = FailOn::kNever;
  uint32_t max_flips = kDefaultMaxFlips;
  uint32_t samples = 0;
};

// --format, --fail-on, --max-flips, --samples; InvalidArgument naming the
// flag and the accepted values.
absl::StatusOr<ImpactOutputOptions> ImpactOutputOptionsFromFlags(
    const ParsedArgs& args);

// A snapshot version flag (--version, --version-b): a positive integer, or
// 0 (the live snapshot) when absent.
absl::StatusOr<uint64_t> VersionFromFlag(const ParsedArgs& args,
                                         absl::string_view name);

// False, after printing a usage error, when one of `flags` was given:
// `reason` says why it is not allowed ("needs --server").
bool RejectFlags(const ParsedArgs& args, absl::string_view command,
                 std::initializer_list<absl::string_view> flags,
                 absl::string_view reason);

// The verdict changes from `before` to `after`, as the server would answer
// AnalyzeImpact (before_version and after_version left 0).
v1::AnalyzeImpactResponse CompareSnapshots(const CompiledSnapshot& before,
                                           const CompiledSnapshot& after,
                                           const ImpactOutputOptions& options);

// Sends `request` (its max_flips, samples and member limits are set from
// `options`) to the data plane named by --server, honouring --timeout. On
// failure prints the error and returns nullopt: the caller exits with
// kExitUsage. An INVALID_ARGUMENT answer (a change that does not parse or
// apply) is printed one problem per line, as offline runs print it.
std::optional<v1::AnalyzeImpactResponse> AnalyzeImpactRemotely(
    const ParsedArgs& args, v1::AnalyzeImpactRequest request,
    const ImpactOutputOptions& options, absl::string_view command);

// Prints why the proposed change could not be read or applied: `message`
// (one problem per line, as the core reports them) unprefixed to stderr,
// then "netpolctl <command>: invalid proposed change; nothing compared".
void PrintChangeErrors(absl::string_view command, absl::string_view message);

// A way to produce the report: against a server or offline. nullopt when
// it failed (already reported).
using ImpactSource = std::optional<v1::AnalyzeImpactResponse> (*)(
    const ParsedArgs& args, const ImpactOutputOptions& options);

// The body of `impact` and `diff`: reads the output flags, runs `remote`
// with --server and `offline` without, and prints the report. Returns
// kExitFailOn when --fail-on triggers, kExitUsage on any failure, else
// kExitOk.
int RunComparison(const ParsedArgs& args, absl::string_view command,
                  ImpactSource remote, ImpactSource offline);

}  // namespace netpol::netpolctl

#endif  // NETPOL_CLIENT_NETPOLCTL_IMPACT_FLAGS_H_
