// mx_tls through the real gRPC API: MX hosts resolve (fake DNS) to loopback
// addresses where a scripted FakeSmtpServer plays each host, one failure
// mode per test, each asserting the exact findings; then a fleet of domains
// sharing two MX hosts, with the connections counted at the fake server.
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "checks/mx_tls/mx_tls_check.h"
#include "checks/registry.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/test_certs.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using fakes::CertSpec;
using fakes::FakeSmtpScript;
using fakes::FakeSmtpServer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Where the fake listens; kDead addresses have no listener (refused).
constexpr char kMx1Addr[] = "127.0.0.2";
constexpr char kMx2Addr[] = "127.0.0.3";
constexpr char kDead1[] = "127.0.0.4";
constexpr char kDead2[] = "127.0.0.5";

class MxTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto smtp = FakeSmtpServer::Start({kMx1Addr, kMx2Addr, "::1"});
    ASSERT_TRUE(smtp.ok()) << smtp.status();
    smtp_ = *std::move(smtp);
    LabOptions options{.smtp_port = smtp_->port(),
                       .smtp_phase_timeout = absl::Milliseconds(800)};
    // The built-in checks, keeping sight of mx_tls's probe cache.
    options.make_checks = [this] {
      auto checks = checks::BuiltinChecks();
      for (auto& check : checks) {
        if (auto* mx_tls = dynamic_cast<checks::MxTlsCheck*>(check.get())) mx_tls_ = mx_tls;
      }
      return checks;
    };
    lab_ = TestLab::Start(options);
    ASSERT_NE(lab_, nullptr);
    ASSERT_NE(mx_tls_, nullptr);
  }

  void TearDown() override {
    lab_.reset();
    mx_tls_ = nullptr;
    smtp_.reset();
  }

  fakes::TestCert Cert(CertSpec spec) {
    auto cert = lab_->ca().Issue(spec);
    EXPECT_TRUE(cert.ok()) << cert.status();
    return *std::move(cert);
  }

  FakeSmtpScript GoodFor(const std::string& host) {
    return FakeSmtpScript::Good(Cert(CertSpec::ForHosts({host})));
  }

  void Script(const std::string& address, const FakeSmtpScript& script) {
    ASSERT_TRUE(smtp_->SetScript(address, script).ok());
  }

  // `domain` with MX hosts (name -> IPv4 address) and, when `mode` is not
  // empty, a valid policy in that mode covering them.
  void Publish(const std::string& domain,
               const std::vector<std::pair<std::string, std::string>>& hosts,
               const std::string& mode = "") {
    std::vector<std::pair<int, std::string>> mx;
    int preference = 10;
    for (const auto& [host, address] : hosts) {
      mx.push_back({preference, host});
      preference += 10;
      lab_->dns().A(host, {address});
    }
    lab_->dns().Mx(domain, mx);
    if (!mode.empty()) {
      lab_->dns().Txt("_mta-sts." + domain, {{"v=STSv1; id=1"}});
      std::string policy = absl::StrCat("version: STSv1\nmode: ", mode, "\n");
      for (const auto& [host, address] : hosts) absl::StrAppend(&policy, "mx: ", host, "\n");
      absl::StrAppend(&policy, "max_age: 86400\n");
      lab_->PublishPolicy(domain, policy);
    }
  }

  v1::DomainReport Check(const std::string& domain) {
    auto report = lab_->Check(domain);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : v1::DomainReport();
  }

  std::unique_ptr<FakeSmtpServer> smtp_;
  // Owned by lab_'s engine; valid while lab_ is.
  checks::MxTlsCheck* mx_tls_ = nullptr;
  std::unique_ptr<TestLab> lab_;
};

