#include "core/manifest_loader.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/test_util.h"

namespace netpol {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using testing_util::FindNamespace;
using testing_util::FindPod;
using testing_util::FindPolicy;
using ::testing::StartsWith;

// The outcome of one load: the result and the loader's error list.
struct Loaded {
  absl::StatusOr<Cluster> cluster;
  std::vector<std::string> errors;
};

Loaded LoadText(const std::string& text,
                const std::string& name = "test.yaml") {
  ManifestLoader loader;
  loader.AddText(text, name);
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  return Loaded{std::move(cluster), loader.errors()};
}

// An error exactly at `path`: "<file>: document <doc>: <path>: ..." that
// mentions `phrase`.
::testing::Matcher<const std::vector<std::string>&> HasErrorAt(
    const std::string& file, int doc, const std::string& path,
    const std::string& phrase) {
  return Contains(AllOf(
      StartsWith(absl::StrCat(file, ": document ", doc, ": ", path, ": ")),
      HasSubstr(std::string(phrase))));
}

// An error at `path` or below it (the message may name the exact field a
// little differently, e.g. "ports[0]" vs "ports[0].endPort").
::testing::Matcher<const std::vector<std::string>&> HasErrorUnder(
    const std::string& file, int doc, const std::string& path,
    const std::string& phrase) {
  return Contains(
      AllOf(StartsWith(absl::StrCat(file, ": document ", doc, ": ", path)),
            HasSubstr(std::string(phrase))));
}

// Every failed load must be InvalidArgument, list every error in its
// message, and name the source in every error.
void ExpectConsistentFailure(const Loaded& loaded, const std::string& file) {
  ASSERT_FALSE(loaded.cluster.ok());
  EXPECT_EQ(loaded.cluster.status().code(), absl::StatusCode::kInvalidArgument)
      << loaded.cluster.status();
  EXPECT_THAT(loaded.errors, Not(IsEmpty()));
  for (const std::string& e : loaded.errors) {
    EXPECT_THAT(std::string(loaded.cluster.status().message()), HasSubstr(e));
    EXPECT_THAT(e, HasSubstr(std::string(file)));
    EXPECT_EQ(e.find('\n'), std::string::npos) << "one error per line: " << e;
  }
}

std::string Dump(const Loaded& l) {
  return absl::StrCat(l.cluster.ok() ? "OK" : l.cluster.status().ToString(),
                      "\nerrors:\n  ", absl::StrJoin(l.errors, "\n  "));
}

// A policy manifest around `spec` (YAML, indented two spaces).
std::string Policy(const std::string& spec, const std::string& name = "p",
                   const std::string& ns = "x") {
  return absl::StrCat(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata:\n  name: ",
      name, "\n  namespace: ", ns, "\nspec:\n", spec);
}

IpAddress Ip(const std::string& text) { return IpAddress::Parse(text).value(); }
Cidr Block(const std::string& text) { return Cidr::Parse(text).value(); }

// ---------------------------------------------------------------------------
// Well-formed input.

TEST(ManifestLoaderTest, LoadsNamespaceWithLabels) {
  Loaded l = LoadText(R"(
apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels:
    env: production
    team: ""
)");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  EXPECT_THAT(l.errors, IsEmpty());
  const Namespace* ns = FindNamespace(*l.cluster, "prod");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->labels, (Labels{{"env", "production"},
                                {"kubernetes.io/metadata.name", "prod"},
                                {"team", ""}}));
  EXPECT_EQ(ns->source.file, "test.yaml");
  EXPECT_EQ(ns->source.document, 1);
}

TEST(ManifestLoaderTest, NamespaceNameLabelIsAlwaysPresent) {
  Loaded l = LoadText("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  const Namespace* ns = FindNamespace(*l.cluster, "a");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->labels, (Labels{{"kubernetes.io/metadata.name", "a"}}));
}

TEST(ManifestLoaderTest, ImpliedNamespaceHasOnlyNameLabel) {
  Loaded l =
      LoadText(testing_util::PodYaml("ghost", "p", "{app: a}", "10.0.0.1"));
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  const Namespace* ns = FindNamespace(*l.cluster, "ghost");
  ASSERT_NE(ns, nullptr) << "namespace referenced by a pod must be added";
  EXPECT_EQ(ns->labels, (Labels{{"kubernetes.io/metadata.name", "ghost"}}));
  EXPECT_EQ(l.cluster->namespaces.size(), 1u);
}

TEST(ManifestLoaderTest, LoadsPod) {
  Loaded l = LoadText(R"(
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: shop
  labels: {app: web, "example.com/tier": frontend}
spec:
  containers:
  - name: main
    image: nginx
    ports:
    - {name: http, containerPort: 8080}
    - {name: dns, containerPort: 53, protocol: UDP}
    - {containerPort: 9000, protocol: SCTP}
  - name: sidecar
    image: envoy
    ports:
    - {name: admin, containerPort: 15000, protocol: TCP}
status:
  phase: Running
  podIP: 10.0.0.7
  podIPs:
  - ip: 10.0.0.7
  - ip: fd00::7
)");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  const Pod* pod = FindPod(*l.cluster, "shop", "web-1");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->labels,
            (Labels{{"app", "web"}, {"example.com/tier", "frontend"}}));
  EXPECT_THAT(pod->ips, ElementsAre(Ip("10.0.0.7"), Ip("fd00::7")));
  EXPECT_FALSE(pod->host_network);
  ASSERT_EQ(pod->ports.size(), 4u);
  EXPECT_EQ(pod->ports[0].name, "http");
  EXPECT_EQ(pod->ports[0].port, 8080);
  EXPECT_EQ(pod->ports[0].protocol, Protocol::kTcp);  // defaulted
  EXPECT_EQ(pod->ports[1].name, "dns");
  EXPECT_EQ(pod->ports[1].port, 53);
  EXPECT_EQ(pod->ports[1].protocol, Protocol::kUdp);
  EXPECT_EQ(pod->ports[2].name, "");
  EXPECT_EQ(pod->ports[2].port, 9000);
  EXPECT_EQ(pod->ports[2].protocol, Protocol::kSctp);
  EXPECT_EQ(pod->ports[3].name, "admin");
  EXPECT_EQ(pod->ports[3].port, 15000);
}

TEST(ManifestLoaderTest, PodIpComesFirst) {
  Loaded l = LoadText(R"(
apiVersion: v1
kind: Pod
metadata: {name: v6first, namespace: x}
spec: {containers: [{name: c, image: i}]}
status:
  podIP: fd00::9
  podIPs: [{ip: fd00::9}, {ip: 10.0.0.9}]
)");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  const Pod* pod = FindPod(*l.cluster, "x", "v6first");
  ASSERT_NE(pod, nullptr);
  EXPECT_THAT(pod->ips, ElementsAre(Ip("fd00::9"), Ip("10.0.0.9")));
}

TEST(ManifestLoaderTest, PodIpAloneOrPodIpsAlone) {
  Loaded l = LoadText(R"(
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x}
spec: {containers: [{name: c, image: i}]}
status: {podIP: 10.0.0.1}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x}
spec: {containers: [{name: c, image: i}]}
status: {podIPs: [{ip: 10.0.0.2}]}
)");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  ASSERT_NE(FindPod(*l.cluster, "x", "a"), nullptr);
  ASSERT_NE(FindPod(*l.cluster, "x", "b"), nullptr);
  EXPECT_THAT(FindPod(*l.cluster, "x", "a")->ips, ElementsAre(Ip("10.0.0.1")));
  EXPECT_THAT(FindPod(*l.cluster, "x", "b")->ips, ElementsAre(Ip("10.0.0.2")));
}

TEST(ManifestLoaderTest, PendingPodHasNoIps) {
  Loaded l = LoadText(R"(
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: x}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: q, namespace: x}
spec: {containers: [{name: c, image: i}]}
status: {phase: Pending}
)");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  ASSERT_NE(FindPod(*l.cluster, "x", "p"), nullptr);
  EXPECT_THAT(FindPod(*l.cluster, "x", "p")->ips, IsEmpty());
  ASSERT_NE(FindPod(*l.cluster, "x", "q"), nullptr);
  EXPECT_THAT(FindPod(*l.cluster, "x", "q")->ips, IsEmpty());
}

TEST(ManifestLoaderTest, HostNetworkPod) {
  Loaded l = LoadText(testing_util::PodYaml("kube-system", "proxy", "{}",
                                            "192.168.1.5", "[]", true));
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  const Pod* pod = FindPod(*l.cluster, "kube-system", "proxy");
  ASSERT_NE(pod, nullptr);
  EXPECT_TRUE(pod->host_network);
}

TEST(ManifestLoaderTest, HostNetworkPodsMayShareNodeIp) {
  // hostNetwork pods report their node's IP (Kubernetes API reference,
  // PodStatus.podIP), so pods on one node legitimately share it.
  Loaded l = LoadText(
      absl::StrCat(testing_util::PodYaml("kube-system", "proxy", "{}",
                                         "192.168.1.5", "[]", true),
                   testing_util::PodYaml("monitoring", "node-exporter", "{}",
                                         "192.168.1.5", "[]", true)));
  EXPECT_TRUE(l.cluster.ok()) << Dump(l);
}

