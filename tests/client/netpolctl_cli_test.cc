// Runs the built netpolctl binary end to end.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/client/netpolctl_runner.h"

namespace netpol::netpolctl::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// x/b accepts TCP/80 from x/a only; y is egress-isolated with no rules;
// x/h uses the host network and is left out of matrices.
constexpr char kCluster[] = R"(
apiVersion: v1
kind: Namespace
metadata: {name: x}
---
apiVersion: v1
kind: Namespace
metadata: {name: y}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: main, image: example}]}
status: {phase: Running, podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: b}}
spec: {containers: [{name: main, image: example}]}
status: {phase: Running, podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}]}
---
apiVersion: v1
kind: Pod
metadata: {name: c, namespace: y, labels: {app: c}}
spec: {containers: [{name: main, image: example}]}
status: {phase: Running, podIP: 10.0.1.1, podIPs: [{ip: 10.0.1.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: h, namespace: x, labels: {app: h}}
spec: {hostNetwork: true, containers: [{name: main, image: example}]}
status: {phase: Running, podIP: 172.16.0.1, podIPs: [{ip: 172.16.0.1}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-a, namespace: x}
spec:
  podSelector: {matchLabels: {app: b}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: a}}}]
    ports: [{port: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-egress, namespace: y}
spec:
  podSelector: {}
  policyTypes: [Egress]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: x}
spec: {ports: [{port: 80}]}
)";

// z/db accepts traffic from 10.0.0.0/24, which holds z/cli's address.
constexpr char kIpBlockCluster[] = R"(
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: z, labels: {app: db}}
spec: {containers: [{name: main, image: example}]}
status: {phase: Running, podIP: 10.1.0.1, podIPs: [{ip: 10.1.0.1}]}
---
apiVersion: v1
kind: Pod
metadata: {name: cli, namespace: z, labels: {app: cli}}
spec: {containers: [{name: main, image: example}]}
status: {phase: Running, podIP: 10.0.0.5, podIPs: [{ip: 10.0.0.5}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-block, namespace: z}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/24}}]
)";

constexpr char kAllowedByPolicy[] =
    R"({"allowed":true,"reason":"ALLOWED_BY_POLICY"})";
constexpr char kNotIsolated[] = R"({"allowed":true,"reason":"NOT_ISOLATED"})";
constexpr char kLoopback[] = R"({"allowed":true,"reason":"LOOPBACK"})";
constexpr char kDeniedIngress[] =
    R"({"allowed":false,"reason":"DENIED_INGRESS"})";
constexpr char kDeniedEgress[] =
    R"({"allowed":false,"reason":"DENIED_EGRESS"})";

std::string Query(absl::string_view src, absl::string_view dst, int port,
                  absl::string_view protocol = "") {
  std::string line = absl::StrCat(R"({"src":")", src, R"(","dst":")", dst,
                                  R"(","port":)", port);
  if (!protocol.empty())
    absl::StrAppend(&line, R"(,"protocol":")", protocol, "\"");
  return absl::StrCat(line, "}\n");
}

class NetpolctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTestDir();
    cluster_ = WriteFile(dir_, "cluster.yaml", kCluster);
  }

  RunResult Eval(absl::string_view input,
                 std::vector<std::string> extra_flags = {}) {
    std::vector<std::string> args = {"eval", "--manifests", cluster_};
    args.insert(args.end(), extra_flags.begin(), extra_flags.end());
    return RunNetpolctl(args, input);
  }
  RunResult Matrix(absl::string_view format) {
    return RunNetpolctl({"matrix", "--manifests", cluster_, "--port", "80",
                         "--format", std::string(format)});
  }

  std::string dir_;
  std::string cluster_;
};

TEST_F(NetpolctlTest, EvalAnswersEveryKindOfDecision) {
  RunResult result = Eval(absl::StrCat(
      Query("x/a", "x/b", 80), Query("x/a", "x/b", 81), Query("y/c", "x/a", 80),
      Query("x/b", "x/a", 80), Query("x/a", "x/a", 80),
      Query("10.0.0.1", "10.0.0.2", 80), Query("192.0.2.1", "10.0.0.2", 80),
      Query("10.0.0.2", "192.0.2.1", 443), Query("x/a", "x/b", 80, "udp"),
      Query("x/a", "x/b", 80, "TCP")));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  EXPECT_THAT(
      Lines(result.out),
      ElementsAre(kAllowedByPolicy, kDeniedIngress, kDeniedEgress, kNotIsolated,
                  kLoopback, kAllowedByPolicy, kDeniedIngress, kNotIsolated,
                  kDeniedIngress, kAllowedByPolicy));
}

