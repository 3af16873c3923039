#include "client/netpolctl/impact_flags.h"

#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/netpolctl/command.h"
#include "client/netpolctl/remote_flags.h"
#include "core/impact.h"
#include "netpol/v1/decision.grpc.pb.h"
#include "server/impact_convert.h"

namespace netpol::netpolctl {
namespace {

// The value of flag `name` as an integer in first..last, or `fallback`
// when the flag is absent.
absl::StatusOr<uint32_t> BoundedFlag(const ParsedArgs& args,
                                     absl::string_view name, uint32_t first,
                                     uint32_t last, uint32_t fallback) {
  std::optional<absl::string_view> text = args.Value(name);
  if (!text.has_value()) return fallback;
  uint32_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < first || value > last) {
    return absl::InvalidArgumentError(absl::StrCat("--", name, " \"", *text,
                                                   "\" is not an integer in ",
                                                   first, "..", last));
  }
  return value;
}

// A server's answer indexes its own group list; a bad index must not crash
// the formatter.
bool GroupIndicesValid(const v1::AnalyzeImpactResponse& response) {
  const uint32_t groups = static_cast<uint32_t>(response.groups_size());
  for (const v1::Flip& flip : response.flips()) {
    if (flip.source_group() >= groups || flip.destination_group() >= groups) {
      return false;
    }
  }
  return true;
}

bool FailOnTriggered(const v1::AnalyzeImpactResponse& response,
                     FailOn fail_on) {
  switch (fail_on) {
    case FailOn::kNever:
      return false;
    case FailOn::kNewlyDenied:
      return response.totals().newly_denied_flows() > 0;
    case FailOn::kAny:
      return response.totals().flips() > 0 || response.pods_added_size() > 0 ||
             response.pods_removed_size() > 0;
  }
  return false;
}

}  // namespace

absl::StatusOr<ImpactOutputOptions> ImpactOutputOptionsFromFlags(
    const ParsedArgs& args) {
  ImpactOutputOptions options;
  absl::string_view format_name =
      args.Value(kImpactFormatFlag.name).value_or("text");
  std::optional<ImpactFormat> format = ParseImpactFormat(format_name);
  if (!format.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --format \"", format_name,
                     "\"; expected text, json, csv or md"));
  }
  options.format = *format;
  if (std::optional<absl::string_view> fail_on = args.Value(kFailOnFlag.name)) {
    if (*fail_on == "newly-denied") {
      options.fail_on = FailOn::kNewlyDenied;
    } else if (*fail_on == "any") {
      options.fail_on = FailOn::kAny;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown --fail-on \"", *fail_on,
                       "\"; expected newly-denied or any"));
    }
  }
  absl::StatusOr<uint32_t> max_flips =
      BoundedFlag(args, kMaxFlipsFlag.name, 1, kMaxMaxFlips, kDefaultMaxFlips);
  if (!max_flips.ok()) return max_flips.status();
  options.max_flips = *max_flips;
  absl::StatusOr<uint32_t> samples =
      BoundedFlag(args, kSamplesFlag.name, 0, kMaxSamples, 0);
  if (!samples.ok()) return samples.status();
  options.samples = *samples;
  return options;
}

absl::StatusOr<uint64_t> VersionFromFlag(const ParsedArgs& args,
                                         absl::string_view name) {
  std::optional<absl::string_view> text = args.Value(name);
  if (!text.has_value()) return 0;
  uint64_t version = 0;
  if (!absl::SimpleAtoi(*text, &version) || version == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", name, " \"", *text, "\" is not a snapshot version (1, 2, ...)"));
  }
  return version;
}

bool RejectFlags(const ParsedArgs& args, absl::string_view command,
                 std::initializer_list<absl::string_view> flags,
                 absl::string_view reason) {
  for (absl::string_view flag : flags) {
    if (args.Has(flag)) {
      PrintUsageError(command, absl::StrCat("--", flag, " ", reason));
      return false;
    }
  }
  return true;
}

v1::AnalyzeImpactResponse CompareSnapshots(const CompiledSnapshot& before,
                                           const CompiledSnapshot& after,
                                           const ImpactOutputOptions& options) {
  ImpactOptions impact_options;
  impact_options.max_flips = options.max_flips;
  impact_options.samples_per_flip = options.samples;
  const ImpactReport report = DiffSnapshots(before, after, impact_options);
  server::ImpactResponseLimits limits;
  limits.max_pods_per_group = kMaxPodsPerGroup;
  v1::AnalyzeImpactResponse response;
  server::ImpactReportToProto(report, limits, &response);
  return response;
}

void PrintChangeErrors(absl::string_view command, absl::string_view message) {
  std::string errors = absl::StrCat(message, "\n");
  std::fwrite(errors.data(), 1, errors.size(), stderr);
  PrintError(command, "invalid proposed change; nothing compared");
}

std::optional<v1::AnalyzeImpactResponse> AnalyzeImpactRemotely(
    const ParsedArgs& args, v1::AnalyzeImpactRequest request,
    const ImpactOutputOptions& options, absl::string_view command) {
  absl::StatusOr<absl::Duration> timeout = TimeoutFromFlags(args);
  if (!timeout.ok()) {
    PrintUsageError(command, timeout.status().message());
    return std::nullopt;
  }
  request.set_max_flips(options.max_flips);
  request.set_samples_per_flip(options.samples);
  request.set_max_pods_per_group(kMaxPodsPerGroup);

  const std::string address(*args.Value(kServerFlag.name));
  auto stub = v1::PolicyDecisionPoint::NewStub(MakeChannel(address));
  v1::AnalyzeImpactResponse response;
  std::unique_ptr<grpc::ClientContext> context = MakeContext(*timeout);
  grpc::Status status = stub->AnalyzeImpact(context.get(), request, &response);
  if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
      request.has_proposed_change()) {
    PrintChangeErrors(command, status.error_message());
    return std::nullopt;
  }
  if (!status.ok()) {
    PrintError(command, RpcErrorMessage(address, status));
    return std::nullopt;
  }
  if (!GroupIndicesValid(response)) {
    PrintError(command, absl::StrCat("netpol-pdp at ", address,
                                     ": malformed response: a flip names a "
                                     "group that is not in it"));
    return std::nullopt;
  }
  return response;
}

int RunComparison(const ParsedArgs& args, absl::string_view command,
                  ImpactSource remote, ImpactSource offline) {
  absl::StatusOr<ImpactOutputOptions> options =
      ImpactOutputOptionsFromFlags(args);
  if (!options.ok()) {
    PrintUsageError(command, options.status().message());
    return kExitUsage;
  }
  std::optional<v1::AnalyzeImpactResponse> response =
      args.Has(kServerFlag.name) ? remote(args, *options)
                                 : offline(args, *options);
  if (!response.has_value()) return kExitUsage;
  const std::string output = FormatImpact(*response, options->format);
  std::fwrite(output.data(), 1, output.size(), stdout);
  return FailOnTriggered(*response, options->fail_on) ? kExitFailOn : kExitOk;
}

}  // namespace netpol::netpolctl