TEST(ManifestLoaderTest, PolicyTypesDefaulting) {
  struct Case {
    std::string spec;
    bool ingress;
    bool egress;
  };
  const Case cases[] = {
      {"  podSelector: {}\n", true, false},
      {"  podSelector: {}\n  ingress: [{}]\n", true, false},
      {"  podSelector: {}\n  egress: []\n", true, false},
      {"  podSelector: {}\n  egress: [{}]\n", true, true},
      {"  podSelector: {}\n  egress: [{to: [{podSelector: {}}]}]\n", true,
       true},
      {"  podSelector: {}\n  policyTypes: [Ingress]\n  egress: [{}]\n", true,
       false},
      {"  podSelector: {}\n  policyTypes: [Egress]\n  ingress: [{}]\n", false,
       true},
      {"  podSelector: {}\n  policyTypes: [Egress]\n", false, true},
      {"  podSelector: {}\n  policyTypes: [Ingress, Egress]\n", true, true},
      {"  podSelector: {}\n  policyTypes: [Egress, Ingress]\n  egress: []\n",
       true, true},
      // An empty list is defaulted like an omitted one (the API server
      // defaults policyTypes when len(policyTypes) == 0).
      {"  podSelector: {}\n  policyTypes: []\n", true, false},
      {"  podSelector: {}\n  policyTypes: []\n  egress: [{}]\n", true, true},
  };
  for (const Case& c : cases) {
    Loaded l = LoadText(Policy(c.spec));
    ASSERT_TRUE(l.cluster.ok()) << c.spec << Dump(l);
    ASSERT_EQ(l.cluster->policies.size(), 1u);
    EXPECT_EQ(l.cluster->policies[0].affects_ingress, c.ingress) << c.spec;
    EXPECT_EQ(l.cluster->policies[0].affects_egress, c.egress) << c.spec;
  }
}

TEST(ManifestLoaderTest, NullAndEmptyPodSelectorBothSelectAll) {
  for (const char* sel : {"{}", "null", "~"}) {
    Loaded l = LoadText(Policy(absl::StrCat("  podSelector: ", sel, "\n")));
    ASSERT_TRUE(l.cluster.ok()) << sel << Dump(l);
    ASSERT_EQ(l.cluster->policies.size(), 1u);
    EXPECT_TRUE(l.cluster->policies[0].pod_selector.empty()) << sel;
  }
}

TEST(ManifestLoaderTest, MissingPodSelectorSelectsAll) {
  // spec.podSelector is a struct in the API: leaving it out is the empty
  // selector.
  Loaded l = LoadText(Policy("  ingress: [{}]\n"));
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  ASSERT_EQ(l.cluster->policies.size(), 1u);
  EXPECT_TRUE(l.cluster->policies[0].pod_selector.empty());
}

TEST(ManifestLoaderTest, NamespaceNameLabelCannotBeOverridden) {
  // The API server sets kubernetes.io/metadata.name to the name, whatever
  // the manifest says.
  Loaded l = LoadText(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: real\n  labels:\n"
      "    kubernetes.io/metadata.name: fake\n");
  if (!l.cluster.ok()) {
    // Rejecting the contradiction is acceptable too.
    ExpectConsistentFailure(l, "test.yaml");
    return;
  }
  const Namespace* ns = FindNamespace(*l.cluster, "real");
  ASSERT_NE(ns, nullptr);
  EXPECT_EQ(ns->labels.at("kubernetes.io/metadata.name"), "real");
}

TEST(ManifestLoaderTest, CrlfLineEndings) {
  std::string text = absl::StrCat(
      "apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: a\r\n"
      "---\r\n",
      "apiVersion: v1\r\nkind: Namespace\r\nmetadata:\r\n  name: b\r\n"
      "  labels:\r\n    team: x\r\n---\r\n",
      "apiVersion: networking.k8s.io/v1\r\nkind: NetworkPolicy\r\n"
      "metadata: {name: p, namespace: a}\r\nspec:\r\n  podSelector: {}\r\n"
      "  policyTypes: [Sideways]\r\n");
  Loaded l = LoadText(text, "crlf.yaml");
  ExpectConsistentFailure(l, "crlf.yaml");
  EXPECT_THAT(l.errors, HasErrorAt("crlf.yaml", 3, "spec.policyTypes[0]",
                                   "unsupported policyType \"Sideways\""))
      << Dump(l);
  EXPECT_THAT(l.errors, SizeIs(1)) << Dump(l);

  Loaded ok = LoadText(text.substr(0, text.find("apiVersion: networking")),
                       "crlf.yaml");
  ASSERT_TRUE(ok.cluster.ok()) << Dump(ok);
  ASSERT_NE(FindNamespace(*ok.cluster, "b"), nullptr);
  EXPECT_EQ(FindNamespace(*ok.cluster, "b")->labels.at("team"), "x");
}

TEST(ManifestLoaderTest, Utf8ByteOrderMark) {
  Loaded l = LoadText(
      "\xEF\xBB\xBF---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n"
      "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
      "bom.yaml");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  EXPECT_NE(FindNamespace(*l.cluster, "a"), nullptr);
  EXPECT_NE(FindNamespace(*l.cluster, "b"), nullptr);
}

TEST(ManifestLoaderTest, QuotedNumbersAreStrings) {
  // A quoted "80" is a string: not a valid containerPort, and as a policy
  // port it is a (numeric-only, so invalid) port name.
  Loaded pod = LoadText(
      "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\n"
      "spec: {containers: [{name: c, image: i, ports: [{containerPort: "
      "\"80\"}]}]}\n");
  ExpectConsistentFailure(pod, "test.yaml");
  EXPECT_THAT(
      pod.errors,
      HasErrorAt("test.yaml", 1, "spec.containers[0].ports[0].containerPort",
                 "expected an integer"))
      << Dump(pod);

  Loaded policy = LoadText(
      Policy("  podSelector: {}\n  ingress: [{ports: [{port: \"80\"}]}]\n"));
  ExpectConsistentFailure(policy, "test.yaml");
  EXPECT_THAT(policy.errors, HasErrorUnder("test.yaml", 1,
                                           "spec.ingress[0].ports[0].port", ""))
      << Dump(policy);
}

TEST(ManifestLoaderTest, LoadsRulesPeersAndPorts) {
  Loaded l = LoadText(Policy(R"(  podSelector:
    matchLabels: {app: db}
    matchExpressions:
    - {key: tier, operator: In, values: [b, a]}
    - {key: canary, operator: DoesNotExist}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - podSelector: {matchLabels: {app: web}}
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {}
    - namespaceSelector: {}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.3.4/32]}
    ports:
    - port: 5432
    - {protocol: UDP, port: 53, endPort: 60}
    - {protocol: SCTP}
    - {port: metrics}
  - {}
  egress:
  - to: []
    ports: []
  - to: [{ipBlock: {cidr: "fd00::/64"}}]
)"));
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  ASSERT_EQ(l.cluster->policies.size(), 1u);
  const NetworkPolicy& p = l.cluster->policies[0];
  EXPECT_EQ(p.namespace_name, "x");
  EXPECT_EQ(p.name, "p");
  EXPECT_EQ(p.pod_selector.match_labels, (Labels{{"app", "db"}}));
  ASSERT_EQ(p.pod_selector.expressions.size(), 2u);
  EXPECT_EQ(p.pod_selector.expressions[0].key, "tier");
  EXPECT_EQ(p.pod_selector.expressions[0].op, SelectorOperator::kIn);
  EXPECT_THAT(p.pod_selector.expressions[0].values, ElementsAre("a", "b"))
      << "values are sorted";
  EXPECT_EQ(p.pod_selector.expressions[1].op, SelectorOperator::kDoesNotExist);
  EXPECT_THAT(p.pod_selector.expressions[1].values, IsEmpty());

  ASSERT_EQ(p.ingress.size(), 2u);
  const PolicyRule& r0 = p.ingress[0];
  ASSERT_EQ(r0.peers.size(), 4u);
  ASSERT_TRUE(r0.peers[0].pod_selector.has_value());
  EXPECT_EQ(r0.peers[0].pod_selector->match_labels, (Labels{{"app", "web"}}));
  EXPECT_FALSE(r0.peers[0].namespace_selector.has_value());
  EXPECT_FALSE(r0.peers[0].ip_block.has_value());
  ASSERT_TRUE(r0.peers[1].namespace_selector.has_value());
  ASSERT_TRUE(r0.peers[1].pod_selector.has_value());
  EXPECT_TRUE(r0.peers[1].pod_selector->empty());
  ASSERT_TRUE(r0.peers[2].namespace_selector.has_value());
  EXPECT_TRUE(r0.peers[2].namespace_selector->empty());
  EXPECT_FALSE(r0.peers[2].pod_selector.has_value());
  ASSERT_TRUE(r0.peers[3].ip_block.has_value());
  EXPECT_EQ(r0.peers[3].ip_block->cidr, Block("10.0.0.0/8"));
  EXPECT_THAT(r0.peers[3].ip_block->except,
              ElementsAre(Block("10.1.0.0/16"), Block("10.2.3.4/32")));
  EXPECT_FALSE(r0.peers[3].pod_selector.has_value());
  EXPECT_FALSE(r0.peers[3].namespace_selector.has_value());

  ASSERT_EQ(r0.ports.size(), 4u);
  EXPECT_EQ(r0.ports[0].protocol, Protocol::kTcp);
  EXPECT_EQ(r0.ports[0].port, 5432);
  EXPECT_FALSE(r0.ports[0].end_port.has_value());
  EXPECT_EQ(r0.ports[1].protocol, Protocol::kUdp);
  EXPECT_EQ(r0.ports[1].port, 53);
  EXPECT_EQ(r0.ports[1].end_port, 60);
  EXPECT_EQ(r0.ports[2].protocol, Protocol::kSctp);
  EXPECT_FALSE(r0.ports[2].port.has_value());
  EXPECT_TRUE(r0.ports[2].named_port.empty());
  EXPECT_EQ(r0.ports[3].named_port, "metrics");
  EXPECT_FALSE(r0.ports[3].port.has_value());
  EXPECT_EQ(r0.ports[3].protocol, Protocol::kTcp);

  EXPECT_THAT(p.ingress[1].peers, IsEmpty());
  EXPECT_THAT(p.ingress[1].ports, IsEmpty());

  ASSERT_EQ(p.egress.size(), 2u);
  EXPECT_THAT(p.egress[0].peers, IsEmpty());
  EXPECT_THAT(p.egress[0].ports, IsEmpty());
  ASSERT_EQ(p.egress[1].peers.size(), 1u);
  ASSERT_TRUE(p.egress[1].peers[0].ip_block.has_value());
  EXPECT_EQ(p.egress[1].peers[0].ip_block->cidr, Block("fd00::/64"));
}

