#ifndef NETPOL_CORE_STRING_VIEW_COMPAT_H_
#define NETPOL_CORE_STRING_VIEW_COMPAT_H_

// Debian's Abseil is built with its own absl::string_view rather than an
// alias of std::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), while the
// core API uses std::string_view. These convert where the two meet.

#include <string_view>

#include "absl/strings/string_view.h"

namespace netpol {

inline absl::string_view AsAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}

inline std::string_view AsStd(absl::string_view text) {
  return std::string_view(text.data(), text.size());
}

}  // namespace netpol

#endif  // NETPOL_CORE_STRING_VIEW_COMPAT_H_
