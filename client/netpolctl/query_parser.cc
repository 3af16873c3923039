#include "client/netpolctl/query_parser.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/string_view_compat.h"
#include "nlohmann/json.hpp"

namespace netpol::netpolctl {
namespace {

using json = nlohmann::json;

enum class Field { kOther, kSrc, kDst, kPort, kProtocol };

Field FieldOf(absl::string_view key) {
  if (key == "src") return Field::kSrc;
  if (key == "dst") return Field::kDst;
  if (key == "port") return Field::kPort;
  if (key == "protocol") return Field::kProtocol;
  return Field::kOther;
}

absl::string_view FieldName(Field field) {
  switch (field) {
    case Field::kSrc:
      return "src";
    case Field::kDst:
      return "dst";
    case Field::kPort:
      return "port";
    case Field::kProtocol:
      return "protocol";
    case Field::kOther:
      break;
  }
  return "";
}

// Receives nlohmann's SAX events for one line and keeps only the top-level
// fields of a query, so no JSON tree is built per line.
class QueryHandler {
 public:
  QueryHandler(std::string* src, std::string* dst, std::string* protocol)
      : src_(src), dst_(dst), protocol_(protocol) {}

  // The json_sax interface. Returning false stops parsing, which only a
  // syntax error does: a wrongly typed field is reported after the parse.
  bool null() { return OtherValue(); }
  bool boolean(bool) { return OtherValue(); }
  bool number_integer(json::number_integer_t value) { return Port(value); }
  bool number_unsigned(json::number_unsigned_t value) {
    // Anything above 65535 is out of range; clamping keeps it so.
    return Port(static_cast<int64_t>(std::min<uint64_t>(value, 65536)));
  }
  bool number_float(json::number_float_t, const json::string_t& text) {
    // An integer too large for uint64_t also arrives here; it is a port out
    // of range, not a non-integer.
    if (text.find_first_of(".eE") == std::string::npos) return Port(65536);
    return OtherValue();
  }
  bool string(json::string_t& value) {
    Field field = TakeField();
    switch (field) {
      case Field::kSrc:
        src_->assign(value);  // assign() reuses the buffer's capacity
        break;
      case Field::kDst:
        dst_->assign(value);
        break;
      case Field::kProtocol:
        protocol_->assign(value);
        break;
      case Field::kPort:
        TypeError(field);
        return true;
      case Field::kOther:
        return true;
    }
    Seen(field);
    return true;
  }
  bool binary(json::binary_t&) { return OtherValue(); }
  bool start_object(std::size_t) {
    if (depth_ == 0) {
      is_object_ = true;
    } else {
      OtherValue();
    }
    ++depth_;
    return true;
  }
  bool key(json::string_t& key) {
    if (depth_ == 1) pending_ = FieldOf(key);
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) {
    OtherValue();
    ++depth_;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const json::exception& error) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1,
    // column 5: syntax error while parsing ..."; the JSON line number is
    // always 1 here and would be confused with the input line.
    absl::string_view what = error.what();
    size_t detail = what.find("syntax error");
    if (detail == absl::string_view::npos) {
      detail = what.find("] ");
      detail = detail == absl::string_view::npos ? 0 : detail + 2;
    }
    syntax_error_ = absl::StrCat("invalid JSON at byte ", position, ": ",
                                 what.substr(detail));
    return false;
  }

  const std::optional<std::string>& syntax_error() const {
    return syntax_error_;
  }
  bool is_object() const { return is_object_; }
  std::optional<Field> type_error() const { return type_error_; }
  bool seen(Field field) const {
    return (seen_ & (1u << static_cast<int>(field))) != 0;
  }
  int64_t port() const { return port_; }

