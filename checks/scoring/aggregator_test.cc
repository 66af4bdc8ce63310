#include "checks/scoring/aggregator.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::scoring {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// The built-in checks in report order, with their default points.
const std::vector<std::string> kCheckOrder = {"txt",    "policy_fetch", "policy_content", "mx_match",
                                              "mx_tls", "tls_rpt",      "dnssec"};
int DefaultPoints(const std::string& check) {
  if (check == "policy_content") return 35;
  if (check == "txt" || check == "policy_fetch") return 15;
  if (check == "dnssec") return 5;
  return 10;
}

constexpr v1::CheckStatus kPass = v1::CHECK_STATUS_PASS;
constexpr v1::CheckStatus kWarn = v1::CHECK_STATUS_WARN;
constexpr v1::CheckStatus kFail = v1::CHECK_STATUS_FAIL;
constexpr v1::CheckStatus kInconclusive = v1::CHECK_STATUS_INCONCLUSIVE;
constexpr v1::CheckStatus kSkipped = v1::CHECK_STATUS_SKIPPED;
constexpr v1::CheckStatus kNotRun = v1::CHECK_STATUS_NOT_RUN;

v1::Finding MakeF(v1::FindingCode code, v1::Severity severity,
                  std::string title = "", std::string recommendation = "") {
  v1::Finding f;
  f.set_code(code);
  f.set_severity(severity);
  f.set_title(std::move(title));
  f.set_recommendation(std::move(recommendation));
  return f;
}

// A result as the engine would write it: possible = weight for a verdict.
v1::CheckResult MakeCheck(const std::string& name, v1::CheckStatus status,
                          double fraction = 1.0,
                          std::vector<v1::Finding> findings = {}) {
  v1::CheckResult c;
  c.set_check(name);
  c.set_status(status);
  if (status == kPass || status == kWarn || status == kFail) {
    const double weight = DefaultPoints(name);
    c.set_points_possible(weight);
    c.set_points_earned(fraction * weight);
  }
  for (v1::Finding& f : findings) *c.add_findings() = std::move(f);
  return c;
}

v1::DomainReport MakeReport(std::vector<v1::CheckResult> checks) {
  v1::DomainReport r;
  r.set_domain("example.com");
  r.set_unicode_domain("example.com");
  for (v1::CheckResult& c : checks) *r.add_checks() = std::move(c);
  r.mutable_checked_at()->set_seconds(1709294400);  // 2024-03-01 12:00:00 UTC
  return r;
}

v1::CheckResult TxtMissing() {
  return MakeCheck("txt", kFail, 0,
                   {MakeF(v1::TXT_MISSING, v1::SEVERITY_MEDIUM,
                          "No MTA-STS TXT record", "Publish MTA-STS.")});
}

void SetPolicy(v1::DomainReport* r, v1::PolicyMode mode, bool valid = true) {
  r->mutable_evidence()->mutable_policy()->set_valid(valid);
  r->mutable_evidence()->mutable_policy()->set_mode(mode);
}

void AddMx(v1::DomainReport* r, const std::string& name) {
  r->mutable_evidence()->set_mx_kind(v1::MX_KIND_HOSTS);
  r->mutable_evidence()->add_mx_hosts()->set_name(name);
}

// A valid TXT, a valid policy in `mode`, everything else passing.
v1::DomainReport Published(v1::PolicyMode mode) {
  v1::DomainReport r = MakeReport({
      MakeCheck("txt", kPass), MakeCheck("policy_fetch", kPass),
      MakeCheck("policy_content", kPass), MakeCheck("mx_match", kPass),
      MakeCheck("mx_tls", kPass), MakeCheck("tls_rpt", kPass),
      MakeCheck("dnssec", kPass)});
  SetPolicy(&r, mode);
  r.mutable_evidence()->mutable_tls_rpt()->set_valid(true);
  AddMx(&r, "mx1.example.com");
  return r;
}

int CountSentences(const std::string& text) {
  int n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '.' && text[i + 1] == ' ') ++n;
  }
  return text.empty() ? 0 : n + (text.back() == '.' ? 1 : 0);
}

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

// --- State ------------------------------------------------------------------

