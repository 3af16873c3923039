#include "core/internal/document_walker.h"

#include <optional>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "yaml-cpp/eventhandler.h"

namespace netpol::internal {
namespace {

struct RawDocument {
  std::string text;
  int first_line = 0;  // 0-based line of the document's first text line
};

bool IsBlankOrComment(absl::string_view line) {
  for (char c : line) {
    if (c == '#') return true;
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

bool IsMarker(absl::string_view line, absl::string_view marker) {
  return absl::StartsWith(line, marker) &&
         (line.size() == 3 || line[3] == ' ' || line[3] == '\t' ||
          line[3] == '\r');
}

// Splits a YAML stream at "---" / "..." markers so each document parses on
// its own. A marker at column 0 is never content. A document starts at
// "---", or at the first content line of the stream or after "...".
std::vector<RawDocument> SplitDocuments(absl::string_view text) {
  std::vector<RawDocument> docs;
  bool open = false;  // whether lines go to docs.back()
  int line_no = 0;
  for (size_t pos = 0; pos < text.size(); ++line_no) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    const absl::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (IsMarker(line, "---")) {
      docs.push_back({"", line_no});
      open = true;
      // Content may follow the marker on the same line ("--- {a: 1}").
      absl::StrAppend(&docs.back().text, line.substr(3), "\n");
      continue;
    }
    if (IsMarker(line, "...")) {
      open = false;
      continue;
    }
    if (!open) {
      if (IsBlankOrComment(line)) continue;
      docs.push_back({"", line_no});
      open = true;
    }
    absl::StrAppend(&docs.back().text, line, "\n");
  }
  return docs;
}

// Finds the first alias (`*name`) of a YAML document. Aliases are refused:
// yaml-cpp shares aliased nodes, but decoding walks each reference again,
// so a few hundred bytes of nested aliases could expand into billions of
// objects (the "billion laughs" attack) on an admin push.
class AliasFinder : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> first_alias;

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    if (!first_alias) first_alias = mark;
  }
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Throws YAML::Exception on a syntax error, as YAML::Load would.
std::optional<YAML::Mark> FirstAlias(const std::string& text) {
  if (text.find('*') == std::string::npos) return std::nullopt;  // fast path
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  AliasFinder finder;
  parser.HandleNextDocument(finder);
  return finder.first_alias;
}

std::string ScalarOr(const YAML::Node& node, const std::string& fallback) {
  return node.IsDefined() && node.IsScalar() ? node.Scalar() : fallback;
}

using Visitor = std::function<void(const ManifestObject&, FieldErrors&)>;

class ObjectWalker {
 public:
  ObjectWalker(std::vector<std::string>* errors, const Visitor& visit)
      : errors_(errors), visit_(visit) {}

  void WalkDocument(const YAML::Node& root, const SourceLocation& source,
                    const std::string& location) {
    if (!root.IsDefined() || root.IsNull()) return;  // an empty document
    FieldErrors errors(location, "", errors_);
    try {
      WalkObject(root, source, errors);
    } catch (const YAML::Exception& e) {
      // Decoders check node types before access; this is a safety net.
      errors.Add("", absl::StrCat("unreadable object: ", e.what()));
    }
  }

 private:
  // The kind and apiVersion a typed list (PodList, ...) gives its items,
  // which the API server sends without their own.
  struct ListDefaults {
    std::string kind;
    std::string api_version;
  };

  void WalkObject(const YAML::Node& object, const SourceLocation& source,
                  FieldErrors& errors, const ListDefaults* list = nullptr) {
    if (!object.IsMap()) {
      errors.Add("", object.IsSequence()
                         ? "expected a map (a Kubernetes object), got a list"
                         : "expected a map (a Kubernetes object), got a "
                           "scalar");
      return;
    }
    const YAML::Node kind_node = object["kind"];
    if (kind_node.IsDefined() && !kind_node.IsScalar()) {
      errors.Add("kind", "expected a string");
      return;
    }
    const std::string kind = ScalarOr(kind_node, list ? list->kind : "");
    if (kind.empty()) {
      errors.Add("kind", "required (a string)");
      return;
    }
    const std::string api_version =
        ScalarOr(object["apiVersion"], list ? list->api_version : "");
    const YAML::Node items = object["items"];
    // The project's own ChangeList is no list of "Change" objects: it gets
    // to report a misplaced `items` itself.
    if (absl::EndsWith(kind, "List") && kind != "ChangeList" &&
        items.IsDefined()) {
      if (list != nullptr) {
        errors.Add("", "a List inside a List is not supported");
        return;
      }
      WalkList(items,
               ListDefaults{kind.substr(0, kind.size() - 4), api_version},
               source, errors);
      return;
    }
    visit_(ManifestObject{object, kind, api_version, source}, errors);
  }

  // `defaults.kind` is empty for a plain `kind: List`.
  void WalkList(const YAML::Node& items, const ListDefaults& defaults,
                const SourceLocation& source, FieldErrors& errors) {
    if (items.IsNull()) return;
    if (!items.IsSequence()) {
      errors.Add("items", "expected a list");
      return;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      SourceLocation item_source = source;
      item_source.prefix = absl::StrCat(
          source.prefix.empty() ? "" : source.prefix + ".", "items[", i, "]");
      FieldErrors item_errors(errors.location(), item_source.prefix, errors_);
      WalkObject(items[i], item_source, item_errors, &defaults);
    }
  }

  std::vector<std::string>* errors_;
  const Visitor& visit_;
};

}  // namespace

void WalkManifestObjects(absl::string_view text, absl::string_view source_name,
                         std::vector<std::string>* errors,
                         const Visitor& visit) {
  std::vector<RawDocument> docs = SplitDocuments(text);
  ObjectWalker walker(errors, visit);
  for (size_t i = 0; i < docs.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    const std::string location =
        absl::StrCat(source_name, ": document ", number);
    YAML::Node root;
    try {
      if (std::optional<YAML::Mark> alias = FirstAlias(docs[i].text)) {
        errors->push_back(absl::StrCat(
            location, ": line ", docs[i].first_line + alias->line + 1,
            ": YAML aliases (*name) are not supported"));
        continue;
      }
      root = YAML::Load(docs[i].text);
    } catch (const YAML::Exception& e) {
      errors->push_back(absl::StrCat(location, ": invalid YAML at line ",
                                     docs[i].first_line + e.mark.line + 1,
                                     ", column ", e.mark.column + 1, ": ",
                                     e.msg));
      continue;
    }
    walker.WalkDocument(
        root, SourceLocation{std::string(source_name), number, ""}, location);
  }
}

}  // namespace netpol::internal
