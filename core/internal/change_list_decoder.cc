#include "core/internal/change_list_decoder.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/internal/yaml_fields.h"
#include "core/validation.h"

namespace netpol::internal {
namespace {

using YAML::Node;

constexpr std::initializer_list<absl::string_view> kOperations = {
    "deleteNetworkPolicy", "deletePod", "labelPods", "labelNamespace"};

// `path["key"]`: label keys hold dots and slashes, so `path.key` would be
// ambiguous.
std::string KeyPath(absl::string_view path, absl::string_view key) {
  return absl::StrCat(path, "[\"", key, "\"]");
}

bool Contains(std::initializer_list<absl::string_view> names,
              absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Reports every key of `map` not in `allowed`, so a misspelt field is an
// error rather than silently ignored (a misspelt selector would match
// every pod).
bool CheckFields(const Node& map, absl::string_view path,
                 std::initializer_list<absl::string_view> allowed,
                 FieldErrors& errors) {
  bool ok = true;
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && Contains(allowed, entry.first.Scalar())) {
      continue;
    }
    ok = false;
    errors.Add(
        entry.first.IsScalar() ? Field(path, entry.first.Scalar())
                               : std::string(path),
        absl::StrCat("unknown field: expected ", absl::StrJoin(allowed, ", ")));
  }
  return ok;
}

using NameCheck = std::string (*)(absl::string_view);

// The required string `key` of `map`, checked by `check`; `what` names it
// in errors ("name", "namespace").
std::optional<std::string> GetName(const Node& map, const char* key,
                                   absl::string_view path, NameCheck check,
                                   absl::string_view what,
                                   FieldErrors& errors) {
  const Node node = Child(map, key);
  const std::string field = Field(path, key);
  std::optional<std::string> value = GetString(node, field, errors);
  if (!value || value->empty()) {
    if (IsAbsent(node) || value) errors.Add(field, "required");
    return std::nullopt;
  }
  if (std::string why = check(*value); !why.empty()) {
    errors.Add(field, absl::StrCat("\"", *value, "\" is not a valid ", what,
                                   ": ", why));
    return std::nullopt;
  }
  return value;
}

// `set` and `remove` of a label edit at `path`; type errors are reported
// here, the rest by ValidateLabelEdit. `report_empty` is false when the
// operation had unknown fields: a misspelt "set" was reported already.
std::optional<LabelEdit> DecodeLabelEdit(const Node& op, absl::string_view path,
                                         bool of_namespace, bool report_empty,
                                         FieldErrors& errors) {
  const int before = errors.count();
  LabelEdit edit;
  size_t entries = 0;
  const Node set = Child(op, "set");
  const std::string set_path = Field(path, "set");
  if (!IsAbsent(set) && ExpectMap(set, set_path, errors)) {
    for (const auto& entry : set) {
      ++entries;
      if (!entry.first.IsScalar()) {
        errors.Add(set_path, "label keys must be strings");
        continue;
      }
      const std::string& key = entry.first.Scalar();
      std::string value;  // a null value is the empty one, as in manifests
      if (!IsAbsent(entry.second)) {
        std::optional<std::string> text =
            GetString(entry.second, KeyPath(set_path, key), errors);
        if (!text) continue;
        value = std::move(*text);
      }
      edit.set[key] = std::move(value);
    }
  }
  const Node remove = Child(op, "remove");
  const std::string remove_path = Field(path, "remove");
  if (!IsAbsent(remove) && ExpectList(remove, remove_path, errors)) {
    for (size_t i = 0; i < remove.size(); ++i, ++entries) {
      const std::string key_path = Index(remove_path, i);
      std::optional<std::string> key = GetString(remove[i], key_path, errors);
      if (!key) {
        if (IsAbsent(remove[i])) errors.Add(key_path, "expected a label key");
        continue;
      }
      edit.remove.push_back(std::move(*key));
    }
  }
  if (report_empty && entries == 0 && errors.count() == before) {
    errors.Add(path, "must set or remove at least one label");
  }
  ValidateLabelEdit(edit, of_namespace, path, errors);
  if (errors.count() != before) return std::nullopt;
  return edit;
}

std::optional<ChangeOperation> DecodeDelete(const Node& op,
                                            absl::string_view operation,
                                            const std::string& path,
                                            FieldErrors& errors) {
  const int before = errors.count();
  CheckFields(op, path, {"namespace", "name"}, errors);
  std::optional<std::string> ns =
      GetName(op, "namespace", path, CheckDns1123Label, "namespace", errors);
  std::optional<std::string> name =
      GetName(op, "name", path, CheckDns1123Subdomain, "name", errors);
  if (errors.count() != before) return std::nullopt;
  DeleteObject target{std::move(*ns), std::move(*name)};
  if (operation == "deletePod") return DeletePod{std::move(target)};
  return DeletePolicy{std::move(target)};
}

std::optional<ChangeOperation> DecodeLabelPods(const Node& op,
                                               const std::string& path,
                                               FieldErrors& errors) {
  const int before = errors.count();
  const bool known_fields = CheckFields(
      op, path, {"namespace", "name", "selector", "set", "remove"}, errors);
  LabelPods result;
  if (auto ns = GetName(op, "namespace", path, CheckDns1123Label, "namespace",
                        errors)) {
    result.namespace_name = std::move(*ns);
  }
  const bool has_name = !IsAbsent(Child(op, "name"));
  const Node selector = Child(op, "selector");
  if (has_name == !IsAbsent(selector)) {
    errors.Add(path, has_name ? "may not specify both name and selector"
                              : "must specify name (one pod) or selector "
                                "(every matching pod)");
  } else if (has_name) {
    if (auto name =
            GetName(op, "name", path, CheckDns1123Subdomain, "name", errors)) {
      result.name = std::move(*name);
    }
  } else {
    const std::string selector_path = Field(path, "selector");
    if (ExpectMap(selector, selector_path, errors) &&
        CheckFields(selector, selector_path,
                    {"matchLabels", "matchExpressions"}, errors)) {
      result.selector = DecodeSelector(selector, selector_path, errors);
    }
  }
  if (auto edit = DecodeLabelEdit(op, path, /*of_namespace=*/false,
                                  known_fields, errors)) {
    result.edit = std::move(*edit);
  }
  if (errors.count() != before) return std::nullopt;
  return result;
}

std::optional<ChangeOperation> DecodeLabelNamespace(const Node& op,
                                                    const std::string& path,
                                                    FieldErrors& errors) {
  const int before = errors.count();
  const bool known_fields =
      CheckFields(op, path, {"name", "set", "remove"}, errors);
  LabelNamespace result;
  if (auto name =
          GetName(op, "name", path, CheckDns1123Label, "namespace", errors)) {
    result.name = std::move(*name);
  }
  if (auto edit = DecodeLabelEdit(op, path, /*of_namespace=*/true, known_fields,
                                  errors)) {
    result.edit = std::move(*edit);
  }
  if (errors.count() != before) return std::nullopt;
  return result;
}

// One item of `changes`: a map with exactly one operation key.
std::optional<ChangeOperation> DecodeChange(const Node& item,
                                            const std::string& path,
                                            FieldErrors& errors) {
  if (!ExpectMap(item, path, errors)) return std::nullopt;
  const std::string one_of =
      absl::StrCat("one of ", absl::StrJoin(kOperations, ", "));
  std::vector<std::string> operations;
  bool unknown = false;
  for (const auto& entry : item) {
    if (entry.first.IsScalar() && Contains(kOperations, entry.first.Scalar())) {
      operations.push_back(entry.first.Scalar());
      continue;
    }
    unknown = true;
    errors.Add(
        entry.first.IsScalar() ? Field(path, entry.first.Scalar()) : path,
        absl::StrCat("unknown operation: must be ", one_of));
  }
  if (unknown) return std::nullopt;
  if (operations.size() != 1) {
    errors.Add(path, operations.empty()
                         ? absl::StrCat("must hold an operation: ", one_of)
                         : absl::StrCat("must hold exactly one operation, got ",
                                        absl::StrJoin(operations, " and ")));
    return std::nullopt;
  }
  const std::string& operation = operations.front();
  const Node op = item[operation];
  const std::string op_path = Field(path, operation);
  if (!ExpectMap(op, op_path, errors)) return std::nullopt;
  if (operation == "labelPods") return DecodeLabelPods(op, op_path, errors);
  if (operation == "labelNamespace") {
    return DecodeLabelNamespace(op, op_path, errors);
  }
  return DecodeDelete(op, operation, op_path, errors);
}

}  // namespace

