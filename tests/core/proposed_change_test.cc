#include "core/proposed_change.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/test_util.h"

namespace netpol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;
using testing_util::FindNamespace;
using testing_util::FindPod;
using testing_util::FindPolicy;
using testing_util::NamespaceYaml;
using testing_util::PodYaml;

constexpr char kHeader[] =
    "apiVersion: netpol-pdp.dev/v1\nkind: ChangeList\nchanges:\n";

std::string PolicyYaml(const std::string& ns, const std::string& name,
                       const std::string& selector = "{}") {
  return absl::StrCat(
      "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata:\n  name: ",
      name, "\n  namespace: ", ns, "\nspec:\n  podSelector: ", selector,
      "\n  policyTypes: [Ingress]\n");
}

// cluster.yaml: documents 1-7.
Cluster BaseCluster() {
  std::optional<Cluster> cluster = testing_util::LoadYaml(
      absl::StrCat(
          NamespaceYaml("shop", "{team: a, env: prod}"),
          PodYaml("shop", "api-0", "{app: api, tier: backend}", "10.0.0.1"),
          PodYaml("shop", "api-1", "{app: api, tier: backend}", "10.0.0.2"),
          PodYaml("shop", "db-0", "{app: db}", "10.0.0.3"),
          PodYaml("other", "api-0", "{app: api}", "10.0.1.1"),
          PolicyYaml("shop", "db-policy", "{matchLabels: {app: db}}"),
          PolicyYaml("shop", "default-deny")),
      "cluster.yaml");
  return cluster.value_or(Cluster{});
}

ProposedChange ParseOrDie(const std::string& text,
                          const std::string& name = "change.yaml") {
  absl::StatusOr<ProposedChange> change = ParseProposedChange(text, name);
  EXPECT_TRUE(change.ok()) << change.status();
  return change.ok() ? *std::move(change) : ProposedChange{};
}

// The error lines of a failed status, after the "<n> errors ...:" line.
std::vector<std::string> ErrorLines(const absl::Status& status) {
  std::vector<std::string> lines =
      absl::StrSplit(std::string(status.message()), '\n');
  if (!lines.empty()) lines.erase(lines.begin());
  return lines;
}

std::vector<std::string> ParseErrors(const std::string& text) {
  absl::StatusOr<ProposedChange> change =
      ParseProposedChange(text, "change.yaml");
  if (change.ok()) {
    ADD_FAILURE() << "parsed, expected errors:\n" << text;
    return {};
  }
  EXPECT_EQ(change.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(change.status().message()),
      StartsWith(absl::StrCat(ErrorLines(change.status()).size(),
                              ErrorLines(change.status()).size() == 1
                                  ? " error in the proposed change:\n"
                                  : " errors in the proposed change:\n")));
  return ErrorLines(change.status());
}

absl::StatusOr<Cluster> ApplyText(const Cluster& cluster,
                                  const std::string& text) {
  absl::StatusOr<ProposedChange> change =
      ParseProposedChange(text, "change.yaml");
  if (!change.ok()) return change.status();
  return ApplyProposedChange(cluster, *change);
}

std::vector<std::string> ApplyErrors(const Cluster& cluster,
                                     const std::string& text) {
  absl::StatusOr<Cluster> result = ApplyText(cluster, text);
  if (result.ok()) {
    ADD_FAILURE() << "applied, expected errors:\n" << text;
    return {};
  }
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("applying the proposed change:\n"));
  return ErrorLines(result.status());
}

std::vector<std::string> PodNames(const Cluster& c) {
  std::vector<std::string> names;
  for (const Pod& p : c.pods) names.push_back(p.namespace_name + "/" + p.name);
  return names;
}
std::vector<std::string> PolicyNames(const Cluster& c) {
  std::vector<std::string> names;
  for (const NetworkPolicy& p : c.policies) {
    names.push_back(p.namespace_name + "/" + p.name);
  }
  return names;
}

// ---------------------------------------------------------------------------
// Parsing.

TEST(ParseProposedChangeTest, ManifestsAreUpsertsInDocumentOrder) {
  ProposedChange change = ParseOrDie(
      absl::StrCat(PolicyYaml("shop", "p"), NamespaceYaml("new", "{team: b}"),
                   PodYaml("new", "web-0", "{app: web}", "10.0.2.1")));
  ASSERT_EQ(change.operations.size(), 3u);
  ASSERT_EQ(change.sources.size(), 3u);
  const auto* policy = std::get_if<NetworkPolicy>(&change.operations[0]);
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->name, "p");
  EXPECT_TRUE(policy->affects_ingress);
  const auto* ns = std::get_if<Namespace>(&change.operations[1]);
  ASSERT_NE(ns, nullptr);
  EXPECT_THAT(ns->labels,
              UnorderedElementsAre(Pair("team", "b"),
                                   Pair("kubernetes.io/metadata.name", "new")));
  const auto* pod = std::get_if<Pod>(&change.operations[2]);
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->name, "web-0");
  EXPECT_EQ(pod->ips,
            std::vector<IpAddress>{IpAddress::Parse("10.0.2.1").value()});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(change.sources[i].file, "change.yaml");
    EXPECT_EQ(change.sources[i].document, i + 1);
    EXPECT_EQ(change.sources[i].prefix, "");
  }
  EXPECT_EQ(pod->source.document, 3);
}

