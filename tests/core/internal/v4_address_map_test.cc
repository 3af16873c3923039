#include "core/internal/v4_address_map.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "core/internal/snapshot_tables.h"
#include "gtest/gtest.h"

namespace netpol::internal {
namespace {

constexpr uint32_t V4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return a << 24 | b << 16 | c << 8 | d;
}

// Coordinates told apart by their egress column alone.
TableCoordinates Mark(uint32_t n) {
  TableCoordinates coordinates;
  coordinates.egress_col = n;
  return coordinates;
}

std::pair<uint32_t, EndpointEntry> Pod(uint32_t ip, uint32_t mark) {
  EndpointEntry entry;
  static_cast<TableCoordinates&>(entry) = Mark(mark);
  entry.pod = mark;
  return {ip, entry};
}

class V4AddressMapTest : public ::testing::Test {
 protected:
  // Ranges: everything 0 except 10.0.0.0/8 (1), 10.1.2.128/25 (2) and
  // 255.255.255.255 (3). Pods 10.1.2.3 (100), 10.1.2.200 (101, inside the
  // /25), 10.9.0.0 (102, first of a /16) and 0.0.0.0 (103).
  void SetUp() override {
    starts_ = {0,
               V4(10, 0, 0, 0),
               V4(10, 1, 2, 128),
               V4(10, 1, 3, 0),
               V4(11, 0, 0, 0),
               V4(255, 255, 255, 255)};
    for (uint32_t mark : {0, 1, 2, 1, 0, 3}) {
      range_coordinates_.push_back(Mark(mark));
    }
    pods_ = {Pod(V4(10, 1, 2, 200), 101), Pod(V4(10, 1, 2, 3), 100),
             Pod(V4(10, 9, 0, 0), 102), Pod(0, 103)};
  }

  uint32_t MarkOf(const V4AddressMap& map, uint32_t ip) {
    const V4AddressMap::View view = map.view();
    return view.classes[view.ClassOf(ip)].egress_col;
  }
  bool IsPod(const V4AddressMap& map, uint32_t ip) {
    const V4AddressMap::View view = map.view();
    return view.IsPod(view.ClassOf(ip));
  }

  std::vector<uint32_t> starts_;
  std::vector<TableCoordinates> range_coordinates_;
  std::vector<std::pair<uint32_t, EndpointEntry>> pods_;
};

TEST_F(V4AddressMapTest, MapsPodsOverTheirRanges) {
  V4AddressMap map;
  ASSERT_TRUE(map.Build(pods_, starts_, range_coordinates_, 64 << 20));
  EXPECT_EQ(MarkOf(map, V4(10, 1, 2, 3)), 100u);
  EXPECT_EQ(MarkOf(map, V4(10, 1, 2, 200)), 101u);
  EXPECT_EQ(MarkOf(map, V4(10, 9, 0, 0)), 102u);
  EXPECT_EQ(MarkOf(map, 0), 103u);
  for (uint32_t ip :
       {V4(10, 1, 2, 3), V4(10, 1, 2, 200), V4(10, 9, 0, 0), uint32_t{0}}) {
    EXPECT_TRUE(IsPod(map, ip)) << ip;
  }
}

TEST_F(V4AddressMapTest, MapsEveryOtherAddressToItsRange) {
  V4AddressMap map;
  ASSERT_TRUE(map.Build(pods_, starts_, range_coordinates_, 64 << 20));
  const std::pair<uint32_t, uint32_t> expected[] = {
      {1, 0},
      {V4(9, 255, 255, 255), 0},
      {V4(10, 0, 0, 0), 1},
      {V4(10, 1, 2, 2), 1},
      {V4(10, 1, 2, 4), 1},
      {V4(10, 1, 2, 127), 1},
      {V4(10, 1, 2, 128), 2},
      {V4(10, 1, 2, 199), 2},
      {V4(10, 1, 2, 201), 2},
      {V4(10, 1, 2, 255), 2},
      {V4(10, 1, 3, 0), 1},
      {V4(10, 9, 0, 1), 1},
      {V4(10, 255, 255, 255), 1},
      {V4(11, 0, 0, 0), 0},
      {V4(192, 0, 2, 1), 0},
      {V4(255, 255, 255, 254), 0},
      {V4(255, 255, 255, 255), 3},
  };
  for (const auto& [ip, mark] : expected) {
    EXPECT_EQ(MarkOf(map, ip), mark) << ip;
    EXPECT_FALSE(IsPod(map, ip)) << ip;
  }
}

TEST_F(V4AddressMapTest, ExternalCoordinatesEqualToAPodsAreNotAPod) {
  range_coordinates_[1] = Mark(100);  // 10.0.0.0/8 decides like 10.1.2.3
  V4AddressMap map;
  ASSERT_TRUE(map.Build(pods_, starts_, range_coordinates_, 64 << 20));
  EXPECT_EQ(MarkOf(map, V4(10, 1, 2, 4)), 100u);
  EXPECT_FALSE(IsPod(map, V4(10, 1, 2, 4)));
  EXPECT_TRUE(IsPod(map, V4(10, 1, 2, 3)));
}

TEST_F(V4AddressMapTest, SharesUniformBlocks) {
  V4AddressMap map;
  ASSERT_TRUE(map.Build(pods_, starts_, range_coordinates_, 64 << 20));
  // The 256 KiB top level, two /16s that mix classes (10.1/16, 10.9/16 and
  // 0.0/16 make three), a handful of /24 leaves: far below one block per
  // /16.
  EXPECT_LT(map.memory_bytes(), (256 << 10) + (32 << 10));
}

TEST_F(V4AddressMapTest, RefusesToGrowPastItsBudget) {
  std::vector<std::pair<uint32_t, EndpointEntry>> scattered;
  for (uint32_t i = 0; i < 2000; ++i) {
    scattered.push_back(Pod(V4(10, i / 256, i % 256, 1), i));
  }
  V4AddressMap map;
  EXPECT_FALSE(map.Build(scattered, starts_, range_coordinates_, 1 << 20));
  EXPECT_TRUE(map.empty());
  EXPECT_TRUE(map.Build(scattered, starts_, range_coordinates_, 8 << 20));
  EXPECT_FALSE(map.empty());
  EXPECT_EQ(MarkOf(map, V4(10, 7, 207, 1)), 7u * 256 + 207);
  EXPECT_EQ(MarkOf(map, V4(10, 7, 207, 2)), 1u);
}

TEST_F(V4AddressMapTest, NoBudgetMeansNoMap) {
  V4AddressMap map;
  EXPECT_FALSE(map.Build(pods_, starts_, range_coordinates_, 0));
  EXPECT_TRUE(map.empty());
}

}  // namespace
}  // namespace netpol::internal
