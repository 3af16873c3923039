#ifndef NETPOL_CORE_INTERNAL_DOCUMENT_WALKER_H_
#define NETPOL_CORE_INTERNAL_DOCUMENT_WALKER_H_

// Finds the Kubernetes objects of a YAML or JSON text, for the manifest
// loader and the proposed change parser: splits the stream into documents
// (so one broken document does not hide errors in the others, and errors
// can name the document), refuses YAML aliases, and expands `kind: List`
// and typed lists (PodList, ...).

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/model.h"
#include "core/object_decoder.h"
#include "yaml-cpp/yaml.h"

namespace netpol::internal {

// One object: a document, or a member of a List document.
struct ManifestObject {
  const YAML::Node& node;   // a map
  std::string kind;         // never empty; a typed list's items inherit it
  std::string api_version;  // empty when absent
  SourceLocation source;    // prefix "items[i]" for a List member
};

// Calls `visit` for every object of `text`, with the errors sink of its
// document (field paths relative to the object). Syntax errors and
// malformed objects (not a map, no kind, a List in a List) are appended to
// `errors` as "<source_name>: document <n>: ...". A YAML exception thrown
// by `visit` is reported as an unreadable object.
void WalkManifestObjects(
    absl::string_view text, absl::string_view source_name,
    std::vector<std::string>* errors,
    const std::function<void(const ManifestObject&, FieldErrors&)>& visit);

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_DOCUMENT_WALKER_H_
