// Recommendations (one action per change, tied to its findings) and good
// practice.
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

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

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
  EXPECT_THAT(r.good_practice(), ::testing::Not(Contains(HasSubstr("MX host"))));

  // Testing: the enforce action already says when to read the reports.
  v1::DomainReport t = Served(v1::POLICY_MODE_TESTING, 86400, {"mx1.example.com"},
                              {{"mx1.example.com", "mx1.example.com"}});
  Aggregate(&t, kCheckOrder);
  EXPECT_THAT(t.good_practice(), ::testing::Not(Contains(HasSubstr("TLS reports"))));

  // Nothing published: no maintenance advice at all.
  v1::DomainReport a = MakeReport({TxtMissing()});
  AddMx(&a, "mx.example.com");
  Aggregate(&a, kCheckOrder);
  EXPECT_THAT(a.good_practice(), IsEmpty());
}

}  // namespace
}  // namespace mtasts::checks::scoring
