#include "clients/cli/render.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace mtasts::cli {
namespace {

using ::mtasts::v1::DomainReport;
using ::mtasts::v1::FleetError;
using ::mtasts::v1::FleetResult;
using ::mtasts::v1::FleetSummary;
using ::testing::HasSubstr;
using ::testing::Not;

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message))
      << text;
  return message;
}

DomainReport SampleReport() {
  return Parse<DomainReport>(R"pb(
    domain: "xn--bcher-kva.example"
    unicode_domain: "bücher.example"
    score: 62
    grade: GRADE_C
    state: MTA_STS_STATE_TESTING
    checks {
      check: "txt"
      status: CHECK_STATUS_PASS
      points_earned: 10
      points_possible: 10
      duration { nanos: 12000000 }
      findings { code: TXT_VALID severity: SEVERITY_INFO title: "Valid record" }
    }
    checks {
      check: "policy_content"
      status: CHECK_STATUS_WARN
      points_earned: 12.5
      points_possible: 25
      duration { seconds: 1 nanos: 500000000 }
      findings {
        code: TXT_SYNTAX_ERROR
        severity: SEVERITY_HIGH
        title: "Mode is testing"
        detail: "Senders deliver over plain text when TLS fails."
        recommendation: "Switch to mode: enforce."
        subject: "https://mta-sts.xn--bcher-kva.example/.well-known/mta-sts.txt"
      }
      findings {
        code: TXT_UNKNOWN_FIELD
        severity: SEVERITY_LOW
        title: "Short max_age"
        recommendation: "Raise max_age to a week."
      }
    }
    checks { check: "mx_tls" status: CHECK_STATUS_NOT_RUN }
    summary: "The policy is in testing mode."
    recommendations: "Switch to mode: enforce."
    suggested_txt: "v=STSv1; id=20240501T000000;"
    suggested_policy: "version: STSv1\r\nmode: enforce\r\nmx: mx.example\r\nmax_age: 604800\r\n"
    duration { seconds: 2 }
    checked_at { seconds: 1714521600 }
  )pb");
}

TEST(RenderTest, LabelsDropPrefixesAndShowUnknownNumbers) {
  EXPECT_EQ(GradeLabel(mtasts::v1::GRADE_B), "B");
  EXPECT_EQ(StateLabel(mtasts::v1::MTA_STS_STATE_ENFORCED), "ENFORCED");
  EXPECT_EQ(CheckStatusLabel(mtasts::v1::CHECK_STATUS_INCONCLUSIVE),
            "INCONCLUSIVE");
  EXPECT_EQ(SeverityLabel(mtasts::v1::SEVERITY_CRITICAL), "CRITICAL");
  EXPECT_EQ(GradeLabel(42), "42");
  EXPECT_EQ(StatusCodeName(3), "INVALID_ARGUMENT");
  EXPECT_EQ(StatusCodeName(14), "UNAVAILABLE");
  EXPECT_EQ(StatusCodeName(99), "CODE_99");
}

TEST(RenderTest, ReportHasEveryPart) {
  std::string text = RenderReport(SampleReport(), /*color=*/false);
  EXPECT_THAT(text, HasSubstr("xn--bcher-kva.example (bücher.example)"));
  EXPECT_THAT(text, HasSubstr("Score 62/100"));
  EXPECT_THAT(text, HasSubstr("Grade C"));
  EXPECT_THAT(text, HasSubstr("State TESTING"));
  EXPECT_THAT(text, HasSubstr("Checked 2024-05-01 00:00:00 UTC"));
  EXPECT_THAT(text, HasSubstr("PASS"));
  EXPECT_THAT(text, HasSubstr("10/10"));
  EXPECT_THAT(text, HasSubstr("12.5/25"));
  EXPECT_THAT(text, HasSubstr("1500 ms"));
  EXPECT_THAT(text, HasSubstr("[HIGH]"));
  EXPECT_THAT(text, HasSubstr("Mode is testing  TXT_SYNTAX_ERROR"));
  EXPECT_THAT(text, HasSubstr("at https://mta-sts.xn--bcher-kva.example/"));
  EXPECT_THAT(text, HasSubstr("Senders deliver over plain text"));
  EXPECT_THAT(text, HasSubstr("The policy is in testing mode."));
  EXPECT_THAT(text, HasSubstr(" 1. Switch to mode: enforce."));
  EXPECT_THAT(text, HasSubstr("_mta-sts.xn--bcher-kva.example"));
  EXPECT_THAT(text, HasSubstr("  v=STSv1; id=20240501T000000;\n"));
  EXPECT_THAT(text, HasSubstr("  mode: enforce\n"));
  EXPECT_THAT(text, Not(HasSubstr("\r")));
  EXPECT_THAT(text, Not(HasSubstr("\033")));
}