TEST(StateOfTest, EveryRule) {
  struct Case {
    const char* name;
    std::vector<v1::CheckResult> checks;
    v1::PolicyMode mode;  // evidence.policy.mode
    bool policy_valid;
    v1::MtaStsState state;
  };
  const v1::CheckResult txt_pass = MakeCheck("txt", kPass);
  const std::vector<Case> cases = {
      {"TXT_MISSING is absent", {TxtMissing()}, v1::POLICY_MODE_UNSPECIFIED,
       false, v1::MTA_STS_STATE_ABSENT},
      {"TXT_MISSING wins over a failed policy",
       {TxtMissing(), MakeCheck("policy_fetch", kFail, 0)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_ABSENT},
      {"TXT_MISSING wins over a valid policy",
       {TxtMissing(), MakeCheck("policy_content", kPass)}, v1::POLICY_MODE_ENFORCE,
       true, v1::MTA_STS_STATE_ABSENT},
      {"a name too long for _mta-sts is absent, not broken",
       {MakeCheck("txt", kFail, 0,
                  {MakeF(v1::TXT_NAME_TOO_LONG, v1::SEVERITY_MEDIUM)})},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_ABSENT},
      {"two STS records are broken",
       {MakeCheck("txt", kFail, 0,
                  {MakeF(v1::TXT_MULTIPLE_RECORDS, v1::SEVERITY_HIGH)})},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_BROKEN},
      {"TXT SERVFAIL is broken",
       {MakeCheck("txt", kFail, 0,
                  {MakeF(v1::TXT_LOOKUP_FAILED, v1::SEVERITY_HIGH)})},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_BROKEN},
      {"txt fail beats a valid policy",
       {MakeCheck("txt", kFail, 0), MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_ENFORCE, true, v1::MTA_STS_STATE_BROKEN},
      {"policy fetch failed",
       {txt_pass, MakeCheck("policy_fetch", kFail, 0)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_BROKEN},
      {"policy content failed",
       {txt_pass, MakeCheck("policy_fetch", kPass),
        MakeCheck("policy_content", kFail, 0)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_BROKEN},
      {"policy failed while txt not run",
       {MakeCheck("policy_fetch", kFail, 0)}, v1::POLICY_MODE_UNSPECIFIED,
       false, v1::MTA_STS_STATE_BROKEN},
      {"enforce",
       {txt_pass, MakeCheck("policy_fetch", kPass),
        MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_ENFORCE, true, v1::MTA_STS_STATE_ENFORCED},
      {"testing, with warnings",
       {MakeCheck("txt", kWarn), MakeCheck("policy_fetch", kWarn),
        MakeCheck("policy_content", kWarn)},
       v1::POLICY_MODE_TESTING, true, v1::MTA_STS_STATE_TESTING},
      {"none",
       {txt_pass, MakeCheck("policy_fetch", kPass),
        MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_NONE, true, v1::MTA_STS_STATE_DISABLED},
      {"enforce with an MX outside the policy is still enforced",
       {txt_pass, MakeCheck("policy_content", kPass),
        MakeCheck("mx_match", kFail, 0)},
       v1::POLICY_MODE_ENFORCE, true, v1::MTA_STS_STATE_ENFORCED},
      {"txt passed, no policy check built yet",
       {txt_pass, MakeCheck("tls_rpt", kPass)}, v1::POLICY_MODE_UNSPECIFIED,
       false, v1::MTA_STS_STATE_UNDETERMINED},
      {"txt passed, policy inconclusive",
       {txt_pass, MakeCheck("policy_fetch", kInconclusive),
        MakeCheck("policy_content", kSkipped)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_UNDETERMINED},
      {"policy_content passed but evidence says invalid",
       {txt_pass, MakeCheck("policy_content", kPass)}, v1::POLICY_MODE_ENFORCE,
       false, v1::MTA_STS_STATE_UNDETERMINED},
      {"valid policy without a mode",
       {txt_pass, MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_UNSPECIFIED, true, v1::MTA_STS_STATE_UNDETERMINED},
      {"txt not run", {MakeCheck("tls_rpt", kPass)}, v1::POLICY_MODE_UNSPECIFIED,
       false, v1::MTA_STS_STATE_UNDETERMINED},
      {"txt explicitly NOT_RUN",
       {MakeCheck("txt", kNotRun)}, v1::POLICY_MODE_UNSPECIFIED, false,
       v1::MTA_STS_STATE_UNDETERMINED},
      {"txt inconclusive", {MakeCheck("txt", kInconclusive)},
       v1::POLICY_MODE_UNSPECIFIED, false, v1::MTA_STS_STATE_UNDETERMINED},
      {"txt not run, valid enforce policy: not verified end to end",
       {MakeCheck("policy_fetch", kPass), MakeCheck("policy_content", kPass)},
       v1::POLICY_MODE_ENFORCE, true, v1::MTA_STS_STATE_UNDETERMINED},
  };
  for (const Case& c : cases) {
    v1::DomainReport r = MakeReport(c.checks);
    SetPolicy(&r, c.mode, c.policy_valid);
    EXPECT_EQ(StateOf(r), c.state) << c.name;
    Aggregate(&r, kCheckOrder);
    EXPECT_EQ(r.state(), c.state) << c.name;
  }
}

// --- Summary ----------------------------------------------------------------

TEST(SummaryTest, StateSentencePerState) {
  struct Case {
    const char* name;
    v1::DomainReport report;
    std::string phrase;
  };
  v1::DomainReport absent = MakeReport({TxtMissing()});
  v1::DomainReport absent_null = absent;
  absent_null.mutable_evidence()->set_mx_kind(v1::MX_KIND_NULL);
  v1::DomainReport broken =
      MakeReport({MakeCheck("txt", kPass), MakeCheck("policy_fetch", kFail, 0)});
  v1::DomainReport undetermined = MakeReport({MakeCheck("txt", kPass)});
  v1::DomainReport txt_inconclusive = MakeReport({MakeCheck("txt", kInconclusive)});
  const std::vector<Case> cases = {
      {"enforced", Published(v1::POLICY_MODE_ENFORCE),
       "example.com enforces MTA-STS"},
      {"testing", Published(v1::POLICY_MODE_TESTING),
       "example.com publishes MTA-STS in testing mode"},
      {"disabled", Published(v1::POLICY_MODE_NONE),
       "in mode none, which switches MTA-STS off"},
      {"absent", absent,
       "does not publish MTA-STS (no v=STSv1 TXT record at _mta-sts.example.com)"},
      {"absent, null MX", absent_null, "needs none: its null MX record"},
      {"broken", broken,
       "The MTA-STS setup of example.com is broken: senders cannot use what is "
       "published (policy_fetch failed)"},
      {"undetermined", undetermined,
       "publishes a valid MTA-STS TXT record, but its policy was not checked in "
       "this run, so its mode (enforce, testing or none) is unknown"},
      {"txt inconclusive", txt_inconclusive,
       "The MTA-STS state of example.com is unknown: its _mta-sts TXT record "
       "could not be checked"},
  };
  for (Case c : cases) {
    Aggregate(&c.report, kCheckOrder);
    EXPECT_THAT(c.report.summary(), HasSubstr(c.phrase)) << c.name;
    const int n = CountSentences(c.report.summary());
    EXPECT_GE(n, 2) << c.name << ": " << c.report.summary();
    EXPECT_LE(n, 5) << c.name << ": " << c.report.summary();
  }
}

TEST(SummaryTest, ResultsSentenceGroupsChecksByOutcome) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kPass), MakeCheck("mx_match", kPass),
       MakeCheck("policy_fetch", kWarn, 0.5), MakeCheck("tls_rpt", kFail, 0)});
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.summary(),
              HasSubstr("It scores 65/100 (grade C): txt and mx_match passed; "
                        "policy_fetch passed with warnings; tls_rpt failed."));
}

TEST(SummaryTest, NamesEveryCheckNotRun) {
  v1::DomainReport r =
      MakeReport({MakeCheck("txt", kPass), MakeCheck("tls_rpt", kPass)});
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.summary(),
              HasSubstr("This is a partial report: policy_fetch, policy_content, "
                        "mx_match, mx_tls and dnssec were not run"));
}

TEST(SummaryTest, SingleCheckNotRun) {
  v1::DomainReport r = Published(v1::POLICY_MODE_ENFORCE);
  r.mutable_checks(6)->set_status(kNotRun);
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.summary(), HasSubstr("dnssec was not run"));
}

TEST(SummaryTest, FullRunDoesNotClaimPartial) {
  v1::DomainReport r = Published(v1::POLICY_MODE_ENFORCE);
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.summary(), Not(HasSubstr("not run")));
  EXPECT_THAT(r.summary(), Not(HasSubstr("Left out")));
  EXPECT_THAT(r.summary(), HasSubstr("It scores 100/100 (grade A)"));
}

