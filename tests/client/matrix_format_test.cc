#include "client/netpolctl/matrix_format.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace netpol::netpolctl {
namespace {

// web/frontend may reach db/pg; nothing else but loopback is allowed.
ReachabilityMatrix TwoPods() {
  ReachabilityMatrix matrix;
  matrix.port = 5432;
  matrix.protocol = Protocol::kTcp;
  matrix.pods = {{"db", "pg"}, {"web", "frontend"}};
  matrix.allowed = {{true, false}, {true, true}};
  return matrix;
}

TEST(MatrixFormatTest, ParsesFormatNames) {
  EXPECT_EQ(ParseMatrixFormat("table"), MatrixFormat::kTable);
  EXPECT_EQ(ParseMatrixFormat("csv"), MatrixFormat::kCsv);
  EXPECT_EQ(ParseMatrixFormat("json"), MatrixFormat::kJson);
  EXPECT_EQ(ParseMatrixFormat("md"), MatrixFormat::kMarkdown);
  EXPECT_EQ(ParseMatrixFormat("dot"), MatrixFormat::kDot);
  EXPECT_EQ(ParseMatrixFormat("xml"), std::nullopt);
}

TEST(MatrixFormatTest, Table) {
  EXPECT_EQ(FormatMatrix(TwoPods(), MatrixFormat::kTable),
            "TCP/5432: rows are sources, columns destinations; '.' allowed, "
            "'X' denied\n"
            "              db  web\n"
            "              pg  frontend\n"
            "db/pg         .   X\n"
            "web/frontend  .   .\n");
}

TEST(MatrixFormatTest, Csv) {
  EXPECT_EQ(FormatMatrix(TwoPods(), MatrixFormat::kCsv),
            "src,db/pg,web/frontend\n"
            "db/pg,1,0\n"
            "web/frontend,1,1\n");
}

TEST(MatrixFormatTest, CsvQuotesSpecialCharacters) {
  ReachabilityMatrix matrix;
  matrix.pods = {{"a", "b,\"c\""}};
  matrix.allowed = {{true}};
  EXPECT_EQ(FormatMatrix(matrix, MatrixFormat::kCsv),
            "src,\"a/b,\"\"c\"\"\"\n\"a/b,\"\"c\"\"\",1\n");
}

TEST(MatrixFormatTest, Json) {
  EXPECT_EQ(FormatMatrix(TwoPods(), MatrixFormat::kJson),
            R"({"port":5432,"protocol":"TCP","pods":["db/pg","web/frontend"],)"
            R"("allowed":[[true,false],[true,true]]})"
            "\n");
}

TEST(MatrixFormatTest, Markdown) {
  EXPECT_EQ(FormatMatrix(TwoPods(), MatrixFormat::kMarkdown),
            "Reachability on TCP/5432 (rows: sources, columns: "
            "destinations)\n\n"
            "| src \\ dst | db/pg | web/frontend |\n"
            "| --- | --- | --- |\n"
            "| db/pg | allow | deny |\n"
            "| web/frontend | allow | allow |\n");
}

TEST(MatrixFormatTest, Dot) {
  EXPECT_EQ(FormatMatrix(TwoPods(), MatrixFormat::kDot),
            "digraph netpol {\n"
            "  label=\"TCP/5432: allowed connections\";\n"
            "  node [shape=box];\n"
            "  subgraph \"cluster_db\" {\n"
            "    label=\"db\";\n"
            "    \"db/pg\" [label=\"pg\"];\n"
            "  }\n"
            "  subgraph \"cluster_web\" {\n"
            "    label=\"web\";\n"
            "    \"web/frontend\" [label=\"frontend\"];\n"
            "  }\n"
            "  \"web/frontend\" -> \"db/pg\";\n"
            "}\n");
}

}  // namespace
}  // namespace netpol::netpolctl