TEST(ParseProposedChangeTest, EveryChangeListOperation) {
  ProposedChange change = ParseOrDie(absl::StrCat(kHeader, R"(
- deleteNetworkPolicy: {namespace: shop, name: db-policy}
- deletePod: {namespace: shop, name: api-0}
- labelPods:
    namespace: shop
    name: api-1
    set: {app: api-v2, "example.com/owner": ""}
    remove: [tier]
- labelPods:
    namespace: shop
    selector:
      matchLabels: {app: api}
      matchExpressions: [{key: tier, operator: NotIn, values: [db]}]
    set: {canary: "true"}
- labelNamespace: {name: shop, set: {team: b}, remove: [env]}
)"));
  ASSERT_EQ(change.operations.size(), 5u);
  const auto* del_policy = std::get_if<DeletePolicy>(&change.operations[0]);
  ASSERT_NE(del_policy, nullptr);
  EXPECT_EQ(del_policy->namespace_name, "shop");
  EXPECT_EQ(del_policy->name, "db-policy");
  const auto* del_pod = std::get_if<DeletePod>(&change.operations[1]);
  ASSERT_NE(del_pod, nullptr);
  EXPECT_EQ(del_pod->namespace_name, "shop");
  EXPECT_EQ(del_pod->name, "api-0");
  const auto* by_name = std::get_if<LabelPods>(&change.operations[2]);
  ASSERT_NE(by_name, nullptr);
  EXPECT_EQ(by_name->namespace_name, "shop");
  EXPECT_EQ(by_name->name, "api-1");
  EXPECT_FALSE(by_name->selector.has_value());
  EXPECT_THAT(by_name->edit.set,
              UnorderedElementsAre(Pair("app", "api-v2"),
                                   Pair("example.com/owner", "")));
  EXPECT_THAT(by_name->edit.remove, ElementsAre("tier"));
  const auto* by_selector = std::get_if<LabelPods>(&change.operations[3]);
  ASSERT_NE(by_selector, nullptr);
  EXPECT_EQ(by_selector->name, "");
  ASSERT_TRUE(by_selector->selector.has_value());
  EXPECT_EQ(by_selector->selector->ToString(), "app=api,tier notin (db)");
  EXPECT_THAT(by_selector->edit.set, ElementsAre(Pair("canary", "true")));
  const auto* ns = std::get_if<LabelNamespace>(&change.operations[4]);
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->name, "shop");
  EXPECT_THAT(ns->edit.set, ElementsAre(Pair("team", "b")));
  EXPECT_THAT(ns->edit.remove, ElementsAre("env"));
  ASSERT_EQ(change.sources.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(change.sources[i].file, "change.yaml");
    EXPECT_EQ(change.sources[i].document, 1);
    EXPECT_EQ(change.sources[i].prefix, absl::StrCat("changes[", i, "]"));
  }
}

TEST(ParseProposedChangeTest, EmptySelectorSelectsEveryPodOfTheNamespace) {
  ProposedChange change = ParseOrDie(absl::StrCat(
      kHeader, "- labelPods: {namespace: shop, selector: {}, set: {a: b}}\n"));
  ASSERT_EQ(change.operations.size(), 1u);
  const auto& op = std::get<LabelPods>(change.operations[0]);
  ASSERT_TRUE(op.selector.has_value());
  EXPECT_TRUE(op.selector->empty());
}

TEST(ParseProposedChangeTest, ManifestsAndChangeListsMix) {
  ProposedChange change =
      ParseOrDie(absl::StrCat(PolicyYaml("shop", "p"), "---\n", kHeader,
                              "- deletePod: {namespace: shop, name: api-0}\n",
                              PodYaml("shop", "api-9", "{app: api}")));
  ASSERT_EQ(change.operations.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<NetworkPolicy>(change.operations[0]));
  EXPECT_TRUE(std::holds_alternative<DeletePod>(change.operations[1]));
  EXPECT_TRUE(std::holds_alternative<Pod>(change.operations[2]));
  EXPECT_EQ(change.sources[1].document, 2);
  EXPECT_EQ(change.sources[1].prefix, "changes[0]");
  EXPECT_EQ(change.sources[2].document, 3);
}

TEST(ParseProposedChangeTest, Json) {
  ProposedChange change = ParseOrDie(R"({
  "apiVersion": "netpol-pdp.dev/v1",
  "kind": "ChangeList",
  "changes": [
    {"labelNamespace": {"name": "shop", "set": {"team": "b"}}},
    {"deleteNetworkPolicy": {"namespace": "shop", "name": "db-policy"}}
  ]
})",
                                     "change.json");
  ASSERT_EQ(change.operations.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<LabelNamespace>(change.operations[0]));
  EXPECT_TRUE(std::holds_alternative<DeletePolicy>(change.operations[1]));
  EXPECT_EQ(change.sources[1].file, "change.json");
}