TEST(RenderTest, FindingFixShownOnlyWhenNotInRecommendations) {
  std::string text = RenderReport(SampleReport(), /*color=*/false);
  EXPECT_THAT(text, Not(HasSubstr("Fix: Switch to mode: enforce.")));
  EXPECT_THAT(text, HasSubstr("Fix: Raise max_age to a week."));
}

// A report from a server with `actions`: five of them, good practice and
// the notes about the suggestions.
DomainReport ActionReport() {
  DomainReport r = SampleReport();
  r.clear_recommendations();
  const char* texts[] = {"Renew the certificate.", "Fix the policy.", "Switch to enforce.",
                         "Publish TLS-RPT.", "Remove the stale pattern."};
  const mtasts::v1::Severity severities[] = {
      mtasts::v1::SEVERITY_CRITICAL, mtasts::v1::SEVERITY_HIGH, mtasts::v1::SEVERITY_MEDIUM,
      mtasts::v1::SEVERITY_MEDIUM, mtasts::v1::SEVERITY_LOW};
  for (int i = 0; i < 5; ++i) {
    auto* a = r.add_actions();
    a->set_action(texts[i]);
    a->set_priority(severities[i]);
    a->add_resolves(i == 1 ? mtasts::v1::TXT_SYNTAX_ERROR : mtasts::v1::TLSRPT_MISSING);
    r.add_recommendations(texts[i]);
  }
  r.add_good_practice("Change the id with every edit of the policy.");
  r.add_suggestion_notes("`mx: mx.example` added: it matches no pattern.");
  return r;
}

TEST(RenderTest, WhatToDoComesFirstWithAtMostThreeActions) {
  std::string text = RenderReport(ActionReport(), false);
  const size_t what = text.find("What to do");
  const size_t checks = text.find("Checks");
  ASSERT_NE(what, std::string::npos);
  ASSERT_NE(checks, std::string::npos);
  EXPECT_LT(what, checks);
  EXPECT_LT(what, text.find("Summary"));
  // The three that matter most, with their priority, before the checks.
  EXPECT_LT(text.find(" 1. [CRITICAL] Renew the certificate."), checks);
  EXPECT_LT(text.find(" 2. [HIGH]     Fix the policy."), checks);
  EXPECT_LT(text.find(" 3. [MEDIUM]   Switch to enforce."), checks);
  EXPECT_THAT(text, HasSubstr("(2 more under \"Also to do\")"));
  // The rest after the checks, numbered on.
  const size_t also = text.find("Also to do\n");
  ASSERT_NE(also, std::string::npos);
  EXPECT_GT(also, checks);
  EXPECT_GT(text.find(" 4. [MEDIUM]   Publish TLS-RPT."), also);
  EXPECT_GT(text.find(" 5. [LOW]      Remove the stale pattern."), also);
  EXPECT_EQ(text.find("Renew the certificate."), text.rfind("Renew the certificate."));
}

TEST(RenderTest, FixLineOnlyForFindingsNoActionResolves) {
  std::string text = RenderReport(ActionReport(), false);
  // TXT_SYNTAX_ERROR is resolved by action 2: its own text is not repeated.
  EXPECT_THAT(text, Not(HasSubstr("Fix: Switch to mode: enforce.")));
  EXPECT_THAT(text, HasSubstr("Fix: Raise max_age to a week."));
}

