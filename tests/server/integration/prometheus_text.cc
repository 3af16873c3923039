#include "tests/server/integration/prometheus_text.h"

#include <cctype>
#include <cmath>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace netpol::integration {
namespace {

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
}

std::optional<double> ParseValue(absl::string_view text) {
  if (text == "+Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text == "NaN") return std::nan("");
  double value = 0;
  if (!absl::SimpleAtod(text, &value)) return std::nullopt;
  return value;
}

// Parses `{k="v",...}` at the start of `*rest`, consuming it.
bool ParseLabels(absl::string_view* rest,
                 std::map<std::string, std::string>* labels) {
  if (!absl::ConsumePrefix(rest, "{")) return true;  // no labels
  for (;;) {
    if (absl::ConsumePrefix(rest, "}")) return true;
    size_t n = 0;
    while (n < rest->size() && IsNameChar((*rest)[n])) ++n;
    if (n == 0) return false;
    const std::string key(rest->substr(0, n));
    rest->remove_prefix(n);
    if (!absl::ConsumePrefix(rest, "=\"")) return false;
    std::string value;
    for (;;) {
      if (rest->empty()) return false;
      const char c = rest->front();
      rest->remove_prefix(1);
      if (c == '"') break;
      if (c != '\\') {
        value.push_back(c);
        continue;
      }
      if (rest->empty()) return false;
      const char e = rest->front();
      rest->remove_prefix(1);
      value.push_back(e == 'n' ? '\n' : e);
    }
    (*labels)[key] = std::move(value);
    absl::ConsumePrefix(rest, ",");
  }
}

}  // namespace

std::optional<double> Scrape::Sum(
    const std::string& name,
    const std::map<std::string, std::string>& match) const {
  std::optional<double> sum;
  for (const Sample& sample : samples) {
    if (sample.name != name) continue;
    bool matches = true;
    for (const auto& [key, value] : match) {
      auto it = sample.labels.find(key);
      if (it == sample.labels.end() || it->second != value) matches = false;
    }
    if (matches) sum = sum.value_or(0) + sample.value;
  }
  return sum;
}

absl::StatusOr<Scrape> ParsePrometheusText(const std::string& text) {
  Scrape scrape;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty()) continue;
    auto error = [&] {
      return absl::InvalidArgumentError(
          absl::StrCat("metrics line ", line_number, ": ", line));
    };
    if (absl::ConsumePrefix(&line, "#")) {
      std::vector<absl::string_view> words =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (words.size() >= 3 && words[0] == "TYPE") {
        scrape.types[std::string(words[1])] = std::string(words[2]);
      }
      continue;
    }
    Sample sample;
    size_t n = 0;
    while (n < line.size() && IsNameChar(line[n])) ++n;
    if (n == 0) return error();
    sample.name = std::string(line.substr(0, n));
    line.remove_prefix(n);
    if (!ParseLabels(&line, &sample.labels)) return error();
    std::vector<absl::string_view> rest =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (rest.empty() || rest.size() > 2) return error();
    std::optional<double> value = ParseValue(rest[0]);
    if (!value) return error();
    sample.value = *value;
    scrape.samples.push_back(std::move(sample));
  }
  return scrape;
}

}  // namespace netpol::integration