// A List may hold ChangeLists like any other object (kubectl-style
// tooling wraps everything in one); their locations carry the item.
TEST(ParseProposedChangeTest, ChangeListInsideAList) {
  ProposedChange change = ParseOrDie(R"(apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: p, namespace: shop}
- apiVersion: netpol-pdp.dev/v1
  kind: ChangeList
  changes:
  - deletePod: {namespace: shop, name: api-0}
)");
  ASSERT_EQ(change.operations.size(), 2u);
  EXPECT_EQ(change.sources[0].prefix, "items[0]");
  EXPECT_EQ(change.sources[1].prefix, "items[1].changes[0]");

  EXPECT_THAT(ParseErrors(R"(apiVersion: v1
kind: List
items:
- apiVersion: netpol-pdp.dev/v1
  kind: ChangeList
  changes:
  - deletePod: {namespace: shop}
)"),
              ElementsAre("change.yaml: document 1: "
                          "items[0].changes[0].deletePod.name: required"));
}

TEST(ParseProposedChangeTest, MetadataIsAllowedOnAChangeList) {
  ProposedChange change =
      ParseOrDie(absl::StrCat("metadata: {name: rename-api}\n", kHeader,
                              "- deletePod: {namespace: shop, name: api-0}\n"));
  EXPECT_EQ(change.operations.size(), 1u);
}