TEST(SummaryTest, SeveralInconclusiveAndSkipped) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kPass), MakeCheck("mx_tls", kInconclusive),
       MakeCheck("dnssec", kInconclusive), MakeCheck("mx_match", kSkipped)});
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.summary(),
              HasSubstr("Left out of the score: mx_tls and dnssec were "
                        "inconclusive"));
  EXPECT_THAT(r.summary(), HasSubstr("mx_match did not apply to this domain"));
  EXPECT_LE(CountSentences(r.summary()), 5) << r.summary();
}

TEST(SummaryTest, MostSeriousProblem) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kWarn, 0.8,
                 {MakeF(v1::TXT_UNKNOWN_FIELD, v1::SEVERITY_LOW, "Unknown field")}),
       MakeCheck("tls_rpt", kFail, 0,
                 {MakeF(v1::TLSRPT_RUA_NO_SCHEME, v1::SEVERITY_HIGH,
                        "An rua URI has no scheme.")}),
       MakeCheck("dnssec", kFail, 0,
                 {MakeF(v1::FINDING_CODE_UNSPECIFIED, v1::SEVERITY_HIGH,
                        "Later check, same severity")})});
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.summary(), HasSubstr("The most serious problem (high, in "
                                     "tls_rpt): An rua URI has no scheme."));
  EXPECT_THAT(r.summary(), Not(HasSubstr("Unknown field")));
}

TEST(SummaryTest, UnicodeDomainIsShownWithItsALabel) {
  v1::DomainReport r = MakeReport({TxtMissing()});
  r.set_domain("xn--bcher-kva.example");
  r.set_unicode_domain("bücher.example");
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.summary(), HasSubstr("bücher.example (xn--bcher-kva.example) "
                                     "does not publish MTA-STS"));
  EXPECT_THAT(r.summary(), HasSubstr("_mta-sts.xn--bcher-kva.example"));
}

// --- Recommendations --------------------------------------------------------

TEST(RecommendationsTest, SeverityThenCheckOrderThenDedup) {
  v1::DomainReport r = MakeReport({
      MakeCheck("txt", kWarn, 0.5,
                {MakeF(v1::TXT_UNKNOWN_FIELD, v1::SEVERITY_LOW, "", "txt low"),
                 MakeF(v1::TXT_ID_INVALID, v1::SEVERITY_HIGH, "", "txt high"),
                 MakeF(v1::TXT_VALID, v1::SEVERITY_INFO, "", "")}),
      MakeCheck("tls_rpt", kFail, 0,
                {MakeF(v1::TLSRPT_RUA_NO_SCHEME, v1::SEVERITY_CRITICAL, "",
                       "tls_rpt critical"),
                 MakeF(v1::TLSRPT_RUA_REPEATED, v1::SEVERITY_HIGH, "",
                       "  txt high "),  // same text as txt's: once
                 MakeF(v1::TLSRPT_UNKNOWN_FIELD, v1::SEVERITY_LOW, "",
                       "tls_rpt low")}),
      MakeCheck("mx_match", kWarn, 0.5,
                {MakeF(v1::FINDING_CODE_UNSPECIFIED, v1::SEVERITY_HIGH, "",
                       "mx_match high"),
                 MakeF(v1::FINDING_CODE_UNSPECIFIED, v1::SEVERITY_MEDIUM, "",
                       "mx_match medium")}),
  });
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.recommendations(),
              ElementsAre("tls_rpt critical", "txt high", "mx_match high",
                          "mx_match medium", "txt low", "tls_rpt low"));
}

TEST(SummaryTest, MostSeriousProblemMayBeDomainWide) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kFail, 0,
                 {MakeF(v1::TXT_ID_INVALID, v1::SEVERITY_HIGH, "Bad id")})});
  *r.add_domain_findings() = MakeF(v1::MX_TARGET_IS_CNAME, v1::SEVERITY_HIGH,
                                   "An MX record names an alias.");
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.summary(), HasSubstr("The most serious problem (high, "
                                     "domain-wide): An MX record names an alias."));
}

