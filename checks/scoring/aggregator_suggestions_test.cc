// The suggested policy and TXT record, and the notes explaining them.
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
    EXPECT_THAT(r.suggested_policy(), ::testing::Not(HasSubstr("\r"))) << c.name;
    EXPECT_THAT(r.suggested_policy(), ::testing::Not(HasSubstr("*"))) << c.name;
    EXPECT_EQ(r.suggested_txt(), "v=STSv1; id=20240301120000") << c.name;
    EXPECT_THAT(r.suggestion_notes(), ::testing::Contains(HasSubstr("No policy is served")))
        << c.name;
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
              ElementsAre(::testing::AllOf(HasSubstr("null MX and accepts no mail"),
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
