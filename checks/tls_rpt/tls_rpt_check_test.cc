// TlsRptCheck's glue: the _smtp._tls TXT lookup through the run's DNS session,
// then each rua destination's reachability (MX and address lookups, an HTTPS
// GET to a real loopback server) through the server-wide RuaCache; the
// evidence it writes, one `done`, and silence once the run is cancelled.
#include "checks/tls_rpt/tls_rpt_check.h"

#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "checks/testing/check_test_util.h"
#include "checks/testing/fake_check_context.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_dns_server.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::checks {
namespace {

using fakes::DnsRecord;
using fakes::DnsReply;
using fakes::DnsType;
using testing::kWait;
using testing::FakeCheckContext;

constexpr char kTxtName[] = "_smtp._tls.example.test";

class TlsRptCheckTest : public testing::DnsCheckTest<TlsRptCheck> {
 protected:
  void PublishRua(const std::string& rua) {
    dns_->AddRecord(kTxtName, DnsRecord::Txt({"v=TLSRPTv1; rua=" + rua}));
  }
  // example.test receives mail at mx1.example.test (192.0.2.25).
  void MailDomain(const std::string& domain) {
    dns_->AddRecord(domain, DnsRecord::Mx(10, "mx1." + domain));
    dns_->AddRecord("mx1." + domain, DnsRecord::A("192.0.2.25"));
  }
  std::unique_ptr<FakeCheckContext> OtherRun() {
    auto ctx = FakeCheckContext::Create("example.test", {{"127.0.0.1", dns_->port()}});
    EXPECT_TRUE(ctx.ok()) << ctx.status();
    return ctx.ok() ? *std::move(ctx) : nullptr;
  }
  // An HTTPS collector for collector.test on 127.0.0.1, its certificate from
  // a test CA the context trusts (or self-signed).
  void StartCollector(bool self_signed = false) {
    auto root = fakes::TestCa::CreateRoot("Test Root CA");
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = *std::move(root);
    auto cert = self_signed ? fakes::MakeSelfSigned(fakes::CertSpec::ForHosts({"collector.test"}))
                            : root_->Issue(fakes::CertSpec::ForHosts({"collector.test"}));
    ASSERT_TRUE(cert.ok()) << cert.status();
    fakes::FakeHttpsServerOptions options;
    options.certificates.push_back({"", *cert});
    auto server = fakes::FakeHttpsServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    https_ = *std::move(server);
    https_->SetDefaultResponse(fakes::FakeHttpResponse::Status(405, "Method Not Allowed"));
    auto ca_file = root_->WriteCertFile();
    ASSERT_TRUE(ca_file.ok()) << ca_file.status();
    ASSERT_TRUE(ctx_->SetCaFile(*ca_file).ok());
    ASSERT_TRUE(ctx_->SetAllowTargets("127.0.0.0/8").ok());
    dns_->AddRecord("collector.test", DnsRecord::A("127.0.0.1"));
  }
  std::string CollectorUri() const {
    return absl::StrCat("https://collector.test:", https_->port(), "/v1/tlsrpt");
  }

  std::unique_ptr<fakes::TestCa> root_;
  std::unique_ptr<fakes::FakeHttpsServer> https_;
};

TEST_F(TlsRptCheckTest, Metadata) {
  testing::ExpectMetadata(check_, {"tls_rpt", 10, {}, false});
}

TEST_F(TlsRptCheckTest, ValidRecordWithAReachableMailboxPasses) {
  PublishRua("mailto:tlsrpt@example.test");
  MailDomain("example.test");
  auto verdict = RunOnce();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS);
  EXPECT_EQ(verdict->fraction, 1);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_VALID));
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_REACHABLE));
  EXPECT_EQ(dns_->queries_for(kTxtName, DnsType::kTxt), 1);
  EXPECT_EQ(dns_->queries_for("example.test", DnsType::kMx), 1);
  // TXT, MX, then the MX host's A and AAAA: all recorded.
  auto lookups = ctx_->recorded_lookups();
  ASSERT_EQ(lookups.size(), 4u);
  EXPECT_EQ(lookups[0].name, kTxtName);
  EXPECT_EQ(lookups[1].type, net::RrType::kMx);
  const v1::Evidence evidence = ctx_->EvidenceCopy();
  EXPECT_TRUE(evidence.tls_rpt().valid());
  ASSERT_EQ(evidence.tls_rpt().rua_size(), 1);
  EXPECT_EQ(evidence.tls_rpt().rua(0), "mailto:tlsrpt@example.test");
  ASSERT_EQ(evidence.tls_rpt().reachability_size(), 1);
  const v1::RuaReachability& r = evidence.tls_rpt().reachability(0);
  EXPECT_EQ(r.uri(), "mailto:tlsrpt@example.test");
  EXPECT_EQ(r.outcome(), v1::RUA_OUTCOME_REACHABLE);
  EXPECT_TRUE(absl::StrContains(r.detail(), "mx1.example.test (192.0.2.25)")) << r.detail();
  EXPECT_FALSE(r.cached());
  // Its own part only.
  EXPECT_EQ(evidence.sts_records_size(), 0);
  EXPECT_EQ(evidence.mx_hosts_size(), 0);
  testing::SettleDns(*dns_, *ctx_);
  EXPECT_EQ(ctx_->done_calls(), 1);
  EXPECT_EQ(ctx_->off_thread_calls(), 0);
}