TEST(ParseProposedChangeTest, EmptyChangeIsAnError) {
  for (const std::string& text :
       {std::string(""), std::string("# nothing\n---\n"),
        absl::StrCat(kHeader, "[]\n"),
        std::string("apiVersion: v1\nkind: List\nitems: []\n")}) {
    absl::StatusOr<ProposedChange> change =
        ParseProposedChange(text, "change.yaml");
    ASSERT_FALSE(change.ok()) << text;
    EXPECT_EQ(change.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(change.status().message(),
              "change.yaml: the proposed change is empty: no Namespace, Pod "
              "or NetworkPolicy manifest and no ChangeList change");
  }
}

TEST(ParseProposedChangeTest, UnsupportedKindIsAnError) {
  EXPECT_THAT(
      ParseErrors(absl::StrCat(
          PolicyYaml("shop", "p"),
          "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n")),
      ElementsAre("change.yaml: document 2: kind: \"Service\" is not "
                  "supported in a proposed change: must be Namespace, Pod, "
                  "NetworkPolicy or ChangeList"));
}

TEST(ParseProposedChangeTest, ManifestsAreValidatedAsTheLoaderDoes) {
  EXPECT_THAT(
      ParseErrors(absl::StrCat(
          "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
          "metadata: {name: p, namespace: shop}\n"
          "spec:\n  ingress:\n  - ports: [{port: 70000}]\n",
          "---\napiVersion: v2\nkind: Pod\nmetadata: {name: a}\n")),
      ElementsAre("change.yaml: document 1: spec.ingress[0].ports[0].port: "
                  "70000: must be between 1 and 65535, inclusive",
                  "change.yaml: document 2: apiVersion: \"v2\" is not "
                  "supported for Pod: expected \"v1\""));
}

TEST(ParseProposedChangeTest, SyntaxErrorsAndAliases) {
  std::vector<std::string> errors = ParseErrors(absl::StrCat(
      kHeader, "- deletePod: {namespace: shop, name: [\n", "---\n", kHeader,
      "- deletePod: &x {namespace: shop, name: a}\n- deletePod: *x\n"));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_THAT(errors[0],
              StartsWith("change.yaml: document 1: invalid YAML at line "));
  EXPECT_EQ(errors[1],
            "change.yaml: document 2: line 10: YAML aliases (*name) are not "
            "supported");
}

TEST(ParseProposedChangeTest, ReportsErrorsOfEveryDocumentAtOnce) {
  std::vector<std::string> errors = ParseErrors(
      absl::StrCat(kHeader, "- deletePod: {namespace: shop}\n", "---\n",
                   kHeader, "- labelNamespace: {name: shop}\n",
                   "- deletePods: {}\n", PodYaml("shop", "Bad_Name")));
  EXPECT_THAT(
      errors,
      ElementsAre(
          "change.yaml: document 1: changes[0].deletePod.name: required",
          "change.yaml: document 2: changes[0].labelNamespace: must set or "
          "remove at least one label",
          "change.yaml: document 2: changes[1].deletePods: unknown "
          "operation: must be one of deleteNetworkPolicy, deletePod, "
          "labelPods, labelNamespace",
          StartsWith("change.yaml: document 3: metadata.name: \"Bad_Name\" "
                     "is not a valid name: ")));
}

struct InvalidChangeCase {
  std::string name;
  std::string changes;  // the `changes` list, YAML
  std::string error;    // the one expected error, after "document 1: "
};

void PrintTo(const InvalidChangeCase& c, std::ostream* os) { *os << c.name; }

class InvalidChangeTest : public ::testing::TestWithParam<InvalidChangeCase> {};

TEST_P(InvalidChangeTest, ReportsOneErrorAtItsPath) {
  EXPECT_THAT(ParseErrors(absl::StrCat(kHeader, GetParam().changes)),
              ElementsAre(StartsWith(absl::StrCat("change.yaml: document 1: ",
                                                  GetParam().error))));
}

INSTANTIATE_TEST_SUITE_P(
    ChangeList, InvalidChangeTest,
    ::testing::Values(
        InvalidChangeCase{"ItemNotMap", "- 5\n",
                          "changes[0]: expected a map, got a scalar"},
        InvalidChangeCase{
            "EmptyItem", "- {}\n",
            "changes[0]: must hold an operation: one of deleteNetworkPolicy, "
            "deletePod, labelPods, labelNamespace"},
        InvalidChangeCase{
            "TwoOperations",
            "- deletePod: {namespace: shop, name: a}\n"
            "  labelPods: {namespace: shop, name: a, set: {x: y}}\n",
            "changes[0]: must hold exactly one operation, got deletePod and "
            "labelPods"},
        InvalidChangeCase{"OperationNotMap", "- deletePod: shop/api-0\n",
                          "changes[0].deletePod: expected a map, got a "
                          "scalar"},
        InvalidChangeCase{"IndexCountsItems",
                          "- deletePod: {namespace: shop, name: a}\n"
                          "- deletePod: {namespace: shop, name: b}\n"
                          "- deleteNetworkPolicy: {name: p}\n",
                          "changes[2].deleteNetworkPolicy.namespace: "
                          "required"},
        InvalidChangeCase{"DeleteWithoutName",
                          "- deletePod: {namespace: shop}\n",
                          "changes[0].deletePod.name: required"},
        InvalidChangeCase{"DeleteWithEmptyName",
                          "- deletePod: {namespace: shop, name: \"\"}\n",
                          "changes[0].deletePod.name: required"},
        InvalidChangeCase{"DeleteNameNotString",
                          "- deletePod: {namespace: shop, name: [a]}\n",
                          "changes[0].deletePod.name: expected a string, got "
                          "a list"},
        InvalidChangeCase{
            "DeleteBadName",
            "- deleteNetworkPolicy: {namespace: shop, name: Bad_Name}\n",
            "changes[0].deleteNetworkPolicy.name: \"Bad_Name\" is not a "
            "valid name: "},
        InvalidChangeCase{"DeleteBadNamespace",
                          "- deletePod: {namespace: a.b, name: x}\n",
                          "changes[0].deletePod.namespace: \"a.b\" is not a "
                          "valid namespace: "},
        InvalidChangeCase{"DeleteUnknownField",
                          "- deletePod: {namespace: shop, name: a, kind: "
                          "Pod}\n",
                          "changes[0].deletePod.kind: unknown field: "
                          "expected namespace, name"},
        InvalidChangeCase{"LabelPodsNameAndSelector",
                          "- labelPods: {namespace: shop, name: a, "
                          "selector: {}, set: {x: y}}\n",
                          "changes[0].labelPods: may not specify both name "
                          "and selector"},
        InvalidChangeCase{"LabelPodsNeitherNameNorSelector",
                          "- labelPods: {namespace: shop, set: {x: y}}\n",
                          "changes[0].labelPods: must specify name (one pod) "
                          "or selector (every matching pod)"},
        InvalidChangeCase{"LabelPodsWithoutNamespace",
                          "- labelPods: {name: a, set: {x: y}}\n",
                          "changes[0].labelPods.namespace: required"},
        InvalidChangeCase{"LabelPodsUnknownField",
                          "- labelPods: {namespace: shop, name: a, labels: "
                          "{x: y}}\n",
                          "changes[0].labelPods.labels: unknown field: "
                          "expected namespace, name, selector, set, remove"},
        // Without the check, {app: api} would be the empty selector and
        // relabel every pod of the namespace.
        InvalidChangeCase{"SelectorWithoutMatchLabels",
                          "- labelPods: {namespace: shop, selector: {app: "
                          "api}, set: {x: y}}\n",
                          "changes[0].labelPods.selector.app: unknown field: "
                          "expected matchLabels, matchExpressions"},
        InvalidChangeCase{"SelectorNotMap",
                          "- labelPods: {namespace: shop, selector: app=api, "
                          "set: {x: y}}\n",
                          "changes[0].labelPods.selector: expected a map, got "
                          "a scalar"},
        InvalidChangeCase{"SelectorBadOperator",
                          "- labelPods:\n    namespace: shop\n"
                          "    selector: {matchExpressions: [{key: app, "
                          "operator: Is, values: [a]}]}\n"
                          "    set: {x: y}\n",
                          "changes[0].labelPods.selector.matchExpressions[0]."
                          "operator: \"Is\" is not a valid selector operator"},
        InvalidChangeCase{"SelectorBadMatchLabel",
                          "- labelPods: {namespace: shop, selector: "
                          "{matchLabels: {app: \"a b\"}}, set: {x: y}}\n",
                          "changes[0].labelPods.selector.matchLabels.app: "
                          "\"a b\" is not a valid label value: "},
        InvalidChangeCase{"SetBadKey",
                          "- labelPods: {namespace: shop, name: a, set: "
                          "{\"-x\": y}}\n",
                          "changes[0].labelPods.set[\"-x\"]: \"-x\" is not a "
                          "valid label key: "},
        InvalidChangeCase{"SetBadValue",
                          "- labelPods: {namespace: shop, name: a, set: "
                          "{app: \"a b\"}}\n",
                          "changes[0].labelPods.set[\"app\"]: \"a b\" is not "
                          "a valid label value: "},
        InvalidChangeCase{"SetValueNotString",
                          "- labelPods: {namespace: shop, name: a, set: "
                          "{app: {v: 2}}}\n",
                          "changes[0].labelPods.set[\"app\"]: expected a "
                          "string, got a map"},
        InvalidChangeCase{"SetNotMap",
                          "- labelPods: {namespace: shop, name: a, set: "
                          "[app]}\n",
                          "changes[0].labelPods.set: expected a map, got a "
                          "list"},
        InvalidChangeCase{"RemoveNotList",
                          "- labelPods: {namespace: shop, name: a, remove: "
                          "app}\n",
                          "changes[0].labelPods.remove: expected a list, got "
                          "a scalar"},
        InvalidChangeCase{"RemoveBadKey",
                          "- labelPods: {namespace: shop, name: a, remove: "
                          "[ok, \"a/b/c\"]}\n",
                          "changes[0].labelPods.remove[1]: \"a/b/c\" is not a "
                          "valid label key: "},
        InvalidChangeCase{"SetAndRemoveSameKey",
                          "- labelPods: {namespace: shop, name: a, set: "
                          "{app: b}, remove: [app]}\n",
                          "changes[0].labelPods.remove[0]: \"app\" is both "
                          "set and removed"},
        InvalidChangeCase{"EditDoesNothing",
                          "- labelPods: {namespace: shop, name: a, set: {}, "
                          "remove: []}\n",
                          "changes[0].labelPods: must set or remove at least "
                          "one label"},
        InvalidChangeCase{"NamespaceWithoutName",
                          "- labelNamespace: {set: {x: y}}\n",
                          "changes[0].labelNamespace.name: required"},
        InvalidChangeCase{"NamespaceBadName",
                          "- labelNamespace: {name: Shop, set: {x: y}}\n",
                          "changes[0].labelNamespace.name: \"Shop\" is not a "
                          "valid namespace: "},
        InvalidChangeCase{"NamespaceUnknownField",
                          "- labelNamespace: {name: shop, namespace: shop, "
                          "set: {x: y}}\n",
                          "changes[0].labelNamespace.namespace: unknown "
                          "field: expected name, set, remove"},
        InvalidChangeCase{
            "NamespaceSetsNameLabel",
            "- labelNamespace: {name: shop, set: "
            "{kubernetes.io/metadata.name: shop}}\n",
            "changes[0].labelNamespace.set[\"kubernetes.io/metadata.name\"]: "
            "may not be changed: every namespace carries its own name in "
            "this label"},
        InvalidChangeCase{"NamespaceRemovesNameLabel",
                          "- labelNamespace: {name: shop, remove: "
                          "[kubernetes.io/metadata.name]}\n",
                          "changes[0].labelNamespace.remove[0]: may not be "
                          "changed: every namespace carries its own name in "
                          "this label"}),
    [](const ::testing::TestParamInfo<InvalidChangeCase>& info) {
      return info.param.name;
    });

TEST(ParseProposedChangeTest, ChangeListStructureErrors) {
  EXPECT_THAT(ParseErrors("apiVersion: netpol-pdp.dev/v1\nkind: ChangeList\n"),
              ElementsAre("change.yaml: document 1: changes: required (a "
                          "list of changes)"));
  EXPECT_THAT(
      ParseErrors(absl::StrCat(kHeader, "  deletePod: {}\n")),
      ElementsAre("change.yaml: document 1: changes: expected a list, got a "
                  "map"));
  EXPECT_THAT(
      ParseErrors(absl::StrCat("spec: {}\n", kHeader,
                               "- deletePod: {namespace: a, name: b}\n")),
      ElementsAre("change.yaml: document 1: spec: unknown field: expected "
                  "apiVersion, kind, metadata, changes"));
  // Not read as a typed list of "Change" objects.
  EXPECT_THAT(
      ParseErrors("apiVersion: netpol-pdp.dev/v1\nkind: ChangeList\n"
                  "items:\n- deletePod: {namespace: a, name: b}\n"),
      ElementsAre("change.yaml: document 1: items: unknown field: expected "
                  "apiVersion, kind, metadata, changes",
                  "change.yaml: document 1: changes: required (a list of "
                  "changes)"));
  EXPECT_THAT(
      ParseErrors("apiVersion: v1\nkind: ChangeList\nchanges: []\n"),
      ElementsAre("change.yaml: document 1: apiVersion: \"v1\" is not "
                  "supported for ChangeList: expected \"netpol-pdp.dev/v1\""));
}

// ---------------------------------------------------------------------------
// Applying.

TEST(ApplyProposedChangeTest, UpsertReplacesByNamespaceAndName) {
  const Cluster cluster = BaseCluster();
  absl::StatusOr<Cluster> after = ApplyText(
      cluster,
      absl::StrCat(PolicyYaml("shop", "db-policy", "{matchLabels: {app: web}}"),
                   PodYaml("shop", "api-0", "{app: api-v2}", "10.0.0.1")));
  ASSERT_TRUE(after.ok()) << after.status();
  // Replaced in place: order and counts unchanged.
  EXPECT_EQ(PolicyNames(*after), PolicyNames(cluster));
  EXPECT_EQ(PodNames(*after), PodNames(cluster));
  const NetworkPolicy* policy = FindPolicy(*after, "shop", "db-policy");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->pod_selector.ToString(), "app=web");
  EXPECT_EQ(policy->source.file, "change.yaml");
  EXPECT_EQ(policy->source.document, 1);
  const Pod* pod = FindPod(*after, "shop", "api-0");
  ASSERT_NE(pod, nullptr);
  EXPECT_THAT(pod->labels, ElementsAre(Pair("app", "api-v2")));
  // The input is untouched.
  EXPECT_EQ(FindPolicy(cluster, "shop", "db-policy")->pod_selector.ToString(),
            "app=db");
}

