#ifndef NETPOL_CORE_OBJECT_DECODER_H_
#define NETPOL_CORE_OBJECT_DECODER_H_

// Turns one parsed Kubernetes object into a model struct, validating it as
// the API server would. Internal to the manifest loader and the proposed
// change parser.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/label_selector.h"
#include "core/model.h"

namespace YAML {
class Node;
}

namespace netpol {

// Collects errors of one document, each prefixed with its location.
class FieldErrors {
 public:
  // `location` is "<file>: document <n>"; `path_prefix` is prepended to
  // every field path ("items[2]" for a List member, else empty).
  FieldErrors(std::string location, std::string path_prefix,
              std::vector<std::string>* sink)
      : location_(std::move(location)),
        prefix_(std::move(path_prefix)),
        sink_(sink) {}

  void Add(absl::string_view path, absl::string_view message);
  int count() const { return count_; }
  const std::string& location() const { return location_; }

 private:
  std::string location_;
  std::string prefix_;
  std::vector<std::string>* sink_;
  int count_ = 0;
};

// Each returns nullopt when the object had errors (already reported).
std::optional<Namespace> DecodeNamespace(const YAML::Node& object,
                                         FieldErrors& errors);
std::optional<Pod> DecodePod(const YAML::Node& object, FieldErrors& errors);
std::optional<NetworkPolicy> DecodeNetworkPolicy(const YAML::Node& object,
                                                 FieldErrors& errors);

using ModelObject = std::variant<Namespace, Pod, NetworkPolicy>;

// Whether the model holds objects of `kind`: Namespace, Pod, NetworkPolicy.
bool IsModelKind(absl::string_view kind);

// An object of a model kind, after checking that `api_version` is the one
// this project reads for it. The caller sets the object's source.
std::optional<ModelObject> DecodeModelObject(const YAML::Node& object,
                                             absl::string_view kind,
                                             absl::string_view api_version,
                                             FieldErrors& errors);

// A metav1.LabelSelector at `path`. Null or absent is the empty selector
// (both select everything); errors are reported, and the selector
// returned holds the parts that were valid.
LabelSelector DecodeSelector(const YAML::Node& node, absl::string_view path,
                             FieldErrors& errors);

}  // namespace netpol

#endif  // NETPOL_CORE_OBJECT_DECODER_H_