TEST(ManifestLoaderTest, SloppyCidrHostBitsAccepted) {
  Loaded l =
      LoadText(Policy("  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: "
                      "10.1.2.3/16, except: [10.1.2.0/24]}}]}]\n"));
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  EXPECT_EQ(l.cluster->policies[0].ingress[0].peers[0].ip_block->cidr,
            Block("10.1.0.0/16"));
}

TEST(ManifestLoaderTest, LoadsJson) {
  Loaded l = LoadText(R"({
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "j", "namespace": "js", "labels": {"app": "json"}},
  "spec": {"containers": [{"name": "c", "image": "i",
           "ports": [{"name": "http", "containerPort": 80}]}]},
  "status": {"podIP": "10.0.0.3", "podIPs": [{"ip": "10.0.0.3"}]}
})",
                      "pod.json");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  const Pod* pod = FindPod(*l.cluster, "js", "j");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->labels, (Labels{{"app", "json"}}));
  EXPECT_THAT(pod->ips, ElementsAre(Ip("10.0.0.3")));
  ASSERT_EQ(pod->ports.size(), 1u);
  EXPECT_EQ(pod->ports[0].port, 80);
}

TEST(ManifestLoaderTest, LoadsList) {
  Loaded l = LoadText(R"(
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: l}
- apiVersion: v1
  kind: Service
  metadata: {name: svc, namespace: l}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: deny, namespace: l}
  spec: {podSelector: {}}
)");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  EXPECT_NE(FindNamespace(*l.cluster, "l"), nullptr);
  const NetworkPolicy* p = FindPolicy(*l.cluster, "l", "deny");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->source.prefix, "items[2]");
  EXPECT_EQ(p->source.document, 1);
  EXPECT_EQ(l.cluster->skipped_kinds,
            (std::map<std::string, int>{{"Service", 1}}));
}

TEST(ManifestLoaderTest, LoadsJsonList) {
  Loaded l = LoadText(
      R"({"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "b"}}]})",
      "list.json");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  EXPECT_NE(FindNamespace(*l.cluster, "a"), nullptr);
  EXPECT_NE(FindNamespace(*l.cluster, "b"), nullptr);
}

TEST(ManifestLoaderTest, UnknownKindsAreCountedNotErrors) {
  Loaded l = LoadText(R"(
apiVersion: v1
kind: Service
metadata: {name: a, namespace: x}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: x}
spec: {whatever: [1, 2, {deep: true}]}
---
apiVersion: v1
kind: Service
metadata: {name: b, namespace: x}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: x}
data: {key: value}
)");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  EXPECT_THAT(l.errors, IsEmpty());
  EXPECT_EQ(l.cluster->skipped_kinds,
            (std::map<std::string, int>{
                {"ConfigMap", 1}, {"Deployment", 1}, {"Service", 2}}));
}

TEST(ManifestLoaderTest, EmptyDocumentsBetweenSeparatorsAreFine) {
  Loaded l = LoadText(
      "---\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n");
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  EXPECT_NE(FindNamespace(*l.cluster, "a"), nullptr);
}

TEST(ManifestLoaderTest, RecordsSourceLocation) {
  Loaded l = LoadText(absl::StrCat(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n",
      Policy("  podSelector: {}\n", "pol", "a")));
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  const NetworkPolicy* p = FindPolicy(*l.cluster, "a", "pol");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->source.file, "test.yaml");
  EXPECT_EQ(p->source.document, 2);
  EXPECT_EQ(p->source.prefix, "");
}

TEST(ManifestLoaderTest, SameNameInDifferentNamespacesIsFine) {
  Loaded l =
      LoadText(absl::StrCat(testing_util::PodYaml("x", "a", "{}", "10.0.0.1"),
                            testing_util::PodYaml("y", "a", "{}", "10.0.0.2"),
                            testing_util::NamespaceYaml("a"), "---\n",
                            Policy("  podSelector: {}\n", "a", "x"), "---\n",
                            Policy("  podSelector: {}\n", "a", "y")));
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
  EXPECT_EQ(l.cluster->pods.size(), 2u);
  EXPECT_EQ(l.cluster->policies.size(), 2u);
}

TEST(ManifestLoaderTest, ValidEdgeValuesAccepted) {
  Loaded l = LoadText(absl::StrCat(
      Policy(R"(  podSelector: {matchLabels: {"example.com/app": "a.b-c_d"}}
  ingress:
  - ports:
    - {port: 1}
    - {port: 65535}
    - {port: 1, endPort: 65535}
    - {port: 80, endPort: 80}
    - {port: a}
    - {port: http-alt-15char}
)"),
      testing_util::PodYaml("x", "a", "{app: \"\"}", "10.0.0.1",
                            "[{name: a, containerPort: 1}, {name: b, "
                            "containerPort: 65535}]")));
  ASSERT_TRUE(l.cluster.ok()) << Dump(l);
}

// ---------------------------------------------------------------------------
// Files and directories.

class ManifestLoaderFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const ::testing::TestInfo* info =
        ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           absl::StrCat("netpol_loader_", info->name(), "_", ::getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& rel, const std::string& content) {
    std::filesystem::path p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << content;
    return p.string();
  }

  std::filesystem::path dir_;
};

TEST_F(ManifestLoaderFilesTest, ReadsDirectoryRecursively) {
  Write("a.yml", testing_util::PodYaml("x", "a", "{}", "10.0.0.1"));
  Write("b.yaml", testing_util::PodYaml("x", "b", "{}", "10.0.0.2"));
  Write(
      "c.json",
      R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}})");
  Write("d/e.yaml", testing_util::PodYaml("x", "e", "{}", "10.0.0.5"));
  Write("d/f/g.yaml", testing_util::PodYaml("x", "g", "{}", "10.0.0.7"));
  // Not manifests: wrong extension, hidden files and directories.
  Write("notes.txt", "this: [is not read");
  Write("README.md", "# not read either: {{{");
  Write(".hidden.yaml", "kind: [broken");
  Write("..data/h.yaml", testing_util::PodYaml("x", "h", "{}", "10.0.0.8"));
  Write(".git/config.yaml", "kind: [broken");

  ManifestLoader loader;
  loader.AddPath(dir_.string());
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_NE(FindPod(*cluster, "x", "a"), nullptr);
  EXPECT_NE(FindPod(*cluster, "x", "b"), nullptr);
  EXPECT_NE(FindNamespace(*cluster, "j"), nullptr);
  EXPECT_NE(FindPod(*cluster, "x", "e"), nullptr);
  EXPECT_NE(FindPod(*cluster, "x", "g"), nullptr);
  EXPECT_EQ(FindPod(*cluster, "x", "h"), nullptr) << "..data must be skipped";
  EXPECT_EQ(cluster->pods.size(), 4u);
}

TEST_F(ManifestLoaderFilesTest, FilesAreReadInNameOrder) {
  // Errors come out in reading order.
  Write("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {}\n");
  Write("a.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {}\n");
  Write("c.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {}\n");
  ManifestLoader loader;
  loader.AddPath(dir_.string());
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  ASSERT_FALSE(cluster.ok());
  ASSERT_THAT(loader.errors(), SizeIs(3));
  EXPECT_THAT(loader.errors()[0], HasSubstr("a.yaml"));
  EXPECT_THAT(loader.errors()[1], HasSubstr("b.yaml"));
  EXPECT_THAT(loader.errors()[2], HasSubstr("c.yaml"));
}

TEST_F(ManifestLoaderFilesTest, SingleFileAndErrorsNameIt) {
  std::string path = Write(
      "policies.yaml",
      absl::StrCat(
          "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n",
          Policy("  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: "
                 "10.0.0.0/33}}]}]\n")));
  ManifestLoader loader;
  loader.AddPath(path);
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  ASSERT_FALSE(cluster.ok());
  // The file is named by the path it was read from (it ends in the name).
  EXPECT_THAT(
      loader.errors(),
      Contains(AllOf(HasSubstr("policies.yaml: document 2: "
                               "spec.ingress[0].from[0].ipBlock.cidr: "),
                     HasSubstr("is not a valid CIDR"))));
}

TEST_F(ManifestLoaderFilesTest, UnreadablePath) {
  std::string missing = (dir_ / "does-not-exist.yaml").string();
  ManifestLoader loader;
  loader.AddPath(missing);
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  ASSERT_FALSE(cluster.ok());
  EXPECT_EQ(cluster.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(loader.errors(),
              Contains(AllOf(HasSubstr(missing), HasSubstr("cannot read"))));
}

TEST_F(ManifestLoaderFilesTest, LoadManifestsCombinesPaths) {
  std::string a =
      Write("one/a.yaml", testing_util::PodYaml("x", "a", "{}", "10.0.0.1"));
  std::string b =
      Write("two/b.yaml", testing_util::PodYaml("x", "b", "{}", "10.0.0.2"));
  absl::StatusOr<Cluster> cluster = LoadManifests({(dir_ / "one").string(), b});
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_EQ(cluster->pods.size(), 2u);

  absl::StatusOr<Cluster> bad = LoadManifests({a, (dir_ / "missing").string()});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("cannot read"));
}

TEST_F(ManifestLoaderFilesTest, DuplicatesAcrossFiles) {
  Write("a.yaml", testing_util::PodYaml("x", "dup", "{}", "10.0.0.1"));
  Write("b.yaml", testing_util::PodYaml("x", "dup", "{}", "10.0.0.2"));
  ManifestLoader loader;
  loader.AddPath(dir_.string());
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  ASSERT_FALSE(cluster.ok());
  EXPECT_THAT(loader.errors(), Contains(HasSubstr("defined twice")));
}