TEST(RenderTest, GoodPracticeAndSuggestionNotesAreShownOnce) {
  std::string text = RenderReport(ActionReport(), false);
  EXPECT_THAT(text, HasSubstr("Good practice\n  - Change the id with every edit of the policy.\n"));
  EXPECT_THAT(text, HasSubstr("Why\n  - `mx: mx.example` added: it matches no pattern.\n"));
  EXPECT_GT(text.find("Good practice"), text.find("Checks"));
}

TEST(RenderTest, NothingToFixSaysSo) {
  DomainReport r = SampleReport();
  r.clear_recommendations();
  r.clear_suggested_policy();
  r.clear_suggested_txt();
  r.add_suggestion_notes("The served policy already is what we would suggest.");
  std::string text = RenderReport(r, false);
  EXPECT_THAT(text, HasSubstr("What to do\n  Nothing to fix.\n"));
  EXPECT_THAT(text, HasSubstr("Suggestions\n  - The served policy already is what we would suggest."));
  EXPECT_THAT(text, Not(HasSubstr("Suggested policy")));
}

TEST(RenderTest, FindingsFollowTheirCheck) {
  std::string text = RenderReport(SampleReport(), /*color=*/false);
  size_t txt = text.find("txt ");
  size_t valid = text.find("Valid record");
  size_t policy = text.find("policy_content");
  size_t testing = text.find("Mode is testing");
  ASSERT_NE(testing, std::string::npos);
  EXPECT_LT(txt, valid);
  EXPECT_LT(valid, policy);
  EXPECT_LT(policy, testing);
}

TEST(RenderTest, LongSummaryIsWrapped) {
  DomainReport report = SampleReport();
  report.set_summary(std::string(30, 'a') + " " + std::string(30, 'b') + " " +
                     std::string(30, 'c'));
  std::string text = RenderReport(report, /*color=*/false);
  EXPECT_THAT(text,
              HasSubstr(std::string(30, 'b') + "\n  " + std::string(30, 'c')));
}

TEST(RenderTest, ColorOnlyWhenAsked) {
  std::string text = RenderReport(SampleReport(), /*color=*/true);
  EXPECT_THAT(text, HasSubstr("\033[33mC\033[0m"));
  EXPECT_THAT(text, HasSubstr("\033[32mPASS"));
}

TEST(RenderTest, FleetLines) {
  auto result = Parse<FleetResult>(R"pb(
    tag: "acme-17"
    report {
      domain: "example.com"
      score: 95
      grade: GRADE_A
      state: MTA_STS_STATE_ENFORCED
    }
  )pb");
  EXPECT_EQ(RenderFleetResult(result, false),
            "A  95  ENFORCED     example.com [acme-17]\n");
  auto error = Parse<FleetError>(
      R"pb(
        tag: "3" domain: "bad..example" code: 3 message: "empty label"
      )pb");
  EXPECT_EQ(RenderFleetError(error, false),
            "-   -  ERROR        bad..example [3] INVALID_ARGUMENT: empty "
            "label\n");
}

TEST(RenderTest, FleetSummary) {
  auto summary = Parse<FleetSummary>(R"pb(
    received: 4
    reported: 3
    errors: 1
    by_grade { grade: GRADE_A count: 2 }
    by_grade { grade: GRADE_F count: 1 }
    by_state { state: MTA_STS_STATE_ENFORCED count: 2 }
    by_state { state: MTA_STS_STATE_ABSENT count: 1 }
    score_histogram: [ 1, 0, 0, 0, 0, 0, 0, 0, 0, 2 ]
    mean_score: 66.666
    slowest {
      domain: "slow.example"
      tag: "9"
      duration { seconds: 3 }
    }
    duration { seconds: 75 }
  )pb");
  std::string text = RenderFleetSummary(summary, false);
  EXPECT_THAT(text, HasSubstr("4 received, 3 reported, 1 errors in 1m15s"));
  EXPECT_THAT(text, HasSubstr("Mean score 66.7"));
  EXPECT_THAT(text, HasSubstr("A 2  F 1"));
  EXPECT_THAT(text, HasSubstr("ENFORCED 2  ABSENT 1"));
  EXPECT_THAT(text, HasSubstr("   0-9      1 " + std::string(20, '#') + "\n"));
  EXPECT_THAT(text, HasSubstr("90-100      2 " + std::string(40, '#') + "\n"));
  EXPECT_THAT(text, HasSubstr("3.0 s  slow.example [9]"));
}