TEST(RecommendationsTest, DomainFindingsComeFirstAtEqualSeverity) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kFail, 0,
                 {MakeF(v1::TXT_ID_INVALID, v1::SEVERITY_HIGH, "", "txt high")})});
  *r.add_domain_findings() = MakeF(v1::MX_TARGET_IS_CNAME, v1::SEVERITY_HIGH,
                                   "An MX record names an alias", "mx high");
  *r.add_domain_findings() =
      MakeF(v1::DOMAIN_NOT_FOUND, v1::SEVERITY_CRITICAL, "", "mx critical");
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.recommendations(), ElementsAre("mx critical", "mx high", "txt high"));
}

// Each action's codes, in order.
std::vector<std::vector<v1::FindingCode>> Resolves(const v1::DomainReport& r) {
  std::vector<std::vector<v1::FindingCode>> out;
  for (const v1::Recommendation& a : r.actions()) {
    std::vector<v1::FindingCode> codes;
    for (int c : a.resolves()) codes.push_back(static_cast<v1::FindingCode>(c));
    out.push_back(codes);
  }
  return out;
}

// What every report must satisfy: recommendations mirror the actions, no
// two actions alike, each tied to findings of the report, most severe first,
// good practice distinct from the actions and each once.
void ExpectActionable(const v1::DomainReport& r) {
  ASSERT_EQ(r.recommendations_size(), r.actions_size());
  std::set<v1::FindingCode> present;
  std::map<v1::FindingCode, v1::Severity> worst;
  const auto note = [&](const v1::Finding& f) {
    present.insert(f.code());
    worst[f.code()] = std::max(worst[f.code()], f.severity());
  };
  for (const v1::Finding& f : r.domain_findings()) note(f);
  for (const v1::CheckResult& c : r.checks()) {
    for (const v1::Finding& f : c.findings()) note(f);
  }
  std::set<std::string> seen;
  for (int i = 0; i < r.actions_size(); ++i) {
    const v1::Recommendation& a = r.actions(i);
    EXPECT_EQ(r.recommendations(i), a.action());
    EXPECT_TRUE(seen.insert(a.action()).second) << "twice: " << a.action();
    ASSERT_GT(a.resolves_size(), 0) << a.action();
    v1::Severity most = v1::SEVERITY_UNSPECIFIED;
    for (int c : a.resolves()) {
      const auto code = static_cast<v1::FindingCode>(c);
      EXPECT_TRUE(present.count(code)) << v1::FindingCode_Name(code) << " not in the report";
      most = std::max(most, worst[code]);
    }
    EXPECT_EQ(a.priority(), most) << a.action();
    if (i > 0) EXPECT_LE(a.priority(), r.actions(i - 1).priority()) << a.action();
  }
  std::set<std::string> practice;
  for (const std::string& g : r.good_practice()) {
    EXPECT_TRUE(practice.insert(g).second) << "twice: " << g;
    EXPECT_FALSE(seen.count(g)) << g;
  }
}

TEST(RecommendationsTest, AbsentIsOneDeploymentAction) {
  v1::DomainReport r = MakeReport({TxtMissing()});
  AddMx(&r, "mx.example.com");
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  ASSERT_EQ(r.actions_size(), 1);
  EXPECT_THAT(r.actions(0).action(),
              AllOf(HasSubstr("publish the suggested policy at "
                              "https://mta-sts.example.com/.well-known/mta-sts.txt"),
                    HasSubstr("then the suggested TXT record at _mta-sts.example.com")));
  EXPECT_THAT(Resolves(r), ElementsAre(ElementsAre(v1::TXT_MISSING)));
  EXPECT_EQ(r.suggested_policy(),
            "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n");
  EXPECT_THAT(r.good_practice(), IsEmpty());
}

TEST(RecommendationsTest, AbsentWithoutPolicyHostFoldsTheFetchIntoDeployment) {
  // What no-txt.test reported as three ways of saying "publish the policy,
  // then the TXT record": one action resolving all of them.
  v1::DomainReport r = MakeReport(
      {TxtMissing(),
       MakeCheck("policy_fetch", kFail, 0,
                 {MakeF(v1::POLICY_HOST_NOT_FOUND, v1::SEVERITY_HIGH, "",
                        "Publish an A record for mta-sts.<domain>.")}),
       MakeCheck("policy_content", kFail, 0,
                 {MakeF(v1::POLICY_UNAVAILABLE, v1::SEVERITY_INFO, "",
                        "Fix the policy fetch first.")})});
  AddMx(&r, "mx.example.com");
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  ASSERT_EQ(r.actions_size(), 1);
  EXPECT_THAT(r.actions(0).action(), HasSubstr("To deploy MTA-STS"));
  EXPECT_EQ(r.actions(0).priority(), v1::SEVERITY_HIGH);
  EXPECT_THAT(Resolves(r), ElementsAre(ElementsAre(v1::POLICY_HOST_NOT_FOUND, v1::TXT_MISSING)));
}

TEST(RecommendationsTest, AbsentWithPolicyServedAsksOnlyForTheTxtRecord) {
  v1::DomainReport r = MakeReport(
      {TxtMissing(), MakeCheck("policy_fetch", kPass), MakeCheck("policy_content", kPass),
       MakeCheck("mx_match", kPass)});
  SetPolicy(&r, v1::POLICY_MODE_ENFORCE);
  r.mutable_evidence()->mutable_policy()->set_max_age(604800);
  r.mutable_evidence()->mutable_policy()->add_mx("mx.example.com");
  AddMx(&r, "mx.example.com");
  r.mutable_evidence()->mutable_mx_hosts(0)->set_matched_pattern("mx.example.com");
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  ASSERT_EQ(r.actions_size(), 1);
  EXPECT_THAT(r.actions(0).action(),
              HasSubstr("Publish the suggested TXT record at _mta-sts.example.com"));
  // The domain finding the aggregator adds is the same change.
  EXPECT_THAT(Resolves(r), ElementsAre(ElementsAre(v1::POLICY_WITHOUT_TXT, v1::TXT_MISSING)));
  EXPECT_EQ(r.suggested_policy(), "");
  EXPECT_EQ(r.suggested_txt(), "v=STSv1; id=20240301120000");
  EXPECT_THAT(r.suggestion_notes(), ElementsAre(HasSubstr("already is what we would suggest")));
}