TEST_F(NetpolctlTest, EvalKeepsInputOrderAcrossOutputChunks) {
  // Enough lines for several 64 KiB output chunks.
  constexpr int kLines = 6000;
  std::string input;
  for (int i = 0; i < kLines; ++i) {
    switch (i % 3) {
      case 0:
        input += Query("x/a", "x/b", 80);
        break;
      case 1:
        input += Query("x/a", "x/b", 81);
        break;
      case 2:
        input += Query("x/b", "x/a", 80);
        break;
    }
  }
  RunResult result = Eval(input);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), kLines);
  const char* expected[] = {kAllowedByPolicy, kDeniedIngress, kNotIsolated};
  for (int i = 0; i < kLines; ++i) {
    ASSERT_EQ(lines[i], expected[i % 3]) << "line " << i + 1;
  }
}

TEST_F(NetpolctlTest, EvalReportsInvalidLinesAndAnswersTheRest) {
  RunResult result =
      Eval(absl::StrCat(Query("x/a", "x/b", 80),                           // 1
                        "not json\n",                                      // 2
                        "[1,2]\n",                                         // 3
                        R"({"dst":"x/b","port":80})", "\n",                // 4
                        R"({"src":"x/a","dst":"x/b","port":"80"})", "\n",  // 5
                        Query("x/a", "x/b", 0),                            // 6
                        Query("x/a", "x/b", 65536),                        // 7
                        Query("x/a", "x/b", 80, "ICMP"),                   // 8
                        Query("999.1.1.1", "x/b", 80),                     // 9
                        Query("x/zzz", "x/b", 80),                         // 10
                        "\n",                                              // 11
                        R"({"src":"x/b","dst":"x/a","port":80})"));        // 12
  EXPECT_EQ(result.exit_code, 1);
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 12u) << result.out;
  EXPECT_EQ(lines[0], kAllowedByPolicy);
  for (int i = 1; i < 11; ++i) {
    EXPECT_THAT(lines[i],
                StartsWith(absl::StrCat(R"({"error":"line )", i + 1, ": ")));
  }
  EXPECT_THAT(lines[1], HasSubstr("invalid JSON"));
  EXPECT_THAT(lines[2], HasSubstr("expected a JSON object"));
  EXPECT_THAT(lines[3], HasSubstr(R"(missing \"src\")"));
  EXPECT_THAT(lines[4], HasSubstr(R"(\"port\" must be an integer)"));
  EXPECT_THAT(lines[5], HasSubstr("1..65535"));
  EXPECT_THAT(lines[6], HasSubstr("1..65535"));
  EXPECT_THAT(lines[7], HasSubstr("ICMP"));
  EXPECT_THAT(lines[8], HasSubstr("999.1.1.1"));
  EXPECT_THAT(lines[9], HasSubstr("x/zzz"));
  EXPECT_EQ(lines[10], R"({"error":"line 11: empty line"})");
  EXPECT_EQ(lines[11], kNotIsolated);  // the last line had no newline
}

TEST_F(NetpolctlTest, EvalReadsQueriesFromAFile) {
  std::string queries = WriteFile(
      dir_, "queries.jsonl", Query("x/a", "x/b", 80) + Query("x/a", "x/b", 81));
  RunResult from_file = Eval("", {"--queries", queries});
  EXPECT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_THAT(Lines(from_file.out),
              ElementsAre(kAllowedByPolicy, kDeniedIngress));
  RunResult from_stdin = Eval(Query("x/a", "x/b", 80), {"--queries=-"});
  EXPECT_THAT(Lines(from_stdin.out), ElementsAre(kAllowedByPolicy));
  RunResult missing = Eval("", {"--queries", dir_ + "/none.jsonl"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("none.jsonl"));
}

TEST_F(NetpolctlTest, EvalExplainAddsTheExplanation) {
  RunResult result =
      Eval(Query("x/a", "x/b", 80) + Query("x/nope", "x/b", 80), {"--explain"});
  EXPECT_EQ(result.exit_code, 1);
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_THAT(lines[0],
              StartsWith(R"({"allowed":true,"reason":"ALLOWED_BY_POLICY",)"
                         R"("explanation":{"source":)"));
  EXPECT_THAT(lines[1], StartsWith(R"({"error":"line 2: )"));

  nlohmann::ordered_json json = nlohmann::ordered_json::parse(lines[0]);
  const nlohmann::ordered_json& explanation = json["explanation"];
  std::vector<std::string> keys;
  for (const auto& [key, value] : explanation.items()) keys.push_back(key);
  EXPECT_THAT(
      keys, ElementsAre("source", "destination", "egress", "ingress", "text"));
  EXPECT_THAT(explanation["source"].get<std::string>(), HasSubstr("x/a"));
  EXPECT_THAT(explanation["destination"].get<std::string>(), HasSubstr("x/b"));
  EXPECT_EQ(explanation["egress"]["pod"], "x/a");
  EXPECT_EQ(explanation["egress"]["isolated"], false);
  EXPECT_EQ(explanation["egress"]["selecting_policies"],
            nlohmann::ordered_json::array());
  EXPECT_EQ(explanation["egress"]["allowed"], true);
  EXPECT_EQ(explanation["ingress"]["pod"], "x/b");
  EXPECT_EQ(explanation["ingress"]["isolated"], true);
  EXPECT_EQ(explanation["ingress"]["selecting_policies"],
            nlohmann::ordered_json::parse(R"(["x/allow-a"])"));
  EXPECT_EQ(
      explanation["ingress"]["allowing_rules"],
      nlohmann::ordered_json::parse(R"([{"policy":"x/allow-a","rule":0}])"));
  EXPECT_EQ(explanation["ingress"]["allowed"], true);
  EXPECT_THAT(explanation["text"].get<std::string>(), HasSubstr("x/allow-a"));
}

TEST_F(NetpolctlTest, EvalRejectsInvalidManifestsListingEveryError) {
  std::string bad_policy = WriteFile(dir_, "bad-policy.yaml", R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: v}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: http, endPort: 90}]
)");
  std::string bad_pod = WriteFile(dir_, "bad-pod.yaml", R"(
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: v}
spec: {containers: [{name: main, image: example}]}
status: {podIP: not-an-ip, podIPs: [{ip: not-an-ip}]}
)");
  RunResult result =
      RunNetpolctl({"eval", "--manifests", bad_policy, "--manifests", bad_pod},
                   Query("x/a", "x/b", 80));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("bad-policy.yaml"));
  EXPECT_THAT(result.err,
              HasSubstr("endPort may not be set when port is a named port"));
  EXPECT_THAT(result.err, HasSubstr("bad-pod.yaml"));
  EXPECT_THAT(result.err, HasSubstr("not-an-ip"));
}

