#include "client/netpolctl/impact_format.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "client/netpolctl/output_format.h"
#include "core/impact.h"
#include "core/label_selector.h"

namespace netpol::netpolctl {
namespace {

using ordered_json = nlohmann::ordered_json;

// Text and Markdown name at most this many members of a group; JSON and
// CSV list every name the response holds.
constexpr int kTextPodNames = 5;
constexpr int kTextCidrs = 4;

std::string Plural(uint64_t count, absl::string_view noun) {
  return absl::StrCat(count, " ", noun, count == 1 ? "" : "s");
}

absl::string_view ChangeName(v1::FlowChange change) {
  return change == v1::NEWLY_ALLOWED ? "newly-allowed" : "newly-denied";
}

absl::string_view ProtocolText(v1::Protocol protocol) {
  switch (protocol) {
    case v1::UDP:
      return "UDP";
    case v1::SCTP:
      return "SCTP";
    default:
      return "TCP";  // unspecified means TCP, as in Kubernetes
  }
}

using LabelMap = google::protobuf::Map<std::string, std::string>;

// The proto map has no order; sort it so every rendering is stable.
std::map<std::string, std::string> Sorted(const LabelMap& labels) {
  return {labels.begin(), labels.end()};
}

// "app=web,tier=frontend", the selector syntax of kubectl.
std::string LabelsText(const LabelMap& labels) {
  return absl::StrJoin(Sorted(labels), ",", absl::PairFormatter("="));
}

// "app=web", "<no labels>", "app=api->api-v2,tier=web" for a relabelled
// group (netpol::LabelsText).
std::string GroupLabelsText(const v1::FlowGroup& group) {
  const Labels before(group.labels().begin(), group.labels().end());
  if (!group.relabeled()) return netpol::LabelsText(before);
  const Labels after(group.labels_after().begin(), group.labels_after().end());
  return netpol::LabelsText(before, &after);
}

ordered_json LabelsToJson(const LabelMap& labels) {
  ordered_json json = ordered_json::object();
  for (const auto& [key, value] : Sorted(labels)) json[key] = value;
  return json;
}

std::string PodRefText(const v1::PodRef& pod) {
  return absl::StrCat(pod.namespace_(), "/", pod.name());
}

std::string EndpointText(const v1::Endpoint& endpoint) {
  return endpoint.has_pod() ? PodRefText(endpoint.pod()) : endpoint.ip();
}

// Up to `limit` items, then "+N more" counting up to `total`.
std::string ShortList(
    const google::protobuf::RepeatedPtrField<std::string>& items, int limit,
    uint64_t total) {
  const int shown = std::min(items.size(), limit);
  std::string out = absl::StrJoin(items.begin(), items.begin() + shown, ", ");
  if (total > static_cast<uint64_t>(shown)) {
    absl::StrAppend(&out, ", +", total - shown, " more");
  }
  return out;
}

// "prod [app=web] (3 pods: web-0, web-1, web-2)" or
// "external 10.0.0.0/8, 192.168.0.0/16".
std::string GroupText(const v1::FlowGroup& group) {
  if (group.external()) {
    return absl::StrCat("external ",
                        ShortList(group.cidrs(), kTextCidrs,
                                  static_cast<uint64_t>(group.cidrs_size())));
  }
  std::string out =
      absl::StrCat(group.namespace_(), " [", GroupLabelsText(group), "] (",
                   Plural(group.pod_count(), "pod"));
  if (!group.pods().empty()) {
    absl::StrAppend(&out, ": ",
                    ShortList(group.pods(), kTextPodNames, group.pod_count()));
  }
  return absl::StrCat(out, ")");
}

std::string PortText(const v1::PortRange& range) {
  return range.first() == range.last()
             ? absl::StrCat(range.first())
             : absl::StrCat(range.first(), "-", range.last());
}

std::string PortsText(const v1::Flip& flip, absl::string_view separator) {
  std::vector<std::string> ports;
  for (const v1::PortRange& range : flip.ports()) {
    ports.push_back(PortText(range));
  }
  return absl::StrJoin(ports, separator);
}

const v1::FlowGroup& Source(const v1::AnalyzeImpactResponse& response,
                            const v1::Flip& flip) {
  return response.groups(static_cast<int>(flip.source_group()));
}

const v1::FlowGroup& Destination(const v1::AnalyzeImpactResponse& response,
                                 const v1::Flip& flip) {
  return response.groups(static_cast<int>(flip.destination_group()));
}

// "prod/api-0 -> prod/db-0 TCP/3306", as check prints a connection.
std::string SampleText(const v1::Connection& sample) {
  return absl::StrCat(EndpointText(sample.source()), " -> ",
                      EndpointText(sample.destination()), " ",
                      ProtocolText(sample.protocol()), "/", sample.port());
}

// "2 flows newly denied, 0 newly allowed, 3 pods affected (1 flip)", then
// "; 1 pod added, 0 removed" when pods came or went.
std::string SummaryText(const v1::AnalyzeImpactResponse& response) {
  const v1::ImpactTotals& totals = response.totals();
  const bool pods_changed =
      response.pods_added_size() > 0 || response.pods_removed_size() > 0;
  if (totals.flips() == 0 && !pods_changed) return "No connectivity change.";
  std::string out =
      totals.flips() == 0
          ? "No flow changes verdict"
          : absl::StrCat(Plural(totals.newly_denied_flows(), "flow"),
                         " newly denied, ", totals.newly_allowed_flows(),
                         " newly allowed, ",
                         Plural(totals.pods_affected(), "pod"), " affected (",
                         Plural(totals.flips(), "flip"), ")");
  if (pods_changed) {
    absl::StrAppend(&out, "; ", Plural(response.pods_added_size(), "pod"),
                    " added, ", response.pods_removed_size(), " removed");
  }
  return out;
}

// Why the response is incomplete, or "" when it is not.
std::string TruncationText(const v1::AnalyzeImpactResponse& response) {
  if (!response.truncated()) return "";
  std::vector<std::string> parts;
  const uint64_t flips = response.totals().flips();
  if (flips > static_cast<uint64_t>(response.flips_size())) {
    parts.push_back(absl::StrCat("only the first ", response.flips_size(),
                                 " of ", flips,
                                 " flips are listed (--max-flips)"));
  }
  const bool lists_cut = std::any_of(
      response.groups().begin(), response.groups().end(),
      [](const v1::FlowGroup& group) {
        return group.pods_size() < static_cast<int64_t>(group.pod_count());
      });
  if (lists_cut) parts.push_back("some groups list only part of their pods");
  if (parts.empty()) parts.push_back("the server left part of it out");
  return absl::StrCat("Truncated: ", absl::StrJoin(parts, "; "),
                      ". Totals count everything.");
}

std::vector<std::string> PodRefTexts(
    const google::protobuf::RepeatedPtrField<v1::PodRef>& pods) {
  std::vector<std::string> out;
  for (const v1::PodRef& pod : pods) out.push_back(PodRefText(pod));
  return out;
}

// "Pods added (2): a/x, a/y" lines, each ending in a newline; nothing for
// empty lists. Each line starts with `prefix`, each name is in `quote`s.
std::string PodChangesText(const v1::AnalyzeImpactResponse& response,
                           absl::string_view prefix, absl::string_view quote) {
  std::string out;
  auto append =
      [&](absl::string_view title,
          const google::protobuf::RepeatedPtrField<v1::PodRef>& pods) {
        if (pods.empty()) return;
        absl::StrAppend(
            &out, prefix, title, " (", pods.size(), "): ", quote,
            absl::StrJoin(PodRefTexts(pods), absl::StrCat(quote, ", ", quote)),
            quote, "\n");
      };
  append("Pods added", response.pods_added());
  append("Pods removed", response.pods_removed());
  return out;
}

std::string FormatText(const v1::AnalyzeImpactResponse& response) {
  std::string out = absl::StrCat(SummaryText(response), "\n");
  const struct {
    v1::FlowChange change;
    absl::string_view title;
    uint64_t flows;
  } sections[] = {
      {v1::NEWLY_DENIED, "Newly denied",
       response.totals().newly_denied_flows()},
      {v1::NEWLY_ALLOWED, "Newly allowed",
       response.totals().newly_allowed_flows()},
  };
  for (const auto& section : sections) {
    if (section.flows == 0) continue;
    absl::StrAppend(&out, "\n", section.title, " (",
                    Plural(section.flows, "flow"), "):\n");
    bool listed = false;
    for (const v1::Flip& flip : response.flips()) {
      if (flip.change() != section.change) continue;
      listed = true;
      absl::StrAppend(&out, "  ", GroupText(Source(response, flip)), " -> ",
                      GroupText(Destination(response, flip)), "  ",
                      ProtocolText(flip.protocol()), " ", PortsText(flip, ", "),
                      "  (", Plural(flip.flows(), "flow"), ")\n");
      for (const v1::Connection& sample : flip.samples()) {
        absl::StrAppend(&out, "    e.g. ", SampleText(sample), "\n");
      }
    }
    if (!listed) out.append("  (none listed: truncated)\n");
  }
  const std::string pods = PodChangesText(response, "", "");
  if (!pods.empty()) absl::StrAppend(&out, "\n", pods);
  const std::string truncation = TruncationText(response);
  if (!truncation.empty()) absl::StrAppend(&out, "\n", truncation, "\n");
  return out;
}

ordered_json GroupToJson(const v1::FlowGroup& group) {
  ordered_json json;
  if (group.external()) {
    json["external"] = true;
    json["cidrs"] =
        std::vector<std::string>(group.cidrs().begin(), group.cidrs().end());
    return json;
  }
  json["namespace"] = group.namespace_();
  json["labels"] = LabelsToJson(group.labels());
  if (group.relabeled())
    json["labels_after"] = LabelsToJson(group.labels_after());
  json["pod_count"] = group.pod_count();
  json["pods"] =
      std::vector<std::string>(group.pods().begin(), group.pods().end());
  return json;
}

ordered_json SampleToJson(const v1::Connection& sample) {
  ordered_json json;
  json["src"] = EndpointText(sample.source());
  json["dst"] = EndpointText(sample.destination());
  json["port"] = sample.port();
  json["protocol"] = std::string(ProtocolText(sample.protocol()));
  return json;
}

ordered_json FlipToJson(const v1::AnalyzeImpactResponse& response,
                        const v1::Flip& flip) {
  ordered_json ports = ordered_json::array();
  for (const v1::PortRange& range : flip.ports()) {
    ports.push_back({{"first", range.first()}, {"last", range.last()}});
  }
  ordered_json samples = ordered_json::array();
  for (const v1::Connection& sample : flip.samples()) {
    samples.push_back(SampleToJson(sample));
  }
  ordered_json json;
  json["change"] = std::string(ChangeName(flip.change()));
  json["source"] = GroupToJson(Source(response, flip));
  json["destination"] = GroupToJson(Destination(response, flip));
  json["protocol"] = std::string(ProtocolText(flip.protocol()));
  json["ports"] = std::move(ports);
  json["flows"] = flip.flows();
  json["samples"] = std::move(samples);
  return json;
}

// RFC 4180: quote a field holding a separator, a quote or a line break.
std::string CsvField(absl::string_view text) {
  if (text.find_first_of(",\"\r\n") == absl::string_view::npos) {
    return std::string(text);
  }
  return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
}

// namespace, labels, labels_after (a relabel only), pod_count, pods,
// cidrs: lists space-separated.
std::vector<std::string> GroupCsvFields(const v1::FlowGroup& group) {
  if (group.external()) {
    return {"", "", "", "", "", absl::StrJoin(group.cidrs(), " ")};
  }
  return {group.namespace_(),
          LabelsText(group.labels()),
          group.relabeled() ? LabelsText(group.labels_after()) : "",
          absl::StrCat(group.pod_count()),
          absl::StrJoin(group.pods(), " "),
          ""};
}

std::string FormatCsv(const v1::AnalyzeImpactResponse& response) {
  std::string out =
      "change,source_namespace,source_labels,source_labels_after,"
      "source_pod_count,source_pods,source_cidrs,destination_namespace,"
      "destination_labels,destination_labels_after,destination_pod_count,"
      "destination_pods,destination_cidrs,protocol,ports,flows\n";
  for (const v1::Flip& flip : response.flips()) {
    std::vector<std::string> fields = {std::string(ChangeName(flip.change()))};
    for (const v1::FlowGroup* group :
         {&Source(response, flip), &Destination(response, flip)}) {
      for (std::string& field : GroupCsvFields(*group)) {
        fields.push_back(std::move(field));
      }
    }
    fields.push_back(std::string(ProtocolText(flip.protocol())));
    fields.push_back(PortsText(flip, " "));
    fields.push_back(absl::StrCat(flip.flows()));
    absl::StrAppend(
        &out,
        absl::StrJoin(fields, ",",
                      [](std::string* line, const std::string& field) {
                        line->append(CsvField(field));
                      }),
        "\n");
  }
  return out;
}

std::string MarkdownCell(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"|", "\\|"}});
}