TEST_F(TlsRptCheckTest, OnlyDestinationWithNullMxFails) {
  PublishRua("mailto:tlsrpt@null.test");
  dns_->AddRecord("null.test", DnsRecord::Mx(0, "."));
  auto verdict = RunOnce();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_FAIL);
  EXPECT_EQ(verdict->fraction, 0);
  ASSERT_FALSE(verdict->findings.empty());
  EXPECT_EQ(verdict->findings[0].code(), v1::TLSRPT_RUA_MAILTO_NO_MAIL);
  EXPECT_TRUE(absl::StrContains(verdict->findings[0].detail(), "null MX"));
  EXPECT_EQ(ctx_->EvidenceCopy().tls_rpt().reachability(0).outcome(), v1::RUA_OUTCOME_NO_MAIL);
}

TEST_F(TlsRptCheckTest, BrokenBesideAWorkingDestinationWarns) {
  PublishRua("mailto:a@example.test,mailto:b@gone.test");
  MailDomain("example.test");  // gone.test: NXDOMAIN (the fake's default)
  auto verdict = RunOnce();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_WARN);
  EXPECT_EQ(verdict->fraction, 0.5);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_REACHABLE));
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_MAILTO_NO_MAIL));
}

TEST_F(TlsRptCheckTest, HttpsCollectorAnswering405IsReachableAndOnlyGetIsSent) {
  StartCollector();
  PublishRua(CollectorUri());
  auto verdict = RunOnce();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_REACHABLE));
  const auto requests = https_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");  // never a POST: no fake report
  EXPECT_EQ(requests[0].target, "/v1/tlsrpt");
  EXPECT_EQ(requests[0].sni, "collector.test");
  const v1::RuaReachability r = ctx_->EvidenceCopy().tls_rpt().reachability(0);
  EXPECT_TRUE(absl::StrContains(r.detail(), "HTTP 405")) << r.detail();
}

TEST_F(TlsRptCheckTest, HttpsCollectorWithSelfSignedCertificateIsBroken) {
  StartCollector(/*self_signed=*/true);
  PublishRua(CollectorUri());
  auto verdict = RunOnce();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_FAIL);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_HTTPS_BROKEN));
  EXPECT_EQ(ctx_->EvidenceCopy().tls_rpt().reachability(0).outcome(),
            v1::RUA_OUTCOME_HTTPS_BROKEN);
}

TEST_F(TlsRptCheckTest, HttpsHostThatDoesNotResolveIsBroken) {
  PublishRua("https://nowhere.test/r");
  auto verdict = RunOnce();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_HTTPS_BROKEN));
  EXPECT_EQ(dns_->queries_for("nowhere.test", DnsType::kA), 1);
}

TEST_F(TlsRptCheckTest, HttpsCollectorOnAPrivateAddressIsBrokenWithoutAConnection) {
  PublishRua("https://collector.test/r");
  dns_->AddRecord("collector.test", DnsRecord::A("10.1.2.3"));
  auto verdict = RunOnce();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_HTTPS_BROKEN));
  const v1::RuaReachability r = ctx_->EvidenceCopy().tls_rpt().reachability(0);
  EXPECT_TRUE(absl::StrContains(r.detail(), "10.1.2.3")) << r.detail();
}

TEST_F(TlsRptCheckTest, ASecondRunReusesTheCachedResult) {
  PublishRua("mailto:tlsrpt@example.test");
  MailDomain("example.test");
  ASSERT_TRUE(RunOnce().has_value());
  auto other = OtherRun();
  ASSERT_NE(other, nullptr);
  other->Start(check_);
  auto verdict = other->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_REACHABLE));
  EXPECT_EQ(dns_->queries_for("example.test", DnsType::kMx), 1);  // not asked again
  EXPECT_TRUE(other->EvidenceCopy().tls_rpt().reachability(0).cached());
  EXPECT_EQ(check_.cache().stats().cache_hits, 1);
}

