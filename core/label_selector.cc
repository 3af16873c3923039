#include "core/label_selector.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace netpol {
namespace {

bool Contains(const std::vector<std::string>& sorted, const std::string& v) {
  return std::binary_search(sorted.begin(), sorted.end(), v);
}

}  // namespace

bool LabelSelector::Matches(const Labels& labels) const {
  for (const auto& [key, value] : match_labels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const SelectorRequirement& req : expressions) {
    auto it = labels.find(req.key);
    const bool present = it != labels.end();
    switch (req.op) {
      case SelectorOperator::kIn:
        if (!present || !Contains(req.values, it->second)) return false;
        break;
      case SelectorOperator::kNotIn:  // holds when the key is absent
        if (present && Contains(req.values, it->second)) return false;
        break;
      case SelectorOperator::kExists:
        if (!present) return false;
        break;
      case SelectorOperator::kDoesNotExist:
        if (present) return false;
        break;
    }
  }
  return true;
}

std::string LabelSelector::ToString() const {
  if (empty()) return "{}";
  std::vector<std::string> parts;
  for (const auto& [key, value] : match_labels) {
    parts.push_back(absl::StrCat(key, "=", value));
  }
  for (const SelectorRequirement& req : expressions) {
    switch (req.op) {
      case SelectorOperator::kIn:
        parts.push_back(
            absl::StrCat(req.key, " in (", absl::StrJoin(req.values, ","), ")"));
        break;
      case SelectorOperator::kNotIn:
        parts.push_back(absl::StrCat(req.key, " notin (",
                                     absl::StrJoin(req.values, ","), ")"));
        break;
      case SelectorOperator::kExists:
        parts.push_back(req.key);
        break;
      case SelectorOperator::kDoesNotExist:
        parts.push_back(absl::StrCat("!", req.key));
        break;
    }
  }
  return absl::StrJoin(parts, ",");
}

}  // namespace netpol