TEST(RecommendationsTest, PolicyWithoutTxtJoinsTheTxtFix) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kFail, 0,
                 {MakeF(v1::TXT_MULTIPLE_RECORDS, v1::SEVERITY_HIGH, "", "Keep one record.")}),
       MakeCheck("policy_fetch", kPass)});
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  EXPECT_THAT(r.recommendations(), ElementsAre("Keep one record."));
  EXPECT_THAT(Resolves(r),
              ElementsAre(ElementsAre(v1::TXT_MULTIPLE_RECORDS, v1::POLICY_WITHOUT_TXT)));
}

TEST(RecommendationsTest, InvalidPolicyIsOneReplacement) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kPass), MakeCheck("policy_fetch", kPass),
       MakeCheck("policy_content", kFail, 0,
                 {MakeF(v1::POLICY_MX_TRAILING_DOT, v1::SEVERITY_HIGH,
                        "An mx pattern ends with a dot", "Drop the dot."),
                  MakeF(v1::POLICY_MODE_INVALID, v1::SEVERITY_HIGH, "The mode is not valid.",
                        "Write enforce in lower case.")})});
  SetPolicy(&r, v1::POLICY_MODE_UNSPECIFIED, /*valid=*/false);
  AddMx(&r, "mx.example.com");
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  ASSERT_EQ(r.actions_size(), 1);
  EXPECT_THAT(r.actions(0).action(),
              HasSubstr("with the suggested policy, which fixes what makes it invalid (an mx "
                        "pattern ends with a dot; the mode is not valid)"));
  EXPECT_THAT(Resolves(r),
              ElementsAre(ElementsAre(v1::POLICY_MX_TRAILING_DOT, v1::POLICY_MODE_INVALID)));
  EXPECT_NE(r.suggested_policy(), "");
}

TEST(RecommendationsTest, NameTooLongGetsNoAdviceToPublish) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kFail, 0,
                 {MakeF(v1::TXT_NAME_TOO_LONG, v1::SEVERITY_MEDIUM, "",
                        "Use DANE.")})});
  AddMx(&r, "mx.example.com");
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.state(), v1::MTA_STS_STATE_ABSENT);
  ASSERT_EQ(r.recommendations_size(), 1);
  EXPECT_EQ(r.recommendations(0), "Use DANE.");
  EXPECT_EQ(r.suggested_policy(), "");
  EXPECT_EQ(r.suggested_txt(), "");
}

TEST(RecommendationsTest, AbsentWithNullMxRecommendsNothing) {
  // Not even the findings' advice to publish MTA-STS or TLS-RPT.
  v1::DomainReport r = MakeReport(
      {TxtMissing(),
       MakeCheck("tls_rpt", kFail, 0,
                 {MakeF(v1::TLSRPT_MISSING, v1::SEVERITY_MEDIUM, "",
                        "Publish TLS-RPT.")})});
  r.mutable_evidence()->set_mx_kind(v1::MX_KIND_NULL);
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.recommendations(), IsEmpty());
  EXPECT_THAT(r.actions(), IsEmpty());
}

TEST(RecommendationsTest, TestingWithoutTlsRptIsTwoActionsEachOnce) {
  v1::DomainReport r = Published(v1::POLICY_MODE_TESTING);
  *r.mutable_checks(2) = MakeCheck(
      "policy_content", kWarn, 15.0 / 35,
      {MakeF(v1::POLICY_TESTING_MODE, v1::SEVERITY_MEDIUM, "", "Roll out in stages.")});
  *r.mutable_checks(5) = MakeCheck(
      "tls_rpt", kFail, 0,
      {MakeF(v1::TLSRPT_MISSING, v1::SEVERITY_MEDIUM, "", "Publish TLS-RPT.")});
  r.mutable_evidence()->mutable_tls_rpt()->set_valid(false);
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  ASSERT_EQ(r.actions_size(), 2);
  // MEDIUM both: policy_content before tls_rpt.
  EXPECT_THAT(r.actions(0).action(), HasSubstr("switch the policy to `mode: enforce`"));
  EXPECT_THAT(r.actions(1).action(),
              AllOf(HasSubstr("`_smtp._tls.example.com. 3600 IN TXT"),
                    HasSubstr("would fail under enforce")));
  EXPECT_THAT(Resolves(r), ElementsAre(ElementsAre(v1::POLICY_TESTING_MODE),
                                       ElementsAre(v1::TLSRPT_MISSING)));
}

TEST(RecommendationsTest, EnforcedWithEverythingRightNeedsNothing) {
  v1::DomainReport r = Published(v1::POLICY_MODE_ENFORCE);
  r.mutable_checks(0)->add_findings()->CopyFrom(
      MakeF(v1::TXT_VALID, v1::SEVERITY_INFO, "", "Change the id with every edit."));
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.recommendations(), IsEmpty());
  EXPECT_THAT(r.actions(), IsEmpty());
}

