#include "core/label_selector.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace netpol {
namespace {

SelectorRequirement Req(std::string key, SelectorOperator op,
                        std::vector<std::string> values = {}) {
  return SelectorRequirement{std::move(key), op, std::move(values)};
}

LabelSelector Expr(SelectorRequirement req) {
  LabelSelector s;
  s.expressions.push_back(std::move(req));
  return s;
}

const Labels kNone = {};
const Labels kFrontend = {{"tier", "frontend"}};
const Labels kBackend = {{"tier", "backend"}};
const Labels kEmptyTier = {{"tier", ""}};
const Labels kOther = {{"app", "web"}};

TEST(LabelSelectorTest, EmptySelectorMatchesEverything) {
  LabelSelector s;
  EXPECT_TRUE(s.empty());
  EXPECT_TRUE(s.Matches(kNone));
  EXPECT_TRUE(s.Matches(kFrontend));
  EXPECT_TRUE(s.Matches({{"a", "b"}, {"c", "d"}}));
  EXPECT_EQ(s.ToString(), "{}");
}

TEST(LabelSelectorTest, MatchLabelsNeedsExactKeyAndValue) {
  LabelSelector s;
  s.match_labels = {{"tier", "frontend"}};
  EXPECT_FALSE(s.empty());
  EXPECT_TRUE(s.Matches(kFrontend));
  EXPECT_TRUE(s.Matches({{"tier", "frontend"}, {"app", "web"}}));
  EXPECT_FALSE(s.Matches(kBackend));
  EXPECT_FALSE(s.Matches(kNone));
  EXPECT_FALSE(s.Matches(kOther));
  EXPECT_FALSE(s.Matches({{"Tier", "frontend"}}));  // keys are case-sensitive
  EXPECT_FALSE(s.Matches({{"tier", "Frontend"}}));
}

TEST(LabelSelectorTest, MatchLabelsAreAnded) {
  LabelSelector s;
  s.match_labels = {{"tier", "frontend"}, {"app", "web"}};
  EXPECT_TRUE(s.Matches({{"tier", "frontend"}, {"app", "web"}}));
  EXPECT_TRUE(s.Matches({{"tier", "frontend"}, {"app", "web"}, {"x", "y"}}));
  EXPECT_FALSE(s.Matches(kFrontend));
  EXPECT_FALSE(s.Matches(kOther));
}

TEST(LabelSelectorTest, MatchLabelsWithEmptyValue) {
  LabelSelector s;
  s.match_labels = {{"tier", ""}};
  EXPECT_TRUE(s.Matches(kEmptyTier));
  EXPECT_FALSE(s.Matches(kNone));
  EXPECT_FALSE(s.Matches(kFrontend));
}

TEST(LabelSelectorTest, InOperator) {
  LabelSelector s =
      Expr(Req("tier", SelectorOperator::kIn, {"backend", "frontend"}));
  EXPECT_TRUE(s.Matches(kFrontend));
  EXPECT_TRUE(s.Matches(kBackend));
  EXPECT_FALSE(s.Matches(kEmptyTier));
  EXPECT_FALSE(s.Matches(kNone));  // absent key never In
  EXPECT_FALSE(s.Matches({{"tier", "db"}}));
}

TEST(LabelSelectorTest, InWithEmptyStringValue) {
  LabelSelector s = Expr(Req("tier", SelectorOperator::kIn, {""}));
  EXPECT_TRUE(s.Matches(kEmptyTier));
  EXPECT_FALSE(s.Matches(kNone));
  EXPECT_FALSE(s.Matches(kFrontend));
}

TEST(LabelSelectorTest, NotInHoldsWhenKeyAbsent) {
  LabelSelector s = Expr(Req("tier", SelectorOperator::kNotIn, {"frontend"}));
  EXPECT_TRUE(s.Matches(kNone));
  EXPECT_TRUE(s.Matches(kOther));
  EXPECT_TRUE(s.Matches(kBackend));
  EXPECT_TRUE(s.Matches(kEmptyTier));
  EXPECT_FALSE(s.Matches(kFrontend));
}

TEST(LabelSelectorTest, ExistsHoldsForEmptyValue) {
  LabelSelector s = Expr(Req("tier", SelectorOperator::kExists));
  EXPECT_TRUE(s.Matches(kFrontend));
  EXPECT_TRUE(s.Matches(kEmptyTier));
  EXPECT_FALSE(s.Matches(kNone));
  EXPECT_FALSE(s.Matches(kOther));
}

TEST(LabelSelectorTest, DoesNotExistFailsForEmptyValue) {
  LabelSelector s = Expr(Req("tier", SelectorOperator::kDoesNotExist));
  EXPECT_TRUE(s.Matches(kNone));
  EXPECT_TRUE(s.Matches(kOther));
  EXPECT_FALSE(s.Matches(kEmptyTier));
  EXPECT_FALSE(s.Matches(kFrontend));
}

TEST(LabelSelectorTest, ExpressionsAndMatchLabelsAreAnded) {
  LabelSelector s;
  s.match_labels = {{"app", "web"}};
  s.expressions = {Req("tier", SelectorOperator::kNotIn, {"a", "b"}),
                   Req("quarantine", SelectorOperator::kDoesNotExist)};
  EXPECT_TRUE(s.Matches({{"app", "web"}}));
  EXPECT_TRUE(s.Matches({{"app", "web"}, {"tier", "c"}}));
  EXPECT_FALSE(s.Matches({{"app", "web"}, {"tier", "a"}}));
  EXPECT_FALSE(s.Matches({{"app", "web"}, {"quarantine", "true"}}));
  EXPECT_FALSE(s.Matches({{"tier", "c"}}));
}

TEST(LabelSelectorTest, SeveralExpressionsOnOneKey) {
  LabelSelector s;
  s.expressions = {Req("tier", SelectorOperator::kExists),
                   Req("tier", SelectorOperator::kNotIn, {"backend"})};
  EXPECT_TRUE(s.Matches(kFrontend));
  EXPECT_TRUE(s.Matches(kEmptyTier));
  EXPECT_FALSE(s.Matches(kBackend));
  EXPECT_FALSE(s.Matches(kNone));

  LabelSelector contradiction;
  contradiction.expressions = {Req("tier", SelectorOperator::kExists),
                               Req("tier", SelectorOperator::kDoesNotExist)};
  EXPECT_FALSE(contradiction.Matches(kNone));
  EXPECT_FALSE(contradiction.Matches(kFrontend));
}

TEST(LabelSelectorTest, ToStringCanonicalForm) {
  LabelSelector s;
  s.match_labels = {{"app", "db"}};
  s.expressions = {Req("tier", SelectorOperator::kNotIn, {"a", "b"}),
                   Req("quarantine", SelectorOperator::kDoesNotExist)};
  EXPECT_EQ(s.ToString(), "app=db,tier notin (a,b),!quarantine");

  LabelSelector t;
  t.expressions = {Req("env", SelectorOperator::kIn, {"dev", "prod"}),
                   Req("team", SelectorOperator::kExists)};
  EXPECT_EQ(t.ToString(), "env in (dev,prod),team");
}

TEST(LabelSelectorTest, ToStringDistinguishesSelectors) {
  LabelSelector a;
  a.match_labels = {{"app", "web"}};
  LabelSelector b;
  b.match_labels = {{"app", "db"}};
  LabelSelector c = Expr(Req("app", SelectorOperator::kExists));
  EXPECT_NE(a.ToString(), b.ToString());
  EXPECT_NE(a.ToString(), c.ToString());
  EXPECT_NE(LabelSelector().ToString(), c.ToString());
}

}  // namespace
}  // namespace netpol
