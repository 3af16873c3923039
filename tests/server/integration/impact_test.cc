// AnalyzeImpact on the real binary: exact flips for a pod relabel, a
// deleted policy, two pushed versions and the README's example on the
// bundled shop cluster; error statuses; truncation by max_flips and
// max_pods_per_group; samples; the metric and the log line.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/map.h"
#include "gtest/gtest.h"
#include "tests/server/integration/pdp_client_util.h"
#include "tests/server/integration/scrape_metrics.h"
#include "tests/server/integration/server_process.h"

namespace netpol::integration {
namespace {

namespace pb = ::netpol::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Pod(const std::string& name, const std::string& app,
                const std::string& ip) {
  return absl::StrCat("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: ",
                      name, "\n  namespace: x\n  labels: {app: ", app,
                      "}\nspec:\n  containers: [{name: c}]\n"
                      "status:\n  phase: Running\n  podIP: ",
                      ip, "\n");
}

// Namespace x: a (app=a), b0 and b1 (app=b), c (app=c), all IPv4. Policy
// x/a-from-b isolates a for ingress and admits the app=b pods on the given
// TCP ports.
std::string Cluster(const std::vector<int>& ports) {
  std::string yaml = absl::StrCat(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n",
      Pod("a", "a", "10.0.1.10"), Pod("b0", "b", "10.0.1.11"),
      Pod("b1", "b", "10.0.1.12"), Pod("c", "c", "10.0.1.13"),
      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata: {name: a-from-b, namespace: x}\n"
      "spec:\n  podSelector: {matchLabels: {app: a}}\n"
      "  ingress:\n  - from:\n    - podSelector: {matchLabels: {app: b}}\n"
      "    ports:\n");
  for (int port : ports) {
    absl::StrAppend(&yaml, "    - {protocol: TCP, port: ", port, "}\n");
  }
  return yaml;
}

constexpr char kChangeListHeader[] =
    "apiVersion: netpol-pdp.dev/v1\nkind: ChangeList\nchanges:\n";

// The app=b pods relabelled: a-from-b no longer admits them.
const std::string kRelabelB = absl::StrCat(
    kChangeListHeader,
    "- labelPods:\n    namespace: x\n    selector: {matchLabels: {app: b}}\n"
    "    set: {app: b2}\n");

// a is no longer isolated: everything may reach it.
const std::string kDeletePolicy =
    absl::StrCat(kChangeListHeader,
                 "- deleteNetworkPolicy: {namespace: x, name: a-from-b}\n");

// "app=b,tier=web": a proto map's order is unspecified.
std::string LabelsText(
    const google::protobuf::Map<std::string, std::string>& labels) {
  std::vector<std::string> pairs;
  for (const auto& [key, value] : labels) {
    pairs.push_back(absl::StrCat(key, "=", value));
  }
  std::sort(pairs.begin(), pairs.end());
  return absl::StrJoin(pairs, ",");
}

// "x {app=b} b0,b1 (2)", "x {app=b -> app=b2} b0,b1 (2)" (relabelled) or
// "external 0.0.0.0/0".
std::string GroupText(const pb::FlowGroup& group) {
  if (group.external()) {
    return absl::StrCat("external ", absl::StrJoin(group.cidrs(), ","));
  }
  std::string labels = LabelsText(group.labels());
  if (group.relabeled()) {
    absl::StrAppend(&labels, " -> ", LabelsText(group.labels_after()));
  }
  return absl::StrCat(group.namespace_(), " {", labels, "} ",
                      absl::StrJoin(group.pods(), ","), " (", group.pod_count(),
                      ")");
}

// "<source> -> <destination>: NEWLY_DENIED TCP 80,90-99 (flows 2)".
std::vector<std::string> FlipTexts(const pb::AnalyzeImpactResponse& response) {
  std::vector<std::string> texts;
  for (const pb::Flip& flip : response.flips()) {
    std::vector<std::string> ports;
    for (const pb::PortRange& range : flip.ports()) {
      ports.push_back(range.first() == range.last()
                          ? absl::StrCat(range.first())
                          : absl::StrCat(range.first(), "-", range.last()));
    }
    const bool valid =
        flip.source_group() < uint32_t(response.groups_size()) &&
        flip.destination_group() < uint32_t(response.groups_size());
    texts.push_back(absl::StrCat(
        valid ? GroupText(response.groups(flip.source_group())) : "?", " -> ",
        valid ? GroupText(response.groups(flip.destination_group())) : "?",
        ": ", pb::FlowChange_Name(flip.change()), " ",
        pb::Protocol_Name(flip.protocol()), " ", absl::StrJoin(ports, ","),
        " (flows ", flip.flows(), ")"));
  }
  return texts;
}

// "x/b0 -> x/a TCP 1", "0.0.0.0 -> x/a UDP 1".
std::string EndpointText(const pb::Endpoint& endpoint) {
  return endpoint.has_pod() ? absl::StrCat(endpoint.pod().namespace_(), "/",
                                           endpoint.pod().name())
                            : endpoint.ip();
}

std::vector<std::string> SampleTexts(const pb::Flip& flip) {
  std::vector<std::string> texts;
  for (const pb::Connection& sample : flip.samples()) {
    texts.push_back(absl::StrCat(EndpointText(sample.source()), " -> ",
                                 EndpointText(sample.destination()), " ",
                                 pb::Protocol_Name(sample.protocol()), " ",
                                 sample.port()));
  }
  return texts;
}

class ImpactRpcTest : public ::testing::Test {
 protected:
  // Starts on Cluster({80}) as version 1.
  void StartServer() {
    const std::string dir = MakeTestDir();
    WriteFileAtomically(dir + "/cluster.yaml", Cluster({80}));
    ASSERT_NO_FATAL_FAILURE(
        StartWith({"--manifests=" + dir + "/cluster.yaml"}));
    ASSERT_EQ(LiveVersion(*data_), 1u);
  }

