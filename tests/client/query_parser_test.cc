#include "client/netpolctl/query_parser.h"

#include <string>
#include <variant>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netpol::netpolctl {
namespace {

using ::testing::HasSubstr;

std::string ParseError(absl::string_view line) {
  QueryParser parser;
  Connection connection;
  absl::Status status = parser.Parse(line, &connection);
  EXPECT_FALSE(status.ok()) << line;
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

TEST(QueryParserTest, ParsesPodsAndDefaultsToTcp) {
  QueryParser parser;
  Connection connection;
  ASSERT_TRUE(
      parser.Parse(R"({"src":"x/a","dst":"y/b","port":80})", &connection).ok());
  EXPECT_EQ(std::get<PodRef>(connection.source), (PodRef{"x", "a"}));
  EXPECT_EQ(std::get<PodRef>(connection.destination), (PodRef{"y", "b"}));
  EXPECT_EQ(connection.port, 80u);
  EXPECT_EQ(connection.protocol, Protocol::kTcp);
}

TEST(QueryParserTest, ParsesIpsAndProtocolInAnyCase) {
  QueryParser parser;
  Connection connection;
  ASSERT_TRUE(parser
                  .Parse(R"({"protocol":"udp","port":53,"dst":"fd00::1",)"
                         R"("src":"10.0.0.7"})",
                         &connection)
                  .ok());
  EXPECT_EQ(std::get<IpAddress>(connection.source),
            *IpAddress::Parse("10.0.0.7"));
  EXPECT_EQ(std::get<IpAddress>(connection.destination),
            *IpAddress::Parse("fd00::1"));
  EXPECT_EQ(connection.port, 53u);
  EXPECT_EQ(connection.protocol, Protocol::kUdp);
  ASSERT_TRUE(
      parser
          .Parse(R"({"src":"x/a","dst":"y/b","port":1,"protocol":"Sctp"})",
                 &connection)
          .ok());
  EXPECT_EQ(connection.protocol, Protocol::kSctp);
}

TEST(QueryParserTest, IgnoresOtherKeysWhateverTheirValue) {
  QueryParser parser;
  Connection connection;
  EXPECT_TRUE(parser
                  .Parse(R"({"allowed":true,"why":{"port":"x","src":[1]},)"
                         R"("src":"x/a","dst":"y/b","port":65535,"n":null})",
                         &connection)
                  .ok());
  EXPECT_EQ(connection.port, 65535u);
}

TEST(QueryParserTest, ReusedParserForgetsThePreviousLine) {
  QueryParser parser;
  Connection connection;
  ASSERT_TRUE(parser
                  .Parse(R"({"src":"x/a","dst":"y/b","port":80,)"
                         R"("protocol":"UDP"})",
                         &connection)
                  .ok());
  EXPECT_THAT(
      std::string(
          parser.Parse(R"({"dst":"y/b","port":80})", &connection).message()),
      HasSubstr("missing \"src\""));
  ASSERT_TRUE(
      parser.Parse(R"({"src":"x/a","dst":"y/b","port":80})", &connection).ok());
  EXPECT_EQ(connection.protocol, Protocol::kTcp);
}

TEST(QueryParserTest, RejectsMalformedLines) {
  EXPECT_EQ(ParseError(""), "empty line");
  EXPECT_EQ(ParseError(" \t"), "empty line");
  EXPECT_THAT(ParseError("not json"), HasSubstr("invalid JSON at byte"));
  EXPECT_THAT(ParseError(R"({"src":"x/a")"), HasSubstr("invalid JSON"));
  EXPECT_THAT(ParseError(R"({"src":"x/a","dst":"y/b","port":80} x)"),
              HasSubstr("invalid JSON"));
  EXPECT_EQ(ParseError("[1,2]"), "expected a JSON object");
  EXPECT_EQ(ParseError("42"), "expected a JSON object");
  EXPECT_EQ(ParseError(R"("x/a")"), "expected a JSON object");
}

TEST(QueryParserTest, RejectsMissingOrIllTypedFields) {
  EXPECT_EQ(ParseError(R"({"dst":"y/b","port":80})"), "missing \"src\"");
  EXPECT_EQ(ParseError(R"({"src":"x/a","port":80})"), "missing \"dst\"");
  EXPECT_EQ(ParseError(R"({"src":"x/a","dst":"y/b"})"), "missing \"port\"");
  EXPECT_EQ(ParseError(R"({"src":"x/a","dst":"y/b","port":"80"})"),
            "\"port\" must be an integer");
  EXPECT_EQ(ParseError(R"({"src":"x/a","dst":"y/b","port":80.5})"),
            "\"port\" must be an integer");
  EXPECT_EQ(ParseError(R"({"src":1,"dst":"y/b","port":80})"),
            "\"src\" must be a string");
  EXPECT_EQ(ParseError(R"({"src":"x/a","dst":{"pod":"b"},"port":80})"),
            "\"dst\" must be a string");
  EXPECT_EQ(
      ParseError(R"({"src":"x/a","dst":"y/b","port":80,"protocol":null})"),
      "\"protocol\" must be a string");
}

TEST(QueryParserTest, RejectsBadValues) {
  for (absl::string_view port : {"0", "-1", "65536", "99999999999999999999"}) {
    EXPECT_EQ(ParseError(absl::StrCat(R"({"src":"x/a","dst":"y/b","port":)",
                                      port, "}")),
              "port must be in 1..65535")
        << port;
  }
  EXPECT_EQ(
      ParseError(R"({"src":"x/a","dst":"y/b","port":80,"protocol":"ICMP"})"),
      "unknown protocol \"ICMP\"; expected TCP, UDP or SCTP");
  EXPECT_THAT(ParseError(R"({"src":"999.1.1.1","dst":"y/b","port":80})"),
              HasSubstr("src \"999.1.1.1\" is neither a pod"));
  EXPECT_THAT(ParseError(R"({"src":"x/a","dst":"nope","port":80})"),
              HasSubstr("dst \"nope\" is neither a pod"));
}

}  // namespace
}  // namespace netpol::netpolctl
