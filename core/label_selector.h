#ifndef NETPOL_CORE_LABEL_SELECTOR_H_
#define NETPOL_CORE_LABEL_SELECTOR_H_

#include <string>
#include <vector>

#include "absl/container/btree_map.h"

namespace netpol {

// Labels of a pod or namespace. Ordered so equal label sets compare and hash
// equal, which the compiler relies on to build equivalence classes.
using Labels = absl::btree_map<std::string, std::string>;

enum class SelectorOperator { kIn, kNotIn, kExists, kDoesNotExist };

struct SelectorRequirement {
  std::string key;
  SelectorOperator op = SelectorOperator::kIn;
  std::vector<std::string> values;  // sorted, for In / NotIn only
};

// A metav1.LabelSelector: matchLabels and matchExpressions, all ANDed.
// The empty selector matches everything.
struct LabelSelector {
  Labels match_labels;
  std::vector<SelectorRequirement> expressions;

  bool empty() const { return match_labels.empty() && expressions.empty(); }
  bool Matches(const Labels& labels) const;
  // Canonical text, e.g. "app=db,tier notin (a,b),!quarantine"; "{}" when
  // empty. Used in explanations and as an identity key.
  std::string ToString() const;
};

}  // namespace netpol

#endif  // NETPOL_CORE_LABEL_SELECTOR_H_