  void StartWith(const std::vector<std::string>& args) {
    absl::StatusOr<std::unique_ptr<ServerProcess>> server =
        ServerProcess::Start(args);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    data_ = server_->DecisionStub();
    admin_ = server_->AdminStub();
  }

  grpc::Status Analyze(const pb::AnalyzeImpactRequest& request,
                       pb::AnalyzeImpactResponse* response) {
    grpc::ClientContext context;
    SetDeadline(&context, absl::Seconds(20));
    return data_->AnalyzeImpact(&context, request, response);
  }

  static pb::AnalyzeImpactRequest Proposed(
      const std::string& change,
      const std::string& source_name = "change.yaml") {
    pb::AnalyzeImpactRequest request;
    request.set_proposed_change(change);
    request.set_source_name(source_name);
    return request;
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<pb::PolicyDecisionPoint::Stub> data_;
  std::unique_ptr<pb::SnapshotAdmin::Stub> admin_;
};

// The nine flips deleting a-from-b causes, in the documented order.
const std::vector<std::string> kDeleteFlips = {
    "x {app=b} b0,b1 (2) -> x {app=a} a (1): NEWLY_ALLOWED TCP "
    "1-79,81-65535 (flows 131068)",
    "x {app=b} b0,b1 (2) -> x {app=a} a (1): NEWLY_ALLOWED UDP 1-65535 "
    "(flows 131070)",
    "x {app=b} b0,b1 (2) -> x {app=a} a (1): NEWLY_ALLOWED SCTP 1-65535 "
    "(flows 131070)",
    "x {app=c} c (1) -> x {app=a} a (1): NEWLY_ALLOWED TCP 1-65535 "
    "(flows 65535)",
    "x {app=c} c (1) -> x {app=a} a (1): NEWLY_ALLOWED UDP 1-65535 "
    "(flows 65535)",
    "x {app=c} c (1) -> x {app=a} a (1): NEWLY_ALLOWED SCTP 1-65535 "
    "(flows 65535)",
    "external 0.0.0.0/0 -> x {app=a} a (1): NEWLY_ALLOWED TCP 1-65535 "
    "(flows 65535)",
    "external 0.0.0.0/0 -> x {app=a} a (1): NEWLY_ALLOWED UDP 1-65535 "
    "(flows 65535)",
    "external 0.0.0.0/0 -> x {app=a} a (1): NEWLY_ALLOWED SCTP 1-65535 "
    "(flows 65535)",
};
// b -> a: TCP but port 80, UDP, SCTP from 2 pods; c and external: all.
constexpr uint64_t kDeleteNewlyAllowed = 2 * 65534 + 2 * 2 * 65535 + 6 * 65535;

TEST_F(ImpactRpcTest, RelabelledPodsAreNewlyDenied) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(Proposed(kRelabelB), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(response.before_version(), 1u);
  EXPECT_EQ(response.after_version(), 0u);
  EXPECT_THAT(FlipTexts(response),
              ElementsAre("x {app=b -> app=b2} b0,b1 (2) -> x {app=a} a (1): "
                          "NEWLY_DENIED TCP 80 (flows 2)"));
  EXPECT_EQ(response.totals().pods_affected(), 3u);
  EXPECT_EQ(response.totals().newly_denied_flows(), 2u);
  EXPECT_EQ(response.totals().newly_allowed_flows(), 0u);
  EXPECT_EQ(response.totals().flips(), 1u);
  EXPECT_THAT(response.pods_added(), IsEmpty());
  EXPECT_THAT(response.pods_removed(), IsEmpty());
  EXPECT_FALSE(response.truncated());
  EXPECT_THAT(response.flips(0).samples(), IsEmpty());

  // Analysing publishes nothing.
  EXPECT_EQ(LiveVersion(*data_), 1u);
  EXPECT_THAT(server_->Stderr(),
              HasSubstr("impact analysis: version 1 vs proposed change "
                        "\"change.yaml\": 1 flips (1 listed), 3 pods "
                        "affected, 2 flows newly denied, 0 newly allowed"));
}

TEST_F(ImpactRpcTest, DeletedPolicyIsNewlyAllowed) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(Proposed(kDeletePolicy), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  EXPECT_EQ(FlipTexts(response), kDeleteFlips);
  EXPECT_EQ(response.totals().pods_affected(), 4u);
  EXPECT_EQ(response.totals().newly_denied_flows(), 0u);
  EXPECT_EQ(response.totals().newly_allowed_flows(), kDeleteNewlyAllowed);
  EXPECT_EQ(response.totals().flips(), 9u);
  EXPECT_FALSE(response.truncated());
}

TEST_F(ImpactRpcTest, UpsertedPodIsAddedNotFlipped) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactResponse response;
  grpc::Status status =
      Analyze(Proposed(Pod("b2", "b", "10.0.1.14")), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(FlipTexts(response), IsEmpty());
  ASSERT_EQ(response.pods_added_size(), 1);
  EXPECT_EQ(response.pods_added(0).namespace_(), "x");
  EXPECT_EQ(response.pods_added(0).name(), "b2");
  EXPECT_THAT(response.pods_removed(), IsEmpty());
  EXPECT_EQ(response.totals().flips(), 0u);
}

TEST_F(ImpactRpcTest, ComparesRetainedVersionsBothWays) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::ApplySnapshotResponse applied;
  grpc::Status status = Apply(*admin_, Cluster({80, 81}), false, &applied);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(applied.snapshot().version(), 2u);