void DecodeChangeList(const ManifestObject& object, FieldErrors& errors,
                      ProposedChange* change) {
  if (object.api_version != kChangeListApiVersion) {
    errors.Add("apiVersion",
               absl::StrCat("\"", object.api_version,
                            "\" is not supported for ChangeList: expected \"",
                            kChangeListApiVersion, "\""));
    return;
  }
  CheckFields(object.node, "", {"apiVersion", "kind", "metadata", "changes"},
              errors);
  const Node changes = Child(object.node, "changes");
  if (!changes.IsDefined()) {
    errors.Add("changes", "required (a list of changes)");
    return;
  }
  if (changes.IsNull() || !ExpectList(changes, "changes", errors)) return;
  for (size_t i = 0; i < changes.size(); ++i) {
    const std::string path = Index("changes", i);
    std::optional<ChangeOperation> operation =
        DecodeChange(changes[i], path, errors);
    if (!operation) continue;
    SourceLocation source = object.source;
    source.prefix = Field(source.prefix, path);
    change->operations.push_back(std::move(*operation));
    change->sources.push_back(std::move(source));
  }
}

void ValidateLabels(const Labels& labels, absl::string_view path,
                    FieldErrors& errors) {
  for (const auto& [key, value] : labels) {
    if (std::string why = CheckLabelKey(key); !why.empty()) {
      errors.Add(KeyPath(path, key),
                 absl::StrCat("\"", key, "\" is not a valid label key: ", why));
    } else if (std::string why = CheckLabelValue(value); !why.empty()) {
      errors.Add(
          KeyPath(path, key),
          absl::StrCat("\"", value, "\" is not a valid label value: ", why));
    }
  }
}

void ValidateLabelEdit(const LabelEdit& edit, bool of_namespace,
                       absl::string_view path, FieldErrors& errors) {
  constexpr absl::string_view kNameLabelFixed =
      "may not be changed: every namespace carries its own name in this "
      "label";
  const std::string set_path = Field(path, "set");
  ValidateLabels(edit.set, set_path, errors);
  if (of_namespace && edit.set.contains(kNamespaceNameLabel)) {
    errors.Add(KeyPath(set_path, kNamespaceNameLabel), kNameLabelFixed);
  }
  const std::string remove_path = Field(path, "remove");
  for (size_t i = 0; i < edit.remove.size(); ++i) {
    const std::string& key = edit.remove[i];
    const std::string key_path = Index(remove_path, i);
    if (std::string why = CheckLabelKey(key); !why.empty()) {
      errors.Add(key_path,
                 absl::StrCat("\"", key, "\" is not a valid label key: ", why));
    } else if (of_namespace && key == kNamespaceNameLabel) {
      errors.Add(key_path, kNameLabelFixed);
    } else if (edit.set.contains(key)) {
      errors.Add(key_path,
                 absl::StrCat("\"", key, "\" is both set and removed"));
    }
  }
}

}  // namespace netpol::internal
