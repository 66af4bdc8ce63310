// TlsRptCheck's glue: the _smtp._tls TXT lookup through the run's DNS session, the
// evidence it writes, one `done`, and silence once the run is cancelled.
#include "checks/tls_rpt/tls_rpt_check.h"

#include <memory>

#include "checks/testing/check_test_util.h"
#include "checks/testing/fake_check_context.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_dns_server.h"

namespace mtasts::checks {
namespace {

using fakes::DnsRecord;
using fakes::DnsReply;
using fakes::DnsType;
using fakes::FakeDnsServer;
using testing::FakeCheckContext;
using testing::kWait;

using TlsRptCheckTest = testing::DnsCheckTest<TlsRptCheck>;

TEST_F(TlsRptCheckTest, Metadata) {
  EXPECT_EQ(check_.name(), "tls_rpt");
  EXPECT_EQ(check_.default_weight(), 10);
  EXPECT_TRUE(check_.inputs().empty());
  EXPECT_FALSE(check_.probes_mx_hosts());
}

TEST_F(TlsRptCheckTest, ValidRecordIsQueriedRecordedAndWrittenToEvidence) {
  dns_->AddRecord("_smtp._tls.example.test", DnsRecord::Txt({"v=TLSRPTv1; rua=mailto:tlsrpt@example.test"}));
  ctx_->Start(check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TLSRPT_VALID));
  testing::ExpectFindingsFromOwnTable(check_, *verdict);

  EXPECT_EQ(dns_->queries_for("_smtp._tls.example.test", DnsType::kTxt), 1);
  auto lookups = ctx_->recorded_lookups();
  ASSERT_EQ(lookups.size(), 1u);
  EXPECT_EQ(lookups[0].name, "_smtp._tls.example.test");
  EXPECT_EQ(lookups[0].type, net::RrType::kTxt);

  const v1::Evidence evidence = ctx_->EvidenceCopy();
  EXPECT_TRUE(evidence.tls_rpt().valid());
  ASSERT_EQ(evidence.tls_rpt().rua_size(), 1);
  EXPECT_EQ(evidence.tls_rpt().rua(0), "mailto:tlsrpt@example.test");
  ASSERT_EQ(evidence.tls_rpt().records_size(), 1);
  EXPECT_EQ(evidence.tls_rpt().records(0), "v=TLSRPTv1; rua=mailto:tlsrpt@example.test");
  // Its own part only.
  EXPECT_EQ(evidence.sts_records_size(), 0);
  EXPECT_EQ(evidence.mx_hosts_size(), 0);
  EXPECT_FALSE(evidence.has_policy());

  testing::SettleDns(*dns_, *ctx_);
  EXPECT_EQ(ctx_->done_calls(), 1);
  EXPECT_EQ(ctx_->off_thread_calls(), 0);
}

TEST_F(TlsRptCheckTest, MissingRecordFails) {
  ExpectFailedLookupJudged("_smtp._tls.example.test", DnsReply::NxDomain(), v1::CHECK_STATUS_FAIL,
                           v1::TLSRPT_MISSING);
}

TEST_F(TlsRptCheckTest, ServFailIsALookupFailure) {
  ExpectFailedLookupJudged("_smtp._tls.example.test", DnsReply::ServFail(), v1::CHECK_STATUS_FAIL,
                           v1::TLSRPT_LOOKUP_FAILED);
}

TEST_F(TlsRptCheckTest, CancelledRunNeverReports) {
  ExpectCancelledRunNeverReports("_smtp._tls.example.test", "v=TLSRPTv1; rua=mailto:a@example.test");
}

}  // namespace
}  // namespace mtasts::checks
