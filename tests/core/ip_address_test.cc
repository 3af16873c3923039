#include "core/ip_address.h"

#include <arpa/inet.h>

#include <optional>
#include <random>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netpol {
namespace {

IpAddress Ip(std::string_view text) {
  std::optional<IpAddress> ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip.value_or(IpAddress{});
}

Cidr Block(std::string_view text) {
  std::optional<Cidr> cidr = Cidr::Parse(text);
  EXPECT_TRUE(cidr.has_value()) << text;
  return cidr.value_or(Cidr{});
}

TEST(IpAddressTest, ParsesDottedQuad) {
  std::optional<IpAddress> ip = IpAddress::Parse("10.1.2.3");
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ(ip->family, IpFamily::kV4);
  EXPECT_TRUE(ip->is_v4());
  EXPECT_EQ(ip->hi, 0u);
  EXPECT_EQ(ip->lo, 0x0A010203u);
  EXPECT_EQ(ip->v4(), 0x0A010203u);
  EXPECT_EQ(ip->bits(), 32);
  EXPECT_EQ(*ip, IpAddress::V4(0x0A010203));
}

TEST(IpAddressTest, ParsesIpv4Extremes) {
  EXPECT_EQ(Ip("0.0.0.0"), IpAddress::V4(0));
  EXPECT_EQ(Ip("255.255.255.255"), IpAddress::V4(0xFFFFFFFF));
}

TEST(IpAddressTest, ParsesIpv6) {
  std::optional<IpAddress> ip = IpAddress::Parse("fd00::1");
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ(ip->family, IpFamily::kV6);
  EXPECT_FALSE(ip->is_v4());
  EXPECT_EQ(ip->bits(), 128);
  EXPECT_EQ(ip->hi, 0xfd00000000000000ull);
  EXPECT_EQ(ip->lo, 1u);

  EXPECT_EQ(Ip("::"), IpAddress::V6(0, 0));
  EXPECT_EQ(Ip("2001:db8:1:2:3:4:5:6"),
            IpAddress::V6(0x20010db800010002ull, 0x0003000400050006ull));
  EXPECT_EQ(Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            IpAddress::V6(~0ull, ~0ull));
  EXPECT_EQ(Ip("FD00::ABCD"), IpAddress::V6(0xfd00000000000000ull, 0xabcd));
}

TEST(IpAddressTest, Ipv4MappedIpv6StaysIpv6) {
  std::optional<IpAddress> ip = IpAddress::Parse("::ffff:10.0.0.1");
  ASSERT_TRUE(ip.has_value());
  EXPECT_EQ(ip->family, IpFamily::kV6);
  EXPECT_EQ(ip->hi, 0u);
  EXPECT_EQ(ip->lo, 0x0000ffff0a000001ull);
  EXPECT_NE(*ip, Ip("10.0.0.1"));
}

TEST(IpAddressTest, RejectsInvalidText) {
  for (std::string_view bad : {"",          " ",
                               "1.2.3",     "1.2.3.4.5",
                               "256.0.0.1", "1.2.3.-1",
                               "abc",       "10.0.0.1/32",
                               "fd00:::1",  "fd00::1::2",
                               " 1.2.3.4",  "1.2.3.4 ",
                               "1.2.3.4\n", "g::1",
                               "12345::",   "1:2:3:4:5:6:7:8:9",
                               "x/a",       "::ffff:1.2.3",
                               "[::1]",     "fd00::1%eth0"}) {
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << "'" << bad << "'";
  }
  // Longer than any address.
  EXPECT_FALSE(IpAddress::Parse(std::string(1000, '1')).has_value());
  EXPECT_FALSE(IpAddress::Parse(std::string(100, ':')).has_value());
  // Embedded NUL: text after it must not be ignored.
  EXPECT_FALSE(IpAddress::Parse(std::string_view("1.2.3.4\0", 8)).has_value());
  EXPECT_FALSE(
      IpAddress::Parse(std::string_view("1.2.3.4\0garbage", 15)).has_value());
  EXPECT_FALSE(IpAddress::Parse(std::string_view("fd00::1\0x", 9)).has_value());
}

TEST(IpAddressTest, DottedQuadIsStrict) {
  // Leading zeros, signs, empty or long parts: rejected, as inet_pton does.
  for (std::string_view bad : {"01.2.3.4", "1.2.3.04", "1..2.3", ".1.2.3",
                               "1.2.3.", "+1.2.3.4", "1.2.3.4.", "0x1.2.3.4",
                               "1234.1.1.1", "1.2.3.256", "1.2.3.4x"}) {
    EXPECT_FALSE(IpAddress::Parse(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_EQ(Ip("0.0.0.0").v4(), 0u);
  EXPECT_EQ(Ip("255.255.255.255").v4(), 0xFFFFFFFFu);
  EXPECT_EQ(Ip("10.0.100.7").v4(), 0x0A006407u);
  EXPECT_EQ(Ip("192.0.2.10").v4(), 0xC000020Au);
}

// Parse against glibc's inet_pton (AF_INET) on random strings made mostly
// of digits and dots, so that most are near misses of an address.
TEST(IpAddressTest, DottedQuadAgreesWithInetPton) {
  std::mt19937 rng(20261128);
  constexpr std::string_view kCommon = "0123456789.....";
  constexpr std::string_view kRare = " -+x/\n";
  int accepted = 0;
  for (int i = 0; i < 300000; ++i) {
    std::string text(rng() % 18, '0');
    for (char& c : text) {
      c = rng() % 50 == 0 ? kRare[rng() % kRare.size()]
                          : kCommon[rng() % kCommon.size()];
    }
    in_addr expected;
    const bool valid = inet_pton(AF_INET, text.c_str(), &expected) == 1;
    const std::optional<IpAddress> parsed = IpAddress::Parse(text);
    ASSERT_EQ(parsed.has_value(), valid) << "'" << text << "'";
    if (valid) {
      ++accepted;
      EXPECT_EQ(parsed->v4(), ntohl(expected.s_addr)) << "'" << text << "'";
    }
  }
  EXPECT_GT(accepted, 500);  // the strings did reach valid addresses
}

TEST(IpAddressTest, ToStringIsCanonical) {
  EXPECT_EQ(Ip("10.0.0.1").ToString(), "10.0.0.1");
  EXPECT_EQ(Ip("0.0.0.0").ToString(), "0.0.0.0");
  EXPECT_EQ(Ip("FD00:0:0:0::1").ToString(), "fd00::1");
  EXPECT_EQ(Ip("::").ToString(), "::");
  EXPECT_EQ(Ip("2001:db8:0:0:1:0:0:1").ToString(), "2001:db8::1:0:0:1");
  EXPECT_EQ(IpAddress::V4(0xC0000201).ToString(), "192.0.2.1");
  EXPECT_EQ(IpAddress::V6(0x20010db800000000ull, 5).ToString(), "2001:db8::5");
}

TEST(IpAddressTest, ToStringRoundTrips) {
  for (std::string_view text :
       {"1.2.3.4", "10.255.0.7", "fd00::a:b", "2001:db8::", "::1",
        "fe80::1:2:3:4", "::ffff:10.0.0.1"}) {
    IpAddress ip = Ip(text);
    EXPECT_EQ(Ip(ip.ToString()), ip) << text;
  }
}

TEST(IpAddressTest, OrdersByFamilyThenValue) {
  EXPECT_LT(Ip("10.0.0.2"), Ip("10.0.0.10"));
  EXPECT_LT(Ip("9.255.255.255"), Ip("10.0.0.0"));
  EXPECT_LT(Ip("255.255.255.255"), Ip("::"));  // every v4 before every v6
  EXPECT_LT(Ip("fd00::1"), Ip("fd00::2"));
  EXPECT_LT(Ip("::ffff:ffff:ffff:ffff"), Ip("0:0:0:1::"));
  EXPECT_EQ(Ip("10.0.0.1"), Ip("10.0.0.1"));
}

TEST(IpAddressTest, IsHashable) {
  absl::flat_hash_set<IpAddress> set = {Ip("10.0.0.1"), Ip("fd00::1"),
                                        Ip("10.0.0.1")};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_TRUE(set.contains(Ip("fd00::1")));
  EXPECT_FALSE(set.contains(Ip("::ffff:10.0.0.1")));
}

TEST(CidrTest, ParsesIpv4Block) {
  std::optional<Cidr> cidr = Cidr::Parse("10.0.0.0/8");
  ASSERT_TRUE(cidr.has_value());
  EXPECT_EQ(cidr->base, Ip("10.0.0.0"));
  EXPECT_EQ(cidr->prefix, 8);
  EXPECT_EQ(cidr->ToString(), "10.0.0.0/8");
}

TEST(CidrTest, ParsesIpv6Block) {
  std::optional<Cidr> cidr = Cidr::Parse("fd00::/64");
  ASSERT_TRUE(cidr.has_value());
  EXPECT_EQ(cidr->base, Ip("fd00::"));
  EXPECT_EQ(cidr->prefix, 64);
  EXPECT_EQ(cidr->ToString(), "fd00::/64");
}

TEST(CidrTest, ClearsHostBits) {
  EXPECT_EQ(Block("10.1.2.3/8").base, Ip("10.0.0.0"));
  EXPECT_EQ(Block("10.1.2.3/8").ToString(), "10.0.0.0/8");
  EXPECT_EQ(Block("10.1.2.3/8"), Block("10.0.0.0/8"));
  EXPECT_EQ(Block("192.168.1.77/26").base, Ip("192.168.1.64"));
  EXPECT_EQ(Block("10.1.2.3/0").base, Ip("0.0.0.0"));
  EXPECT_EQ(Block("10.1.2.3/32").base, Ip("10.1.2.3"));
  EXPECT_EQ(Block("fd00::1:2:3:4/64").base, Ip("fd00::"));
  EXPECT_EQ(Block("fd00::ffff/113").base, Ip("fd00::8000"));
  EXPECT_EQ(Block("2001:db8:abcd:1234::/36").base, Ip("2001:db8:a000::"));
  EXPECT_EQ(Block("ffff::1/0").base, Ip("::"));
}

TEST(CidrTest, RejectsInvalidBlocks) {
  for (std::string_view bad : {"",
                               "10.0.0.0",
                               "10.0.0.0/",
                               "/8",
                               "10.0.0.0/33",
                               "10.0.0.0/-1",
                               "10.0.0.0/+8",
                               "10.0.0.0/8/8",
                               "10.0.0.0/ 8",
                               "10.0.0.0 /8",
                               "10.0.0/8",
                               "fd00::/129",
                               "fd00::",
                               "fd00::/1000",
                               "fd00::/abc",
                               "10.0.0.0/8a",
                               "10.0.0.0/0x8",
                               "x/8",
                               "256.0.0.0/8",
                               "10.0.0.0/99999999999999999999"}) {
    EXPECT_FALSE(Cidr::Parse(bad).has_value()) << "'" << bad << "'";
  }
}

TEST(CidrTest, RejectsEmbeddedNul) {
  EXPECT_FALSE(
      Cidr::Parse(std::string_view("10.0.0.0\0junk/8", 15)).has_value());
  EXPECT_FALSE(Cidr::Parse(std::string_view("10.0.0.0/8\0", 11)).has_value());
}

TEST(CidrTest, ContainsIpv4Boundaries) {
  Cidr cidr = Block("10.0.0.0/24");
  EXPECT_TRUE(cidr.Contains(Ip("10.0.0.0")));
  EXPECT_TRUE(cidr.Contains(Ip("10.0.0.1")));
  EXPECT_TRUE(cidr.Contains(Ip("10.0.0.255")));
  EXPECT_FALSE(cidr.Contains(Ip("10.0.1.0")));
  EXPECT_FALSE(cidr.Contains(Ip("9.255.255.255")));
  EXPECT_FALSE(cidr.Contains(Ip("::ffff:10.0.0.1")));  // other family
  EXPECT_FALSE(cidr.Contains(Ip("::a00:1")));

  Cidr host = Block("192.0.2.7/32");
  EXPECT_TRUE(host.Contains(Ip("192.0.2.7")));
  EXPECT_FALSE(host.Contains(Ip("192.0.2.6")));
  EXPECT_FALSE(host.Contains(Ip("192.0.2.8")));

  Cidr odd = Block("10.0.0.0/31");
  EXPECT_TRUE(odd.Contains(Ip("10.0.0.1")));
  EXPECT_FALSE(odd.Contains(Ip("10.0.0.2")));

  Cidr one = Block("128.0.0.0/1");
  EXPECT_TRUE(one.Contains(Ip("255.255.255.255")));
  EXPECT_FALSE(one.Contains(Ip("127.255.255.255")));
}

TEST(CidrTest, ZeroPrefixContainsWholeFamilyOnly) {
  Cidr v4 = Block("0.0.0.0/0");
  EXPECT_TRUE(v4.Contains(Ip("0.0.0.0")));
  EXPECT_TRUE(v4.Contains(Ip("255.255.255.255")));
  EXPECT_FALSE(v4.Contains(Ip("::")));
  EXPECT_FALSE(v4.Contains(Ip("fd00::1")));

  Cidr v6 = Block("::/0");
  EXPECT_TRUE(v6.Contains(Ip("::")));
  EXPECT_TRUE(v6.Contains(Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(v6.Contains(Ip("0.0.0.0")));
  EXPECT_FALSE(v6.Contains(Ip("10.0.0.1")));
}

TEST(CidrTest, ContainsIpv6Boundaries) {
  Cidr c64 = Block("fd00:1::/64");
  EXPECT_TRUE(c64.Contains(Ip("fd00:1::")));
  EXPECT_TRUE(c64.Contains(Ip("fd00:1::ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(c64.Contains(Ip("fd00:1:0:1::")));
  EXPECT_FALSE(c64.Contains(Ip("fd00:0:ffff:ffff:ffff:ffff:ffff:ffff")));

  Cidr c65 = Block("fd00::/65");
  EXPECT_TRUE(c65.Contains(Ip("fd00::7fff:ffff:ffff:ffff")));
  EXPECT_FALSE(c65.Contains(Ip("fd00::8000:0:0:0")));

  Cidr c63 = Block("fd00::/63");
  EXPECT_TRUE(c63.Contains(Ip("fd00:0:0:1:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(c63.Contains(Ip("fd00:0:0:2::")));

  Cidr c127 = Block("fd00::/127");
  EXPECT_TRUE(c127.Contains(Ip("fd00::1")));
  EXPECT_FALSE(c127.Contains(Ip("fd00::2")));

  Cidr c128 = Block("fd00::5/128");
  EXPECT_TRUE(c128.Contains(Ip("fd00::5")));
  EXPECT_FALSE(c128.Contains(Ip("fd00::4")));
  EXPECT_FALSE(c128.Contains(Ip("fd00::6")));

  Cidr c1 = Block("8000::/1");
  EXPECT_TRUE(c1.Contains(Ip("ffff::")));
  EXPECT_FALSE(c1.Contains(Ip("7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST(CidrTest, CoversSubBlocks) {
  Cidr big = Block("10.0.0.0/8");
  EXPECT_TRUE(big.Covers(Block("10.0.0.0/8")));  // equal blocks included
  EXPECT_TRUE(big.Covers(Block("10.1.0.0/16")));
  EXPECT_TRUE(big.Covers(Block("10.255.255.255/32")));
  EXPECT_FALSE(big.Covers(Block("0.0.0.0/0")));
  EXPECT_FALSE(big.Covers(Block("10.0.0.0/7")));
  EXPECT_FALSE(big.Covers(Block("11.0.0.0/16")));
  EXPECT_FALSE(big.Covers(Block("::/0")));
  EXPECT_FALSE(big.Covers(Block("::a00:0/104")));

  Cidr v6 = Block("fd00::/16");
  EXPECT_TRUE(v6.Covers(Block("fd00:1::/32")));
  EXPECT_FALSE(v6.Covers(Block("fd01::/32")));
  EXPECT_FALSE(v6.Covers(Block("10.0.0.0/8")));
  EXPECT_TRUE(Block("::/0").Covers(Block("fd00::1/128")));
  EXPECT_TRUE(Block("0.0.0.0/0").Covers(Block("1.2.3.4/32")));
}

TEST(CidrTest, FirstAndLast) {
  Cidr c = Block("10.0.0.0/24");
  EXPECT_EQ(c.First(), Ip("10.0.0.0"));
  EXPECT_EQ(c.Last(), Ip("10.0.0.255"));
  EXPECT_EQ(Block("0.0.0.0/0").Last(), Ip("255.255.255.255"));
  EXPECT_EQ(Block("0.0.0.0/0").Last().hi, 0u);
  EXPECT_EQ(Block("10.0.0.7/32").Last(), Ip("10.0.0.7"));
  EXPECT_EQ(Block("::/0").Last(),
            Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(Block("fd00::/64").Last(), Ip("fd00::ffff:ffff:ffff:ffff"));
  EXPECT_EQ(Block("fd00::/60").Last(), Ip("fd00:0:0:f:ffff:ffff:ffff:ffff"));
  EXPECT_EQ(Block("fd00::/72").Last(), Ip("fd00::ff:ffff:ffff:ffff"));
  EXPECT_EQ(Block("fd00::9/128").Last(), Ip("fd00::9"));
  EXPECT_EQ(Block("fd00::/128").First(), Ip("fd00::"));
}

TEST(AddressArithmeticTest, NextAddressCarries) {
  EXPECT_EQ(NextAddress(Ip("10.0.0.255")), Ip("10.0.1.0"));
  EXPECT_EQ(NextAddress(Ip("0.255.255.255")), Ip("1.0.0.0"));
  EXPECT_EQ(NextAddress(Ip("fd00::ffff:ffff:ffff:ffff")), Ip("fd00:0:0:1::"));
  EXPECT_EQ(NextAddress(Ip("::")), Ip("::1"));
}

TEST(AddressArithmeticTest, NextAddressSaturatesWithinFamily) {
  IpAddress max4 = Ip("255.255.255.255");
  EXPECT_TRUE(IsMaxAddress(max4));
  EXPECT_EQ(NextAddress(max4), max4);
  EXPECT_EQ(NextAddress(max4).family, IpFamily::kV4);
  EXPECT_EQ(NextAddress(max4).hi, 0u);

  IpAddress max6 = Ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_TRUE(IsMaxAddress(max6));
  EXPECT_EQ(NextAddress(max6), max6);

  EXPECT_FALSE(IsMaxAddress(Ip("255.255.255.254")));
  // The IPv6 address whose low 32 bits are all ones is not the maximum.
  EXPECT_FALSE(IsMaxAddress(Ip("::ffff:ffff")));
  EXPECT_FALSE(IsMaxAddress(Ip("ffff:ffff:ffff:ffff::")));
  EXPECT_FALSE(IsMaxAddress(Ip("::ffff:ffff:ffff:ffff")));
}

std::vector<std::string> CidrTexts(const std::string& first,
                                   const std::string& last) {
  std::vector<std::string> out;
  for (const Cidr& cidr : RangeToCidrs(Ip(first), Ip(last)))
    out.push_back(cidr.ToString());
  return out;
}

TEST(RangeToCidrsTest, FewestBlocks) {
  EXPECT_EQ(CidrTexts("10.0.0.0", "10.0.0.255"),
            std::vector<std::string>{"10.0.0.0/24"});
  EXPECT_EQ(CidrTexts("10.0.0.1", "10.0.0.1"),
            std::vector<std::string>{"10.0.0.1/32"});
  EXPECT_EQ(CidrTexts("10.0.0.1", "10.0.0.6"),
            (std::vector<std::string>{"10.0.0.1/32", "10.0.0.2/31",
                                      "10.0.0.4/31", "10.0.0.6/32"}));
  EXPECT_EQ(CidrTexts("0.0.0.0", "255.255.255.255"),
            std::vector<std::string>{"0.0.0.0/0"});
  EXPECT_EQ(CidrTexts("128.0.0.0", "255.255.255.255"),
            std::vector<std::string>{"128.0.0.0/1"});
  EXPECT_EQ(CidrTexts("255.255.255.255", "255.255.255.255"),
            std::vector<std::string>{"255.255.255.255/32"});
  EXPECT_EQ(CidrTexts("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            std::vector<std::string>{"::/0"});
  EXPECT_EQ(CidrTexts("fd00::", "fd00::1:ffff"),
            (std::vector<std::string>{"fd00::/111"}));
  EXPECT_EQ(CidrTexts("::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").size(),
            128u);
}

}  // namespace
}  // namespace netpol
