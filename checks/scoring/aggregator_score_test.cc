// The aggregator's score and grade, and the shape of the checks list.
#include "checks/scoring/aggregator.h"

#include <string>
#include <vector>

#include "checks/scoring/test_reports.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::scoring {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// --- Grade and score -------------------------------------------------------

TEST(GradeForScoreTest, Boundaries) {
  struct Case {
    int score;
    v1::Grade grade;
  };
  const std::vector<Case> cases = {
      {100, v1::GRADE_A}, {90, v1::GRADE_A}, {89, v1::GRADE_B},
      {75, v1::GRADE_B},  {74, v1::GRADE_C}, {60, v1::GRADE_C},
      {59, v1::GRADE_D},  {40, v1::GRADE_D}, {39, v1::GRADE_F},
      {1, v1::GRADE_F},   {0, v1::GRADE_F}};
  for (const Case& c : cases) {
    EXPECT_EQ(GradeForScore(c.score), c.grade) << c.score;
  }
}

TEST(AggregateScoreTest, RoundingAndGrades) {
  // One unknown-weight check carrying arbitrary points, so the ratio is exact.
  struct Case {
    const char* name;
    double earned;
    double possible;
    int score;
    v1::Grade grade;
  };
  const std::vector<Case> cases = {
      {"full", 100, 100, 100, v1::GRADE_A},
      {"89.5 rounds up to an A", 179, 200, 90, v1::GRADE_A},
      {"89.45 stays a B", 178.9, 200, 89, v1::GRADE_B},
      {"74.5 rounds up to a B", 149, 200, 75, v1::GRADE_B},
      {"74.4 is a C", 148.8, 200, 74, v1::GRADE_C},
      {"59.5 rounds up to a C", 119, 200, 60, v1::GRADE_C},
      {"59.4 is a D", 118.8, 200, 59, v1::GRADE_D},
      {"39.5 rounds up to a D", 79, 200, 40, v1::GRADE_D},
      {"39.4 is an F", 78.8, 200, 39, v1::GRADE_F},
      {"nothing earned", 0, 100, 0, v1::GRADE_F},
      // 0.285 × 10 is 2.8499999999999996 in binary floating point.
      {"float noise below .5 still rounds up", 0.285 * 10, 10, 29, v1::GRADE_F},
      {"earned above possible is capped", 120, 100, 100, v1::GRADE_A},
      {"negative earned counts as 0", -5, 100, 0, v1::GRADE_F},
  };
  for (const Case& c : cases) {
    v1::CheckResult check;
    check.set_check("txt");
    check.set_status(kWarn);
    check.set_points_earned(c.earned);
    check.set_points_possible(c.possible);
    v1::DomainReport r = MakeReport({check});
    Aggregate(&r, kCheckOrder);
    EXPECT_EQ(r.score(), c.score) << c.name;
    EXPECT_EQ(r.grade(), c.grade) << c.name;
  }
}

TEST(AggregateScoreTest, SumsOverChecksWithDefaultWeights) {
  // txt 15 + policy_fetch 15 + policy_content 15 of 35 (testing) + mx_match 10
  // + mx_tls 5 of 10 + tls_rpt 0 of 10 + dnssec 0 of 5 = 60 of 100.
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kPass), MakeCheck("policy_fetch", kPass),
       MakeCheck("policy_content", kWarn, 15.0 / 35),
       MakeCheck("mx_match", kPass), MakeCheck("mx_tls", kWarn, 0.5),
       MakeCheck("tls_rpt", kFail, 0), MakeCheck("dnssec", kFail, 0)});
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.score(), 60);
  EXPECT_EQ(r.grade(), v1::GRADE_C);
}

TEST(AggregateScoreTest, InconclusiveLeavesTheDenominator) {
  // 15 + 15 + 35 earned; mx_tls (10) inconclusive: 65 / 65, not 65 / 75.
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kPass), MakeCheck("policy_fetch", kPass),
       MakeCheck("policy_content", kPass), MakeCheck("mx_tls", kInconclusive)});
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.score(), 100);
  EXPECT_EQ(r.grade(), v1::GRADE_A);
  EXPECT_THAT(r.summary(), HasSubstr("mx_tls was inconclusive"));
  EXPECT_THAT(r.summary(), HasSubstr("Left out of the score"));
}

TEST(AggregateScoreTest, PointsOnChecksWithoutVerdictAreIgnoredAndCleared) {
  v1::DomainReport r = MakeReport({MakeCheck("txt", kPass)});
  for (v1::CheckStatus s : {kInconclusive, kSkipped, kNotRun}) {
    v1::CheckResult* c = r.add_checks();
    c->set_check(s == kInconclusive ? "mx_tls"
                 : s == kSkipped    ? "mx_match"
                                    : "dnssec");
    c->set_status(s);
    c->set_points_possible(10);  // an engine bug: must not count
    c->set_points_earned(0);
  }
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.score(), 100);
  for (const v1::CheckResult& c : r.checks()) {
    if (c.status() == kPass) continue;
    EXPECT_EQ(c.points_possible(), 0) << c.check();
    EXPECT_EQ(c.points_earned(), 0) << c.check();
  }
}

TEST(AggregateScoreTest, AllNotRunScoresZeroAndSaysNothingWasJudged) {
  v1::DomainReport r = MakeReport({});
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.score(), 0);
  EXPECT_EQ(r.grade(), v1::GRADE_F);
  EXPECT_EQ(r.state(), v1::MTA_STS_STATE_UNDETERMINED);
  ASSERT_EQ(r.checks_size(), 7);
  for (const v1::CheckResult& c : r.checks()) EXPECT_EQ(c.status(), kNotRun);
  EXPECT_THAT(r.summary(), HasSubstr("Nothing could be judged"));
  EXPECT_THAT(r.summary(),
              HasSubstr("None of the checks (txt, policy_fetch, policy_content, "
                        "mx_match, mx_tls, tls_rpt and dnssec) was run"));
}