 private:
  // The top-level field the value being read belongs to; kOther for
  // unknown keys and nested values.
  Field TakeField() {
    if (depth_ != 1) return Field::kOther;
    return std::exchange(pending_, Field::kOther);
  }
  bool OtherValue() {
    Field field = TakeField();
    if (field != Field::kOther) TypeError(field);
    return true;
  }
  bool Port(int64_t value) {
    Field field = TakeField();
    if (field == Field::kPort) {
      port_ = value;
      Seen(field);
    } else if (field != Field::kOther) {
      TypeError(field);
    }
    return true;
  }
  void TypeError(Field field) {
    if (!type_error_.has_value()) type_error_ = field;
  }
  void Seen(Field field) { seen_ |= 1u << static_cast<int>(field); }

  std::string* src_;
  std::string* dst_;
  std::string* protocol_;
  int depth_ = 0;
  Field pending_ = Field::kOther;
  bool is_object_ = false;
  unsigned seen_ = 0;
  int64_t port_ = 0;
  std::optional<Field> type_error_;
  std::optional<std::string> syntax_error_;
};

}  // namespace

absl::StatusOr<Endpoint> ParseEndpointField(absl::string_view field,
                                            absl::string_view text) {
  std::optional<Endpoint> endpoint = ParseEndpoint(AsStd(text));
  if (!endpoint.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " \"", text,
                     "\" is neither a pod (namespace/name) nor an IP "
                     "address"));
  }
  return *std::move(endpoint);
}

absl::StatusOr<Protocol> ParseProtocolField(absl::string_view text) {
  // Upper-cased in a stack buffer: the longest name is "SCTP".
  char upper[4];
  std::optional<Protocol> protocol;
  if (text.size() <= sizeof(upper)) {
    for (size_t i = 0; i < text.size(); ++i) {
      upper[i] = absl::ascii_toupper(static_cast<unsigned char>(text[i]));
    }
    protocol = ParseProtocol(std::string_view(upper, text.size()));
  }
  if (!protocol.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown protocol \"", text, "\"; expected TCP, UDP or SCTP"));
  }
  return *protocol;
}

absl::Status CheckPort(int64_t port) {
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError("port must be in 1..65535");
  }
  return absl::OkStatus();
}

absl::Status QueryParser::Parse(absl::string_view line,
                                Connection* connection) {
  if (absl::StripAsciiWhitespace(line).empty()) {
    return absl::InvalidArgumentError("empty line");
  }
  QueryHandler handler(&src_, &dst_, &protocol_);
  json::sax_parse(line.begin(), line.end(), &handler);
  if (handler.syntax_error().has_value()) {
    return absl::InvalidArgumentError(*handler.syntax_error());
  }
  if (!handler.is_object()) {
    return absl::InvalidArgumentError("expected a JSON object");
  }
  if (std::optional<Field> field = handler.type_error(); field.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", FieldName(*field), "\" must be ",
                     *field == Field::kPort ? "an integer" : "a string"));
  }
  for (Field field : {Field::kSrc, Field::kDst, Field::kPort}) {
    if (!handler.seen(field)) {
      return absl::InvalidArgumentError(
          absl::StrCat("missing \"", FieldName(field), "\""));
    }
  }
  absl::StatusOr<Endpoint> source = ParseEndpointField("src", src_);
  if (!source.ok()) return source.status();
  absl::StatusOr<Endpoint> destination = ParseEndpointField("dst", dst_);
  if (!destination.ok()) return destination.status();
  if (absl::Status status = CheckPort(handler.port()); !status.ok()) {
    return status;
  }
  Protocol protocol = Protocol::kTcp;
  if (handler.seen(Field::kProtocol)) {
    absl::StatusOr<Protocol> parsed = ParseProtocolField(protocol_);
    if (!parsed.ok()) return parsed.status();
    protocol = *parsed;
  }
  connection->source = *std::move(source);
  connection->destination = *std::move(destination);
  connection->port = static_cast<uint32_t>(handler.port());
  connection->protocol = protocol;
  return absl::OkStatus();
}

}  // namespace netpol::netpolctl
