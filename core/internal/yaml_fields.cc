#include "core/internal/yaml_fields.h"

#include "absl/strings/str_cat.h"

namespace netpol::internal {

std::string Field(absl::string_view path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

std::string Index(absl::string_view path, size_t i) {
  return absl::StrCat(path, "[", i, "]");
}

bool IsAbsent(const YAML::Node& node) {
  return !node.IsDefined() || node.IsNull();
}

absl::string_view DescribeNode(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "null";
  }
}

YAML::Node Child(const YAML::Node& map, const char* key) {
  if (IsAbsent(map) || !map.IsMap()) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return map[key];
}

bool ExpectMap(const YAML::Node& node, absl::string_view path,
               FieldErrors& errors) {
  if (node.IsMap()) return true;
  errors.Add(path, absl::StrCat("expected a map, got ", DescribeNode(node)));
  return false;
}

bool ExpectList(const YAML::Node& node, absl::string_view path,
                FieldErrors& errors) {
  if (node.IsSequence()) return true;
  errors.Add(path, absl::StrCat("expected a list, got ", DescribeNode(node)));
  return false;
}

std::optional<std::string> GetString(const YAML::Node& node,
                                     absl::string_view path,
                                     FieldErrors& errors) {
  if (IsAbsent(node)) return std::nullopt;
  if (!node.IsScalar()) {
    errors.Add(path,
               absl::StrCat("expected a string, got ", DescribeNode(node)));
    return std::nullopt;
  }
  return node.Scalar();
}

}  // namespace netpol::internal
