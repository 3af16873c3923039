#include "core/model.h"

#include <string_view>

#include "gtest/gtest.h"

namespace netpol {
namespace {

IpAddress Ip(std::string_view text) { return IpAddress::Parse(text).value(); }
Cidr Block(std::string_view text) { return Cidr::Parse(text).value(); }

TEST(IpBlockTest, MatchesCidrWithoutExcept) {
  IpBlock block{Block("10.0.0.0/16"), {}};
  EXPECT_TRUE(block.Matches(Ip("10.0.0.0")));
  EXPECT_TRUE(block.Matches(Ip("10.0.255.255")));
  EXPECT_FALSE(block.Matches(Ip("10.1.0.0")));
  EXPECT_FALSE(block.Matches(Ip("fd00::1")));
}

TEST(IpBlockTest, ExceptCarvesHoles) {
  IpBlock block{Block("10.0.0.0/16"),
                {Block("10.0.1.0/24"), Block("10.0.2.7/32")}};
  EXPECT_TRUE(block.Matches(Ip("10.0.0.1")));
  EXPECT_FALSE(block.Matches(Ip("10.0.1.0")));
  EXPECT_FALSE(block.Matches(Ip("10.0.1.255")));
  EXPECT_TRUE(block.Matches(Ip("10.0.2.0")));
  EXPECT_FALSE(block.Matches(Ip("10.0.2.7")));
  EXPECT_TRUE(block.Matches(Ip("10.0.2.8")));
  EXPECT_TRUE(block.Matches(Ip("10.0.2.6")));
}

TEST(IpBlockTest, Ipv6WithExcept) {
  IpBlock block{Block("2001:db8::/32"), {Block("2001:db8:1::/48")}};
  EXPECT_TRUE(block.Matches(Ip("2001:db8::1")));
  EXPECT_FALSE(block.Matches(Ip("2001:db8:1::1")));
  EXPECT_TRUE(block.Matches(Ip("2001:db8:2::1")));
  EXPECT_FALSE(block.Matches(Ip("2001:db9::1")));
  EXPECT_FALSE(block.Matches(Ip("32.1.13.184")));  // same bits, v4
}

TEST(IpBlockTest, FamiliesNeverMix) {
  IpBlock all_v4{Block("0.0.0.0/0"), {}};
  IpBlock all_v6{Block("::/0"), {}};
  EXPECT_TRUE(all_v4.Matches(Ip("1.2.3.4")));
  EXPECT_FALSE(all_v4.Matches(Ip("::ffff:1.2.3.4")));
  EXPECT_TRUE(all_v6.Matches(Ip("::ffff:1.2.3.4")));
  EXPECT_FALSE(all_v6.Matches(Ip("1.2.3.4")));
}

TEST(ModelTest, NamespaceLabelConstant) {
  EXPECT_STREQ(kNamespaceNameLabel, "kubernetes.io/metadata.name");
}

TEST(ModelTest, Defaults) {
  PolicyPort port;
  EXPECT_EQ(port.protocol, Protocol::kTcp);
  EXPECT_FALSE(port.port.has_value());
  EXPECT_TRUE(port.named_port.empty());
  EXPECT_FALSE(port.end_port.has_value());
  NetworkPolicy policy;
  EXPECT_FALSE(policy.affects_ingress);
  EXPECT_FALSE(policy.affects_egress);
  EXPECT_TRUE(policy.pod_selector.empty());
  ContainerPort cp;
  EXPECT_EQ(cp.protocol, Protocol::kTcp);
  Pod pod;
  EXPECT_FALSE(pod.host_network);
  EXPECT_TRUE(pod.ips.empty());
}

}  // namespace
}  // namespace netpol