TEST_F(TlsRptCheckTest, OnlyTheFirstFiveDestinationsAreChecked) {
  PublishRua("mailto:a@example.test,mailto:b@example.test,mailto:c@example.test,"
             "mailto:d@example.test,mailto:e@example.test,mailto:f@example.test");
  MailDomain("example.test");
  auto verdict = RunOnce();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS);
  const v1::TlsRptEvidence e = ctx_->EvidenceCopy().tls_rpt();
  ASSERT_EQ(e.reachability_size(), 6);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(e.reachability(i).outcome(), v1::RUA_OUTCOME_REACHABLE);
  EXPECT_EQ(e.reachability(5).outcome(), v1::RUA_OUTCOME_INCONCLUSIVE);
  EXPECT_TRUE(absl::StrContains(e.reachability(5).detail(), "first 5")) << e.reachability(5).detail();
  // Five URIs, one mail domain: one check.
  EXPECT_EQ(dns_->queries_for("example.test", DnsType::kMx), 1);
}

TEST_F(TlsRptCheckTest, DeadlineLeavesDestinationsInconclusiveAndReports) {
  PublishRua("mailto:tlsrpt@slow.test");
  dns_->SetReply("slow.test", DnsType::kMx,
                 DnsReply::Records({DnsRecord::Mx(10, "mx.slow.test")}).Delayed(absl::Seconds(20)));
  ctx_->set_deadline(absl::Now() + absl::Seconds(1));
  auto verdict = RunOnce();
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS);  // our deadline says nothing of theirs
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_CHECK_INCONCLUSIVE));
  EXPECT_EQ(check_.cache().stats().entries, 0u);  // nothing cached, nobody waiting
}

TEST_F(TlsRptCheckTest, CancelledWorkerHandsTheCheckToTheOtherRun) {
  PublishRua("mailto:tlsrpt@shared.test");
  dns_->SetReply("shared.test", DnsType::kMx,
                 DnsReply::Records({DnsRecord::Mx(10, "mx1.shared.test")})
                     .Delayed(absl::Seconds(2)));  // long enough for the other to join
  dns_->AddRecord("mx1.shared.test", DnsRecord::A("192.0.2.25"));
  auto other = OtherRun();
  ASSERT_NE(other, nullptr);
  ctx_->Start(check_);
  ASSERT_TRUE(dns_->WaitForQueries(2, kWait));  // TXT, then the MX of the first run
  other->Start(check_);
  ASSERT_TRUE(dns_->WaitForQueries(3, kWait));  // the other run's TXT: it joins
  // The joiner's Get is made on its reactor when the TXT answer arrives;
  // polled with a bound (the cache has no event to wait on).
  const absl::Time give_up = absl::Now() + kWait;
  while (check_.cache().stats().joined == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_EQ(check_.cache().stats().joined, 1);
  // Asked by the first run only so far (c-ares may have resent it).
  const int64_t asked_before = dns_->queries_for("shared.test", DnsType::kMx);
  ctx_->CancelRun();
  auto verdict = other->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_RUA_REACHABLE));
  EXPECT_GT(dns_->queries_for("shared.test", DnsType::kMx), asked_before);  // asked again
  EXPECT_EQ(check_.cache().stats().handovers, 1);
  EXPECT_EQ(ctx_->done_calls(), 0);
  EXPECT_EQ(ctx_->done_calls_after_cancel(), 0);
}

TEST_F(TlsRptCheckTest, RunCancelledDuringReachabilityNeverReports) {
  PublishRua("mailto:tlsrpt@slow.test");
  dns_->SetReply("slow.test", DnsType::kMx,
                 DnsReply::Records({DnsRecord::Mx(10, "mx.slow.test")})
                     .Delayed(absl::Milliseconds(200)));
  ctx_->Start(check_);
  ASSERT_TRUE(dns_->WaitForQueries(2, kWait));
  ctx_->CancelRun();
  testing::SettleDns(*dns_, *ctx_);
  EXPECT_EQ(ctx_->done_calls(), 0);
  EXPECT_EQ(check_.cache().stats().entries, 0u);
  EXPECT_EQ(check_.cache().stats().abandoned, 1);
}

TEST_F(TlsRptCheckTest, MissingRecordFails) {
  ExpectFailedLookupJudged(kTxtName, DnsReply::NxDomain(), v1::CHECK_STATUS_FAIL,
                           v1::TLSRPT_MISSING);
}

TEST_F(TlsRptCheckTest, ServFailIsALookupFailure) {
  ExpectFailedLookupJudged(kTxtName, DnsReply::ServFail(), v1::CHECK_STATUS_FAIL,
                           v1::TLSRPT_LOOKUP_FAILED);
}

TEST_F(TlsRptCheckTest, CancelledRunNeverReports) {
  ExpectCancelledRunNeverReports(kTxtName, "v=TLSRPTv1; rua=mailto:a@example.test");
}

}  // namespace
}  // namespace mtasts::checks