TEST_F(ManifestLoaderFilesTest, SymlinkLoopTerminates) {
  Write("a.yaml", testing_util::PodYaml("x", "a", "{}", "10.0.0.1"));
  std::error_code ec;
  std::filesystem::create_directory_symlink(dir_, dir_ / "loop", ec);
  if (ec) GTEST_SKIP() << "cannot create symlinks here: " << ec.message();
  ManifestLoader loader;
  loader.AddPath(dir_.string());  // must terminate and not crash
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  if (!cluster.ok()) {
    for (const std::string& e : loader.errors()) {
      EXPECT_THAT(e, HasSubstr(dir_.string()));
    }
  }
}

TEST_F(ManifestLoaderFilesTest, TwoSymlinkLoopsDoNotMultiply) {
  // Without a visited set, `a -> .` and `b -> .` make 2^depth walks.
  Write("a.yaml", testing_util::PodYaml("x", "a", "{}", "10.0.0.1"));
  std::error_code ec;
  std::filesystem::create_directory_symlink(dir_, dir_ / "l1", ec);
  std::filesystem::create_directory_symlink(dir_, dir_ / "l2", ec);
  if (ec) GTEST_SKIP() << "cannot create symlinks here: " << ec.message();
  ManifestLoader loader;
  loader.AddPath(dir_.string());
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_EQ(cluster->pods.size(), 1u);
}

TEST_F(ManifestLoaderFilesTest, DirectoryNamedLikeAManifest) {
  Write("dir.yaml/inner.yaml",
        testing_util::PodYaml("x", "a", "{}", "10.0.0.1"));
  ManifestLoader loader;
  loader.AddPath(dir_.string());
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_NE(FindPod(*cluster, "x", "a"), nullptr);
}

TEST_F(ManifestLoaderFilesTest, EmptyFileInDirectoryDoesNotCrash) {
  Write("a.yaml", "");
  Write("b.yaml", testing_util::PodYaml("x", "b", "{}", "10.0.0.2"));
  ManifestLoader loader;
  loader.AddPath(dir_.string());
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  if (!cluster.ok()) {
    for (const std::string& e : loader.errors()) {
      EXPECT_THAT(e, HasSubstr("a.yaml"));
    }
  }
}

// ---------------------------------------------------------------------------
// Invalid policies: one error each, at the right path.

struct InvalidCase {
  std::string name;
  std::string spec;    // policy spec, indented two spaces
  std::string path;    // field path (prefix when `exact` is false)
  std::string phrase;  // key phrase of the message
  bool exact = true;
};

void PrintTo(const InvalidCase& c, std::ostream* os) { *os << c.name; }

class InvalidPolicyTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidPolicyTest, ReportsErrorAtPath) {
  const InvalidCase& c = GetParam();
  std::string text = absl::StrCat(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n",
      Policy(c.spec));
  Loaded l = LoadText(text, "policies.yaml");
  ExpectConsistentFailure(l, "policies.yaml");
  if (c.exact) {
    EXPECT_THAT(l.errors, HasErrorAt("policies.yaml", 2, c.path, c.phrase))
        << text << Dump(l);
  } else {
    EXPECT_THAT(l.errors, HasErrorUnder("policies.yaml", 2, c.path, c.phrase))
        << text << Dump(l);
  }
}

const char kSel[] = "  podSelector: {}\n";

