// The whole service on one well-configured domain: all seven checks run and
// pass, and the report scores 100. A signed zone served by a real nsd
// (validated from the test's own root), the policy over HTTPS and STARTTLS on
// the MX host, each with a certificate from the lab's CA.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "mtasts/v1/report.pb.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/signed_zones.h"
#include "tests/fakes/test_certs.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

TEST(FullReportTest, WellConfiguredDomainPassesAllSevenChecksAndScores100) {
  const std::string d = "full.secure.test";
  fakes::SignedZones::Options zo;
  zo.extra["secure.test"] = {
      absl::StrCat(d, ". 3600 IN MX 10 mx.", d, "."),
      absl::StrCat("mx.", d, ". 3600 IN A 127.0.0.2"),
      absl::StrCat("mta-sts.", d, ". 3600 IN A 127.0.0.1"),
      absl::StrCat("_mta-sts.", d, ". 3600 IN TXT \"v=STSv1; id=20261129\""),
      absl::StrCat("_smtp._tls.", d, ". 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@", d, "\""),
  };
  auto zones = fakes::SignedZones::Start(zo);
  if (zones.status().code() == absl::StatusCode::kUnavailable) {
    MTASTS_SKIP_OR_FAIL_IN_CI(zones.status().ToString());
  }
  ASSERT_TRUE(zones.ok()) << zones.status();
  auto smtp = fakes::FakeSmtpServer::Start({"127.0.0.2"});
  ASSERT_TRUE(smtp.ok()) << smtp.status();

  LabOptions o;
  o.trust_anchor_file = (*zones)->trust_anchor_file();
  o.dnssec_forwarder = (*zones)->forwarder();
  o.smtp_port = (*smtp)->port();
  auto lab = TestLab::Start(o);
  ASSERT_NE(lab, nullptr);
  auto mx_cert = lab->ca().Issue(fakes::CertSpec::ForHosts({"mx." + d}));
  ASSERT_TRUE(mx_cert.ok()) << mx_cert.status();
  ASSERT_TRUE((*smtp)->SetScript("127.0.0.2", fakes::FakeSmtpScript::Good(*mx_cert)).ok());

  // The service's own resolver (c-ares, the lab's fake DNS) tells the same
  // story as the signed zone the validator reads.
  lab->dns().Mx(d, {{10, "mx." + d}});
  lab->dns().A("mx." + d, {"127.0.0.2"});
  lab->dns().Txt("_mta-sts." + d, {{"v=STSv1; id=20261129"}});
  lab->dns().Txt("_smtp._tls." + d, {{"v=TLSRPTv1; rua=mailto:tlsrpt@" + d}});
  lab->PublishPolicy(d, "version: STSv1\nmode: enforce\nmx: mx." + d + "\nmax_age: 1209600\n");

  auto report = lab->Check(d);
  ASSERT_TRUE(report.ok()) << report.status();
  std::set<std::string> passed;
  for (const auto& c : report->checks()) {
    EXPECT_EQ(c.status(), v1::CHECK_STATUS_PASS) << c.check() << ": " << c.summary();
    EXPECT_GT(c.points_possible(), 0) << c.check();
    EXPECT_EQ(c.points_earned(), c.points_possible()) << c.check();
    if (c.status() == v1::CHECK_STATUS_PASS) passed.insert(c.check());
  }
  EXPECT_EQ(passed, (std::set<std::string>{"txt", "policy_fetch", "policy_content", "mx_match",
                                           "mx_tls", "tls_rpt", "dnssec"}));
  EXPECT_EQ(report->score(), 100);
  EXPECT_EQ(report->grade(), v1::GRADE_A);
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_ENFORCED);
  ASSERT_EQ(report->evidence().mx_hosts_size(), 1);
  ASSERT_EQ(report->evidence().mx_hosts(0).tls_size(), 1);
  EXPECT_TRUE(report->evidence().mx_hosts(0).tls(0).starttls_offered());
  EXPECT_EQ((*smtp)->connections("127.0.0.2"), 1);
}

}  // namespace
}  // namespace mtasts::testing