TEST_F(NetpolctlTest, IpBlockMatchesPodsUnlessDisabled) {
  std::string cluster = WriteFile(dir_, "ipblock.yaml", kIpBlockCluster);
  std::string input =
      Query("z/cli", "z/db", 80) + Query("10.0.0.99", "z/db", 80);
  RunResult matching = RunNetpolctl({"eval", "--manifests", cluster}, input);
  EXPECT_EQ(matching.exit_code, 0) << matching.err;
  EXPECT_THAT(Lines(matching.out),
              ElementsAre(kAllowedByPolicy, kAllowedByPolicy));
  RunResult external_only = RunNetpolctl(
      {"eval", "--manifests", cluster, "--no-ipblock-pods"}, input);
  EXPECT_EQ(external_only.exit_code, 0) << external_only.err;
  EXPECT_THAT(Lines(external_only.out),
              ElementsAre(kDeniedIngress, kAllowedByPolicy));
}

TEST_F(NetpolctlTest, CheckPrintsTheVerdict) {
  RunResult allow = RunNetpolctl({"check", "--manifests", cluster_, "--src",
                                  "x/a", "--dst", "x/b", "--port", "80"});
  EXPECT_EQ(allow.exit_code, 0) << allow.err;
  EXPECT_EQ(allow.out, "ALLOW x/a -> x/b TCP/80 (ALLOWED_BY_POLICY)\n");

  RunResult deny =
      RunNetpolctl({"check", "--src=192.0.2.1", "--dst=x/b", "--port=80",
                    "--protocol=udp", "--manifests=" + cluster_});
  EXPECT_EQ(deny.exit_code, 0) << deny.err;
  EXPECT_EQ(deny.out, "DENY 192.0.2.1 -> x/b UDP/80 (DENIED_INGRESS)\n");
}

TEST_F(NetpolctlTest, CheckExplains) {
  RunResult result =
      RunNetpolctl({"check", "--manifests", cluster_, "--src", "y/c", "--dst",
                    "x/a", "--port", "80", "--explain"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0], "DENY y/c -> x/a TCP/80 (DENIED_EGRESS)");
  EXPECT_THAT(result.out, HasSubstr("y/deny-egress"));
}

