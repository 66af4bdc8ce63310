// Reports a domain owner can act on in one read, through the real server on
// representative domains (correct enforce, testing, expired MX certificate,
// no TXT record, broken policy, DNSSEC bogus): no two actions alike, each tied
// to findings of the report and most severe first, no name the checks did
// not see, general advice at most once, suggestions only when something
// should change, and plain `text/plain` costing nothing.
#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/report.pb.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/signed_zones.h"
#include "tests/fakes/test_certs.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Every text of the report a reader sees.
std::vector<std::string> Texts(const v1::DomainReport& r) {
  std::vector<std::string> out = {r.summary(), r.suggested_policy(), r.suggested_txt()};
  for (const auto& s : r.recommendations()) out.push_back(s);
  for (const auto& a : r.actions()) out.push_back(a.action());
  for (const auto& s : r.good_practice()) out.push_back(s);
  for (const auto& s : r.suggestion_notes()) out.push_back(s);
  const auto finding = [&](const v1::Finding& f) {
    out.insert(out.end(), {f.title(), f.detail(), f.recommendation(), f.subject()});
  };
  for (const auto& f : r.domain_findings()) finding(f);
  for (const auto& c : r.checks()) {
    out.push_back(c.summary());
    for (const auto& f : c.findings()) finding(f);
  }
  return out;
}

// Host-name-like tokens: dot-separated labels whose last label starts with a
// letter and has two or more characters (so "e.g", "TLSv1.3" and "RFC 8461
// §3.2" are not names); file names (mta-sts.txt, fullchain.pem) are not.
std::vector<std::string> NamesIn(const std::string& text) {
  static const std::regex kToken(R"([A-Za-z0-9_*-]+(\.[A-Za-z0-9_*-]+)+)");
  std::vector<std::string> names;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kToken);
       it != std::sregex_iterator(); ++it) {
    std::string name = absl::AsciiStrToLower(it->str());
    const std::string last = name.substr(name.rfind('.') + 1);
    if (last.size() < 2 || !absl::ascii_isalpha(last[0])) continue;
    if (last == "txt" || last == "pem") continue;
    // Patterns: what the wildcard stands for is not a name.
    if (size_t star = name.rfind("*."); star != std::string::npos) name = name.substr(star + 2);
    names.push_back(name);
  }
  return names;
}

// The invariants of issue 14 on one report.
void ExpectActionable(const v1::DomainReport& r) {
  SCOPED_TRACE(r.domain());
  // Recommendations mirror the actions; no two actions alike.
  ASSERT_EQ(r.recommendations_size(), r.actions_size());
  std::map<v1::FindingCode, v1::Severity> present;
  const auto note = [&](const v1::Finding& f) {
    present[f.code()] = std::max(present[f.code()], f.severity());
  };
  for (const auto& f : r.domain_findings()) note(f);
  for (const auto& c : r.checks()) {
    for (const auto& f : c.findings()) note(f);
  }
  std::set<std::string> actions;
  for (int i = 0; i < r.actions_size(); ++i) {
    const v1::Recommendation& a = r.actions(i);
    EXPECT_EQ(r.recommendations(i), a.action());
    EXPECT_TRUE(actions.insert(a.action()).second) << "twice: " << a.action();
    // Tied to at least one finding of this report; priority its severity.
    ASSERT_GT(a.resolves_size(), 0) << a.action();
    v1::Severity most = v1::SEVERITY_UNSPECIFIED;
    for (int c : a.resolves()) {
      auto it = present.find(static_cast<v1::FindingCode>(c));
      ASSERT_NE(it, present.end()) << v1::FindingCode_Name(c) << " is not in the report";
      most = std::max(most, it->second);
    }
    EXPECT_EQ(a.priority(), most) << a.action();
    if (i > 0) {
      EXPECT_LE(a.priority(), r.actions(i - 1).priority()) << "out of order: " << a.action();
    }
  }
  // No name but the domain's (and names under it) or one the checks saw.
  const std::string seen = absl::AsciiStrToLower(r.evidence().DebugString());
  for (const std::string& text : Texts(r)) {
    for (const std::string& name : NamesIn(text)) {
      const bool ok = name == r.domain() || absl::EndsWith(name, "." + r.domain()) ||
                      absl::StrContains(seen, name);
      EXPECT_TRUE(ok) << "\"" << name << "\" in: " << text;
    }
  }
  // General advice at most once in the whole report.
  for (const char* advice :
       {"every edit", "every time you edit", "when you edit the policy", "add or rename an mx host",
        "read the tls reports"}) {
    int count = 0;
    for (const std::string& text : Texts(r)) {
      count += absl::StrContains(absl::AsciiStrToLower(text), advice) ? 1 : 0;
    }
    EXPECT_LE(count, 1) << advice;
  }
  std::set<std::string> practice(r.good_practice().begin(), r.good_practice().end());
  EXPECT_EQ(practice.size(), static_cast<size_t>(r.good_practice_size()));
}

