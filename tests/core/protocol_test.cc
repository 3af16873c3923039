#include "core/protocol.h"

#include <optional>

#include "gtest/gtest.h"

namespace netpol {
namespace {

TEST(ProtocolTest, NamesUseKubernetesSpelling) {
  EXPECT_EQ(ProtocolName(Protocol::kTcp), "TCP");
  EXPECT_EQ(ProtocolName(Protocol::kUdp), "UDP");
  EXPECT_EQ(ProtocolName(Protocol::kSctp), "SCTP");
}

TEST(ProtocolTest, ParsesExactSpelling) {
  EXPECT_EQ(ParseProtocol("TCP"), Protocol::kTcp);
  EXPECT_EQ(ParseProtocol("UDP"), Protocol::kUdp);
  EXPECT_EQ(ParseProtocol("SCTP"), Protocol::kSctp);
}

TEST(ProtocolTest, RejectsOtherSpellings) {
  for (std::string_view bad : {"", "tcp", "Tcp", "udp", "sctp", "ICMP", "TCP ",
                               " TCP", "TCPX", "6", "ALL", "icmp"}) {
    EXPECT_EQ(ParseProtocol(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ProtocolTest, RoundTripsAndIsDense) {
  for (int i = 0; i < kProtocolCount; ++i) {
    Protocol p = static_cast<Protocol>(i);
    EXPECT_EQ(ParseProtocol(ProtocolName(p)), p);
  }
  EXPECT_EQ(kProtocolCount, 3);
}

}  // namespace
}  // namespace netpol