INSTANTIATE_TEST_SUITE_P(
    Validation, InvalidPolicyTest,
    ::testing::Values(
        InvalidCase{"CidrPrefixTooLong",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{podSelector: {}}, "
                                 "{ipBlock: {cidr: 10.0.0.0/33}}]}]\n"),
                    "spec.ingress[0].from[1].ipBlock.cidr",
                    "\"10.0.0.0/33\" is not a valid CIDR"},
        InvalidCase{"CidrWithoutPrefix",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{ipBlock: {cidr: "
                                 "10.0.0.1}}]}]\n"),
                    "spec.egress[0].to[0].ipBlock.cidr", "is not a valid CIDR"},
        InvalidCase{"CidrNegativePrefix",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{ipBlock: {cidr: "
                                 "10.0.0.0/-1}}]}]\n"),
                    "spec.egress[0].to[0].ipBlock.cidr", "is not a valid CIDR"},
        InvalidCase{"CidrNegativePrefixV6",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{ipBlock: {cidr: "
                                 "\"fd00::/-8\"}}]}]\n"),
                    "spec.egress[0].to[0].ipBlock.cidr", "is not a valid CIDR"},
        InvalidCase{"CidrWithNul",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{ipBlock: {cidr: "
                                 "\"10.0.0.0\\0junk/8\"}}]}]\n"),
                    "spec.egress[0].to[0].ipBlock.cidr", "is not a valid CIDR"},
        InvalidCase{"CidrGarbage",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{ipBlock: {cidr: "
                                 "banana}}]}]\n"),
                    "spec.egress[0].to[0].ipBlock.cidr", "is not a valid CIDR"},
        InvalidCase{"CidrMissing",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{ipBlock: {except: "
                                 "[10.0.0.0/8]}}]}]\n"),
                    "spec.egress[0].to[0].ipBlock", "", false},
        InvalidCase{"ExceptInvalid",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{ipBlock: {cidr: "
                                 "10.0.0.0/8, except: [10.0.0.0/99]}}]}]\n"),
                    "spec.ingress[0].from[0].ipBlock.except[0]",
                    "is not a valid CIDR"},
        InvalidCase{"ExceptOutsideCidr",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{ipBlock: {cidr: "
                                 "10.0.0.0/8, except: [10.0.0.0/16, "
                                 "11.0.0.0/16]}}]}]\n"),
                    "spec.ingress[0].from[0].ipBlock.except[1]",
                    "must be a strict subset of cidr"},
        InvalidCase{"ExceptEqualToCidr",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{ipBlock: {cidr: "
                                 "10.0.0.0/8, except: [10.0.0.0/8]}}]}]\n"),
                    "spec.ingress[0].from[0].ipBlock.except[0]",
                    "must be a strict subset of cidr"},
        InvalidCase{"ExceptLargerThanCidr",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{ipBlock: {cidr: "
                                 "10.1.0.0/16, except: [10.0.0.0/8]}}]}]\n"),
                    "spec.ingress[0].from[0].ipBlock.except[0]",
                    "must be a strict subset of cidr"},
        InvalidCase{"ExceptOtherFamily",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{ipBlock: {cidr: "
                                 "\"fd00::/16\", except: [10.0.0.0/8]}}]}]\n"),
                    "spec.ingress[0].from[0].ipBlock.except[0]",
                    "must be a strict subset of cidr"},
        InvalidCase{"EndPortWithNamedPort",
                    absl::StrCat(kSel,
                                 "  ingress: [{ports: [{port: http, "
                                 "endPort: 90}]}]\n"),
                    "spec.ingress[0].ports[0]",
                    "endPort may not be set when port is a named port", false},
        InvalidCase{"EndPortBelowPort",
                    absl::StrCat(kSel,
                                 "  ingress: [{ports: [{port: 90, "
                                 "endPort: 80}]}]\n"),
                    "spec.ingress[0].ports[0]",
                    "endPort must be greater than or equal to port", false},
        InvalidCase{"EndPortWithoutPort",
                    absl::StrCat(kSel,
                                 "  egress: [{ports: [{protocol: UDP, "
                                 "endPort: 80}]}]\n"),
                    "spec.egress[0].ports[0]",
                    "endPort may not be set without a numeric port", false},
        InvalidCase{"PortZero",
                    absl::StrCat(kSel, "  ingress: [{ports: [{port: 0}]}]\n"),
                    "spec.ingress[0].ports[0].port",
                    "must be between 1 and 65535"},
        InvalidCase{
            "PortTooLarge",
            absl::StrCat(kSel, "  ingress: [{ports: [{port: 65536}]}]\n"),
            "spec.ingress[0].ports[0].port", "must be between 1 and 65535"},
        InvalidCase{"PortNegative",
                    absl::StrCat(kSel, "  ingress: [{ports: [{port: -1}]}]\n"),
                    "spec.ingress[0].ports[0].port",
                    "must be between 1 and 65535"},
        InvalidCase{
            "PortWraps32Bits",
            absl::StrCat(kSel, "  ingress: [{ports: [{port: 4294967376}]}]\n"),
            "spec.ingress[0].ports[0].port", "", false},
        InvalidCase{"PortHuge",
                    absl::StrCat(kSel,
                                 "  ingress: [{ports: [{port: "
                                 "99999999999999999999999999}]}]\n"),
                    "spec.ingress[0].ports[0].port", "", false},
        InvalidCase{
            "PortFraction",
            absl::StrCat(kSel, "  ingress: [{ports: [{port: 80.5}]}]\n"),
            "spec.ingress[0].ports[0].port", "", false},
        InvalidCase{"EndPortTooLarge",
                    absl::StrCat(kSel,
                                 "  ingress: [{ports: [{port: 80, "
                                 "endPort: 70000}]}]\n"),
                    "spec.ingress[0].ports[0]", "must be between 1 and 65535",
                    false},
        InvalidCase{
            "PortNameInvalidCharacters",
            absl::StrCat(kSel, "  ingress: [{ports: [{port: bad_name}]}]\n"),
            "spec.ingress[0].ports[0].port", "is not a valid port name"},
        InvalidCase{"PortNameTooLong",
                    absl::StrCat(kSel,
                                 "  ingress: [{ports: [{port: "
                                 "a-very-long-port-name}]}]\n"),
                    "spec.ingress[0].ports[0].port",
                    "is not a valid port name"},
        InvalidCase{
            "PortNameLeadingHyphen",
            absl::StrCat(kSel, "  ingress: [{ports: [{port: \"-web\"}]}]\n"),
            "spec.ingress[0].ports[0].port", "is not a valid port name"},
        InvalidCase{"ProtocolIcmp",
                    absl::StrCat(kSel,
                                 "  ingress: [{ports: [{protocol: ICMP, "
                                 "port: 80}]}]\n"),
                    "spec.ingress[0].ports[0].protocol",
                    "unsupported protocol \"ICMP\""},
        InvalidCase{
            "ProtocolLowercase",
            absl::StrCat(kSel, "  egress: [{ports: [{protocol: tcp}]}]\n"),
            "spec.egress[0].ports[0].protocol", "unsupported protocol \"tcp\""},
        InvalidCase{"SelectorOperator",
                    "  podSelector: {matchExpressions: [{key: a, operator: "
                    "Near, values: [b]}]}\n",
                    "spec.podSelector.matchExpressions[0].operator",
                    "is not a valid selector operator"},
        InvalidCase{"SelectorOperatorCase",
                    "  podSelector: {matchExpressions: [{key: a, operator: "
                    "in, values: [b]}]}\n",
                    "spec.podSelector.matchExpressions[0].operator",
                    "is not a valid selector operator"},
        InvalidCase{"InWithoutValues",
                    "  podSelector: {matchExpressions: [{key: a, operator: "
                    "In, values: []}]}\n",
                    "spec.podSelector.matchExpressions[0]",
                    "values must be non-empty", false},
        InvalidCase{"NotInValuesMissing",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{namespaceSelector: "
                                 "{matchExpressions: [{key: a, operator: "
                                 "NotIn}]}}]}]\n"),
                    "spec.ingress[0].from[0].namespaceSelector."
                    "matchExpressions[0]",
                    "values must be non-empty", false},
        InvalidCase{"ExistsWithValues",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{podSelector: "
                                 "{matchExpressions: [{key: a, operator: "
                                 "Exists, values: [b]}]}}]}]\n"),
                    "spec.egress[0].to[0].podSelector.matchExpressions[0]",
                    "values must be empty", false},
        InvalidCase{"DoesNotExistWithValues",
                    "  podSelector: {matchExpressions: [{key: a, operator: "
                    "DoesNotExist, values: [b]}]}\n",
                    "spec.podSelector.matchExpressions[0]",
                    "values must be empty", false},
        InvalidCase{"PolicyTypeUnknown",
                    absl::StrCat(kSel, "  policyTypes: [Ingress, Sideways]\n"),
                    "spec.policyTypes[1]",
                    "unsupported policyType \"Sideways\""},
        InvalidCase{"EmptyPeer",
                    absl::StrCat(kSel, "  ingress: [{from: [{}]}]\n"),
                    "spec.ingress[0].from[0]", "must specify a peer", false},
        InvalidCase{"IpBlockAndPodSelector",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{podSelector: {}, "
                                 "ipBlock: {cidr: 10.0.0.0/8}}]}]\n"),
                    "spec.ingress[0].from[0]",
                    "may not specify both ipBlock and another peer", false},
        InvalidCase{"IpBlockAndNamespaceSelector",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{namespaceSelector: "
                                 "{}, ipBlock: {cidr: 10.0.0.0/8}}]}]\n"),
                    "spec.egress[0].to[0]",
                    "may not specify both ipBlock and another peer", false},
        InvalidCase{"LabelKeyInvalid",
                    "  podSelector: {matchLabels: {\"bad key!\": a}}\n",
                    "spec.podSelector.matchLabels", "is not a valid label",
                    false},
        InvalidCase{"LabelValueInvalid",
                    "  podSelector: {matchLabels: {app: \"-bad-\"}}\n",
                    "spec.podSelector.matchLabels", "is not a valid label",
                    false},
        InvalidCase{"LabelValueTooLong",
                    absl::StrCat("  podSelector: {matchLabels: {app: ",
                                 std::string(64, 'a'), "}}\n"),
                    "spec.podSelector.matchLabels", "is not a valid label",
                    false},
        InvalidCase{"ExpressionKeyInvalid",
                    "  podSelector: {matchExpressions: [{key: \"a b\", "
                    "operator: Exists}]}\n",
                    "spec.podSelector.matchExpressions[0]",
                    "is not a valid label", false},
        // Type errors.
        InvalidCase{"SpecNotMap", "  - a\n  - b\n", "spec", "expected a map"},
        InvalidCase{"PodSelectorNotMap", "  podSelector: [a]\n",
                    "spec.podSelector", "expected a map"},
        InvalidCase{"IngressNotList",
                    absl::StrCat(kSel, "  ingress: {from: []}\n"),
                    "spec.ingress", "expected a list"},
        InvalidCase{"IngressScalar", absl::StrCat(kSel, "  ingress: 5\n"),
                    "spec.ingress", "expected a list"},
        InvalidCase{"RuleNotMap", absl::StrCat(kSel, "  ingress: [[]]\n"),
                    "spec.ingress[0]", "expected a map"},
        InvalidCase{
            "FromNotList",
            absl::StrCat(kSel, "  ingress: [{from: {podSelector: {}}}]\n"),
            "spec.ingress[0].from", "expected a list"},
        InvalidCase{"PeerNotMap", absl::StrCat(kSel, "  egress: [{to: [5]}]\n"),
                    "spec.egress[0].to[0]", "expected a map"},
        InvalidCase{"CidrNotString",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{ipBlock: {cidr: "
                                 "[10.0.0.0/8]}}]}]\n"),
                    "spec.egress[0].to[0].ipBlock.cidr", "expected a string"},
        InvalidCase{"ExceptNotList",
                    absl::StrCat(kSel,
                                 "  egress: [{to: [{ipBlock: {cidr: "
                                 "10.0.0.0/8, except: 10.1.0.0/16}}]}]\n"),
                    "spec.egress[0].to[0].ipBlock.except", "expected a list"},
        InvalidCase{"PortsNotList",
                    absl::StrCat(kSel, "  ingress: [{ports: {port: 80}}]\n"),
                    "spec.ingress[0].ports", "expected a list"},
        InvalidCase{"PortEntryNotMap",
                    absl::StrCat(kSel, "  ingress: [{ports: [80]}]\n"),
                    "spec.ingress[0].ports[0]", "expected a map"},
        InvalidCase{
            "PortNotScalar",
            absl::StrCat(kSel, "  ingress: [{ports: [{port: [80]}]}]\n"),
            "spec.ingress[0].ports[0].port", "", false},
        InvalidCase{"EndPortNotInteger",
                    absl::StrCat(kSel,
                                 "  ingress: [{ports: [{port: 80, "
                                 "endPort: ninety}]}]\n"),
                    "spec.ingress[0].ports[0].endPort", "expected an integer"},
        InvalidCase{"ProtocolNotString",
                    absl::StrCat(kSel,
                                 "  ingress: [{ports: [{protocol: "
                                 "{a: b}}]}]\n"),
                    "spec.ingress[0].ports[0].protocol", "expected a string"},
        InvalidCase{"PolicyTypesNotList",
                    absl::StrCat(kSel, "  policyTypes: Ingress\n"),
                    "spec.policyTypes", "expected a list"},
        InvalidCase{"PolicyTypeNotString",
                    absl::StrCat(kSel, "  policyTypes: [[Ingress]]\n"),
                    "spec.policyTypes[0]", "expected a string"},
        InvalidCase{"MatchLabelsNotMap", "  podSelector: {matchLabels: [a]}\n",
                    "spec.podSelector.matchLabels", "expected a map"},
        InvalidCase{"MatchLabelValueNotString",
                    "  podSelector: {matchLabels: {app: [a]}}\n",
                    "spec.podSelector.matchLabels", "expected a string", false},
        InvalidCase{"MatchExpressionsNotList",
                    "  podSelector: {matchExpressions: {key: a}}\n",
                    "spec.podSelector.matchExpressions", "expected a list"},
        InvalidCase{"ExpressionNotMap",
                    "  podSelector: {matchExpressions: [a]}\n",
                    "spec.podSelector.matchExpressions[0]", "expected a map"},
        InvalidCase{"ExpressionValuesNotList",
                    "  podSelector: {matchExpressions: [{key: a, operator: "
                    "In, values: b}]}\n",
                    "spec.podSelector.matchExpressions[0].values",
                    "expected a list"},
        InvalidCase{"NamespaceSelectorNotMap",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{namespaceSelector: "
                                 "x}]}]\n"),
                    "spec.ingress[0].from[0].namespaceSelector",
                    "expected a map"},
        InvalidCase{"IpBlockNotMap",
                    absl::StrCat(kSel,
                                 "  ingress: [{from: [{ipBlock: "
                                 "10.0.0.0/8}]}]\n"),
                    "spec.ingress[0].from[0].ipBlock", "expected a map"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) {
      return info.param.name;
    });

TEST(ManifestLoaderTest, MissingPolicyName) {
  Loaded l = LoadText(
      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
      "metadata: {namespace: x}\nspec: {podSelector: {}}\n");
  ExpectConsistentFailure(l, "test.yaml");
  EXPECT_THAT(l.errors, HasErrorAt("test.yaml", 1, "metadata.name", "required"))
      << Dump(l);
}

TEST(ManifestLoaderTest, MissingPodName) {
  Loaded l = LoadText(
      "apiVersion: v1\nkind: Pod\nmetadata: {namespace: x}\n"
      "spec: {containers: [{name: c, image: i}]}\n");
  ExpectConsistentFailure(l, "test.yaml");
  EXPECT_THAT(l.errors, HasErrorAt("test.yaml", 1, "metadata.name", "required"))
      << Dump(l);
}

TEST(ManifestLoaderTest, EmptyNameIsRequired) {
  // The API treats an empty name as a missing one ("Required value").
  for (const char* header :
       {"apiVersion: v1\nkind: Namespace\n", "apiVersion: v1\nkind: Pod\n",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"}) {
    Loaded l = LoadText(
        absl::StrCat(header, "metadata: {name: \"\", namespace: x}\n"));
    ExpectConsistentFailure(l, "test.yaml");
    EXPECT_THAT(l.errors,
                HasErrorAt("test.yaml", 1, "metadata.name", "required"))
        << header << Dump(l);
  }
}

TEST(ManifestLoaderTest, MissingNamespaceName) {
  for (const char* meta : {"{}", "{labels: {a: b}}"}) {
    Loaded l = LoadText(absl::StrCat(
        "apiVersion: v1\nkind: Namespace\nmetadata: ", meta, "\n"));
    ExpectConsistentFailure(l, "test.yaml");
    EXPECT_THAT(l.errors,
                HasErrorAt("test.yaml", 1, "metadata.name", "required"))
        << meta << Dump(l);
  }
  Loaded no_meta = LoadText("apiVersion: v1\nkind: Namespace\n");
  ExpectConsistentFailure(no_meta, "test.yaml");
  EXPECT_THAT(no_meta.errors, HasErrorUnder("test.yaml", 1, "metadata", ""))
      << Dump(no_meta);
}

// ---------------------------------------------------------------------------
// Invalid pods and namespaces.

struct InvalidObjectCase {
  std::string name;
  std::string yaml;  // one document
  std::string path;
  std::string phrase;
  bool exact = true;
};

void PrintTo(const InvalidObjectCase& c, std::ostream* os) { *os << c.name; }

class InvalidObjectTest : public ::testing::TestWithParam<InvalidObjectCase> {};

TEST_P(InvalidObjectTest, ReportsErrorAtPath) {
  const InvalidObjectCase& c = GetParam();
  Loaded l = LoadText(c.yaml, "objects.yaml");
  ExpectConsistentFailure(l, "objects.yaml");
  if (c.exact) {
    EXPECT_THAT(l.errors, HasErrorAt("objects.yaml", 1, c.path, c.phrase))
        << c.yaml << Dump(l);
  } else {
    EXPECT_THAT(l.errors, HasErrorUnder("objects.yaml", 1, c.path, c.phrase))
        << c.yaml << Dump(l);
  }
}

std::string PodDoc(const std::string& metadata, const std::string& spec,
                   const std::string& status = "{}") {
  return absl::StrCat("apiVersion: v1\nkind: Pod\nmetadata: ", metadata,
                      "\nspec: ", spec, "\nstatus: ", status, "\n");
}
const char kMeta[] = "{name: p, namespace: x}";
const char kSpec[] = "{containers: [{name: c, image: i}]}";

INSTANTIATE_TEST_SUITE_P(
    Validation, InvalidObjectTest,
    ::testing::Values(
        InvalidObjectCase{
            "ContainerPortZero",
            PodDoc(kMeta,
                   "{containers: [{name: c, ports: [{containerPort: 0}]}]}"),
            "spec.containers[0].ports[0].containerPort",
            "must be between 1 and 65535"},
        InvalidObjectCase{
            "ContainerPortTooLarge",
            PodDoc(kMeta,
                   "{containers: [{name: c}, {name: d, ports: "
                   "[{containerPort: 80}, {containerPort: 65536}]}]}"),
            "spec.containers[1].ports[1].containerPort",
            "must be between 1 and 65535"},
        InvalidObjectCase{
            "ContainerPortNegative",
            PodDoc(kMeta,
                   "{containers: [{name: c, ports: [{containerPort: -5}]}]}"),
            "spec.containers[0].ports[0].containerPort",
            "must be between 1 and 65535"},
        InvalidObjectCase{
            "ContainerPortHuge",
            PodDoc(kMeta,
                   "{containers: [{name: c, ports: [{containerPort: "
                   "184467440737095516160}]}]}"),
            "spec.containers[0].ports[0].containerPort", "", false},
        InvalidObjectCase{
            "ContainerPortNotInteger",
            PodDoc(
                kMeta,
                "{containers: [{name: c, ports: [{containerPort: eighty}]}]}"),
            "spec.containers[0].ports[0].containerPort", "expected an integer"},
        InvalidObjectCase{
            "ContainerPortMissing",
            PodDoc(kMeta, "{containers: [{name: c, ports: [{name: http}]}]}"),
            "spec.containers[0].ports[0]", "", false},
        InvalidObjectCase{
            "ContainerPortName",
            PodDoc(kMeta,
                   "{containers: [{name: c, ports: [{name: Not_Valid, "
                   "containerPort: 80}]}]}"),
            "spec.containers[0].ports[0].name", "is not a valid port name"},
        InvalidObjectCase{
            "ContainerPortProtocol",
            PodDoc(kMeta,
                   "{containers: [{name: c, ports: [{containerPort: 80, "
                   "protocol: ICMP}]}]}"),
            "spec.containers[0].ports[0].protocol",
            "unsupported protocol \"ICMP\""},
        InvalidObjectCase{"ContainersNotList",
                          PodDoc(kMeta, "{containers: {name: c}}"),
                          "spec.containers", "expected a list"},
        InvalidObjectCase{"ContainerNotMap", PodDoc(kMeta, "{containers: [c]}"),
                          "spec.containers[0]", "expected a map"},
        InvalidObjectCase{"ContainerPortsNotList",
                          PodDoc(kMeta, "{containers: [{name: c, ports: 80}]}"),
                          "spec.containers[0].ports", "expected a list"},
        InvalidObjectCase{"PodSpecNotMap", PodDoc(kMeta, "[1, 2]"), "spec",
                          "expected a map"},
        InvalidObjectCase{"PodMetadataNotMap", PodDoc("oops", kSpec),
                          "metadata", "expected a map"},
        InvalidObjectCase{"PodNameNotString",
                          PodDoc("{name: [a], namespace: x}", kSpec),
                          "metadata.name", "expected a string"},
        InvalidObjectCase{"PodNamespaceNotString",
                          PodDoc("{name: a, namespace: {x: y}}", kSpec),
                          "metadata.namespace", "expected a string"},
        InvalidObjectCase{
            "PodLabelsNotMap",
            PodDoc("{name: a, namespace: x, labels: [a, b]}", kSpec),
            "metadata.labels", "expected a map"},
        InvalidObjectCase{
            "PodLabelValueNotString",
            PodDoc("{name: a, namespace: x, labels: {a: {b: c}}}", kSpec),
            "metadata.labels", "expected a string", false},
        InvalidObjectCase{
            "PodLabelKeyInvalid",
            PodDoc("{name: a, namespace: x, labels: {\"bad key!\": v}}", kSpec),
            "metadata.labels", "is not a valid label", false},
        InvalidObjectCase{
            "PodLabelKeyPrefixInvalid",
            PodDoc("{name: a, namespace: x, labels: {\"Bad_Prefix/app\": v}}",
                   kSpec),
            "metadata.labels", "is not a valid label", false},
        InvalidObjectCase{
            "PodLabelValueInvalid",
            PodDoc("{name: a, namespace: x, labels: {app: \"has space\"}}",
                   kSpec),
            "metadata.labels", "is not a valid label", false},
        InvalidObjectCase{
            "PodLabelValueTooLong",
            PodDoc(absl::StrCat("{name: a, namespace: x, labels: {app: ",
                                std::string(64, 'v'), "}}"),
                   kSpec),
            "metadata.labels", "is not a valid label", false},
        InvalidObjectCase{"PodIpInvalid",
                          PodDoc(kMeta, kSpec, "{podIP: 10.0.0.256}"),
                          "status.podIP", "", false},
        InvalidObjectCase{"PodIpNotString",
                          PodDoc(kMeta, kSpec, "{podIP: [10.0.0.1]}"),
                          "status.podIP", "expected a string"},
        InvalidObjectCase{"PodIpsNotList",
                          PodDoc(kMeta, kSpec, "{podIPs: 10.0.0.1}"),
                          "status.podIPs", "expected a list"},
        InvalidObjectCase{"PodIpsEntryNotMap",
                          PodDoc(kMeta, kSpec, "{podIPs: [10.0.0.1]}"),
                          "status.podIPs[0]", "expected a map"},
        InvalidObjectCase{"PodIpsInvalid",
                          PodDoc(kMeta, kSpec, "{podIPs: [{ip: nope}]}"),
                          "status.podIPs[0]", "", false},
        InvalidObjectCase{
            "PodIpsTwoOfOneFamily",
            PodDoc(kMeta, kSpec, "{podIPs: [{ip: 10.0.0.1}, {ip: 10.0.0.2}]}"),
            "status.podIPs", "", false},
        InvalidObjectCase{"StatusNotMap", PodDoc(kMeta, kSpec, "[running]"),
                          "status", "expected a map"},
        InvalidObjectCase{
            "NamespaceLabelInvalid",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: n, labels: "
            "{\"a/b/c\": v}}\n",
            "metadata.labels", "is not a valid label", false},
        InvalidObjectCase{
            "NamespaceLabelsNotMap",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: n, labels: x}\n",
            "metadata.labels", "expected a map"},
        InvalidObjectCase{"ListItemsNotList",
                          "apiVersion: v1\nkind: List\nitems: {a: b}\n",
                          "items", "expected a list"},
        InvalidObjectCase{"ListItemNotMap",
                          "apiVersion: v1\nkind: List\nitems: [5]\n",
                          "items[0]", "expected a map"}),
    [](const ::testing::TestParamInfo<InvalidObjectCase>& info) {
      return info.param.name;
    });

// ---------------------------------------------------------------------------
// Several errors in one load.

TEST(ManifestLoaderTest, ReportsEveryErrorOfALoad) {
  std::string text = absl::StrCat(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n",
      Policy("  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: "
             "10.0.0.0/33}}]}]\n",
             "a"),
      "\n---\n",
      PodDoc(kMeta,
             "{containers: [{name: c, ports: [{containerPort: 70000}]}]}"),
      "---\n",
      Policy("  podSelector: {matchExpressions: [{key: k, operator: Near, "
             "values: [v]}]}\n",
             "b"));
  Loaded l = LoadText(text, "many.yaml");
  ExpectConsistentFailure(l, "many.yaml");
  EXPECT_THAT(l.errors,
              HasErrorAt("many.yaml", 2, "spec.ingress[0].from[0].ipBlock.cidr",
                         "is not a valid CIDR"))
      << Dump(l);
  EXPECT_THAT(l.errors, HasErrorAt("many.yaml", 3,
                                   "spec.containers[0].ports[0].containerPort",
                                   "must be between 1 and 65535"))
      << Dump(l);
  EXPECT_THAT(l.errors,
              HasErrorAt("many.yaml", 4,
                         "spec.podSelector.matchExpressions[0].operator",
                         "is not a valid selector operator"))
      << Dump(l);
  EXPECT_GE(l.errors.size(), 3u);
}

TEST(ManifestLoaderTest, ReportsEveryErrorOfOneDocument) {
  Loaded l = LoadText(Policy(R"(  podSelector: {}
  policyTypes: [Sideways]
  ingress:
  - from: [{ipBlock: {cidr: nope}}]
    ports: [{protocol: ICMP}, {port: 0}]
)"));
  ExpectConsistentFailure(l, "test.yaml");
  EXPECT_THAT(l.errors, HasErrorAt("test.yaml", 1, "spec.policyTypes[0]",
                                   "unsupported policyType \"Sideways\""))
      << Dump(l);
  EXPECT_THAT(l.errors,
              HasErrorAt("test.yaml", 1, "spec.ingress[0].from[0].ipBlock.cidr",
                         "is not a valid CIDR"))
      << Dump(l);
  EXPECT_THAT(l.errors,
              HasErrorAt("test.yaml", 1, "spec.ingress[0].ports[0].protocol",
                         "unsupported protocol \"ICMP\""))
      << Dump(l);
  EXPECT_THAT(l.errors,
              HasErrorAt("test.yaml", 1, "spec.ingress[0].ports[1].port",
                         "must be between 1 and 65535"))
      << Dump(l);
}

TEST(ManifestLoaderTest, ErrorsAccumulateAcrossAddTextCalls) {
  ManifestLoader loader;
  loader.AddText("apiVersion: v1\nkind: Namespace\nmetadata: {}\n", "one.yaml");
  loader.AddText("apiVersion: v1\nkind: Namespace\nmetadata: {name: ok}\n",
                 "two.yaml");
  loader.AddText(
      Policy("  podSelector: {}\n  policyTypes: [Sideways]\n", "p", "ok"),
      "three.yaml");
  absl::StatusOr<Cluster> cluster = std::move(loader).Finish();
  ASSERT_FALSE(cluster.ok());
  EXPECT_THAT(loader.errors(),
              HasErrorAt("one.yaml", 1, "metadata.name", "required"));
  EXPECT_THAT(loader.errors(),
              HasErrorAt("three.yaml", 1, "spec.policyTypes[0]",
                         "unsupported policyType"));
  EXPECT_THAT(loader.errors(), SizeIs(2));
  for (const std::string& e : loader.errors()) {
    EXPECT_THAT(std::string(cluster.status().message()), HasSubstr(e));
  }
}

TEST(ManifestLoaderTest, ListMemberErrorsArePrefixed) {
  Loaded l = LoadText(R"(apiVersion: v1
kind: Namespace
metadata: {name: l}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: m}
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: p, namespace: l}
  spec:
    podSelector: {}
    ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]
- apiVersion: v1
  kind: Pod
  metadata: {namespace: l}
  spec: {containers: [{name: c}]}
)",
                      "list.yaml");
  ExpectConsistentFailure(l, "list.yaml");
  EXPECT_THAT(l.errors,
              HasErrorAt("list.yaml", 2,
                         "items[1].spec.ingress[0].from[0].ipBlock.cidr",
                         "is not a valid CIDR"))
      << Dump(l);
  EXPECT_THAT(l.errors,
              HasErrorAt("list.yaml", 2, "items[2].metadata.name", "required"))
      << Dump(l);
}

TEST(ManifestLoaderTest, LeadingSeparatorDoesNotShiftDocumentNumbers) {
  Loaded l = LoadText(absl::StrCat(
      "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\n",
      Policy("  podSelector: {}\n  policyTypes: [Sideways]\n")));
  ExpectConsistentFailure(l, "test.yaml");
  EXPECT_THAT(l.errors, HasErrorAt("test.yaml", 2, "spec.policyTypes[0]",
                                   "unsupported policyType"))
      << Dump(l);
}

// ---------------------------------------------------------------------------
// Cross-object validation.

TEST(ManifestLoaderTest, DuplicatePod) {
  Loaded l =
      LoadText(absl::StrCat(testing_util::PodYaml("x", "a", "{}", "10.0.0.1"),
                            testing_util::PodYaml("x", "a", "{}", "10.0.0.2")));
  ExpectConsistentFailure(l, "test.yaml");
  EXPECT_THAT(l.errors, Contains(AllOf(StartsWith("test.yaml: document "),
                                       HasSubstr("defined twice"))))
      << Dump(l);
}

TEST(ManifestLoaderTest, DuplicateNamespace) {
  Loaded l = LoadText(absl::StrCat(testing_util::NamespaceYaml("x"),
                                   testing_util::NamespaceYaml("x")));
  ExpectConsistentFailure(l, "test.yaml");
  EXPECT_THAT(l.errors, Contains(AllOf(StartsWith("test.yaml: document "),
                                       HasSubstr("defined twice"))))
      << Dump(l);
}

TEST(ManifestLoaderTest, DuplicatePolicy) {
  Loaded l = LoadText(absl::StrCat(Policy("  podSelector: {}\n"), "---\n",
                                   Policy("  podSelector: {}\n")));
  ExpectConsistentFailure(l, "test.yaml");
  EXPECT_THAT(l.errors, Contains(AllOf(StartsWith("test.yaml: document "),
                                       HasSubstr("defined twice"))))
      << Dump(l);
}

TEST(ManifestLoaderTest, IpUsedByTwoPods) {
  Loaded l =
      LoadText(absl::StrCat(testing_util::PodYaml("x", "a", "{}", "10.0.0.1"),
                            testing_util::PodYaml("y", "b", "{}", "10.0.0.1")));
  ExpectConsistentFailure(l, "test.yaml");
  EXPECT_THAT(l.errors, Contains(AllOf(StartsWith("test.yaml: document "),
                                       HasSubstr("is also used by pod"))))
      << Dump(l);
}

TEST(ManifestLoaderTest, Ipv6UsedByTwoPods) {
  Loaded l = LoadText(
      absl::StrCat(testing_util::PodYaml("x", "a", "{}", "10.0.0.1,fd00::1"),
                   testing_util::PodYaml("x", "b", "{}", "fd00::1")));
  ExpectConsistentFailure(l, "test.yaml");
  EXPECT_THAT(l.errors, Contains(HasSubstr("is also used by pod"))) << Dump(l);
}

// ---------------------------------------------------------------------------
// Broken input: errors, never crashes.

TEST(ManifestLoaderTest, InvalidYamlReportsLineAndColumn) {
  Loaded l = LoadText(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [unclosed\n",
      "bad.yaml");
  ExpectConsistentFailure(l, "bad.yaml");
  EXPECT_THAT(l.errors, Contains(AllOf(StartsWith("bad.yaml"),
                                       HasSubstr("invalid YAML"))))
      << Dump(l);
  bool has_position = false;
  for (const std::string& e : l.errors) {
    if (absl::StrContains(e, "invalid YAML") && absl::StrContains(e, "line") &&
        absl::StrContains(e, "column")) {
      has_position = true;
    }
  }
  EXPECT_TRUE(has_position) << Dump(l);
}

TEST(ManifestLoaderTest, InvalidYamlLineIsOneBasedAndCountsFromFileStart) {
  // Line 6 of the file (line 2 of document 2) has a second ": ".
  Loaded l = LoadText(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n"
      "key: value\nfoo: bar: baz\nx: 1\n",
      "bad.yaml");
  ExpectConsistentFailure(l, "bad.yaml");
  EXPECT_THAT(l.errors,
              Contains(AllOf(StartsWith("bad.yaml: document 2: "),
                             HasSubstr("invalid YAML"), HasSubstr("line 6"),
                             HasSubstr("column 9"))))
      << Dump(l);
}

TEST(ManifestLoaderTest, InvalidYamlAtEndOfFileStaysInsideTheFile) {
  // The flow sequence opened on line 3 is never closed; the error is at the
  // end of the 3-line file: line 3, or line 4 (just after the final
  // newline). Anything later points past the end of the file.
  Loaded l = LoadText("a: 1\nb: 2\nc: [1, 2\n", "bad.yaml");
  ExpectConsistentFailure(l, "bad.yaml");
  bool ok = false;
  for (const std::string& e : l.errors) {
    if (absl::StrContains(e, "invalid YAML") &&
        (absl::StrContains(e, "line 3,") || absl::StrContains(e, "line 4,"))) {
      ok = true;
    }
  }
  EXPECT_TRUE(ok) << Dump(l);
}

TEST(ManifestLoaderTest, EmptyTextDoesNotCrash) {
  for (const char* text :
       {"", "\n", "   \n\n", "# only a comment\n", "---\n", "---\n...\n"}) {
    Loaded l = LoadText(text, "empty.yaml");
    if (!l.cluster.ok()) {
      ExpectConsistentFailure(l, "empty.yaml");
    } else {
      EXPECT_THAT(l.cluster->pods, IsEmpty());
    }
  }
}

TEST(ManifestLoaderTest, ScalarDocument) {
  Loaded l = LoadText("hello\n", "scalar.yaml");
  ExpectConsistentFailure(l, "scalar.yaml");
  EXPECT_THAT(l.errors, Contains(AllOf(StartsWith("scalar.yaml: document 1"),
                                       HasSubstr("expected a map"))))
      << Dump(l);

  Loaded n = LoadText("42\n", "scalar.yaml");
  ExpectConsistentFailure(n, "scalar.yaml");
}

TEST(ManifestLoaderTest, ListAtTopLevel) {
  Loaded l =
      LoadText("- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n",
               "list.yaml");
  ExpectConsistentFailure(l, "list.yaml");
  EXPECT_THAT(l.errors, Contains(AllOf(StartsWith("list.yaml: document 1"),
                                       HasSubstr("expected a map"))))
      << Dump(l);
}

TEST(ManifestLoaderTest, MissingOrOddKind) {
  for (const char* text :
       {"apiVersion: v1\nmetadata: {name: a}\n",
        "kind: [Pod]\nmetadata: {name: a}\n", "kind: {a: b}\n", "kind: 7\n",
        "kind: ~\n", "kind: \"\"\n", "kind: Pod\n", "kind: NetworkPolicy\n",
        "kind: Namespace\n", "kind: Pod\nmetadata: {name: a, namespace: x}\n",
        "kind: NetworkPolicy\nmetadata: {name: a, namespace: x}\n",
        "kind: List\n", "kind: List\nitems: ~\n"}) {
    Loaded l = LoadText(text, "odd.yaml");  // must not crash
    if (!l.cluster.ok()) ExpectConsistentFailure(l, "odd.yaml");
  }
}

TEST(ManifestLoaderTest, BinaryGarbage) {
  std::string garbage;
  std::mt19937 rng(42);
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>(rng()));
  garbage[10] = '\0';
  Loaded l = LoadText(garbage, "garbage.yaml");
  ExpectConsistentFailure(l, "garbage.yaml");
}

TEST(ManifestLoaderTest, RandomBytesNeverCrash) {
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 200);
    for (int j = 0; j < n; ++j) {
      // Mostly YAML punctuation, to get deep into the parser.
      static constexpr char kAlphabet[] = "{}[]:,-?|>'\"#&*!%@` \n\tab01.\\";
      text.push_back(rng() % 4 == 0
                         ? static_cast<char>(rng())
                         : kAlphabet[rng() % (sizeof(kAlphabet) - 1)]);
    }
    Loaded l = LoadText(text, "fuzz.yaml");
    if (!l.cluster.ok()) ExpectConsistentFailure(l, "fuzz.yaml");
  }
}

TEST(ManifestLoaderTest, MutatedManifestsNeverCrash) {
  const std::string base = absl::StrCat(
      testing_util::NamespaceYaml("x", "{team: a}"),
      testing_util::PodYaml("x", "a", "{app: a}", "10.0.0.1,fd00::1",
                            "[{name: http, containerPort: 80}]"),
      "---\n",
      Policy(
          R"(  podSelector: {matchExpressions: [{key: app, operator: In, values: [a]}]}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: a}}
      podSelector: {}
    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
    ports: [{port: http}, {protocol: UDP, port: 53, endPort: 60}]
  egress: [{to: [{ipBlock: {cidr: "fd00::/16"}}]}]
)"));
  ASSERT_TRUE(LoadText(base).cluster.ok()) << Dump(LoadText(base));
  static const std::vector<std::string> kTokens = {"",
                                                   "[",
                                                   "]",
                                                   "{",
                                                   "}",
                                                   ":",
                                                   "- ",
                                                   "\n",
                                                   "null",
                                                   "~",
                                                   "-1",
                                                   "0",
                                                   "99999999999999999999",
                                                   "\"",
                                                   "'",
                                                   "&a",
                                                   "*a",
                                                   "!!binary",
                                                   "[]",
                                                   "{}",
                                                   "\t",
                                                   "ICMP",
                                                   "In",
                                                   "10.0.0.0/33",
                                                   "fd00::/200",
                                                   "? ",
                                                   "|",
                                                   "#"};
  std::mt19937 rng(1234);
  for (int i = 0; i < 400; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % text.size();
      size_t len = rng() % 8;
      text.replace(pos, std::min(len, text.size() - pos),
                   kTokens[rng() % kTokens.size()]);
    }
    Loaded l = LoadText(text, "mutant.yaml");
    if (!l.cluster.ok()) ExpectConsistentFailure(l, "mutant.yaml");
  }
}

TEST(ManifestLoaderTest, DeeplyNestedFlowGarbage) {
  std::string text = std::string(100000, '[') + std::string(100000, ']');
  Loaded l = LoadText(text, "deep.yaml");
  ExpectConsistentFailure(l, "deep.yaml");

  std::string maps;
  for (int i = 0; i < 20000; ++i) maps += "{a: ";
  maps += "b";
  for (int i = 0; i < 20000; ++i) maps += "}";
  Loaded m = LoadText(maps, "deep.yaml");
  ExpectConsistentFailure(m, "deep.yaml");
}

TEST(ManifestLoaderTest, DeeplyNestedBlockGarbage) {
  std::string text;
  for (int i = 0; i < 2100; ++i) {
    text += std::string(2 * i, ' ') + "- \n";
  }
  Loaded l = LoadText(text, "deep.yaml");
  ExpectConsistentFailure(l, "deep.yaml");
}

TEST(ManifestLoaderTest, DeepGarbageInsideAPolicy) {
  std::string deep = std::string(5000, '[') + std::string(5000, ']');
  Loaded l = LoadText(
      Policy(absl::StrCat("  podSelector: {}\n  ingress: ", deep, "\n")),
      "deep.yaml");
  ExpectConsistentFailure(l, "deep.yaml");
}

TEST(ManifestLoaderTest, WrongTypesEverywhereNeverCrash) {
  // Replace every value of a valid manifest, one at a time, by values of
  // other types; each variant must load or fail cleanly.
  const std::vector<std::string> lines = {
      "apiVersion: networking.k8s.io/v1",
      "kind: NetworkPolicy",
      "metadata:",
      "  name: p",
      "  namespace: x",
      "  labels: {a: b}",
      "spec:",
      "  podSelector:",
      "    matchLabels: {app: a}",
      "    matchExpressions: [{key: k, operator: In, values: [v]}]",
      "  policyTypes: [Ingress, Egress]",
      "  ingress:",
      "  - from:",
      "    - podSelector: {}",
      "      namespaceSelector: {}",
      "    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}",
      "    ports:",
      "    - {protocol: TCP, port: 80, endPort: 90}",
      "  egress:",
      "  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]",
      "    ports: [{port: http}]",
  };
  const std::vector<std::string> replacements = {
      "~",        "7",           "-7",   "[]",   "{}",
      "[1, [2]]", "{a: {b: c}}", "\"\"", "true", "1.5e300"};
  int variants = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t colon = lines[i].find(": ");
    if (colon == std::string::npos) continue;
    for (const std::string& r : replacements) {
      std::vector<std::string> copy = lines;
      copy[i] = lines[i].substr(0, colon + 2) + r;
      std::string text = absl::StrJoin(copy, "\n") + "\n";
      Loaded l = LoadText(text, "types.yaml");
      if (!l.cluster.ok()) ExpectConsistentFailure(l, "types.yaml");
      ++variants;
    }
  }
  EXPECT_GT(variants, 100);
}

TEST(ManifestLoaderTest, AliasesAreRefused) {
  // Aliases let a small text describe many nodes (5^5 peers here, and
  // billions with a few more levels); they are refused outright.
  std::string text = Policy(R"(  podSelector: {}
  ingress:
  - from: &e [&d [&c [&b [&a [x, x, x, x, x], *a, *a, *a, *a], *b, *b, *b, *b],
          *c, *c, *c, *c], *d, *d, *d, *d]
)");
  Loaded l = LoadText(text, "alias.yaml");
  ExpectConsistentFailure(l, "alias.yaml");
  EXPECT_THAT(l.errors, ElementsAre(AllOf(StartsWith("alias.yaml: document 1: line "),
                                          HasSubstr("YAML aliases (*name) are not supported"))));
  // An asterisk inside a string is not an alias.
  Loaded ok = LoadText(
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels: {a: \"b\"}\n"
      "  annotations: {note: \"*not an alias*\"}\n",
      "star.yaml");
  EXPECT_TRUE(ok.cluster.ok()) << ok.cluster.status();
}

TEST(ManifestLoaderTest, DocumentEndMarkerSeparatesDocuments) {
  Loaded l = LoadText(
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n...\n"
      "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
      "end.yaml");
  ASSERT_TRUE(l.cluster.ok()) << l.cluster.status();
  EXPECT_EQ(l.cluster->namespaces.size(), 2u);
}

TEST(ManifestLoaderTest, TypedListItemsTakeTheListKind) {
  // `kubectl get pods -o yaml` style: items of a PodList carry no kind.
  Loaded l = LoadText(
      "apiVersion: v1\nkind: PodList\nitems:\n"
      "- metadata: {name: a, namespace: x}\n  status: {podIP: 10.0.0.1}\n",
      "pods.yaml");
  ASSERT_TRUE(l.cluster.ok()) << l.cluster.status();
  ASSERT_EQ(l.cluster->pods.size(), 1u);
  EXPECT_EQ(l.cluster->pods[0].name, "a");
}

TEST(ManifestLoaderTest, ListInsideAListIsRefused) {
  Loaded l = LoadText(
      "apiVersion: v1\nkind: List\nitems:\n"
      "- apiVersion: v1\n  kind: List\n  items: []\n",
      "nested.yaml");
  ExpectConsistentFailure(l, "nested.yaml");
  EXPECT_THAT(l.errors, Contains(AllOf(StartsWith("nested.yaml: document 1: items[0]"),
                                       HasSubstr("a List inside a List is not supported"))));
}

TEST(ManifestLoaderTest, InvalidJson) {
  Loaded l = LoadText("{\"apiVersion\": \"v1\", \"kind\": ", "bad.json");
  ExpectConsistentFailure(l, "bad.json");
}

}  // namespace
}  // namespace netpol
