// netpolctl impact and diff, offline, on the bundled shop cluster
// (deploy/examples/shop), its example change (deploy/examples/shop-changes)
// and the changes in tests/client/testdata/impact.

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/client/netpolctl_runner.h"

namespace netpol::netpolctl::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;

const std::string kShop = NETPOL_SOURCE_DIR "/deploy/examples/shop";
// The README's example change: the API pods relabelled.
const std::string kRelabelApi =
    NETPOL_SOURCE_DIR "/deploy/examples/shop-changes/relabel-api.yaml";
const std::string kData = NETPOL_SOURCE_DIR "/tests/client/testdata/impact/";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// `change`: the path of the proposed change.
RunResult Impact(const std::string& change,
                 const std::vector<std::string>& flags = {}) {
  std::vector<std::string> args = {"impact", "--manifests", kShop, "--proposed",
                                   change};
  args.insert(args.end(), flags.begin(), flags.end());
  return RunNetpolctl(args);
}

// Splits one CSV record (RFC 4180 quoting, no line breaks in fields).
std::vector<std::string> CsvFields(absl::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back().push_back('"');
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back().push_back(c);
    }
  }
  return fields;
}

// The README example: relabelling the API pods cuts what db-policy (and
// web-egress) allowed them, and lifts api-policy's isolation.
TEST(ImpactTest, RelabelledApiPodsPrintsTheReadmeExample) {
  RunResult result = Impact(kRelabelApi);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, ReadFile(kData + "relabel-api.txt"));
  EXPECT_THAT(result.out,
              HasSubstr("Newly denied (4 flows):\n"
                        "  prod [name=api-pod->api-v2,tier=backend] (2 pods: "
                        "api-0, api-1) -> "
                        "prod [role=db] (1 pod: db-0)  TCP 3306  (2 flows)\n"));
  EXPECT_THAT(result.err, IsEmpty());
}

TEST(ImpactTest, DeletedPolicyOnlyAllows) {
  RunResult result = Impact(kData + "delete-db-policy.yaml");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("0 flows newly denied, "));
  EXPECT_THAT(result.out, Not(HasSubstr("Newly denied")));
  EXPECT_THAT(result.out,
              HasSubstr("  prod [name=api-pod,tier=backend] (2 pods: api-0, "
                        "api-1) -> prod [role=db] (1 pod: db-0)  TCP 1-3305, "
                        "3307-65535  (131068 flows)\n"));
  EXPECT_THAT(result.out,
              HasSubstr("  external 192.168.5.10/32 -> prod [role=db] (1 pod: "
                        "db-0)  TCP 1-3305, 3307-65535  (65534 flows)\n"));
}

TEST(ImpactTest, FailOnSetsExitCodeThreeAndStillPrints) {
  RunResult plain = Impact(kRelabelApi);
  RunResult denied = Impact(kRelabelApi, {"--fail-on", "newly-denied"});
  EXPECT_EQ(denied.exit_code, 3);
  EXPECT_EQ(denied.out, plain.out);
  EXPECT_THAT(denied.err, IsEmpty());

  // Only newly allowed flows: newly-denied passes, any fails.
  EXPECT_EQ(
      Impact(kData + "delete-db-policy.yaml", {"--fail-on", "newly-denied"}).exit_code,
      0);
  EXPECT_EQ(Impact(kData + "delete-db-policy.yaml", {"--fail-on=any"}).exit_code, 3);

  // Nothing changes: neither fails.
  RunResult noop = Impact(kData + "relabel-noop.yaml", {"--fail-on", "any"});
  EXPECT_EQ(noop.exit_code, 0) << noop.err;
  EXPECT_EQ(noop.out, "No connectivity change.\n");

  // A pod added is no flip, but it is something to report.
  RunResult added = Impact(kData + "add-api-pod.yaml", {"--fail-on", "newly-denied"});
  EXPECT_EQ(added.exit_code, 0) << added.err;
  EXPECT_EQ(added.out,
            "No flow changes verdict; 1 pod added, 0 removed\n"
            "\n"
            "Pods added (1): prod/api-2\n");
  EXPECT_EQ(Impact(kData + "add-api-pod.yaml", {"--fail-on", "any"}).exit_code, 3);
}