TEST_F(MxTlsTest, GoodCertificatePassesWithEvidence) {
  Script(kMx1Addr, GoodFor("mx1.good.example"));
  Publish("good.example", {{"mx1.good.example", kMx1Addr}}, "enforce");
  v1::DomainReport report = Check("good.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_PASS) << tls.DebugString();
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_VALID));
  EXPECT_EQ(tls.points_possible(), 10);
  EXPECT_EQ(tls.points_earned(), 10);
  ASSERT_EQ(report.evidence().mx_hosts_size(), 1);
  ASSERT_EQ(report.evidence().mx_hosts(0).tls_size(), 1);
  const v1::MxTlsResult& ev = report.evidence().mx_hosts(0).tls(0);
  EXPECT_EQ(ev.address(), kMx1Addr);
  EXPECT_EQ(ev.greeting(), "220 fake-smtp.test ESMTP");
  EXPECT_TRUE(ev.starttls_offered());
  EXPECT_EQ(ev.failure(), "");
  EXPECT_THAT(ev.certificate().tls_version(), HasSubstr("TLSv1."));
  EXPECT_FALSE(ev.certificate().cipher().empty());
  EXPECT_THAT(ev.certificate().subject(), HasSubstr("CN=mx1.good.example"));
  EXPECT_THAT(ev.certificate().san_dns_names(), ElementsAre("mx1.good.example"));
  EXPECT_THAT(ev.certificate().issuer(), HasSubstr("mtasts lab root CA"));
  EXPECT_GE(ev.certificate().days_to_expiry(), 88);
  EXPECT_EQ(ev.certificate().validation_error(), "");
  ASSERT_EQ(ev.chain_size(), 1);
  EXPECT_EQ(ev.chain(0).cert_sha256().size(), 64u);
  EXPECT_EQ(ev.chain(0).cert_sha512().size(), 128u);
  EXPECT_EQ(ev.chain(0).spki_sha256().size(), 64u);
  EXPECT_EQ(ev.chain(0).spki_sha512().size(), 128u);
  EXPECT_EQ(smtp_->quits(kMx1Addr), 1);
  EXPECT_THAT(smtp_->commands(kMx1Addr), ::testing::Contains("EHLO mtasts-checker.invalid"));
}

TEST_F(MxTlsTest, ExpiredUnderEnforceIsCritical) {
  Script(kMx1Addr, FakeSmtpScript::Good(Cert(CertSpec::ForHosts({"mx1.exp.example"}).Expired())));
  Publish("exp.example", {{"mx1.exp.example", kMx1Addr}}, "enforce");
  const v1::DomainReport report = Check("exp.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_CERT_EXPIRED));
  const v1::Finding* f = FindingOf(tls, v1::MX_TLS_CERT_EXPIRED);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity(), v1::SEVERITY_CRITICAL);
  EXPECT_EQ(f->tlsrpt_result_type(), "certificate-expired");
  EXPECT_EQ(f->subject(), "mx1.exp.example");
  EXPECT_THAT(f->detail(), HasSubstr("will not deliver"));
  EXPECT_EQ(tls.points_earned(), 0);
  EXPECT_LT(report.evidence().mx_hosts(0).tls(0).certificate().days_to_expiry(), 0);
  EXPECT_THAT(report.evidence().mx_hosts(0).tls(0).failure(), HasSubstr("expired"));
}

TEST_F(MxTlsTest, NotYetValid) {
  Script(kMx1Addr,
         FakeSmtpScript::Good(Cert(CertSpec::ForHosts({"mx1.nyv.example"}).NotYetValid())));
  Publish("nyv.example", {{"mx1.nyv.example", kMx1Addr}}, "enforce");
  const v1::CheckResult tls = ResultOf(Check("nyv.example"), "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_CERT_NOT_YET_VALID));
}

TEST_F(MxTlsTest, WrongNameUnderTestingIsHighAndNamesTlsRpt) {
  Script(kMx1Addr, GoodFor("mail.other.example"));
  Publish("wrong.example", {{"mx1.wrong.example", kMx1Addr}}, "testing");
  const v1::CheckResult tls = ResultOf(Check("wrong.example"), "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_CERT_NAME_MISMATCH));
  const v1::Finding* f = FindingOf(tls, v1::MX_TLS_CERT_NAME_MISMATCH);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity(), v1::SEVERITY_HIGH);
  EXPECT_EQ(f->tlsrpt_result_type(), "certificate-host-mismatch");
  EXPECT_THAT(f->detail(), HasSubstr("TLS-RPT"));
  EXPECT_THAT(f->detail(), HasSubstr("mail.other.example"));
}

TEST_F(MxTlsTest, WildcardThatCoversAndOneThatDoesNot) {
  Script(kMx1Addr, GoodFor("*.wild.example"));
  Script(kMx2Addr, GoodFor("*.wild.example"));
  Publish("wild.example",
          {{"mx1.wild.example", kMx1Addr}, {"in.mx2.wild.example", kMx2Addr}}, "enforce");
  const v1::CheckResult tls = ResultOf(Check("wild.example"), "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_CERT_NAME_MISMATCH));
  EXPECT_EQ(FindingOf(tls, v1::MX_TLS_CERT_NAME_MISMATCH)->subject(), "in.mx2.wild.example");
  EXPECT_EQ(tls.points_earned(), 5);  // one host of two passes
}

TEST_F(MxTlsTest, SelfSigned) {
  auto cert = fakes::MakeSelfSigned(CertSpec::ForHosts({"mx1.self.example"}));
  ASSERT_TRUE(cert.ok());
  Script(kMx1Addr, FakeSmtpScript::Good(*cert));
  Publish("self.example", {{"mx1.self.example", kMx1Addr}}, "enforce");
  const v1::CheckResult tls = ResultOf(Check("self.example"), "mx_tls");
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_CERT_SELF_SIGNED));
  EXPECT_EQ(FindingOf(tls, v1::MX_TLS_CERT_SELF_SIGNED)->tlsrpt_result_type(),
            "certificate-not-trusted");
}