TEST(ApplyProposedChangeTest, UpsertAddsNewObjectsLast) {
  const Cluster cluster = BaseCluster();
  absl::StatusOr<Cluster> after = ApplyText(
      cluster,
      absl::StrCat(PolicyYaml("shop", "new-policy"),
                   PodYaml("shop", "web-0", "{app: web}", "10.0.0.9")));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(
      PolicyNames(*after),
      ElementsAre("shop/db-policy", "shop/default-deny", "shop/new-policy"));
  EXPECT_THAT(PodNames(*after),
              ElementsAre("shop/api-0", "shop/api-1", "shop/db-0",
                          "other/api-0", "shop/web-0"));
  EXPECT_EQ(after->namespaces.size(), cluster.namespaces.size());
}

TEST(ApplyProposedChangeTest, NewObjectsImplyTheirNamespace) {
  absl::StatusOr<Cluster> after = ApplyText(
      BaseCluster(), absl::StrCat(PodYaml("fresh", "a", "{}", "10.0.9.1"),
                                  PolicyYaml("fresh2", "p")));
  ASSERT_TRUE(after.ok()) << after.status();
  for (const char* name : {"fresh", "fresh2"}) {
    const Namespace* ns = FindNamespace(*after, name);
    ASSERT_NE(ns, nullptr) << name;
    EXPECT_THAT(ns->labels,
                ElementsAre(Pair("kubernetes.io/metadata.name", name)));
    EXPECT_EQ(ns->source.file, "change.yaml");
  }
}