TEST(RecommendationsTest, InfoFindingsAreNoActions) {
  v1::DomainReport r = Published(v1::POLICY_MODE_ENFORCE);
  *r.mutable_checks(5) = MakeCheck(
      "tls_rpt", kPass, 1,
      {MakeF(v1::TLSRPT_RUA_DUPLICATE_URI, v1::SEVERITY_INFO, "", "List each once.")});
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.actions(), IsEmpty());
}

TEST(RecommendationsTest, ChecksWithoutAVerdictAskNothingOfTheDomain) {
  v1::DomainReport r = Published(v1::POLICY_MODE_ENFORCE);
  *r.mutable_checks(6) = MakeCheck(
      "dnssec", kInconclusive, 0,
      {MakeF(v1::DNSSEC_VALIDATOR_UNAVAILABLE, v1::SEVERITY_MEDIUM, "",
             "Nothing to change on the domain. Whoever runs the checker: allow DNS.")});
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.actions(), IsEmpty());
}

TEST(RecommendationsTest, SameChangeOnSeveralHostsIsOneActionNamingThem) {
  v1::DomainReport r = Published(v1::POLICY_MODE_ENFORCE);
  v1::Finding a = MakeF(v1::MX_TLS_CERT_EXPIRED, v1::SEVERITY_CRITICAL, "", "Renew it.");
  a.set_subject("mx1.example.com");
  v1::Finding b = a;
  b.set_subject("mx2.example.com");
  *r.mutable_checks(4) = MakeCheck("mx_tls", kFail, 0, {a, b});
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  EXPECT_THAT(r.recommendations(),
              ElementsAre("On mx1.example.com and mx2.example.com: Renew it."));
}

TEST(RecommendationsTest, LookupFailuresAreOneDnsAction) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kFail, 0,
                 {MakeF(v1::TXT_LOOKUP_FAILED, v1::SEVERITY_HIGH, "", "Fix the name servers.")}),
       MakeCheck("tls_rpt", kFail, 0,
                 {MakeF(v1::TLSRPT_LOOKUP_FAILED, v1::SEVERITY_HIGH, "", "Fix them too.")})});
  r.mutable_checks(0)->mutable_findings(0)->set_subject("_mta-sts.example.com");
  r.mutable_checks(1)->mutable_findings(0)->set_subject("_smtp._tls.example.com");
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  ASSERT_EQ(r.actions_size(), 1);
  EXPECT_THAT(r.actions(0).action(),
              HasSubstr("for _mta-sts.example.com and _smtp._tls.example.com"));
  EXPECT_THAT(Resolves(r),
              ElementsAre(ElementsAre(v1::TXT_LOOKUP_FAILED, v1::TLSRPT_LOOKUP_FAILED)));
}

TEST(RecommendationsTest, BogusDnssecExplainsTheLookupFailures) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("txt", kFail, 0,
                 {MakeF(v1::TXT_LOOKUP_FAILED, v1::SEVERITY_HIGH, "", "Fix the name servers.")}),
       MakeCheck("dnssec", kFail, 0,
                 {MakeF(v1::DNSSEC_BOGUS, v1::SEVERITY_HIGH, "", "Re-sign the zone.")})});
  *r.add_domain_findings() =
      MakeF(v1::MX_LOOKUP_FAILED, v1::SEVERITY_HIGH, "", "Fix the name servers.");
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  ASSERT_EQ(r.actions_size(), 1);
  EXPECT_THAT(r.actions(0).action(), HasSubstr("Fix the DNSSEC signatures of example.com"));
  EXPECT_THAT(Resolves(r), ElementsAre(ElementsAre(v1::MX_LOOKUP_FAILED, v1::TXT_LOOKUP_FAILED,
                                                   v1::DNSSEC_BOGUS)));
}

TEST(RecommendationsTest, FindingTextsNameTheCheckedDomain) {
  v1::DomainReport r = MakeReport(
      {MakeCheck("policy_fetch", kFail, 0,
                 {MakeF(v1::POLICY_HTTP_NOT_FOUND, v1::SEVERITY_HIGH,
                        "No file on mta-sts.<domain>",
                        "Publish it at https://mta-sts.<domain>/.well-known/mta-sts.txt.")})});
  r.set_domain("shop.test");
  Aggregate(&r, kCheckOrder);
  const v1::Finding& f = r.checks(1).findings(0);
  EXPECT_EQ(f.title(), "No file on mta-sts.shop.test");
  EXPECT_EQ(f.recommendation(), "Publish it at https://mta-sts.shop.test/.well-known/mta-sts.txt.");
  EXPECT_THAT(r.recommendations(), ElementsAre(f.recommendation()));
}

TEST(RecommendationsTest, DisabledWithNullMxSaysFinishTheWithdrawal) {
  v1::DomainReport r = Published(v1::POLICY_MODE_NONE);
  r.mutable_evidence()->mutable_policy()->set_max_age(86400);
  r.mutable_evidence()->clear_mx_hosts();
  r.mutable_evidence()->set_mx_kind(v1::MX_KIND_NULL);
  *r.add_domain_findings() = MakeF(v1::MX_NULL, v1::SEVERITY_INFO, "", "Nothing to do.");
  *r.mutable_checks(2) = MakeCheck(
      "policy_content", kWarn, 0,
      {MakeF(v1::POLICY_NONE_MODE, v1::SEVERITY_MEDIUM, "", "Withdraw or roll out.")});
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  EXPECT_THAT(r.recommendations(),
              ElementsAre(AllOf(HasSubstr("null MX and accepts no mail"),
                                HasSubstr("keep the mode none policy"))));
  EXPECT_THAT(Resolves(r), ElementsAre(ElementsAre(v1::POLICY_NONE_MODE, v1::MX_NULL)));
  // Mode none is already served: nothing new to publish.
  EXPECT_EQ(r.suggested_policy(), "");
}