TEST(AggregateScoreTest, OnlyInconclusiveAndSkippedIsNothingJudged) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kInconclusive), MakeCheck("mx_match", kSkipped)});
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.score(), 0);
  EXPECT_EQ(r.grade(), v1::GRADE_F);
  EXPECT_THAT(r.summary(), HasSubstr("Nothing could be judged"));
  EXPECT_THAT(r.summary(), HasSubstr("txt was inconclusive"));
  EXPECT_THAT(r.summary(), HasSubstr("mx_match did not apply"));
}

// --- Shape of the checks list -----------------------------------------------

TEST(AggregateScoreTest, CriticalFindingCapsTheScore) {
  // mx_match 5 of 10 with an unmatched host under enforce: 95 by the
  // weights, but compliant senders refuse that host.
  v1::DomainReport r = Published(v1::POLICY_MODE_ENFORCE);
  for (auto& c : *r.mutable_checks()) {
    if (c.check() != "mx_match") continue;
    c.set_status(kFail);
    c.set_points_earned(5);
    *c.add_findings() = MakeF(v1::MX_MATCH_HOST_UNMATCHED, v1::SEVERITY_CRITICAL);
  }
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.score(), 59);
  EXPECT_EQ(r.grade(), v1::GRADE_D);
  EXPECT_THAT(r.summary(), HasSubstr("capped at 59"));

  // The same points without the critical finding are not capped.
  v1::DomainReport high = Published(v1::POLICY_MODE_ENFORCE);
  for (auto& c : *high.mutable_checks()) {
    if (c.check() == "mx_match") c.set_points_earned(5);
  }
  Aggregate(&high, kCheckOrder);
  EXPECT_EQ(high.score(), 95);
  EXPECT_THAT(high.summary(), Not(HasSubstr("capped")));
}

TEST(AggregateScoreTest, PolicyNotInForceEarnsNoContentPoints) {
  // Served as text/html: strict senders reject it.
  v1::DomainReport html = Published(v1::POLICY_MODE_ENFORCE);
  for (auto& c : *html.mutable_checks()) {
    if (c.check() != "policy_fetch") continue;
    c.set_status(kFail);
    c.set_points_earned(4.5);
    *c.add_findings() = MakeF(v1::POLICY_CONTENT_TYPE_WRONG, v1::SEVERITY_HIGH);
  }
  Aggregate(&html, kCheckOrder);
  for (const auto& c : html.checks()) {
    if (c.check() == "policy_content" || c.check() == "mx_match") {
      EXPECT_EQ(c.points_earned(), 0) << c.check();
      EXPECT_THAT(c.summary(), HasSubstr("text/plain")) << c.check();
      EXPECT_EQ(c.status(), kWarn) << c.check();
    }
  }
  EXPECT_EQ(html.score(), 45);  // 15 + 4.5 + 10 + 10 + 5 = 44.5 of 100, rounded up
  EXPECT_EQ(html.state(), v1::MTA_STS_STATE_BROKEN);

  // Served, but no TXT record announces it.
  v1::DomainReport no_txt = Published(v1::POLICY_MODE_ENFORCE);
  for (auto& c : *no_txt.mutable_checks()) {
    if (c.check() == "txt") c = TxtMissing();
  }
  Aggregate(&no_txt, kCheckOrder);
  bool explained = false;
  for (const auto& f : no_txt.domain_findings()) explained |= f.code() == v1::POLICY_WITHOUT_TXT;
  EXPECT_TRUE(explained);
  EXPECT_EQ(no_txt.score(), 40);  // 15 + 10 + 10 + 5 of 100
}

TEST(AggregateChecksTest, CanonicalOrderMissingAddedUnknownKeptLast) {
  v1::DomainReport r = MakeReport({MakeCheck("tls_rpt", kPass),
                                   MakeCheck("future_check", kPass),
                                   MakeCheck("txt", kPass)});
  r.mutable_checks(1)->set_points_possible(4);
  r.mutable_checks(1)->set_points_earned(4);
  Aggregate(&r, kCheckOrder);
  std::vector<std::string> names;
  for (const v1::CheckResult& c : r.checks()) names.push_back(c.check());
  EXPECT_THAT(names, ElementsAre("txt", "policy_fetch", "policy_content",
                                 "mx_match", "mx_tls", "tls_rpt", "dnssec",
                                 "future_check"));
  EXPECT_EQ(r.checks(1).status(), kNotRun);
  EXPECT_THAT(r.checks(1).summary(), HasSubstr("Not run"));
  EXPECT_EQ(r.score(), 100);
}

TEST(AggregateChecksTest, UnspecifiedStatusBecomesNotRun) {
  v1::DomainReport r = MakeReport({MakeCheck("txt", kPass)});
  v1::CheckResult* c = r.add_checks();
  c->set_check("dnssec");
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.checks(6).status(), kNotRun);
}

TEST(AggregateChecksTest, Idempotent) {
  v1::DomainReport r = Published(v1::POLICY_MODE_TESTING);
  r.mutable_checks(4)->set_status(kInconclusive);
  Aggregate(&r, kCheckOrder);
  v1::DomainReport again = r;
  Aggregate(&again, kCheckOrder);
  EXPECT_EQ(again.SerializeAsString(), r.SerializeAsString());
}

}  // namespace
}  // namespace mtasts::checks::scoring