std::set<v1::FindingCode> AllCodes(const v1::DomainReport& r) {
  std::set<v1::FindingCode> out = DomainCodeSet(r);
  for (const auto& c : r.checks()) {
    for (auto code : CodeSet(c)) out.insert(code);
  }
  return out;
}

// Every check but dnssec (which needs signed zones; the bogus case has them).
v1::CheckOptions WithoutDnssec() {
  v1::CheckOptions o;
  for (const char* c : {"txt", "policy_fetch", "policy_content", "mx_match", "mx_tls", "tls_rpt"}) {
    o.add_checks(c);
  }
  return o;
}

class RecommendationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto smtp = fakes::FakeSmtpServer::Start({"127.0.0.2", "127.0.0.3", "127.0.0.4"});
    ASSERT_TRUE(smtp.ok()) << smtp.status();
    smtp_ = std::move(*smtp);
    LabOptions o;
    o.smtp_port = smtp_->port();
    lab_ = TestLab::Start(o);
    ASSERT_NE(lab_, nullptr);
  }

  // d with one MX host mx.d at `address`, STARTTLS with a certificate for it
  // (expired when asked), TLS-RPT, and `policy` served as `content_type`
  // (no policy host when empty), announced by a TXT record when `txt`.
  void Publish(const std::string& d, const std::string& address, const std::string& policy,
               bool txt = true, bool expired_mx_cert = false,
               const std::string& content_type = "text/plain") {
    const std::string mx = "mx." + d;
    lab_->dns().Mx(d, {{10, mx}});
    lab_->dns().A(mx, {address});
    lab_->dns().NoData(mx, DnsType::kAaaa);
    fakes::CertSpec spec = fakes::CertSpec::ForHosts({mx});
    auto cert = lab_->ca().Issue(expired_mx_cert ? spec.Expired() : spec);
    ASSERT_TRUE(cert.ok()) << cert.status();
    ASSERT_TRUE(smtp_->SetScript(address, fakes::FakeSmtpScript::Good(*cert)).ok());
    if (txt) lab_->dns().Txt("_mta-sts." + d, {{"v=STSv1; id=20261129"}});
    lab_->dns().Txt("_smtp._tls." + d, {{"v=TLSRPTv1; rua=mailto:tlsrpt@" + d}});
    if (!policy.empty()) {
      lab_->PublishPolicy(d, policy);
      fakes::FakeHttpResponse r = fakes::FakeHttpResponse::Text(policy);
      r.headers = {{"Content-Type", content_type}};
      lab_->ServePolicy(d, r);
    }
  }

  v1::DomainReport Check(const std::string& d) {
    auto report = lab_->Check(d, WithoutDnssec());
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : v1::DomainReport();
  }

  std::unique_ptr<fakes::FakeSmtpServer> smtp_;
  std::unique_ptr<TestLab> lab_;
};

std::string Enforce(const std::string& d) {
  return absl::StrCat("version: STSv1\nmode: enforce\nmx: mx.", d, "\nmax_age: 1209600\n");
}