FleetSummary GroupedSummary() {
  return Parse<FleetSummary>(R"pb(
    received: 40
    reported: 40
    groupings {
      kind: FLEET_GROUP_KIND_FINDING_CODE
      groups {
        key: "MX_TLS_CERT_EXPIRED"
        count: 37
        code: MX_TLS_CERT_EXPIRED
        severity: SEVERITY_HIGH
        examples { domain: "a.example" tag: "cust-1" }
        examples { domain: "b.example" }
      }
      groups { key: "TXT_MISSING" count: 1 code: TXT_MISSING severity: SEVERITY_MEDIUM }
      keys_tracked: 5
      keys_not_sent: 3
    }
    groupings {
      kind: FLEET_GROUP_KIND_MX_HOST
      groups {
        key: "mx.provider.example"
        count: 30
        severity: SEVERITY_HIGH
        outcome: "MX_TLS_CERT_EXPIRED"
        outcome_count: 10
        examples { domain: "a.example" tag: "cust-1" }
      }
      groups {
        key: "mx2.provider.example"
        count: 1
        severity: SEVERITY_INFO
        outcome: "ok"
        outcome_count: 1
        examples { domain: "c.example" }
      }
      keys_tracked: 2
      untracked: 12
    }
    groupings {
      kind: FLEET_GROUP_KIND_TLS_RPT_DESTINATION
      groups {
        key: "mailto:\x1b[31mr@p.example\xc2\x9b"
        count: 2
        outcome: "NOT_RUN"
        outcome_count: 2
        examples { domain: "d.example" tag: "t\x07" }
      }
    }
    groupings { kind: 99 groups { key: "from the future" count: 1 } }
  )pb");
}

TEST(RenderTest, FleetGroupsFollowTheSummaryLargestFirst) {
  const std::string text = RenderFleetSummary(GroupedSummary(), false);
  const std::string groups = RenderFleetGroupings(GroupedSummary(), false);
  EXPECT_EQ(groups,
            "  Findings shared\n"
            "    37 domains: MX_TLS_CERT_EXPIRED (HIGH) - e.g. a.example [cust-1], b.example\n"
            "    1 domain: TXT_MISSING (MEDIUM)\n"
            "    and 3 smaller groups\n"
            "  MX hosts\n"
            "    30 domains: mx.provider.example: MX_TLS_CERT_EXPIRED (HIGH) for 10"
            " - e.g. a.example [cust-1]\n"
            "    1 domain: mx2.provider.example: ok - e.g. c.example\n"
            "    and 12 domains not grouped (the server's limit of distinct keys was reached)\n"
            "  TLS-RPT destinations\n"
            "    2 domains: mailto:?[31mr@p.example?: NOT_RUN - e.g. d.example [t?]\n");
  // After the totals, at the end.
  EXPECT_THAT(text, HasSubstr("40 received"));
  ASSERT_GE(text.size(), groups.size());
  EXPECT_EQ(text.substr(text.size() - groups.size()), groups);
  EXPECT_THAT(text, Not(HasSubstr("from the future")));  // an unknown kind is left out
}

TEST(RenderTest, FleetGroupsNeverPassAnEscapeByteFromTheServer) {
  EXPECT_EQ(RenderFleetGroupings(GroupedSummary(), false).find('\033'), std::string::npos);
  // With color, only our own sequences: every ESC starts one of ours.
  const std::string colored = RenderFleetGroupings(GroupedSummary(), true);
  EXPECT_THAT(colored, HasSubstr("(\033[31mHIGH\033[0m)"));
  EXPECT_THAT(colored, Not(HasSubstr("\033[31mr@p")));
}

TEST(RenderTest, NoGroupsNoGroupLines) {
  EXPECT_EQ(RenderFleetGroupings(FleetSummary(), false), "");
}

}  // namespace
}  // namespace mtasts::cli
