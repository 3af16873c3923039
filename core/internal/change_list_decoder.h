#ifndef NETPOL_CORE_INTERNAL_CHANGE_LIST_DECODER_H_
#define NETPOL_CORE_INTERNAL_CHANGE_LIST_DECODER_H_

// Decodes a ChangeList document (see core/proposed_change.h) into change
// operations: deletions and label edits.

#include "absl/strings/string_view.h"
#include "core/internal/document_walker.h"
#include "core/object_decoder.h"
#include "core/proposed_change.h"

namespace netpol::internal {

inline constexpr char kChangeListKind[] = "ChangeList";
inline constexpr char kChangeListApiVersion[] = "netpol-pdp.dev/v1";

// Appends the operations of `object` (kind ChangeList) to `change`, each
// with its source ("changes[i]" under the object's prefix). Reports every
// problem to `errors`, a wrong apiVersion included; operations with errors
// are left out.
void DecodeChangeList(const ManifestObject& object, FieldErrors& errors,
                      ProposedChange* change);

// Checks the syntax of label keys and values, reporting each problem at
// `path["key"]`. Upserted objects built in code skip the decoder's checks.
void ValidateLabels(const Labels& labels, absl::string_view path,
                    FieldErrors& errors);

// Checks a label edit at `path` ("labelPods", ...): label key and value
// syntax, no key both set and removed, and for a namespace (`of_namespace`)
// that kubernetes.io/metadata.name is left alone. Shared by the decoder and
// ApplyProposedChange, which may be given changes built in code.
void ValidateLabelEdit(const LabelEdit& edit, bool of_namespace,
                       absl::string_view path, FieldErrors& errors);

}  // namespace netpol::internal

#endif  // NETPOL_CORE_INTERNAL_CHANGE_LIST_DECODER_H_