TEST_F(RecommendationsTest, CorrectEnforceWithPlainTextPlainScores100AndNeedsNothing) {
  const std::string d = "enforce.test";
  Publish(d, "127.0.0.2", Enforce(d));
  v1::DomainReport r = Check(d);
  ExpectActionable(r);
  EXPECT_EQ(r.score(), 100) << r.summary();
  EXPECT_EQ(r.state(), v1::MTA_STS_STATE_ENFORCED);
  EXPECT_EQ(ResultOf(r, "policy_fetch").status(), v1::CHECK_STATUS_PASS);
  EXPECT_FALSE(AllCodes(r).count(v1::POLICY_CONTENT_TYPE_NO_CHARSET));
  EXPECT_THAT(r.actions(), IsEmpty());
  EXPECT_THAT(r.recommendations(), IsEmpty());
  // Nothing to publish, and the report says so instead.
  EXPECT_EQ(r.suggested_policy(), "");
  EXPECT_EQ(r.suggested_txt(), "");
  EXPECT_THAT(r.suggestion_notes(), ElementsAre(HasSubstr("already are what we would suggest")));
  // The maintenance advice, once each: the policy lists an exact host name.
  EXPECT_THAT(r.good_practice(),
              ElementsAre(HasSubstr("Change the id at _mta-sts.enforce.test"),
                          HasSubstr("Before you add or rename an MX host"),
                          HasSubstr("mailto:tlsrpt@enforce.test")));
}

TEST_F(RecommendationsTest, TestingModeIsOneStepToEnforce) {
  const std::string d = "testing.test";
  Publish(d, "127.0.0.3",
          absl::StrCat("version: STSv1\nmode: testing\nmx: mx.", d, "\nmax_age: 86400\n"));
  v1::DomainReport r = Check(d);
  ExpectActionable(r);
  EXPECT_EQ(r.state(), v1::MTA_STS_STATE_TESTING);
  ASSERT_EQ(r.actions_size(), 1) << absl::StrJoin(r.recommendations(), "\n");
  EXPECT_THAT(r.actions(0).action(), HasSubstr("switch the policy to `mode: enforce`"));
  EXPECT_THAT(r.actions(0).resolves(), ElementsAre(v1::POLICY_TESTING_MODE));
  // Testing is what it serves: no suggestion to weaken or repeat it.
  EXPECT_EQ(r.suggested_policy(), "");
  EXPECT_THAT(r.good_practice(), ::testing::Not(Contains(HasSubstr("TLS reports"))));
}

TEST_F(RecommendationsTest, ExpiredMxCertificateComesFirst) {
  const std::string d = "expired-mx.test";
  Publish(d, "127.0.0.4",
          absl::StrCat("version: STSv1\nmode: testing\nmx: mx.", d, "\nmax_age: 86400\n"),
          /*txt=*/true, /*expired_mx_cert=*/true);
  v1::DomainReport r = Check(d);
  ExpectActionable(r);
  ASSERT_EQ(r.actions_size(), 2) << absl::StrJoin(r.recommendations(), "\n");
  EXPECT_THAT(r.actions(0).resolves(), Contains(v1::MX_TLS_CERT_EXPIRED));
  EXPECT_THAT(r.actions(0).action(), HasSubstr("On mx.expired-mx.test: "));
  EXPECT_THAT(r.actions(1).resolves(), ElementsAre(v1::POLICY_TESTING_MODE));
}

TEST_F(RecommendationsTest, NoTxtNoPolicyIsOneDeploymentAction) {
  const std::string d = "no-txt.test";
  Publish(d, "127.0.0.2", "", /*txt=*/false);
  v1::DomainReport r = Check(d);
  ExpectActionable(r);
  EXPECT_EQ(r.state(), v1::MTA_STS_STATE_ABSENT);
  ASSERT_EQ(r.actions_size(), 1) << absl::StrJoin(r.recommendations(), "\n");
  EXPECT_THAT(r.actions(0).action(),
              ::testing::AllOf(HasSubstr("https://mta-sts.no-txt.test/.well-known/mta-sts.txt"),
                               HasSubstr("_mta-sts.no-txt.test")));
  EXPECT_THAT(r.actions(0).resolves(), Contains(v1::TXT_MISSING));
  EXPECT_EQ(r.suggested_policy(),
            "version: STSv1\nmode: testing\nmx: mx.no-txt.test\nmax_age: 86400\n");
  EXPECT_THAT(r.suggested_txt(), HasSubstr("v=STSv1; id="));
  EXPECT_THAT(r.good_practice(), IsEmpty());
}

