#include "core/decision.h"

#include <optional>
#include <string>
#include <variant>

#include "gtest/gtest.h"

namespace netpol {
namespace {

TEST(PodRefTest, ToStringIsNamespaceSlashName) {
  EXPECT_EQ((PodRef{"x", "a"}).ToString(), "x/a");
  EXPECT_EQ((PodRef{"x", "a"}), (PodRef{"x", "a"}));
  EXPECT_FALSE((PodRef{"x", "a"}) == (PodRef{"a", "x"}));
}

TEST(ParseEndpointTest, ParsesPodReference) {
  std::optional<Endpoint> ep = ParseEndpoint("x/a");
  ASSERT_TRUE(ep.has_value());
  ASSERT_TRUE(std::holds_alternative<PodRef>(*ep));
  EXPECT_EQ(std::get<PodRef>(*ep), (PodRef{"x", "a"}));

  ep = ParseEndpoint("kube-system/coredns-5d78c9869d-abcde");
  ASSERT_TRUE(ep.has_value());
  ASSERT_TRUE(std::holds_alternative<PodRef>(*ep));
  EXPECT_EQ(std::get<PodRef>(*ep).namespace_name, "kube-system");
  EXPECT_EQ(std::get<PodRef>(*ep).name, "coredns-5d78c9869d-abcde");
}

TEST(ParseEndpointTest, ParsesIpAddresses) {
  std::optional<Endpoint> ep = ParseEndpoint("10.0.1.10");
  ASSERT_TRUE(ep.has_value());
  ASSERT_TRUE(std::holds_alternative<IpAddress>(*ep));
  EXPECT_EQ(std::get<IpAddress>(*ep), *IpAddress::Parse("10.0.1.10"));

  ep = ParseEndpoint("fd00::10");
  ASSERT_TRUE(ep.has_value());
  ASSERT_TRUE(std::holds_alternative<IpAddress>(*ep));
  EXPECT_EQ(std::get<IpAddress>(*ep), *IpAddress::Parse("fd00::10"));
}

TEST(ParseEndpointTest, RejectsGarbage) {
  for (std::string_view bad : {"", "garbage", "10.0.0", "300.1.1.1", "::g"}) {
    EXPECT_FALSE(ParseEndpoint(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(ParseEndpointTest, RejectsIpWithTrailingNul) {
  EXPECT_FALSE(
      ParseEndpoint(std::string_view("10.0.0.1\0evil", 13)).has_value());
}

TEST(ParseEndpointTest, CidrIsNotAnEndpoint) {
  // "10.0.0.0/8" contains a slash but is not a usable pod reference either;
  // whatever it parses as, it must not be the IP 10.0.0.0.
  std::optional<Endpoint> ep = ParseEndpoint("10.0.0.0/8");
  if (ep.has_value()) {
    EXPECT_FALSE(std::holds_alternative<IpAddress>(*ep));
  }
}

TEST(EndpointToStringTest, RoundTrips) {
  for (std::string_view text : {"x/a", "10.0.1.10", "fd00::10", "::"}) {
    std::optional<Endpoint> ep = ParseEndpoint(text);
    ASSERT_TRUE(ep.has_value()) << text;
    EXPECT_EQ(EndpointToString(*ep), text);
  }
  EXPECT_EQ(EndpointToString(Endpoint(PodRef{"ns", "p"})), "ns/p");
  EXPECT_EQ(EndpointToString(Endpoint(IpAddress::V4(0x0A000001))), "10.0.0.1");
}

TEST(ReasonNameTest, MatchesRpcEnumNames) {
  EXPECT_EQ(ReasonName(Reason::kLoopback), "LOOPBACK");
  EXPECT_EQ(ReasonName(Reason::kNotIsolated), "NOT_ISOLATED");
  EXPECT_EQ(ReasonName(Reason::kAllowedByPolicy), "ALLOWED_BY_POLICY");
  EXPECT_EQ(ReasonName(Reason::kDeniedEgress), "DENIED_EGRESS");
  EXPECT_EQ(ReasonName(Reason::kDeniedIngress), "DENIED_INGRESS");
  EXPECT_EQ(ReasonName(Reason::kInvalid), "INVALID_CONNECTION");
}

TEST(DecisionTest, DefaultIsInvalidAndDenied) {
  Decision d;
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, Reason::kInvalid);
  EXPECT_EQ(d, (Decision{false, Reason::kInvalid}));
  EXPECT_FALSE(d == (Decision{true, Reason::kInvalid}));
}

TEST(ConnectionTest, DefaultsToTcp) {
  Connection c;
  EXPECT_EQ(c.protocol, Protocol::kTcp);
  EXPECT_EQ(c.port, 0u);
}

}  // namespace
}  // namespace netpol
