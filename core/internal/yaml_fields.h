#ifndef NETPOL_CORE_INTERNAL_YAML_FIELDS_H_
#define NETPOL_CORE_INTERNAL_YAML_FIELDS_H_

// Type-checked access to the fields of a parsed YAML node, shared by the
// object and change-list decoders. Each Expect / Get reports a mismatch at
// `path` ("expected a map, got a list") and returns false / nullopt.

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "core/object_decoder.h"
#include "yaml-cpp/yaml.h"

namespace netpol::internal {

// "path.name", or "name" at the root.
std::string Field(absl::string_view path, absl::string_view name);
// "path[i]".
std::string Index(absl::string_view path, size_t i);

// Absent keys yield an invalid node on which every accessor but
// IsDefined() throws, so absence must be tested first.
bool IsAbsent(const YAML::Node& node);
// "a map", "a list", "a scalar" or "null", for error messages.
absl::string_view DescribeNode(const YAML::Node& node);
// Child of a map node; invalid (absent) when `map` is not a map.
YAML::Node Child(const YAML::Node& map, const char* key);

bool ExpectMap(const YAML::Node& node, absl::string_view path,
               FieldErrors& errors);
bool ExpectList(const YAML::Node& node, absl::string_view path,
                FieldErrors& errors);
// nullopt when absent or not a scalar (the latter reported).
std::optional<std::string> GetString(const YAML::Node& node,
                                     absl::string_view path,
                                     FieldErrors& errors);

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_YAML_FIELDS_H_
