#include "core/validation.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace netpol {
namespace {

bool IsLowerAlnum(char c) {
  return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'z');
}

// [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])? of at most 63 characters.
bool IsQualifiedNamePart(absl::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!absl::ascii_isalnum(s.front()) || !absl::ascii_isalnum(s.back()))
    return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  }
  return true;
}

}  // namespace

std::string CheckDns1123Label(absl::string_view value) {
  if (value.empty()) return "must not be empty";
  if (value.size() > 63) return "must be no more than 63 characters";
  if (!IsLowerAlnum(value.front()) || !IsLowerAlnum(value.back()))
    return "must start and end with a lower case alphanumeric character";
  for (char c : value) {
    if (!IsLowerAlnum(c) && c != '-')
      return "must consist of lower case alphanumeric characters or '-'";
  }
  return "";
}

std::string CheckDns1123Subdomain(absl::string_view value) {
  if (value.empty()) return "must not be empty";
  if (value.size() > 253) return "must be no more than 253 characters";
  if (!IsLowerAlnum(value.front()) || !IsLowerAlnum(value.back()))
    return "must start and end with a lower case alphanumeric character";
  for (char c : value) {
    if (!IsLowerAlnum(c) && c != '-' && c != '.')
      return "must consist of lower case alphanumeric characters, '-' or '.'";
  }
  return "";
}

std::string CheckLabelKey(absl::string_view key) {
  absl::string_view name = key;
  const size_t slash = key.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (std::string prefix_error = CheckDns1123Subdomain(prefix);
        !prefix_error.empty()) {
      return absl::StrCat("prefix ", prefix_error);
    }
  }
  if (!IsQualifiedNamePart(name)) {
    return "name part must be 1-63 characters of [A-Za-z0-9._-] starting and "
           "ending with an alphanumeric character";
  }
  return "";
}

std::string CheckLabelValue(absl::string_view value) {
  if (value.empty() || IsQualifiedNamePart(value)) return "";
  return "must be at most 63 characters of [A-Za-z0-9._-] starting and "
         "ending with an alphanumeric character";
}

std::string CheckPortName(absl::string_view name) {
  if (name.empty() || name.size() > 15) return "must be 1-15 characters";
  bool has_letter = false;
  for (char c : name) {
    if (c >= 'a' && c <= 'z') {
      has_letter = true;
    } else if (!absl::ascii_isdigit(c) && c != '-') {
      return "must contain only lower case alphanumeric characters and '-'";
    }
  }
  if (!has_letter) return "must contain at least one letter";
  if (name.front() == '-' || name.back() == '-')
    return "must not begin or end with '-'";
  if (name.find("--") != absl::string_view::npos)
    return "must not contain consecutive '-'";
  return "";
}

}  // namespace netpol