TEST(ApplyProposedChangeTest, UpsertNamespaceReplacesItsLabels) {
  absl::StatusOr<Cluster> after =
      ApplyText(BaseCluster(), NamespaceYaml("shop", "{team: b}"));
  ASSERT_TRUE(after.ok()) << after.status();
  const Namespace* ns = FindNamespace(*after, "shop");
  ASSERT_NE(ns, nullptr);
  EXPECT_THAT(ns->labels, UnorderedElementsAre(
                              Pair("team", "b"),
                              Pair("kubernetes.io/metadata.name", "shop")));
}

TEST(ApplyProposedChangeTest, DeletesPoliciesAndPods) {
  const Cluster cluster = BaseCluster();
  absl::StatusOr<Cluster> after =
      ApplyText(cluster, absl::StrCat(kHeader,
                                      "- deleteNetworkPolicy: {namespace: "
                                      "shop, name: db-policy}\n"
                                      "- deletePod: {namespace: shop, name: "
                                      "api-1}\n"));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(PolicyNames(*after), ElementsAre("shop/default-deny"));
  EXPECT_THAT(PodNames(*after),
              ElementsAre("shop/api-0", "shop/db-0", "other/api-0"));
  EXPECT_EQ(after->namespaces.size(), cluster.namespaces.size());
}

TEST(ApplyProposedChangeTest, LabelsOnePodByName) {
  absl::StatusOr<Cluster> after = ApplyText(
      BaseCluster(),
      absl::StrCat(kHeader,
                   "- labelPods: {namespace: shop, name: api-1, set: {app: "
                   "api-v2, new: \"\"}, remove: [tier, absent]}\n"));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(FindPod(*after, "shop", "api-1")->labels,
              ElementsAre(Pair("app", "api-v2"), Pair("new", "")));
  EXPECT_THAT(FindPod(*after, "shop", "api-0")->labels,
              ElementsAre(Pair("app", "api"), Pair("tier", "backend")));
}

TEST(ApplyProposedChangeTest, LabelsEveryPodTheSelectorMatchesInTheNamespace) {
  absl::StatusOr<Cluster> after = ApplyText(
      BaseCluster(),
      absl::StrCat(kHeader,
                   "- labelPods: {namespace: shop, selector: {matchLabels: "
                   "{app: api}}, set: {canary: \"true\"}}\n"));
  ASSERT_TRUE(after.ok()) << after.status();
  for (const char* name : {"api-0", "api-1"}) {
    EXPECT_THAT(FindPod(*after, "shop", name)->labels,
                ElementsAre(Pair("app", "api"), Pair("canary", "true"),
                            Pair("tier", "backend")))
        << name;
  }
  EXPECT_THAT(FindPod(*after, "shop", "db-0")->labels,
              ElementsAre(Pair("app", "db")));
  // Same labels, other namespace: untouched.
  EXPECT_THAT(FindPod(*after, "other", "api-0")->labels,
              ElementsAre(Pair("app", "api")));
}

TEST(ApplyProposedChangeTest, RelabelsANamespace) {
  absl::StatusOr<Cluster> after = ApplyText(
      BaseCluster(),
      absl::StrCat(kHeader,
                   "- labelNamespace: {name: shop, set: {team: b}, remove: "
                   "[env]}\n"
                   // "other" is implied by its pod, not declared.
                   "- labelNamespace: {name: other, set: {env: dev}}\n"));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(
      FindNamespace(*after, "shop")->labels,
      UnorderedElementsAre(Pair("team", "b"),
                           Pair("kubernetes.io/metadata.name", "shop")));
  EXPECT_THAT(
      FindNamespace(*after, "other")->labels,
      UnorderedElementsAre(Pair("env", "dev"),
                           Pair("kubernetes.io/metadata.name", "other")));
}