TEST(ImpactTest, JsonIsOneObjectMatchingTheText) {
  RunResult result = Impact(kRelabelApi, {"--format", "json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_THAT(Lines(result.out), SizeIs(1));
  const nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["totals"], nlohmann::json::parse(R"({"pods_affected":5,
      "newly_denied_flows":4,"newly_allowed_flows":1572842,"flips":16})"));
  EXPECT_EQ(json["truncated"], false);
  ASSERT_THAT(json["flips"], SizeIs(16));
  EXPECT_EQ(json["flips"][0], nlohmann::json::parse(R"({
      "change":"newly-denied",
      "source":{"namespace":"prod",
                "labels":{"name":"api-pod","tier":"backend"},
                "labels_after":{"name":"api-v2","tier":"backend"},
                "pod_count":2,"pods":["api-0","api-1"]},
      "destination":{"namespace":"prod","labels":{"role":"db"},
                     "pod_count":1,"pods":["db-0"]},
      "protocol":"TCP","ports":[{"first":3306,"last":3306}],"flows":2,
      "samples":[]})"));
  uint64_t denied = 0;
  uint64_t allowed = 0;
  for (const nlohmann::json& flip : json["flips"]) {
    (flip["change"] == "newly-denied" ? denied : allowed) +=
        flip["flows"].get<uint64_t>();
  }
  EXPECT_EQ(denied, 4);
  EXPECT_EQ(allowed, 1572842);
  EXPECT_EQ(json["pods_added"], nlohmann::json::array());
  EXPECT_EQ(json["pods_removed"], nlohmann::json::array());
}

// Samples are eval query lines: the current cluster must allow every
// newly denied one and deny every newly allowed one.
TEST(ImpactTest, SamplesAreConnectionsWhoseVerdictFlips) {
  RunResult result =
      Impact(kRelabelApi, {"--format", "json", "--samples", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = nlohmann::json::parse(result.out);
  std::string queries;
  std::vector<bool> allowed_before;
  for (const nlohmann::json& flip : json["flips"]) {
    ASSERT_THAT(flip["samples"], Not(IsEmpty()));
    for (const nlohmann::json& sample : flip["samples"]) {
      absl::StrAppend(&queries, sample.dump(), "\n");
      allowed_before.push_back(flip["change"] == "newly-denied");
    }
  }
  RunResult eval = RunNetpolctl({"eval", "--manifests", kShop}, queries);
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  std::vector<std::string> answers = Lines(eval.out);
  ASSERT_EQ(answers.size(), allowed_before.size());
  for (size_t i = 0; i < answers.size(); ++i) {
    EXPECT_EQ(nlohmann::json::parse(answers[i])["allowed"], allowed_before[i])
        << "sample " << i << ": " << answers[i];
  }
  EXPECT_THAT(Impact(kRelabelApi, {"--samples", "1"}).out,
              HasSubstr("(2 flows)\n    e.g. prod/api-0 -> prod/db-0 "
                        "TCP/3306\n"));
}

TEST(ImpactTest, CsvHasAHeaderAndOneRowPerFlip) {
  RunResult result = Impact(kRelabelApi, {"--format", "csv"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(1 + 16));
  EXPECT_EQ(lines[0],
            "change,source_namespace,source_labels,source_labels_after,"
            "source_pod_count,source_pods,source_cidrs,destination_namespace,"
            "destination_labels,destination_labels_after,"
            "destination_pod_count,destination_pods,destination_cidrs,"
            "protocol,ports,flows");
  EXPECT_EQ(lines[1],
            "newly-denied,prod,\"name=api-pod,tier=backend\","
            "\"name=api-v2,tier=backend\",2,api-0 api-1,,prod,role=db,,1,db-0,,"
            "TCP,3306,2");
  for (const std::string& line : lines) {
    EXPECT_THAT(CsvFields(line), SizeIs(16)) << line;
  }
}

TEST(ImpactTest, MarkdownIsATable) {
  RunResult result = Impact(kRelabelApi, {"--format", "md"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_THAT(lines, SizeIs(4 + 16));
  EXPECT_EQ(lines[0],
            "**Impact:** 4 flows newly denied, 1572842 newly allowed, 5 pods "
            "affected (16 flips)");
  EXPECT_EQ(lines[2],
            "| Change | Source | Destination | Protocol | Ports | Flows |");
  EXPECT_EQ(
      lines[4],
      "| newly-denied | prod [name=api-pod->api-v2,tier=backend] (2 pods: "
      "api-0, api-1) | prod [role=db] "
      "(1 pod: db-0) | TCP | 3306 | 2 |");
}

TEST(ImpactTest, MaxFlipsTruncatesTheListNotTheTotals) {
  RunResult text = Impact(kRelabelApi, {"--max-flips", "3"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, StartsWith("4 flows newly denied, 1572842 newly "
                                   "allowed, 5 pods affected (16 flips)\n"));
  EXPECT_THAT(text.out, HasSubstr("\nTruncated: only the first 3 of 16 flips "
                                  "are listed (--max-flips). Totals count "
                                  "everything.\n"));
  RunResult json =
      Impact(kRelabelApi, {"--max-flips", "3", "--format", "json"});
  const nlohmann::json parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["truncated"], true);
  EXPECT_THAT(parsed["flips"], SizeIs(3));
  EXPECT_EQ(parsed["totals"]["flips"], 16);
}

TEST(ImpactTest, InvalidChangeListsEveryProblem) {
  RunResult result = Impact(kData + "typos.yaml");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.out, IsEmpty());
  const std::string file = kData + "typos.yaml";
  EXPECT_THAT(Lines(result.err),
              ElementsAre(HasSubstr("2 errors"),
                          absl::StrCat(file,
                                       ": document 1: "
                                       "changes[0].labelPods.selector: "
                                       "\"name=apii-pod\" matches no pod in "
                                       "namespace prod"),
                          absl::StrCat(file,
                                       ": document 1: "
                                       "changes[1].deleteNetworkPolicy: "
                                       "NetworkPolicy prod/db-polcy does not "
                                       "exist"),
                          "netpolctl impact: invalid proposed change; "
                          "nothing compared"));
}

TEST(ImpactTest, BadUsageExitsTwo) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::string change = kRelabelApi;
  const Case cases[] = {
      {{"impact", "--manifests", kShop}, "--proposed is required"},
      {{"impact", "--proposed", change}, "--manifests is required"},
      {{"impact", "--manifests", kShop, "--proposed", kData + "missing.yaml"},
       "missing.yaml: cannot read"},
      {{"impact", "--manifests", kShop, "--proposed", change, "--format",
        "xml"},
       "unknown --format \"xml\"; expected text, json, csv or md"},
      {{"impact", "--manifests", kShop, "--proposed", change, "--fail-on",
        "denied"},
       "unknown --fail-on \"denied\"; expected newly-denied or any"},
      {{"impact", "--manifests", kShop, "--proposed", change, "--max-flips",
        "0"},
       "--max-flips \"0\" is not an integer in 1..100000"},
      {{"impact", "--manifests", kShop, "--proposed", change, "--samples",
        "101"},
       "--samples \"101\" is not an integer in 0..100"},
      {{"impact", "--manifests", kShop, "--proposed", change, "--version", "2"},
       "--version needs --server"},
      {{"impact", "--server", "127.0.0.1:1", "--manifests", kShop, "--proposed",
        change},
       "--manifests and --server exclude each other"},
      {{"diff", "--manifests", kShop}, "--manifests-b is required"},
      {{"diff", "--manifests", kShop, "--manifests-b", kShop, "--version-b",
        "2"},
       "--version-b needs --server"},
      {{"diff", "--server", "127.0.0.1:1", "--version", "1"},
       "--version-b is required with --server"},
  };
  for (const Case& c : cases) {
    RunResult result = RunNetpolctl(c.args);
    EXPECT_EQ(result.exit_code, 2) << c.message;
    EXPECT_THAT(result.err, HasSubstr(c.message));
    EXPECT_THAT(result.out, IsEmpty()) << c.message;
  }
}

// A diff of two whole states equals the impact of the change between them.
TEST(DiffTest, TwoManifestSetsMatchTheImpactOfTheirDifference) {
  const std::string policy = kData + "monitoring-deny-egress.yaml";
  for (const char* format : {"text", "json", "csv", "md"}) {
    RunResult diff =
        RunNetpolctl({"diff", "--manifests", kShop, "--manifests-b", kShop,
                      "--manifests-b", policy, "--format", format});
    ASSERT_EQ(diff.exit_code, 0) << diff.err;
    EXPECT_EQ(diff.out,
              Impact(kData + "monitoring-deny-egress.yaml", {"--format", format}).out)
        << format;
  }
  RunResult forward =
      RunNetpolctl({"diff", "--manifests", kShop, "--manifests-b", kShop,
                    "--manifests-b", policy, "--format", "json"});
  RunResult backward =
      RunNetpolctl({"diff", "--manifests", kShop, "--manifests", policy,
                    "--manifests-b", kShop, "--format", "json"});
  const nlohmann::json a = nlohmann::json::parse(forward.out)["totals"];
  const nlohmann::json b = nlohmann::json::parse(backward.out)["totals"];
  EXPECT_GT(a["newly_denied_flows"], 0);
  EXPECT_EQ(a["newly_allowed_flows"], 0);
  EXPECT_EQ(a["newly_denied_flows"], b["newly_allowed_flows"]);
  EXPECT_EQ(a["newly_allowed_flows"], b["newly_denied_flows"]);
}

TEST(DiffTest, IdenticalStatesAndFailOn) {
  RunResult same = RunNetpolctl({"diff", "--manifests", kShop, "--manifests-b",
                                 kShop, "--fail-on", "any"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_EQ(same.out, "No connectivity change.\n");
  RunResult denied = RunNetpolctl(
      {"diff", "--manifests", kShop, "--manifests-b", kShop, "--manifests-b",
       kData + "monitoring-deny-egress.yaml", "--fail-on", "newly-denied"});
  EXPECT_EQ(denied.exit_code, 3);
  EXPECT_THAT(denied.out, HasSubstr("Newly denied ("));
}

TEST(DiffTest, InvalidSecondStateNamesItsFile) {
  const std::string dir = MakeTestDir();
  const std::string bad = WriteFile(dir, "bad.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: p, namespace: x}
status: {podIP: 10.0.0.300}
)");
  RunResult result =
      RunNetpolctl({"diff", "--manifests", kShop, "--manifests-b", bad});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr(bad + ": document 1: "));
  EXPECT_THAT(result.out, IsEmpty());
}

TEST(ImpactHelpTest, DocumentsFormatsAndExitCodes) {
  RunResult help = RunNetpolctl({"impact", "--help"});
  ASSERT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.out, HasSubstr("kind: ChangeList"));
  EXPECT_THAT(help.out, HasSubstr("3 it was printed and --fail-on\n"
                                  "triggered"));
  RunResult main_help = RunNetpolctl({"--help"});
  EXPECT_THAT(main_help.out, HasSubstr("\n  impact "));
  EXPECT_THAT(main_help.out, HasSubstr("\n  diff "));
  EXPECT_THAT(main_help.out, HasSubstr("3 impact or diff"));
}

}  // namespace
}  // namespace netpol::netpolctl::testing
