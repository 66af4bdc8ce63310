// The report's summary sentences.
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

using ::testing::HasSubstr;
using ::testing::Not;

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

}  // namespace
}  // namespace mtasts::checks::scoring