  pb::AnalyzeImpactRequest request;
  request.set_snapshot_version(1);
  request.set_other_version(2);
  pb::AnalyzeImpactResponse forward;
  status = Analyze(request, &forward);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(forward.before_version(), 1u);
  EXPECT_EQ(forward.after_version(), 2u);
  EXPECT_THAT(FlipTexts(forward),
              ElementsAre("x {app=b} b0,b1 (2) -> x {app=a} a (1): "
                          "NEWLY_ALLOWED TCP 81 (flows 2)"));
  EXPECT_EQ(forward.totals().newly_allowed_flows(), 2u);

  // Live (version 2) against version 1: the same flows, newly denied.
  request.set_snapshot_version(0);
  request.set_other_version(1);
  pb::AnalyzeImpactResponse backward;
  status = Analyze(request, &backward);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(backward.before_version(), 2u);
  EXPECT_EQ(backward.after_version(), 1u);
  EXPECT_THAT(FlipTexts(backward),
              ElementsAre("x {app=b} b0,b1 (2) -> x {app=a} a (1): "
                          "NEWLY_DENIED TCP 81 (flows 2)"));
  EXPECT_THAT(server_->Stderr(), HasSubstr("impact analysis: version 2 vs "
                                           "version 1: 1 flips (1 listed)"));