std::string FormatMarkdown(const v1::AnalyzeImpactResponse& response) {
  std::string out = absl::StrCat("**Impact:** ", SummaryText(response), "\n");
  if (response.flips_size() > 0) {
    out.append(
        "\n| Change | Source | Destination | Protocol | Ports | Flows |\n"
        "| --- | --- | --- | --- | --- | ---: |\n");
    for (const v1::Flip& flip : response.flips()) {
      absl::StrAppend(&out, "| ", ChangeName(flip.change()), " | ",
                      MarkdownCell(GroupText(Source(response, flip))), " | ",
                      MarkdownCell(GroupText(Destination(response, flip))),
                      " | ", ProtocolText(flip.protocol()), " | ",
                      PortsText(flip, ", "), " | ", flip.flows(), " |\n");
    }
  }
  const std::string pods = PodChangesText(response, "- ", "`");
  if (!pods.empty()) absl::StrAppend(&out, "\n", pods);
  const std::string truncation = TruncationText(response);
  if (!truncation.empty()) absl::StrAppend(&out, "\n", truncation, "\n");
  return out;
}

}  // namespace

std::optional<ImpactFormat> ParseImpactFormat(absl::string_view text) {
  if (text == "text") return ImpactFormat::kText;
  if (text == "json") return ImpactFormat::kJson;
  if (text == "csv") return ImpactFormat::kCsv;
  if (text == "md") return ImpactFormat::kMarkdown;
  return std::nullopt;
}