TEST(RecommendationsTest, DisabledExplainsWithdrawal) {
  v1::DomainReport r = Published(v1::POLICY_MODE_NONE);
  *r.mutable_checks(2) = MakeCheck(
      "policy_content", kWarn, 0,
      {MakeF(v1::POLICY_NONE_MODE, v1::SEVERITY_MEDIUM, "", "Withdraw or roll out.")});
  Aggregate(&r, kCheckOrder);
  ASSERT_EQ(r.recommendations_size(), 1);
  EXPECT_THAT(r.recommendations(0), HasSubstr("RFC 8461 §8.3"));
}

// A valid TXT and a valid policy as served, matched against `hosts` (each
// host matched by the pattern given, or by none when "").
v1::DomainReport Served(v1::PolicyMode mode, int64_t max_age, std::vector<std::string> patterns,
                        std::vector<std::pair<std::string, std::string>> hosts) {
  v1::DomainReport r = Published(mode);
  r.mutable_evidence()->clear_mx_hosts();
  r.mutable_evidence()->mutable_policy()->set_max_age(max_age);
  for (const std::string& p : patterns) r.mutable_evidence()->mutable_policy()->add_mx(p);
  for (const auto& [host, pattern] : hosts) {
    AddMx(&r, host);
    auto* mx = r.mutable_evidence()->mutable_mx_hosts(r.evidence().mx_hosts_size() - 1);
    mx->set_matched_pattern(pattern);
  }
  r.mutable_evidence()->set_sts_id("2024a");
  r.mutable_evidence()->mutable_policy()->set_http_status(200);
  r.mutable_evidence()->mutable_policy()->set_body("as served");
  return r;
}

// --- Good practice ----------------------------------------------------------

TEST(GoodPracticeTest, OnlyWhereItApplies) {
  // Enforce, exact host names, TLS-RPT valid: all three, once each.
  v1::DomainReport r = Served(v1::POLICY_MODE_ENFORCE, 604800, {"mx1.example.com"},
                              {{"mx1.example.com", "mx1.example.com"}});
  r.mutable_evidence()->mutable_tls_rpt()->add_rua("mailto:tlsrpt@example.com");
  Aggregate(&r, kCheckOrder);
  ExpectActionable(r);
  EXPECT_THAT(r.good_practice(),
              ElementsAre(HasSubstr("Change the id at _mta-sts.example.com"),
                          HasSubstr("Before you add or rename an MX host"),
                          HasSubstr("mailto:tlsrpt@example.com")));

  // A wildcard pattern covers new hosts below it: no MX-change advice.
  r.mutable_evidence()->mutable_policy()->set_mx(0, "*.example.com");
  r.mutable_evidence()->mutable_mx_hosts(0)->set_matched_pattern("*.example.com");
  Aggregate(&r, kCheckOrder);
  EXPECT_THAT(r.good_practice(), Contains(HasSubstr("Change the id")));
  EXPECT_THAT(r.good_practice(), Not(Contains(HasSubstr("MX host"))));

  // Testing: the enforce action already says when to read the reports.
  v1::DomainReport t = Served(v1::POLICY_MODE_TESTING, 86400, {"mx1.example.com"},
                              {{"mx1.example.com", "mx1.example.com"}});
  Aggregate(&t, kCheckOrder);
  EXPECT_THAT(t.good_practice(), Not(Contains(HasSubstr("TLS reports"))));

  // Nothing published: no maintenance advice at all.
  v1::DomainReport a = MakeReport({TxtMissing()});
  AddMx(&a, "mx.example.com");
  Aggregate(&a, kCheckOrder);
  EXPECT_THAT(a.good_practice(), IsEmpty());
}

// --- Suggested policy and TXT -------------------------------------------------

TEST(SuggestionsTest, NothingWhenTheServedPolicyIsAlreadyRight) {
  for (v1::PolicyMode mode : {v1::POLICY_MODE_ENFORCE, v1::POLICY_MODE_TESTING}) {
    v1::DomainReport r = Served(mode, 1209600, {"*.example.com"},
                                {{"mx1.example.com", "*.example.com"}});
    Aggregate(&r, kCheckOrder);
    EXPECT_EQ(r.suggested_policy(), "") << mode;
    EXPECT_EQ(r.suggested_txt(), "") << mode;
    EXPECT_THAT(r.suggestion_notes(), ElementsAre(HasSubstr("already are what we would suggest")));
  }
}

TEST(SuggestionsTest, ChangesOnlyWhatFindingsAskForAndExplainsEachLine) {
  // mx2 unmatched, old.example.net stale, enforce max_age too short: the
  // wildcard stays, enforce stays.
  v1::DomainReport r = Served(v1::POLICY_MODE_ENFORCE, 3600, {"*.example.com", "old.example.net"},
                              {{"mx1.example.com", "*.example.com"}, {"mx2.example.org", ""}});
  r.mutable_checks(3)->set_status(kFail);
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_policy(),
            "version: STSv1\nmode: enforce\nmx: *.example.com\nmx: mx2.example.org\n"
            "max_age: 604800\n");
  EXPECT_EQ(r.suggested_txt(), "v=STSv1; id=20240301120000");
  EXPECT_THAT(r.suggestion_notes(),
              ElementsAre(HasSubstr("`mx: old.example.net` removed"),
                          HasSubstr("`mx: mx2.example.org` added"),
                          HasSubstr("max_age: 604800 (was 3600)"),
                          HasSubstr("new id")));
}

TEST(SuggestionsTest, NeverWeakensTheServedMode) {
  // Even an invalid enforce policy keeps enforce in the suggestion.
  v1::DomainReport r = MakeReport({MakeCheck("txt", kPass)});
  SetPolicy(&r, v1::POLICY_MODE_ENFORCE, /*valid=*/false);
  AddMx(&r, "mx.example.com");
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_policy(),
            "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800\n");
}

