#include "client/netpolctl/args.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace netpol::netpolctl {

std::optional<absl::string_view> ParsedArgs::Value(
    absl::string_view name) const {
  auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

const std::vector<std::string>& ParsedArgs::Values(
    absl::string_view name) const {
  static const std::vector<std::string>* const kNone =
      new std::vector<std::string>();
  auto it = values.find(name);
  return it == values.end() ? *kNone : it->second;
}

absl::StatusOr<ParsedArgs> ParseArgs(absl::Span<const char* const> args,
                                     absl::Span<const FlagSpec> flags,
                                     size_t max_positionals) {
  ParsedArgs parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--") || arg == "--") {
      if (arg != "--" && parsed.positionals.size() < max_positionals) {
        parsed.positionals.emplace_back(arg);
        continue;
      }
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'"));
    }
    absl::string_view name = arg.substr(2);
    std::optional<absl::string_view> inline_value;
    if (size_t eq = name.find('='); eq != absl::string_view::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& flag : flags) {
      if (flag.name == name) spec = &flag;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag '--", name, "'"));
    }
    std::string value;
    if (!spec->takes_value) {
      if (inline_value.has_value()) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " takes no value"));
      }
    } else if (inline_value.has_value()) {
      value = std::string(*inline_value);
    } else {
      // A following flag is not taken as the value: "--src --dst y/b" is
      // far more likely a forgotten value than a file named "--dst".
      if (i + 1 == args.size() || absl::StartsWith(args[i + 1], "--")) {
        return absl::InvalidArgumentError(
            absl::StrCat("flag --", name, " needs a value"));
      }
      value = args[++i];
    }
    std::vector<std::string>& slot = parsed.values[std::string(name)];
    if (!slot.empty() && !spec->repeatable) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --", name, " given more than once"));
    }
    slot.push_back(std::move(value));
  }
  return parsed;
}

}  // namespace netpol::netpolctl
