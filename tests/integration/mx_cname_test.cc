// MX records whose target is an alias (RFC 2181 §10.3, RFC 5321 §5.1: it must
// not be), against a real nsd serving the zones (tests/fakes/signed_zones.h)
// and asked by the server's own stub resolver: MX_TARGET_IS_CNAME per host,
// the alias in the MX evidence, and the certificate still matched against
// the MX record's name (RFC 8461 §4.1), not the alias's target.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/signed_zones.h"
#include "tests/fakes/test_certs.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using ::testing::ElementsAre;

const v1::Finding* DomainFinding(const v1::DomainReport& r, v1::FindingCode code,
                                 const std::string& subject) {
  for (const auto& f : r.domain_findings()) {
    if (f.code() == code && f.subject() == subject) return &f;
  }
  return nullptr;
}

TEST(MxCnameTest, AliasTargetsAreReportedAndTheCertificateMatchesTheMxName) {
  fakes::SignedZones::Options zo;
  // alias.insecure.test: its MX is an alias into another zone, so nsd
  //   answers with the CNAME alone and the resolver asks for the target.
  // inzone.insecure.test: alias and target in one zone (nsd gives both).
  // plain.insecure.test: an MX naming a host, the control.
  zo.extra["insecure.test"] = {
      "alias.insecure.test. 3600 IN MX 10 mx1.alias.insecure.test.",
      "mx1.alias.insecure.test. 3600 IN CNAME mail.hoster.secure.test.",
      "inzone.insecure.test. 3600 IN MX 10 mx1.inzone.insecure.test.",
      "mx1.inzone.insecure.test. 3600 IN CNAME real.inzone.insecure.test.",
      "real.inzone.insecure.test. 3600 IN A 127.0.0.3",
      "plain.insecure.test. 3600 IN MX 10 mx1.plain.insecure.test.",
      "mx1.plain.insecure.test. 3600 IN A 127.0.0.4",
  };
  zo.extra["secure.test"] = {"mail.hoster.secure.test. 3600 IN A 127.0.0.2"};
  auto zones = fakes::SignedZones::Start(zo);
  if (zones.status().code() == absl::StatusCode::kUnavailable) {
    MTASTS_SKIP_OR_FAIL_IN_CI(zones.status().ToString());
  }
  ASSERT_TRUE(zones.ok()) << zones.status();
  auto smtp = fakes::FakeSmtpServer::Start({"127.0.0.2", "127.0.0.3", "127.0.0.4"});
  ASSERT_TRUE(smtp.ok()) << smtp.status();

  LabOptions o;
  o.smtp_port = (*smtp)->port();
  o.dns_server_port = (*zones)->port();
  auto lab = TestLab::Start(o);
  ASSERT_NE(lab, nullptr);
  auto cert = [&](const std::string& host) {
    auto c = lab->ca().Issue(fakes::CertSpec::ForHosts({host}));
    EXPECT_TRUE(c.ok()) << c.status();
    return fakes::FakeSmtpScript::Good(*c);
  };
  // The hoster's certificate names its own host, not the domain's MX name.
  ASSERT_TRUE((*smtp)->SetScript("127.0.0.2", cert("mail.hoster.secure.test")).ok());
  ASSERT_TRUE((*smtp)->SetScript("127.0.0.3", cert("mx1.inzone.insecure.test")).ok());
  ASSERT_TRUE((*smtp)->SetScript("127.0.0.4", cert("mx1.plain.insecure.test")).ok());
  v1::CheckOptions options;
  options.add_checks("mx_tls");

  auto report = lab->Check("alias.insecure.test", options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->evidence().mx_hosts_size(), 1);
  const v1::MxHost& host = report->evidence().mx_hosts(0);
  EXPECT_EQ(host.name(), "mx1.alias.insecure.test");
  EXPECT_THAT(host.cname_chain(), ElementsAre("mail.hoster.secure.test"));
  EXPECT_THAT(host.addresses(), ElementsAre("127.0.0.2"));
  const v1::Finding* alias =
      DomainFinding(*report, v1::MX_TARGET_IS_CNAME, "mx1.alias.insecure.test");
  ASSERT_NE(alias, nullptr) << report->DebugString();
  EXPECT_EQ(alias->severity(), v1::SEVERITY_MEDIUM);
  EXPECT_THAT(alias->detail(), ::testing::HasSubstr("alias (CNAME) for mail.hoster.secure.test"));
  EXPECT_THAT(alias->detail(),
              ::testing::HasSubstr("the certificate must list mx1.alias.insecure.test"));
  // The probe reached the target's address and judged the certificate
  // against the MX record's name: the hoster's certificate does not cover it.
  const v1::CheckResult& tls = ResultOf(*report, "mx_tls");
  EXPECT_THAT(CodeSet(tls), ::testing::Contains(v1::MX_TLS_CERT_NAME_MISMATCH))
      << tls.DebugString();
  EXPECT_EQ((*smtp)->connections("127.0.0.2"), 1);

  report = lab->Check("inzone.insecure.test", options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->evidence().mx_hosts_size(), 1);
  EXPECT_THAT(report->evidence().mx_hosts(0).cname_chain(),
              ElementsAre("real.inzone.insecure.test"));
  EXPECT_NE(DomainFinding(*report, v1::MX_TARGET_IS_CNAME, "mx1.inzone.insecure.test"),
            nullptr);
  // A certificate for the MX record's name passes, alias or not.
  EXPECT_EQ(ResultOf(*report, "mx_tls").status(), v1::CHECK_STATUS_PASS)
      << ResultOf(*report, "mx_tls").DebugString();

  report = lab->Check("plain.insecure.test", options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->evidence().mx_hosts_size(), 1);
  EXPECT_TRUE(report->evidence().mx_hosts(0).cname_chain().empty());
  EXPECT_THAT(DomainCodeSet(*report), ::testing::Not(::testing::Contains(v1::MX_TARGET_IS_CNAME)));
  EXPECT_EQ(ResultOf(*report, "mx_tls").status(), v1::CHECK_STATUS_PASS);
}

}  // namespace
}  // namespace mtasts::testing
