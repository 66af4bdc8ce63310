// The tls_rpt check's rua reachability through the real server: fake DNS and
// HTTPS servers on loopback answer the destinations' lookups and GETs.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "mtasts/v1/report.pb.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/test_certs.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

// An HTTPS collector on 127.0.0.1 presenting `cert`, answering 405 to all.
std::unique_ptr<fakes::FakeHttpsServer> Collector(const fakes::TestCert& cert) {
  fakes::FakeHttpsServerOptions options;
  options.certificates.push_back({"", cert});
  auto server = fakes::FakeHttpsServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  (*server)->SetDefaultResponse(fakes::FakeHttpResponse::Status(405, "Method Not Allowed"));
  return *std::move(server);
}

v1::CheckOptions TlsRptOnly() {
  v1::CheckOptions options;
  options.add_checks("tls_rpt");
  return options;
}

class TlsRptReachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lab_ = TestLab::Start({});
    ASSERT_NE(lab_, nullptr);
    auto good = lab_->ca().Issue(fakes::CertSpec::ForHosts({"collector.test"}));
    ASSERT_TRUE(good.ok()) << good.status();
    good_ = Collector(*good);
    auto self_signed = fakes::MakeSelfSigned(fakes::CertSpec::ForHosts({"bad.test"}));
    ASSERT_TRUE(self_signed.ok()) << self_signed.status();
    bad_ = Collector(*self_signed);
    ASSERT_NE(good_, nullptr);
    ASSERT_NE(bad_, nullptr);
    LabDns& dns = lab_->dns();
    dns.Mx("mail.test", {{10, "mx.mail.test"}});
    dns.A("mx.mail.test", {"192.0.2.25"});
    dns.Mx("null.test", {{0, "."}});
    dns.A("collector.test", {"127.0.0.1"});
    dns.A("bad.test", {"127.0.0.1"});
    // gone.test and nowhere.test: NXDOMAIN, the fake's default.
  }

  std::string GoodUri() const {
    return absl::StrCat("https://collector.test:", good_->port(), "/v1/tlsrpt");
  }
  std::string BadUri() const { return absl::StrCat("https://bad.test:", bad_->port(), "/r"); }

  std::unique_ptr<TestLab> lab_;
  std::unique_ptr<fakes::FakeHttpsServer> good_;
  std::unique_ptr<fakes::FakeHttpsServer> bad_;
};

TEST_F(TlsRptReachTest, WorkingMailboxAndCollectorPass) {
  lab_->dns().Txt("_smtp._tls.reach.test",
                  {{absl::StrCat("v=TLSRPTv1; rua=mailto:r@mail.test,", GoodUri())}});
  auto report = lab_->Check("reach.test", TlsRptOnly());
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& result = ResultOf(*report, "tls_rpt");
  EXPECT_EQ(result.status(), v1::CHECK_STATUS_PASS);
  EXPECT_TRUE(CodeSet(result).count(v1::TLSRPT_RUA_REACHABLE));
  const v1::TlsRptEvidence& e = report->evidence().tls_rpt();
  ASSERT_EQ(e.reachability_size(), 2);
  EXPECT_EQ(e.reachability(0).outcome(), v1::RUA_OUTCOME_REACHABLE);
  EXPECT_EQ(e.reachability(1).outcome(), v1::RUA_OUTCOME_REACHABLE) << e.reachability(1).detail();
  // The `rua` list is unchanged by the new evidence.
  ASSERT_EQ(e.rua_size(), 2);
  EXPECT_EQ(e.rua(1), GoodUri());
  const auto requests = good_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
}

TEST_F(TlsRptReachTest, EveryDestinationBrokenFailsWithEachCause) {
  lab_->dns().Txt("_smtp._tls.broken.test",
                  {{absl::StrCat("v=TLSRPTv1; rua=mailto:r@null.test,mailto:r@gone.test,",
                                 BadUri(), ",https://nowhere.test/r")}});
  auto report = lab_->Check("broken.test", TlsRptOnly());
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& result = ResultOf(*report, "tls_rpt");
  EXPECT_EQ(result.status(), v1::CHECK_STATUS_FAIL);
  const v1::TlsRptEvidence& e = report->evidence().tls_rpt();
  ASSERT_EQ(e.reachability_size(), 4);
  EXPECT_EQ(e.reachability(0).outcome(), v1::RUA_OUTCOME_NO_MAIL);
  EXPECT_EQ(e.reachability(1).outcome(), v1::RUA_OUTCOME_NO_MAIL);
  EXPECT_EQ(e.reachability(2).outcome(), v1::RUA_OUTCOME_HTTPS_BROKEN);
  EXPECT_EQ(e.reachability(3).outcome(), v1::RUA_OUTCOME_HTTPS_BROKEN);
  EXPECT_NE(e.reachability(0).detail().find("null MX"), std::string::npos);
  EXPECT_NE(e.reachability(1).detail().find("NXDOMAIN"), std::string::npos);
  EXPECT_NE(e.reachability(2).detail().find("self_signed"), std::string::npos)
      << e.reachability(2).detail();
  EXPECT_NE(e.reachability(3).detail().find("does not resolve"), std::string::npos);
  EXPECT_TRUE(CodeSet(result).count(v1::TLSRPT_RUA_MAILTO_NO_MAIL));
  EXPECT_TRUE(CodeSet(result).count(v1::TLSRPT_RUA_HTTPS_BROKEN));
  EXPECT_LT(report->score(), 100);
}

TEST_F(TlsRptReachTest, DomainsSharingACollectorShareOneCheck) {
  for (const char* d : {"one.test", "two.test", "three.test"}) {
    lab_->dns().Txt(absl::StrCat("_smtp._tls.", d),
                    {{absl::StrCat("v=TLSRPTv1; rua=", GoodUri())}});
  }
  int cached = 0;
  for (const char* d : {"one.test", "two.test", "three.test"}) {
    auto report = lab_->Check(d, TlsRptOnly());
    ASSERT_TRUE(report.ok()) << report.status();
    const v1::TlsRptEvidence& e = report->evidence().tls_rpt();
    ASSERT_EQ(e.reachability_size(), 1);
    EXPECT_EQ(e.reachability(0).outcome(), v1::RUA_OUTCOME_REACHABLE);
    cached += e.reachability(0).cached() ? 1 : 0;
  }
  EXPECT_EQ(good_->requests().size(), 1u);  // one GET for three domains
  EXPECT_EQ(cached, 2);
  EXPECT_EQ(lab_->dns().QueriesFor("collector.test"), 2);  // A and AAAA, once
}

}  // namespace
}  // namespace mtasts::testing