TEST_F(RecommendationsTest, NoTxtWithPolicyServedAsksOnlyForTheRecord) {
  const std::string d = "no-txt-policy.test";
  Publish(d, "127.0.0.2", Enforce(d), /*txt=*/false);
  v1::DomainReport r = Check(d);
  ExpectActionable(r);
  ASSERT_EQ(r.actions_size(), 1) << absl::StrJoin(r.recommendations(), "\n");
  EXPECT_THAT(r.actions(0).action(), HasSubstr("Publish the suggested TXT record"));
  EXPECT_EQ(r.suggested_policy(), "");
  EXPECT_THAT(r.suggested_txt(), HasSubstr("v=STSv1; id="));
}

TEST_F(RecommendationsTest, BrokenPolicyGetsAFixedSuggestionThatKeepsEnforce) {
  const std::string d = "broken.test";
  Publish(d, "127.0.0.2",
          absl::StrCat("version: STSv1\nmode: enforce\nmx: mx.", d, ".\nmax_age: 1209600\n"));
  v1::DomainReport r = Check(d);
  ExpectActionable(r);
  EXPECT_EQ(r.state(), v1::MTA_STS_STATE_BROKEN);
  ASSERT_EQ(r.actions_size(), 1) << absl::StrJoin(r.recommendations(), "\n");
  EXPECT_THAT(r.actions(0).resolves(), Contains(v1::POLICY_MX_TRAILING_DOT));
  EXPECT_THAT(r.actions(0).action(),
              ::testing::AllOf(HasSubstr("with the suggested policy"),
                               HasSubstr("ends with a dot")));
  EXPECT_EQ(r.suggested_policy(),
            "version: STSv1\nmode: enforce\nmx: mx.broken.test\nmax_age: 604800\n");
  EXPECT_THAT(r.suggestion_notes(), Contains(HasSubstr("not valid")));
}

TEST(RecommendationsDnssecTest, BogusZoneIsOneDnssecAction) {
  auto zones = fakes::SignedZones::Start({});
  if (zones.status().code() == absl::StatusCode::kUnavailable) {
    MTASTS_SKIP_OR_FAIL_IN_CI(zones.status().ToString());
  }
  ASSERT_TRUE(zones.ok()) << zones.status();
  LabOptions o;
  o.trust_anchor_file = (*zones)->trust_anchor_file();
  o.dnssec_forwarder = (*zones)->forwarder();
  auto lab = TestLab::Start(o);
  ASSERT_NE(lab, nullptr);
  const std::string d = "bogus.test";
  lab->dns().Mx(d, {{20, "mx." + d}});
  lab->dns().A("mx." + d, {"127.0.0.1"});
  lab->dns().NoData("mx." + d, DnsType::kAaaa);
  lab->dns().Txt("_mta-sts." + d, {{"v=STSv1; id=20261129"}});
  lab->dns().Txt("_smtp._tls." + d, {{"v=TLSRPTv1; rua=mailto:tlsrpt@" + d}});
  lab->PublishPolicy(d, Enforce(d));
  v1::CheckOptions options;
  for (const char* c : {"txt", "policy_fetch", "policy_content", "mx_match", "tls_rpt", "dnssec"}) {
    options.add_checks(c);
  }
  auto report = lab->Check(d, options);
  ASSERT_TRUE(report.ok()) << report.status();
  ExpectActionable(*report);
  ASSERT_GE(report->actions_size(), 1);
  EXPECT_THAT(report->actions(0).resolves(), Contains(v1::DNSSEC_BOGUS));
  EXPECT_THAT(report->actions(0).action(), HasSubstr("Fix the DNSSEC signatures of bogus.test"));
  int dnssec_actions = 0;
  for (const auto& a : report->actions()) {
    dnssec_actions += absl::StrContains(a.action(), "DNSSEC") ? 1 : 0;
  }
  EXPECT_EQ(dnssec_actions, 1);
}

}  // namespace
}  // namespace mtasts::testing