  // A proposed change applies to the pinned version, not the live one.
  pb::AnalyzeImpactRequest pinned = Proposed(kRelabelB);
  pinned.set_snapshot_version(2);
  pb::AnalyzeImpactResponse relabelled;
  status = Analyze(pinned, &relabelled);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(relabelled.before_version(), 2u);
  EXPECT_THAT(FlipTexts(relabelled),
              ElementsAre("x {app=b -> app=b2} b0,b1 (2) -> x {app=a} a (1): "
                          "NEWLY_DENIED TCP 80-81 (flows 4)"));
}

// The README's example on the bundled shop cluster: relabelling the API
// pods cuts db-policy's port 3306 and the web tier's calls, and leaves
// them unisolated (api-policy no longer selects them).
TEST_F(ImpactRpcTest, ShopApiRelabelOnTheBundledExample) {
  ASSERT_NO_FATAL_FAILURE(
      StartWith({std::string("--manifests=") + NETPOL_SOURCE_DIR +
                 "/deploy/examples/shop/cluster.yaml"}));
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(
      Proposed(absl::StrCat(kChangeListHeader,
                            "- labelPods:\n    namespace: prod\n"
                            "    selector: {matchLabels: {name: api-pod}}\n"
                            "    set: {name: api-v2}\n")),
      &response);
  ASSERT_TRUE(status.ok()) << status.error_message();

  const std::string api =
      "prod {name=api-pod,tier=backend -> name=api-v2,tier=backend} "
      "api-0,api-1 (2)";
  const std::string web = "prod {name=web-pod,tier=frontend} web-0 (1)";
  const std::string db = "prod {role=db} db-0 (1)";
  const std::string prometheus = "monitoring {app=prometheus} prometheus-0 (1)";
  const std::string external = "external 0.0.0.0/0";
  auto flip = [](const std::string& from, const std::string& to,
                 const std::string& what) {
    return absl::StrCat(from, " -> ", to, ": ", what);
  };
  EXPECT_THAT(
      FlipTexts(response),
      ElementsAre(
          flip(api, db, "NEWLY_DENIED TCP 3306 (flows 2)"),
          flip(web, api, "NEWLY_DENIED TCP 8000 (flows 2)"),
          flip(prometheus, api,
               "NEWLY_ALLOWED TCP 1-9099,9101-65535 (flows 131068)"),
          flip(prometheus, api, "NEWLY_ALLOWED UDP 1-65535 (flows 131070)"),
          flip(prometheus, api, "NEWLY_ALLOWED SCTP 1-65535 (flows 131070)"),
          flip(api, api, "NEWLY_ALLOWED TCP 1-65535 (flows 131070)"),
          flip(api, api, "NEWLY_ALLOWED UDP 1-65535 (flows 131070)"),
          flip(api, api, "NEWLY_ALLOWED SCTP 1-65535 (flows 131070)"),
          flip(web, api, "NEWLY_ALLOWED TCP 53 (flows 2)"),
          flip(web, api, "NEWLY_ALLOWED UDP 53 (flows 2)"),
          flip(db, api, "NEWLY_ALLOWED TCP 1-65535 (flows 131070)"),
          flip(db, api, "NEWLY_ALLOWED UDP 1-65535 (flows 131070)"),
          flip(db, api, "NEWLY_ALLOWED SCTP 1-65535 (flows 131070)"),
          flip(external, api, "NEWLY_ALLOWED TCP 1-65535 (flows 131070)"),
          flip(external, api, "NEWLY_ALLOWED UDP 1-65535 (flows 131070)"),
          flip(external, api, "NEWLY_ALLOWED SCTP 1-65535 (flows 131070)")));
  EXPECT_EQ(response.totals().pods_affected(), 5u);
  EXPECT_EQ(response.totals().newly_denied_flows(), 4u);
  EXPECT_EQ(response.totals().newly_allowed_flows(),
            131068u + 11 * 131070u + 2 * 2u);
  EXPECT_EQ(response.totals().flips(), 16u);
}

TEST_F(ImpactRpcTest, MaxFlipsTruncatesWithExactTotals) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactRequest request = Proposed(kDeletePolicy);
  request.set_max_flips(1);
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_THAT(FlipTexts(response), ElementsAre(kDeleteFlips[0]));
  EXPECT_TRUE(response.truncated());
  EXPECT_EQ(response.totals().flips(), 9u);
  EXPECT_EQ(response.totals().pods_affected(), 4u);
  EXPECT_EQ(response.totals().newly_allowed_flows(), kDeleteNewlyAllowed);
}

TEST_F(ImpactRpcTest, MaxPodsPerGroupCutsMemberListsOnly) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactRequest request = Proposed(kDeletePolicy);
  request.set_max_pods_per_group(1);
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(response.truncated());
  ASSERT_EQ(response.flips_size(), 9);
  const pb::FlowGroup& b = response.groups(response.flips(0).source_group());
  EXPECT_THAT(b.pods(), ElementsAre("b0"));
  EXPECT_EQ(b.pod_count(), 2u);
  EXPECT_EQ(response.totals().flips(), 9u);
}

