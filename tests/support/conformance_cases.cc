#include "tests/support/conformance_cases.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

#ifndef NETPOL_CONFORMANCE_DIR
#error "NETPOL_CONFORMANCE_DIR must name tests/conformance"
#endif

namespace netpol::conformance {
namespace {

namespace fs = std::filesystem;
using ::nlohmann::json;

absl::StatusOr<json> ReadJson(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path.string()));
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::parse_error& e) {
    // e.what() carries the line and column.
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), ": ", e.what()));
  }
}

// Stores the string `object[key]` in `out`. Fails if the value is not a
// string, or if it is missing and `required`; otherwise a missing key leaves
// `out` unchanged.
absl::Status ReadString(const json& object, const char* key, bool required,
                        std::string* out) {
  if (!object.contains(key)) {
    if (!required) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("missing \"", key, "\""));
  }
  const json& value = object[key];
  if (!value.is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", key, "\" must be a string, got ", value.dump()));
  }
  *out = value.get<std::string>();
  return absl::OkStatus();
}

absl::StatusOr<ExpectedRow> ParseRow(const json& item) {
  if (!item.is_object()) return absl::InvalidArgumentError("must be an object");
  ExpectedRow row;
  row.protocol = "TCP";
  // A braced list is evaluated left to right: the first error is reported.
  for (const absl::Status& status :
       {ReadString(item, "src", /*required=*/true, &row.src),
        ReadString(item, "dst", /*required=*/true, &row.dst),
        ReadString(item, "protocol", /*required=*/false, &row.protocol),
        ReadString(item, "why", /*required=*/false, &row.why)}) {
    if (!status.ok()) return status;
  }
  for (const char* key : {"port", "allowed"}) {
    if (!item.contains(key)) {
      return absl::InvalidArgumentError(absl::StrCat("missing \"", key, "\""));
    }
  }
  const json& port = item["port"];
  if (!port.is_number_unsigned() ||
      port.get<uint64_t>() > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"port\" must be an unsigned 32-bit integer, got ", port.dump()));
  }
  row.port = port.get<uint32_t>();
  if (!item["allowed"].is_boolean()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "\"allowed\" must be true or false, got ", item["allowed"].dump()));
  }
  row.allowed = item["allowed"].get<bool>();
  return row;
}

absl::StatusOr<std::vector<ExpectedRow>> ReadRows(const fs::path& path) {
  absl::StatusOr<json> rows = ReadJson(path);
  if (!rows.ok()) return rows.status();
  if (!rows->is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), ": must be a list of rows"));
  }
  std::vector<ExpectedRow> out;
  for (size_t i = 0; i < rows->size(); ++i) {
    absl::StatusOr<ExpectedRow> row = ParseRow((*rows)[i]);
    if (!row.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.string(), ": row ", i, ": ", row.status().message(),
                       ": ", (*rows)[i].dump()));
    }
    out.push_back(*std::move(row));
  }
  return out;
}

}  // namespace

fs::path ConformanceDir() {
  if (const char* dir = std::getenv("NETPOL_CONFORMANCE_DIR"); dir && *dir) {
    return dir;
  }
  return NETPOL_CONFORMANCE_DIR;
}

std::vector<std::string> ConformanceCaseNames() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(ConformanceDir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.' || !entry.is_directory(ec)) continue;
    names.push_back(std::move(name));
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::StatusOr<ConformanceCase> LoadConformanceCase(const std::string& name) {
  ConformanceCase out;
  out.name = name;
  out.dir = ConformanceDir() / name;
  const fs::path cluster_path = out.dir / "cluster.yaml";
  if (!fs::exists(cluster_path)) {
    return absl::NotFoundError(
        absl::StrCat(cluster_path.string(), " is missing"));
  }
  out.cluster_path = cluster_path.string();

  const fs::path meta_path = out.dir / "meta.json";
  if (fs::exists(meta_path)) {
    absl::StatusOr<json> meta = ReadJson(meta_path);
    if (!meta.ok()) return meta.status();
    if (!meta->is_object()) {
      return absl::InvalidArgumentError(
          absl::StrCat(meta_path.string(), ": must be an object"));
    }
    if (meta->contains("expect_error")) {
      std::string phrase;
      if (absl::Status s = ReadString(*meta, "expect_error", true, &phrase);
          !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(meta_path.string(), ": ", s.message()));
      }
      out.expect_error = std::move(phrase);
    }
  }

  const fs::path expected_path = out.dir / "expected.json";
  if (out.expect_error.has_value() && !fs::exists(expected_path)) return out;
  absl::StatusOr<std::vector<ExpectedRow>> rows = ReadRows(expected_path);
  if (!rows.ok()) return rows.status();
  out.rows = *std::move(rows);
  return out;
}

std::string Describe(const ExpectedRow& row) {
  return absl::StrCat(row.src, " -> ", row.dst, " ", row.protocol, "/",
                      row.port);
}

std::string GtestSafeName(std::string_view name) {
  std::string out(name);
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return out;
}

}  // namespace netpol::conformance