TEST_F(NetpolctlTest, CheckRejectsInvalidConnections) {
  RunResult unknown_pod =
      RunNetpolctl({"check", "--manifests", cluster_, "--src", "x/nope",
                    "--dst", "x/a", "--port", "80"});
  EXPECT_EQ(unknown_pod.exit_code, 1);
  EXPECT_EQ(unknown_pod.out, "");
  EXPECT_THAT(unknown_pod.err, HasSubstr("x/nope"));
  for (const std::vector<std::string>& flags :
       std::vector<std::vector<std::string>>{
           {"--port", "http"},
           {"--port", "0"},
           {"--port", "80", "--protocol", "icmp"}}) {
    std::vector<std::string> args = {"check", "--manifests", cluster_, "--src",
                                     "x/a",   "--dst",       "x/b"};
    args.insert(args.end(), flags.begin(), flags.end());
    RunResult result = RunNetpolctl(args);
    EXPECT_EQ(result.exit_code, 1) << flags[1];
    EXPECT_THAT(result.err, HasSubstr("netpolctl check: "));
  }
  RunResult missing_src = RunNetpolctl(
      {"check", "--manifests", cluster_, "--dst", "x/a", "--port", "80"});
  EXPECT_EQ(missing_src.exit_code, 2);
  EXPECT_THAT(missing_src.err, HasSubstr("--src is required"));
}

TEST_F(NetpolctlTest, MatrixTable) {
  RunResult result = Matrix("table");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "TCP/80: rows are sources, columns destinations; '.' allowed, "
            "'X' denied\n"
            "     x  x  y\n"
            "     a  b  c\n"
            "x/a  .  .  .\n"
            "x/b  .  .  .\n"
            "y/c  X  X  .\n");
  // The default format.
  EXPECT_EQ(
      RunNetpolctl({"matrix", "--manifests", cluster_, "--port", "80"}).out,
      result.out);
}

TEST_F(NetpolctlTest, MatrixCsv) {
  RunResult result = Matrix("csv");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "src,x/a,x/b,y/c\n"
            "x/a,1,1,1\n"
            "x/b,1,1,1\n"
            "y/c,0,0,1\n");
}

TEST_F(NetpolctlTest, MatrixJson) {
  RunResult result = Matrix("json");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            R"({"port":80,"protocol":"TCP","pods":["x/a","x/b","y/c"],)"
            R"("allowed":[[true,true,true],[true,true,true],)"
            R"([false,false,true]]})"
            "\n");
}

TEST_F(NetpolctlTest, MatrixMarkdown) {
  RunResult result = Matrix("md");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("| src \\ dst | x/a | x/b | y/c |\n"
                                    "| --- | --- | --- | --- |\n"
                                    "| x/a | allow | allow | allow |\n"
                                    "| x/b | allow | allow | allow |\n"
                                    "| y/c | deny | deny | allow |\n"));
}

TEST_F(NetpolctlTest, MatrixDot) {
  RunResult result = Matrix("dot");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("digraph netpol {\n"));
  EXPECT_THAT(result.out, HasSubstr("subgraph \"cluster_x\" {\n"
                                    "    label=\"x\";\n"
                                    "    \"x/a\" [label=\"a\"];\n"
                                    "    \"x/b\" [label=\"b\"];\n"
                                    "  }\n"));
  EXPECT_THAT(result.out, HasSubstr("subgraph \"cluster_y\""));
  EXPECT_THAT(result.out, HasSubstr("  \"x/a\" -> \"x/b\";\n"));
  EXPECT_THAT(result.out, HasSubstr("  \"x/b\" -> \"y/c\";\n"));
  EXPECT_THAT(result.out, Not(HasSubstr("\"y/c\" ->")));
  EXPECT_THAT(result.out, Not(HasSubstr("\"x/a\" -> \"x/a\"")));
  EXPECT_THAT(result.out, Not(HasSubstr("x/h")));
  // x/a and x/b reach every other pod; y/c reaches none.
  size_t edges = 0;
  for (size_t at = result.out.find("->"); at != std::string::npos;
       at = result.out.find("->", at + 1)) {
    ++edges;
  }
  EXPECT_EQ(edges, 4u);
}