TEST_F(ImpactRpcTest, SamplesAreBoundedConcreteConnections) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactRequest request = Proposed(kDeletePolicy);
  request.set_samples_per_flip(3);
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.flips_size(), 9);
  // b -> a on TCP: 2 sources x 2 port ranges, the first of each range.
  EXPECT_THAT(SampleTexts(response.flips(0)),
              ElementsAre("x/b0 -> x/a TCP 1", "x/b0 -> x/a TCP 81",
                          "x/b1 -> x/a TCP 1"));
  EXPECT_THAT(SampleTexts(response.flips(1)),
              ElementsAre("x/b0 -> x/a UDP 1", "x/b1 -> x/a UDP 1"));
  EXPECT_THAT(SampleTexts(response.flips(3)), ElementsAre("x/c -> x/a TCP 1"));
  EXPECT_THAT(SampleTexts(response.flips(8)),
              ElementsAre("0.0.0.0 -> x/a SCTP 1"));

  // Each sample really changes verdict: denied now, allowed once the
  // change is published.
  pb::CheckConnectionRequest check;
  for (const pb::Flip& flip : response.flips()) {
    for (const pb::Connection& sample : flip.samples()) {
      *check.add_connections() = sample;
    }
  }
  pb::CheckConnectionResponse before;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_TRUE(data_->CheckConnection(&context, check, &before).ok());
  }
  pb::ApplySnapshotResponse applied;
  ASSERT_TRUE(
      Apply(
          *admin_,
          absl::StrCat("apiVersion: v1\nkind: Namespace\nmetadata:\n"
                       "  name: x\n",
                       Pod("a", "a", "10.0.1.10"), Pod("b0", "b", "10.0.1.11"),
                       Pod("b1", "b", "10.0.1.12"), Pod("c", "c", "10.0.1.13")),
          false, &applied)
          .ok());
  pb::CheckConnectionResponse after;
  {
    grpc::ClientContext context;
    SetDeadline(&context);
    ASSERT_TRUE(data_->CheckConnection(&context, check, &after).ok());
  }
  ASSERT_EQ(before.decisions_size(), check.connections_size());
  ASSERT_EQ(after.decisions_size(), check.connections_size());
  for (int i = 0; i < check.connections_size(); ++i) {
    EXPECT_EQ(before.decisions(i).verdict(), pb::DENY) << i;
    EXPECT_EQ(after.decisions(i).verdict(), pb::ALLOW) << i;
  }
}