TEST(ApplyProposedChangeTest, OperationsApplyInOrder) {
  const Cluster cluster = BaseCluster();
  // Delete then re-create: present. Create then delete: absent.
  absl::StatusOr<Cluster> after = ApplyText(
      cluster,
      absl::StrCat(kHeader,
                   "- deleteNetworkPolicy: {namespace: shop, name: "
                   "db-policy}\n",
                   PolicyYaml("shop", "db-policy"), PolicyYaml("shop", "tmp"),
                   "---\n", kHeader,
                   "- deleteNetworkPolicy: {namespace: shop, name: tmp}\n"
                   // A selector sees the labels earlier operations set.
                   "- labelPods: {namespace: shop, name: api-0, set: {app: "
                   "v2}}\n"
                   "- labelPods: {namespace: shop, selector: {matchLabels: "
                   "{app: v2}}, set: {seen: \"yes\"}}\n"));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(PolicyNames(*after),
              ElementsAre("shop/default-deny", "shop/db-policy"));
  EXPECT_EQ(FindPolicy(*after, "shop", "db-policy")->source.file,
            "change.yaml");
  EXPECT_THAT(FindPod(*after, "shop", "api-0")->labels,
              ElementsAre(Pair("app", "v2"), Pair("seen", "yes"),
                          Pair("tier", "backend")));

  // The other way round, the selector matches nothing yet.
  EXPECT_THAT(
      ApplyErrors(cluster,
                  absl::StrCat(kHeader,
                               "- labelPods: {namespace: shop, selector: "
                               "{matchLabels: {app: v2}}, set: {seen: "
                               "\"yes\"}}\n"
                               "- labelPods: {namespace: shop, name: api-0, "
                               "set: {app: v2}}\n")),
      ElementsAre("change.yaml: document 1: changes[0].labelPods.selector: "
                  "\"app=v2\" matches no pod in namespace shop"));
}

TEST(ApplyProposedChangeTest, OperationsOnMissingObjectsNameTheirSource) {
  const Cluster cluster = BaseCluster();
  EXPECT_THAT(
      ApplyErrors(
          cluster,
          absl::StrCat(
              PolicyYaml("shop", "p"), "---\n", kHeader,
              "- deleteNetworkPolicy: {namespace: shop, name: nope}\n"
              "- deletePod: {namespace: shop, name: api-0}\n"
              "- deletePod: {namespace: shop, name: api-0}\n"
              "- labelPods: {namespace: other, name: db-0, set: {a: b}}\n"
              "- labelPods: {namespace: other, selector: {matchLabels: "
              "{app: db}}, set: {a: b}}\n"
              "- labelNamespace: {name: nope, set: {a: b}}\n")),
      ElementsAre(
          "change.yaml: document 2: changes[0].deleteNetworkPolicy: "
          "NetworkPolicy shop/nope does not exist",
          "change.yaml: document 2: changes[2].deletePod: Pod shop/api-0 "
          "does not exist",
          "change.yaml: document 2: changes[3].labelPods: Pod other/db-0 "
          "does not exist",
          "change.yaml: document 2: changes[4].labelPods.selector: "
          "\"app=db\" matches no pod in namespace other",
          "change.yaml: document 2: changes[5].labelNamespace: Namespace "
          "nope does not exist"));
}

TEST(ApplyProposedChangeTest, ResultIsValidatedLikeALoadedCluster) {
  const Cluster cluster = BaseCluster();
  // A new pod may not take a live pod's IP...
  EXPECT_THAT(
      ApplyErrors(cluster, PodYaml("shop", "web-0", "{}", "10.0.0.3")),
      ElementsAre("change.yaml: document 1: status.podIPs: IP 10.0.0.3 is "
                  "also used by pod shop/db-0 (cluster.yaml: document 4)"));
  // ...but may once that pod is gone, and a replaced pod keeps its own.
  absl::StatusOr<Cluster> after = ApplyText(
      cluster,
      absl::StrCat(kHeader, "- deletePod: {namespace: shop, name: db-0}\n",
                   PodYaml("shop", "web-0", "{}", "10.0.0.3"),
                   PodYaml("shop", "api-0", "{app: x}", "10.0.0.1")));
  EXPECT_TRUE(after.ok()) << after.status();
}

TEST(ApplyProposedChangeTest, ChangesBuiltInCodeAreValidated) {
  const Cluster cluster = BaseCluster();
  ProposedChange change;
  LabelNamespace relabel;
  relabel.name = "shop";
  relabel.edit.remove = {"kubernetes.io/metadata.name"};
  LabelPods bad_value;
  bad_value.namespace_name = "shop";
  bad_value.name = "api-0";
  bad_value.edit.set["app"] = "not valid";
  change.operations = {relabel, bad_value};
  change.sources = {SourceLocation{"code", 1, "op[0]"},
                    SourceLocation{"code", 2, ""}};
  absl::StatusOr<Cluster> after = ApplyProposedChange(cluster, change);
  ASSERT_FALSE(after.ok());
  EXPECT_THAT(
      ErrorLines(after.status()),
      ElementsAre("code: document 1: op[0].labelNamespace.remove[0]: may "
                  "not be changed: every namespace carries its own name in "
                  "this label",
                  StartsWith("code: document 2: labelPods.set[\"app\"]: \"not "
                             "valid\" is not a valid label value: ")));

  change.sources.pop_back();
  after = ApplyProposedChange(cluster, change);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(after.status().message(), HasSubstr("one source per operation"));
}

