#include "client/netpolctl/snapshot_info_format.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace netpol::netpolctl {

std::string SnapshotInfoText(const v1::SnapshotInfo& info,
                             absl::string_view label) {
  std::string text = absl::StrCat("version ", info.version());
  if (!label.empty()) absl::StrAppend(&text, " (", label, ")");
  const absl::Time created = absl::FromUnixSeconds(info.created().seconds()) +
                             absl::Nanoseconds(info.created().nanos());
  absl::StrAppend(
      &text, "\n  created   ",
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", created, absl::UTCTimeZone()),
      "\n  hash      ", info.content_hash(), "\n  objects   ",
      info.namespaces(), " namespaces, ", info.pods(), " pods, ",
      info.network_policies(), " network policies\n");
  if (!info.skipped_kinds().empty()) {
    // The proto map has no order; print kinds sorted.
    std::map<std::string, uint32_t> skipped(info.skipped_kinds().begin(),
                                            info.skipped_kinds().end());
    absl::StrAppend(&text, "  skipped   ",
                    absl::StrJoin(skipped, ", ", absl::PairFormatter(" ")),
                    "\n");
  }
  absl::StrAppend(&text, "  source    ", info.source(), "\n");
  return text;
}

}  // namespace netpol::netpolctl
