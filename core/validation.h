#ifndef NETPOL_CORE_VALIDATION_H_
#define NETPOL_CORE_VALIDATION_H_

// Syntax checks the Kubernetes API server applies to names and labels.
// Each returns an empty string when valid, else the reason (no subject).

#include <string>
#include "absl/strings/string_view.h"

namespace netpol {

// RFC 1123 label: namespace names. At most 63 characters.
std::string CheckDns1123Label(absl::string_view value);
// RFC 1123 subdomain: pod and policy names. At most 253 characters.
std::string CheckDns1123Subdomain(absl::string_view value);
// Label key: [prefix/]name, as IsQualifiedName.
std::string CheckLabelKey(absl::string_view key);
// Label value: empty, or at most 63 of [A-Za-z0-9._-], alphanumeric ends.
std::string CheckLabelValue(absl::string_view value);
// IANA service name, the syntax of a named port (IsValidPortName).
std::string CheckPortName(absl::string_view name);

}  // namespace netpol

#endif  // NETPOL_CORE_VALIDATION_H_