TEST(ApplyProposedChangeTest, LabelsOfObjectsBuiltInCodeAreValidated) {
  Pod pod;
  pod.namespace_name = "shop";
  pod.name = "web-0";
  pod.labels["bad key"] = "v";
  Namespace ns;
  ns.name = "shop";
  ns.labels["team"] = "-a";
  ProposedChange change;
  change.operations = {pod, ns};
  change.sources = {SourceLocation{"code", 1, ""},
                    SourceLocation{"code", 2, ""}};
  absl::StatusOr<Cluster> after = ApplyProposedChange(BaseCluster(), change);
  ASSERT_FALSE(after.ok());
  EXPECT_THAT(ErrorLines(after.status()),
              ElementsAre(StartsWith("code: document 1: metadata.labels[\"bad "
                                     "key\"]: \"bad key\" is not a valid "
                                     "label key: "),
                          StartsWith("code: document 2: "
                                     "metadata.labels[\"team\"]: \"-a\" is "
                                     "not a valid label value: ")));
}

TEST(ApplyProposedChangeTest, NamespaceBuiltInCodeGetsItsNameLabel) {
  Namespace ns;
  ns.name = "fresh";
  ns.labels["team"] = "c";
  ProposedChange change;
  change.operations = {ns};
  change.sources = {SourceLocation{"code", 1, ""}};
  absl::StatusOr<Cluster> after = ApplyProposedChange(BaseCluster(), change);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_THAT(
      FindNamespace(*after, "fresh")->labels,
      UnorderedElementsAre(Pair("team", "c"),
                           Pair("kubernetes.io/metadata.name", "fresh")));
}

TEST(ApplyProposedChangeTest, KeepsSkippedKinds) {
  Cluster cluster = BaseCluster();
  cluster.skipped_kinds["Service"] = 2;
  absl::StatusOr<Cluster> after =
      ApplyText(cluster, PolicyYaml("shop", "extra"));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->skipped_kinds, cluster.skipped_kinds);
}

// ---------------------------------------------------------------------------
// Files.

class LoadProposedChangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat(
               "proposed_change_test_", getpid(), "_",
               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& content) {
    const std::filesystem::path path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << content;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(LoadProposedChangeTest, ReadsFilesAndDirectoriesInNameOrder) {
  Write("change/b.json",
        R"({"apiVersion": "netpol-pdp.dev/v1", "kind": "ChangeList",
            "changes": [{"deletePod": {"namespace": "shop", "name": "db-0"}}]})");
  Write("change/a.yaml", PolicyYaml("shop", "p"));
  Write("change/notes.txt", "not read");
  const std::string single =
      Write("single.yaml", absl::StrCat(kHeader,
                                        "- labelNamespace: {name: shop, set: "
                                        "{a: b}}\n"));
  absl::StatusOr<ProposedChange> change =
      LoadProposedChange({(dir_ / "change").string(), single});
  ASSERT_TRUE(change.ok()) << change.status();
  ASSERT_EQ(change->operations.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<NetworkPolicy>(change->operations[0]));
  EXPECT_TRUE(std::holds_alternative<DeletePod>(change->operations[1]));
  EXPECT_TRUE(std::holds_alternative<LabelNamespace>(change->operations[2]));
  EXPECT_EQ(change->sources[0].file, (dir_ / "change" / "a.yaml").string());
  EXPECT_EQ(change->sources[1].file, (dir_ / "change" / "b.json").string());
  EXPECT_EQ(change->sources[2].file, single);

  absl::StatusOr<Cluster> after = ApplyProposedChange(BaseCluster(), *change);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(FindPod(*after, "shop", "db-0"), nullptr);
}

TEST_F(LoadProposedChangeTest, ErrorsNameTheFile) {
  const std::string bad =
      Write("bad.yaml", absl::StrCat(kHeader, "- deletePod: {name: a}\n"));
  const std::string missing = (dir_ / "missing.yaml").string();
  absl::StatusOr<ProposedChange> change = LoadProposedChange({bad, missing});
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      ErrorLines(change.status()),
      ElementsAre(absl::StrCat(bad,
                               ": document 1: changes[0].deletePod.namespace: "
                               "required"),
                  StartsWith(absl::StrCat(missing, ": cannot read"))));
}

TEST_F(LoadProposedChangeTest, EmptyFilesAreAnEmptyChange) {
  const std::string empty = Write("empty.yaml", "# nothing proposed\n");
  absl::StatusOr<ProposedChange> change = LoadProposedChange({empty});
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().message(),
            absl::StrCat(empty,
                         ": the proposed change is empty: no Namespace, Pod "
                         "or NetworkPolicy manifest and no ChangeList "
                         "change"));
}

}  // namespace
}  // namespace netpol