TEST_F(NetpolctlTest, MatrixRejectsBadFlags) {
  RunResult bad_format = Matrix("xml");
  EXPECT_EQ(bad_format.exit_code, 2);
  EXPECT_THAT(bad_format.err, HasSubstr("xml"));
  RunResult bad_port =
      RunNetpolctl({"matrix", "--manifests", cluster_, "--port", "0"});
  EXPECT_EQ(bad_port.exit_code, 2);
  RunResult no_port = RunNetpolctl({"matrix", "--manifests", cluster_});
  EXPECT_EQ(no_port.exit_code, 2);
  EXPECT_THAT(no_port.err, HasSubstr("--port is required"));
}

TEST_F(NetpolctlTest, ValidateSummarisesAValidCluster) {
  RunResult result = RunNetpolctl({"validate", "--manifests", cluster_});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "valid: 2 namespaces, 4 pods, 2 network policies; skipped kinds: "
            "Service (1)\n");
}

TEST_F(NetpolctlTest, ValidateReportsErrors) {
  std::string bad = WriteFile(dir_, "bad.yaml", R"(
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: v}
spec:
  podSelector: {}
  ingress:
  - ports: [{port: 0}]
)");
  RunResult result =
      RunNetpolctl({"validate", "--manifests", cluster_, "--manifests", bad});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, HasSubstr("bad.yaml"));
  EXPECT_THAT(result.err, HasSubstr("netpolctl validate: 1 manifest error(s)"));
  RunResult missing =
      RunNetpolctl({"validate", "--manifests", dir_ + "/does-not-exist.yaml"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("does-not-exist.yaml"));
}

TEST(NetpolctlUsageTest, HelpListsEveryCommand) {
  for (const char* flag : {"--help", "-h", "help"}) {
    RunResult result = RunNetpolctl({flag});
    EXPECT_EQ(result.exit_code, 0) << flag;
    for (const char* command :
         {"eval", "check", "matrix", "validate", "version"}) {
      EXPECT_THAT(result.out, HasSubstr(command)) << flag;
    }
  }
  RunResult no_command = RunNetpolctl({});
  EXPECT_EQ(no_command.exit_code, 2);
  EXPECT_THAT(no_command.err, HasSubstr("Usage: netpolctl"));
}

TEST(NetpolctlUsageTest, EveryCommandHasHelp) {
  for (const char* command : {"eval", "check", "matrix", "validate"}) {
    RunResult result = RunNetpolctl({command, "--help"});
    EXPECT_EQ(result.exit_code, 0) << command;
    EXPECT_THAT(result.out,
                StartsWith(absl::StrCat("Usage: netpolctl ", command)));
    EXPECT_THAT(result.out, HasSubstr("Exit status"));
    EXPECT_EQ(RunNetpolctl({"help", command}).out, result.out);
  }
}

TEST(NetpolctlUsageTest, RejectsUnknownCommandsAndFlags) {
  RunResult unknown_command = RunNetpolctl({"frobnicate"});
  EXPECT_EQ(unknown_command.exit_code, 2);
  EXPECT_THAT(unknown_command.err, HasSubstr("unknown command 'frobnicate'"));

  RunResult unknown_flag = RunNetpolctl({"eval", "--bogus"});
  EXPECT_EQ(unknown_flag.exit_code, 2);
  EXPECT_THAT(unknown_flag.err, HasSubstr("unknown flag '--bogus'"));
  EXPECT_THAT(unknown_flag.err, HasSubstr("netpolctl eval --help"));

  // A flag of another command is unknown here.
  RunResult foreign_flag = RunNetpolctl({"validate", "--port", "80"});
  EXPECT_EQ(foreign_flag.exit_code, 2);
  EXPECT_THAT(foreign_flag.err, HasSubstr("unknown flag '--port'"));

  RunResult missing_value = RunNetpolctl({"eval", "--manifests"});
  EXPECT_EQ(missing_value.exit_code, 2);
  EXPECT_THAT(missing_value.err, HasSubstr("--manifests needs a value"));

  RunResult positional = RunNetpolctl({"eval", "cluster.yaml"});
  EXPECT_EQ(positional.exit_code, 2);
  EXPECT_THAT(positional.err, HasSubstr("unexpected argument"));

  RunResult no_manifests = RunNetpolctl({"eval"});
  EXPECT_EQ(no_manifests.exit_code, 2);
  EXPECT_THAT(no_manifests.err, HasSubstr("--manifests is required"));
}

TEST(NetpolctlUsageTest, Version) {
  RunResult result = RunNetpolctl({"version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.out, StartsWith("netpolctl "));
}

}  // namespace
}  // namespace netpol::netpolctl::testing