TEST_F(ImpactRpcTest, InvalidChangeListsLocatedErrors) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactResponse response;
  grpc::Status status =
      Analyze(Proposed("kind: [Pod\n  metadata: {{{\n"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("change.yaml"));

  // The second document's first change names no policy.
  status =
      Analyze(Proposed(absl::StrCat(kRelabelB, "---\n", kChangeListHeader,
                                    "- deleteNetworkPolicy: {namespace: x}\n")),
              &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("change.yaml: document 2"));
  EXPECT_THAT(status.error_message(), HasSubstr("changes[0]"));

  // Parses, but cannot apply: the policy does not exist.
  status = Analyze(
      Proposed(absl::StrCat(kChangeListHeader,
                            "- deleteNetworkPolicy: {namespace: x, name: "
                            "no-such-policy}\n"),
               ""),
      &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("proposed change"));
  EXPECT_THAT(status.error_message(), HasSubstr("no-such-policy"));
  // One log line, quoting the first error.
  const std::string log = server_->Stderr();
  const size_t line = log.find(
      "impact analysis failed (live version vs proposed change \"proposed "
      "change\"): INVALID_ARGUMENT: ");
  ASSERT_NE(line, std::string::npos) << log;
  EXPECT_THAT(log.substr(line, log.find('\n', line) - line),
              HasSubstr("x/no-such-policy"));
}

TEST_F(ImpactRpcTest, ManyErrorsAreCappedIn4KiB) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  std::string change = kChangeListHeader;
  for (int i = 0; i < 500; ++i) {
    absl::StrAppend(&change, "- deleteNetworkPolicy: {namespace: x}\n");
  }
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(Proposed(change), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const std::string& message = status.error_message();
  EXPECT_LE(message.size(), 4096u + 64);
  EXPECT_THAT(message, HasSubstr("500 errors"));
  EXPECT_THAT(message, HasSubstr("changes[0]"));
  // Every error is either listed or counted.
  const std::vector<std::string> lines = absl::StrSplit(message, '\n');
  const int listed = std::count_if(
      lines.begin(), lines.end(),
      [](const std::string& line) { return line.starts_with("change.yaml:"); });
  EXPECT_GT(listed, 10);
  EXPECT_THAT(message, HasSubstr(absl::StrCat("\n... and ", 500 - listed,
                                              " more errors")));
}

TEST_F(ImpactRpcTest, UnknownVersionsAreNotFound) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactRequest request = Proposed(kRelabelB);
  request.set_snapshot_version(99);
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("snapshot_version 99"));

  request = pb::AnalyzeImpactRequest();
  request.set_other_version(42);
  status = Analyze(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("other_version 42"));
  EXPECT_THAT(status.error_message(), HasSubstr("retained: 1-1"));
}

TEST_F(ImpactRpcTest, NoAfterStateIsInvalid) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactRequest request;
  request.set_snapshot_version(1);
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("proposed_change"));
  EXPECT_THAT(status.error_message(), HasSubstr("other_version"));
}

TEST_F(ImpactRpcTest, UnavailableBeforeTheFirstSnapshot) {
  ASSERT_NO_FATAL_FAILURE(StartWith({}));  // no --manifests
  pb::AnalyzeImpactResponse response;
  grpc::Status status = Analyze(Proposed(kRelabelB), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ImpactRpcTest, RequestsAreCountedByCode) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  pb::AnalyzeImpactResponse response;
  ASSERT_TRUE(Analyze(Proposed(kRelabelB), &response).ok());
  pb::AnalyzeImpactRequest missing;
  missing.set_other_version(7);
  ASSERT_EQ(Analyze(missing, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ScrapeSum(*server_, "netpol_rpc_duration_seconds_count",
                      {{"method", "AnalyzeImpact"}, {"code", "OK"}}),
            1);
  EXPECT_EQ(ScrapeSum(*server_, "netpol_rpc_duration_seconds_count",
                      {{"method", "AnalyzeImpact"}, {"code", "NOT_FOUND"}}),
            1);
}

}  // namespace
}  // namespace netpol::integration