TEST(SuggestionsTest, NewPolicyPerMxSet) {
  struct Case {
    const char* name;
    std::vector<std::string> mx;
    std::string policy;
  };
  const std::vector<Case> cases = {
      {"no policy starts in testing", {"mx.example.com"},
       "version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 86400\n"},
      {"hosts deduplicated, lower-cased, no trailing dot, preference order",
       {"MX2.Example.COM.", "mx1.example.com", "mx2.example.com", ""},
       "version: STSv1\nmode: testing\nmx: mx2.example.com\n"
       "mx: mx1.example.com\nmax_age: 86400\n"},
      {"shared parent: each host listed, no wildcard invented",
       {"mx1.mail.example.com", "mx2.mail.example.com", "mx3.mail.example.com"},
       "version: STSv1\nmode: testing\nmx: mx1.mail.example.com\n"
       "mx: mx2.mail.example.com\nmx: mx3.mail.example.com\nmax_age: 86400\n"},
  };
  for (const Case& c : cases) {
    v1::DomainReport r = MakeReport({TxtMissing()});
    for (const std::string& mx : c.mx) AddMx(&r, mx);
    Aggregate(&r, kCheckOrder);
    EXPECT_EQ(r.suggested_policy(), c.policy) << c.name;
    EXPECT_THAT(r.suggested_policy(), Not(HasSubstr("\r"))) << c.name;
    EXPECT_THAT(r.suggested_policy(), Not(HasSubstr("*"))) << c.name;
    EXPECT_EQ(r.suggested_txt(), "v=STSv1; id=20240301120000") << c.name;
    EXPECT_THAT(r.suggestion_notes(), Contains(HasSubstr("No policy is served"))) << c.name;
  }
}

TEST(SuggestionsTest, BrokenTxtAloneKeepsTheIdWhenThePolicyIsRight) {
  v1::DomainReport r = Served(v1::POLICY_MODE_ENFORCE, 604800, {"mx1.example.com"},
                              {{"mx1.example.com", "mx1.example.com"}});
  *r.mutable_checks(0) = MakeCheck(
      "txt", kWarn, 0.5,
      {MakeF(v1::TXT_VERSION_SPACE_BEFORE_SEMICOLON, v1::SEVERITY_MEDIUM, "", "No space.")});
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_policy(), "");
  EXPECT_EQ(r.suggested_txt(), "v=STSv1; id=2024a");
}

TEST(SuggestionsTest, NoMxHostsSuggestsModeNone) {
  v1::DomainReport r = MakeReport({TxtMissing()});
  r.mutable_evidence()->set_mx_kind(v1::MX_KIND_NONE);
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_policy(), "version: STSv1\nmode: none\nmax_age: 86400\n");
  EXPECT_EQ(r.suggested_txt(), "v=STSv1; id=20240301120000");
}

TEST(SuggestionsTest, NullMxWithMtaStsPublishedSuggestsWithdrawal) {
  v1::DomainReport r = Published(v1::POLICY_MODE_ENFORCE);
  r.mutable_evidence()->clear_mx_hosts();
  r.mutable_evidence()->set_mx_kind(v1::MX_KIND_NULL);
  *r.add_domain_findings() = MakeF(v1::MX_NULL, v1::SEVERITY_INFO, "", "Nothing to do.");
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_policy(), "version: STSv1\nmode: none\nmax_age: 86400\n");
  EXPECT_EQ(r.suggested_txt(), "v=STSv1; id=20240301120000");
  EXPECT_THAT(r.recommendations(),
              ElementsAre(AllOf(HasSubstr("null MX and accepts no mail"),
                                HasSubstr("(as suggested)"))));
}

TEST(SuggestionsTest, NullMxWithNothingPublishedSuggestsNothing) {
  v1::DomainReport r = MakeReport({TxtMissing()});
  r.mutable_evidence()->set_mx_kind(v1::MX_KIND_NULL);
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_policy(), "");
  EXPECT_EQ(r.suggested_txt(), "");
  EXPECT_THAT(r.suggestion_notes(), ElementsAre(HasSubstr("accepts no mail")));
}

TEST(SuggestionsTest, MxUnknownSuggestsNothingAndSaysWhy) {
  v1::DomainReport r = MakeReport({TxtMissing()});  // no MX evidence
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_policy(), "");
  EXPECT_EQ(r.suggested_txt(), "");
  EXPECT_THAT(r.suggestion_notes(), ElementsAre(HasSubstr("could not be determined")));
}

TEST(SuggestionsTest, TxtIdIsUtcAndFresh) {
  v1::DomainReport r = MakeReport({TxtMissing()});
  AddMx(&r, "mx.example.com");
  r.mutable_checked_at()->set_seconds(1735689599);  // 2024-12-31 23:59:59 UTC
  r.mutable_checked_at()->set_nanos(999999999);
  r.mutable_evidence()->set_sts_id("2024a");  // the current id is never reused
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_txt(), "v=STSv1; id=20241231235959");

  r.mutable_evidence()->set_sts_id("20241231235959");  // ours, same second
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_txt(), "v=STSv1; id=202412312359591");
}

TEST(SuggestionsTest, NoCheckedAtNoTxt) {
  v1::DomainReport r = MakeReport({TxtMissing()});
  AddMx(&r, "mx.example.com");
  r.clear_checked_at();
  Aggregate(&r, kCheckOrder);
  EXPECT_EQ(r.suggested_txt(), "");
}

}  // namespace
}  // namespace mtasts::checks::scoring