TEST_F(MxTlsTest, StartTlsNotAdvertised) {
  FakeSmtpScript script = GoodFor("mx1.plain.example");
  script.ehlo = {"250-mx1.plain.example", "250 SIZE 1000"};
  Script(kMx1Addr, script);
  Publish("plain.example", {{"mx1.plain.example", kMx1Addr}}, "enforce");
  const v1::DomainReport report = Check("plain.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_STARTTLS_MISSING));
  EXPECT_EQ(FindingOf(tls, v1::MX_TLS_STARTTLS_MISSING)->severity(), v1::SEVERITY_CRITICAL);
  EXPECT_FALSE(report.evidence().mx_hosts(0).tls(0).starttls_offered());
  EXPECT_EQ(smtp_->quits(kMx1Addr), 1);
}

TEST_F(MxTlsTest, StartTlsRefusedWith454) {
  FakeSmtpScript script = GoodFor("mx1.busy.example");
  script.starttls_reply = {"454 4.7.0 TLS not available due to temporary reason"};
  Script(kMx1Addr, script);
  Publish("busy.example", {{"mx1.busy.example", kMx1Addr}});  // no policy
  const v1::CheckResult tls = ResultOf(Check("busy.example"), "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_STARTTLS_REFUSED));
  const v1::Finding* f = FindingOf(tls, v1::MX_TLS_STARTTLS_REFUSED);
  EXPECT_EQ(f->severity(), v1::SEVERITY_HIGH);
  EXPECT_THAT(f->detail(), HasSubstr("454"));
  EXPECT_THAT(f->detail(), HasSubstr("plaintext"));
}

TEST_F(MxTlsTest, GreetingRejectedWith554) {
  FakeSmtpScript script = GoodFor("mx1.reject.example");
  script.greeting = {"554 5.3.2 no SMTP service here"};
  Script(kMx1Addr, script);
  Publish("reject.example", {{"mx1.reject.example", kMx1Addr}}, "enforce");
  const v1::DomainReport report = Check("reject.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_GREETING_REJECTED));
  EXPECT_EQ(report.evidence().mx_hosts(0).tls(0).greeting(), "554 5.3.2 no SMTP service here");
}

TEST_F(MxTlsTest, MultiLineGreetingAndEhlo) {
  FakeSmtpScript script = GoodFor("mx1.multi.example");
  script.greeting = {"220-mx1.multi.example ESMTP", "220 no UCE"};
  script.ehlo = {"250-mx1.multi.example", "250-PIPELINING", "250-8BITMIME",
                 "250-ENHANCEDSTATUSCODES", "250 StartTLS"};
  Script(kMx1Addr, script);
  Publish("multi.example", {{"mx1.multi.example", kMx1Addr}}, "enforce");
  const v1::DomainReport report = Check("multi.example");
  EXPECT_EQ(ResultOf(report, "mx_tls").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(report.evidence().mx_hosts(0).tls(0).greeting(),
            "220 mx1.multi.example ESMTP / no UCE");
}

TEST_F(MxTlsTest, SlowGreetingTimesOut) {
  FakeSmtpScript script = GoodFor("mx1.slow.example");
  script.greeting_delay = absl::Seconds(5);
  Script(kMx1Addr, script);
  Publish("slow.example", {{"mx1.slow.example", kMx1Addr}}, "enforce");
  const v1::CheckResult tls = ResultOf(Check("slow.example"), "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_TIMEOUT));
  EXPECT_THAT(FindingOf(tls, v1::MX_TLS_TIMEOUT)->detail(), HasSubstr("greeting"));
}

// RFC 5321 §4.5.3.2.1 gives senders 5 minutes for the greeting: a late one
// (scaled down: reported above 200 ms, timeout 4 s) is a finding beside the
// pass, with the time measured; one that never comes stays a failure
// (SlowGreetingTimesOut).
TEST_F(MxTlsTest, LateGreetingPassesWithASlowFinding) {
  lab_.reset();
  lab_ = TestLab::Start(LabOptions{.smtp_port = smtp_->port(),
                                   .smtp_phase_timeout = absl::Seconds(4),
                                   .smtp_greeting_slow_after = absl::Milliseconds(200)});
  ASSERT_NE(lab_, nullptr);
  FakeSmtpScript script = GoodFor("mx1.tarpit.example");
  script.greeting_delay = absl::Milliseconds(700);
  Script(kMx1Addr, script);
  Publish("tarpit.example", {{"mx1.tarpit.example", kMx1Addr}}, "enforce");
  const v1::DomainReport report = Check("tarpit.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_PASS) << tls.DebugString();
  EXPECT_THAT(CodeList(tls),
              ::testing::UnorderedElementsAre(v1::MX_TLS_VALID, v1::MX_TLS_GREETING_SLOW));
  EXPECT_EQ(tls.points_earned(), tls.points_possible());
  const v1::Finding* slow = FindingOf(tls, v1::MX_TLS_GREETING_SLOW);
  ASSERT_NE(slow, nullptr);
  EXPECT_EQ(slow->severity(), v1::SEVERITY_LOW);
  const v1::MxTlsResult& ev = report.evidence().mx_hosts(0).tls(0);
  EXPECT_GE(ev.greeting_ms(), 700);
  EXPECT_LT(ev.greeting_ms(), 4000);
  EXPECT_THAT(slow->detail(), HasSubstr(absl::StrCat(kMx1Addr, " after ", ev.greeting_ms(), " ms")));
  EXPECT_THAT(slow->detail(), HasSubstr("mx1.tarpit.example"));
}

TEST_F(MxTlsTest, PromptGreetingHasNoSlowFinding) {
  Script(kMx1Addr, GoodFor("mx1.prompt.example"));
  Publish("prompt.example", {{"mx1.prompt.example", kMx1Addr}}, "enforce");
  const v1::DomainReport report = Check("prompt.example");
  EXPECT_THAT(CodeList(ResultOf(report, "mx_tls")), ElementsAre(v1::MX_TLS_VALID));
  EXPECT_LT(report.evidence().mx_hosts(0).tls(0).greeting_ms(), 10000);
}

TEST_F(MxTlsTest, RefusedEverywhereIsInconclusive) {
  Publish("blocked.example", {{"mx1.blocked.example", kDead1}, {"mx2.blocked.example", kDead2}},
          "enforce");
  const v1::DomainReport report = Check("blocked.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_PORT25_BLOCKED));
  EXPECT_EQ(tls.points_possible(), 0);  // left out of the score
  EXPECT_THAT(report.summary(), HasSubstr("mx_tls"));
}

TEST_F(MxTlsTest, OneHostOfTwoRefusingIsTheDomainsProblem) {
  Script(kMx1Addr, GoodFor("mx1.half.example"));
  Publish("half.example", {{"mx1.half.example", kMx1Addr}, {"mx2.half.example", kDead1}},
          "enforce");
  const v1::CheckResult tls = ResultOf(Check("half.example"), "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_WARN);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_CONNECT_FAILED));
  EXPECT_EQ(FindingOf(tls, v1::MX_TLS_CONNECT_FAILED)->subject(), "mx2.half.example");
  EXPECT_EQ(tls.points_possible(), 10);
  EXPECT_EQ(tls.points_earned(), 5);
}

TEST_F(MxTlsTest, EveryAddressCountsIncludingIpv6) {
  Script(kMx1Addr, GoodFor("mx1.dual.example"));
  Script("::1", GoodFor("other.dual.example"));
  Publish("dual.example", {{"mx1.dual.example", kMx1Addr}}, "enforce");
  lab_->dns().Aaaa("mx1.dual.example", {"::1"});
  const v1::DomainReport report = Check("dual.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_CERT_NAME_MISMATCH));
  EXPECT_THAT(FindingOf(tls, v1::MX_TLS_CERT_NAME_MISMATCH)->detail(), HasSubstr("::1"));
  EXPECT_EQ(tls.points_earned(), 0);
  ASSERT_EQ(report.evidence().mx_hosts(0).tls_size(), 2);
  EXPECT_EQ(report.evidence().mx_hosts(0).tls(0).failure(), "");
  EXPECT_EQ(report.evidence().mx_hosts(0).tls(1).address(), "::1");
}

TEST_F(MxTlsTest, ExpiringSoonWarns) {
  Script(kMx1Addr, FakeSmtpScript::Good(Cert(CertSpec::ForHosts({"mx1.soon.example"})
                                                 .ValidUntil(absl::Now() + absl::Hours(24 * 5 + 2)))));
  Publish("soon.example", {{"mx1.soon.example", kMx1Addr}}, "enforce");
  const v1::CheckResult tls = ResultOf(Check("soon.example"), "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_WARN);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_CERT_EXPIRING_SOON));
  EXPECT_EQ(FindingOf(tls, v1::MX_TLS_CERT_EXPIRING_SOON)->severity(), v1::SEVERITY_MEDIUM);
  EXPECT_EQ(tls.points_earned(), 10);
}

TEST_F(MxTlsTest, Tls10OnlyIsTooOld) {
  FakeSmtpScript script = GoodFor("mx1.old.example");
  script.min_version = fakes::FakeTlsVersion::kTls1_0;
  script.max_version = fakes::FakeTlsVersion::kTls1_0;
  Script(kMx1Addr, script);
  Publish("old.example", {{"mx1.old.example", kMx1Addr}}, "enforce");
  const v1::DomainReport report = Check("old.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_PROTOCOL_TOO_OLD));
  // The version the host speaks, learned by one diagnostic handshake.
  EXPECT_THAT(FindingOf(tls, v1::MX_TLS_PROTOCOL_TOO_OLD)->detail(),
              HasSubstr("speaks TLS 1.0 at most"));
  ASSERT_EQ(report.evidence().mx_hosts(0).tls_size(), 1);
  EXPECT_EQ(report.evidence().mx_hosts(0).tls(0).certificate().tls_version(), "TLSv1");
  EXPECT_EQ(smtp_->connections(kMx1Addr), 2);
}

TEST_F(MxTlsTest, VersionIntolerantHostIsTooOldNotHandshakeFailed) {
  // An old stack that answers a TLS 1.2+ hello with handshake_failure.
  FakeSmtpScript script = GoodFor("mx1.intolerant.example");
  script.min_version = fakes::FakeTlsVersion::kTls1_0;
  script.max_version = fakes::FakeTlsVersion::kTls1_1Intolerant;
  Script(kMx1Addr, script);
  Publish("intolerant.example", {{"mx1.intolerant.example", kMx1Addr}}, "enforce");
  const v1::CheckResult tls = ResultOf(Check("intolerant.example"), "mx_tls");
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_PROTOCOL_TOO_OLD));
  EXPECT_THAT(FindingOf(tls, v1::MX_TLS_PROTOCOL_TOO_OLD)->detail(),
              HasSubstr("speaks TLS 1.1 at most"));
}

TEST_F(MxTlsTest, Tls11OnlyIsTooOldAndNamed) {
  // A Postfix-like responder whose TLS stops at 1.1 (security level 0).
  FakeSmtpScript script = GoodFor("mx1.old11.example");
  script.min_version = fakes::FakeTlsVersion::kTls1_0;
  script.max_version = fakes::FakeTlsVersion::kTls1_1;
  Script(kMx1Addr, script);
  Publish("old11.example", {{"mx1.old11.example", kMx1Addr}}, "testing");
  const v1::DomainReport report = Check("old11.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_PROTOCOL_TOO_OLD));
  EXPECT_THAT(FindingOf(tls, v1::MX_TLS_PROTOCOL_TOO_OLD)->detail(),
              HasSubstr("speaks TLS 1.1 at most"));
  EXPECT_EQ(report.evidence().mx_hosts(0).tls(0).certificate().tls_version(), "TLSv1.1");
}

TEST_F(MxTlsTest, NonPublicAddressesAreNotContacted) {
  lab_.reset();
  lab_ = TestLab::Start(LabOptions{.allow_targets = "", .smtp_port = smtp_->port()});
  ASSERT_NE(lab_, nullptr);
  Publish("private.example", {{"mx1.private.example", kMx1Addr}});
  const v1::DomainReport report = Check("private.example");
  const v1::CheckResult& tls = ResultOf(report, "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::MX_TLS_ADDRESS_REFUSED));
  EXPECT_EQ(smtp_->connections(kMx1Addr), 0);
  EXPECT_THAT(report.evidence().mx_hosts(0).tls(0).failure(), HasSubstr("127.0.0.2"));
}

TEST_F(MxTlsTest, FastModeDoesNotProbe) {
  Script(kMx1Addr, GoodFor("mx1.fast.example"));
  Publish("fast.example", {{"mx1.fast.example", kMx1Addr}}, "enforce");
  v1::CheckOptions options;
  options.set_skip_mx_probe(true);
  auto report = lab_->Check("fast.example", options);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(ResultOf(*report, "mx_tls").status(), v1::CHECK_STATUS_NOT_RUN);
  EXPECT_EQ(smtp_->connections(kMx1Addr), 0);
}

TEST_F(MxTlsTest, ResultsAreReusedAcrossChecks) {
  Script(kMx1Addr, GoodFor("mx.shared.example"));
  lab_->dns().A("mx.shared.example", {kMx1Addr});
  for (const char* domain : {"a.example", "b.example", "c.example"}) {
    lab_->dns().Mx(domain, {{10, "mx.shared.example"}});
    EXPECT_EQ(ResultOf(Check(domain), "mx_tls").status(), v1::CHECK_STATUS_PASS) << domain;
  }
  EXPECT_EQ(smtp_->connections(kMx1Addr), 1);
}

TEST_F(MxTlsTest, RunDeadlineWhileProbing) {
  lab_.reset();
  lab_ = TestLab::Start(LabOptions{.check_timeout = absl::Seconds(1),
                                   .smtp_port = smtp_->port(),
                                   .smtp_phase_timeout = absl::Seconds(4)});
  ASSERT_NE(lab_, nullptr);
  FakeSmtpScript script = GoodFor("mx1.late.example");
  script.greeting_delay = absl::Seconds(3);
  Script(kMx1Addr, script);
  Publish("late.example", {{"mx1.late.example", kMx1Addr}});
  const v1::CheckResult tls = ResultOf(Check("late.example"), "mx_tls");
  EXPECT_EQ(tls.status(), v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(CodeList(tls), ElementsAre(v1::CHECK_TIMED_OUT));
}

// CheckDomain cancelled by the client as soon as `cancel_when` returns (it
// waits for the event the test cancels on).
grpc::Status CancelledCheck(TestLab& lab, const std::string& domain,
                            const std::function<void()>& cancel_when) {
  grpc::ClientContext context;
  v1::CheckDomainRequest request;
  request.set_domain(domain);
  v1::DomainReport report;
  std::thread canceller([&] {
    cancel_when();
    context.TryCancel();
  });
  grpc::Status status = lab.stub().CheckDomain(&context, request, &report);
  canceller.join();
  return status;
}

TEST_F(MxTlsTest, CancelledCallsLeaveTheProbeAndTheServerHealthy) {
  FakeSmtpScript script = GoodFor("mx1.gone.example");
  script.greeting_delay = absl::Milliseconds(600);
  Script(kMx1Addr, script);
  Publish("gone.example", {{"mx1.gone.example", kMx1Addr}});
  Publish("stays.example", {{"mx1.gone.example", kMx1Addr}});
  // One caller gives up while the probe it started runs; another, asking
  // for the same host meanwhile, still gets the shared probe's result.
  absl::StatusOr<v1::DomainReport> report;
  std::thread patient;
  const grpc::Status cancelled = CancelledCheck(*lab_, "gone.example", [&] {
    // The impatient caller's probe is connected (its greeting comes 600 ms
    // later) when the patient caller asks...
    EXPECT_TRUE(smtp_->WaitForConnections(kMx1Addr, 1, absl::Seconds(10)));
    patient = std::thread([&] { report = lab_->Check("stays.example"); });
    // ...and the impatient one gives up once the patient run has joined it.
    EXPECT_TRUE(WaitUntil([&] { return mx_tls_->cache().stats().joined >= 1; },
                          absl::Seconds(10), "the second caller to join the probe"));
  });
  EXPECT_EQ(cancelled.error_code(), grpc::StatusCode::CANCELLED);
  patient.join();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "mx_tls").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(smtp_->connections(kMx1Addr), 1);
}

TEST_F(MxTlsTest, ProbeWithoutWaitersIsDroppedAndRedone) {
  // The greeting comes long after the cancellation, so only a dropped
  // probe makes the next check connect again.
  lab_.reset();
  lab_ = TestLab::Start(LabOptions{.smtp_port = smtp_->port(),
                                   .smtp_phase_timeout = absl::Seconds(4)});
  ASSERT_NE(lab_, nullptr);
  FakeSmtpScript script = GoodFor("mx1.gone.example");
  script.greeting_delay = absl::Seconds(2);
  Script(kMx1Addr, script);
  Publish("gone.example", {{"mx1.gone.example", kMx1Addr}});
  // Cancelled while its probe waits for the greeting (2 s late).
  EXPECT_EQ(CancelledCheck(*lab_, "gone.example",
                           [&] {
                             EXPECT_TRUE(smtp_->WaitForConnections(kMx1Addr, 1,
                                                                   absl::Seconds(10)));
                           })
                .error_code(),
            grpc::StatusCode::CANCELLED);
  // The only waiter left: the cancelled run leaves the probe cache as the
  // run ends (CheckContext::OnCancel), before its slot is released. Nothing
  // was cached, so the next check probes again.
  ASSERT_TRUE(WaitUntil([&] { return lab_->server().service().InFlight() == 0; },
                        absl::Seconds(10), "the cancelled run to end"));
  EXPECT_EQ(ResultOf(Check("gone.example"), "mx_tls").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(smtp_->connections(kMx1Addr), 2);
}

// The politeness promise: 200 domains on the same 2 MX hosts in one fleet
// stream open at most 2 connections per address while the cache is warm.
TEST_F(MxTlsTest, FleetSharesProbesOfCommonMxHosts) {
  constexpr int kDomains = 200;
  Script(kMx1Addr, GoodFor("mx1.provider.example"));
  Script(kMx2Addr, GoodFor("mx2.provider.example"));
  lab_->dns().A("mx1.provider.example", {kMx1Addr});
  lab_->dns().A("mx2.provider.example", {kMx2Addr});
  auto domain = [](int i) { return absl::StrFormat("c%03d.fleet.example", i); };
  for (int i = 0; i < kDomains; ++i) {
    lab_->dns().Mx(domain(i), {{10, "mx1.provider.example"}, {20, "mx2.provider.example"}});
  }
  grpc::ClientContext context;
  auto stream = lab_->stub().StreamFleet(&context);
  std::thread writer([&] {
    for (int i = 0; i < kDomains; ++i) {
      v1::FleetRequest request;
      request.set_domain(domain(i));
      request.mutable_options()->add_checks("mx_tls");
      if (!stream->Write(request)) break;
    }
    stream->WritesDone();
  });
  int reports = 0, passed = 0;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (!event.has_result()) continue;
    ++reports;
    if (ResultOf(event.result().report(), "mx_tls").status() == v1::CHECK_STATUS_PASS) ++passed;
  }
  writer.join();
  ASSERT_TRUE(stream->Finish().ok());
  EXPECT_EQ(reports, kDomains);
  EXPECT_EQ(passed, kDomains);
  std::cout << "fleet of " << kDomains << " domains: " << smtp_->connections(kMx1Addr)
            << " connection(s) to mx1, " << smtp_->connections(kMx2Addr) << " to mx2\n";
  EXPECT_LE(smtp_->connections(kMx1Addr), 2);
  EXPECT_LE(smtp_->connections(kMx2Addr), 2);
  EXPECT_GE(smtp_->connections(kMx1Addr), 1);
}

}  // namespace
}  // namespace mtasts::testing