ordered_json ImpactToJson(const v1::AnalyzeImpactResponse& response) {
  const v1::ImpactTotals& totals = response.totals();
  ordered_json json;
  json["totals"] = {{"pods_affected", totals.pods_affected()},
                    {"newly_denied_flows", totals.newly_denied_flows()},
                    {"newly_allowed_flows", totals.newly_allowed_flows()},
                    {"flips", totals.flips()}};
  json["truncated"] = response.truncated();
  json["flips"] = ordered_json::array();
  for (const v1::Flip& flip : response.flips()) {
    json["flips"].push_back(FlipToJson(response, flip));
  }
  json["pods_added"] = PodRefTexts(response.pods_added());
  json["pods_removed"] = PodRefTexts(response.pods_removed());
  return json;
}

std::string FormatImpact(const v1::AnalyzeImpactResponse& response,
                         ImpactFormat format) {
  switch (format) {
    case ImpactFormat::kText:
      return FormatText(response);
    case ImpactFormat::kJson:
      return absl::StrCat(DumpJson(ImpactToJson(response)), "\n");
    case ImpactFormat::kCsv:
      return FormatCsv(response);
    case ImpactFormat::kMarkdown:
      return FormatMarkdown(response);
  }
  return "";
}

}  // namespace netpol::netpolctl
