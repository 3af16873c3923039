// Differential test on realistic generated clusters (load-tests/generator):
// CompiledSnapshot::Decide must agree with the brute-force oracle on
// allowed AND reason for a realistic query mix, at the benchmark's scale.
// The small random clusters of snapshot_property_test cover the corners;
// this covers the table merging and port classes at realistic sizes.

#include <cstddef>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/compiled_snapshot.h"
#include "gtest/gtest.h"
#include "load-tests/generator/cluster_generator.h"
#include "load-tests/generator/query_generator.h"
#include "tests/core/reference_oracle.h"

namespace netpol {
namespace {

struct Shape {
  int namespaces;
  int pods;
  int policies;
  bool ipblock_matches_pods;
  size_t queries;
};

class GeneratedClusterTest : public testing::TestWithParam<Shape> {};

TEST_P(GeneratedClusterTest, DecideAgreesWithOracle) {
  const Shape& shape = GetParam();
  GeneratorOptions options;
  options.namespaces = shape.namespaces;
  options.pods = shape.pods;
  options.policies = shape.policies;
  options.seed = 7;
  const Cluster cluster = GenerateCluster(options);
  const CompileOptions compile{shape.ipblock_matches_pods};
  absl::StatusOr<std::unique_ptr<const CompiledSnapshot>> snapshot =
      CompiledSnapshot::Compile(cluster, compile);
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();

  size_t allowed = 0;
  int mismatches = 0;
  for (const DecisionQuery& q : GenerateQueries(cluster, shape.queries, 11)) {
    const Decision got = (*snapshot)->Decide(q.source, q.destination, q.port, q.protocol);
    absl::StatusOr<oracle::Result> want = oracle::Evaluate(
        cluster, Connection{q.source, q.destination, q.port, q.protocol}, compile);
    ASSERT_TRUE(want.ok()) << want.status();
    allowed += got.allowed;
    if (got == want->decision) continue;
    if (++mismatches <= 10) {
      ADD_FAILURE() << q.source.ToString() << " -> " << q.destination.ToString() << " "
                    << ProtocolName(q.protocol) << "/" << q.port << ": got "
                    << ReasonName(got.reason) << ", oracle "
                    << ReasonName(want->decision.reason);
    }
  }
  EXPECT_EQ(mismatches, 0);
  // A mix that is all-allow or all-deny would prove little.
  EXPECT_GT(allowed, shape.queries / 10);
  EXPECT_LT(allowed, shape.queries * 9 / 10);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GeneratedClusterTest,
    testing::Values(Shape{20, 2000, 400, true, 4000}, Shape{20, 2000, 400, false, 4000},
                    Shape{100, 10000, 2000, true, 2000}),
    [](const testing::TestParamInfo<Shape>& info) {
      return absl::StrCat(info.param.pods, "pods_", info.param.policies, "policies_",
                          info.param.ipblock_matches_pods ? "ipblock_pods" : "no_ipblock_pods");
    });

}  // namespace
}  // namespace netpol
