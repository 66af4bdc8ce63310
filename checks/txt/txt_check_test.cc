// TxtCheck's glue: the _mta-sts TXT lookup through the run's DNS session, the
// evidence it writes, one `done`, and silence once the run is cancelled.
#include "checks/txt/txt_check.h"

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

using TxtCheckTest = testing::DnsCheckTest<TxtCheck>;

TEST_F(TxtCheckTest, Metadata) {
  EXPECT_EQ(check_.name(), "txt");
  EXPECT_EQ(check_.default_weight(), 15);
  EXPECT_TRUE(check_.inputs().empty());
  EXPECT_FALSE(check_.probes_mx_hosts());
}

TEST_F(TxtCheckTest, ValidRecordIsQueriedRecordedAndWrittenToEvidence) {
  dns_->AddRecord("_mta-sts.example.test", DnsRecord::Txt({"v=STSv1; id=2024a;"}));
  ctx_->Start(check_);
  auto verdict = ctx_->WaitForDone(kWait);
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(verdict->status, v1::CHECK_STATUS_PASS);
  EXPECT_TRUE(testing::HasFinding(*verdict, v1::TXT_VALID));
  testing::ExpectFindingsFromOwnTable(check_, *verdict);

  EXPECT_EQ(dns_->queries_for("_mta-sts.example.test", DnsType::kTxt), 1);
  auto lookups = ctx_->recorded_lookups();
  ASSERT_EQ(lookups.size(), 1u);
  EXPECT_EQ(lookups[0].name, "_mta-sts.example.test");
  EXPECT_EQ(lookups[0].type, net::RrType::kTxt);

  const v1::Evidence evidence = ctx_->EvidenceCopy();
  EXPECT_EQ(evidence.sts_id(), "2024a");
  ASSERT_EQ(evidence.sts_records_size(), 1);
  EXPECT_EQ(evidence.sts_records(0), "v=STSv1; id=2024a;");
  // Its own part only.
  EXPECT_EQ(evidence.mx_hosts_size(), 0);
  EXPECT_FALSE(evidence.has_tls_rpt());
  EXPECT_FALSE(evidence.has_policy());

  testing::SettleDns(*dns_, *ctx_);
  EXPECT_EQ(ctx_->done_calls(), 1);
  EXPECT_EQ(ctx_->off_thread_calls(), 0);
}

TEST_F(TxtCheckTest, MissingRecordFails) {
  ExpectFailedLookupJudged("_mta-sts.example.test", DnsReply::NxDomain(), v1::CHECK_STATUS_FAIL,
                           v1::TXT_MISSING);
}

TEST_F(TxtCheckTest, ServFailIsALookupFailure) {
  ExpectFailedLookupJudged("_mta-sts.example.test", DnsReply::ServFail(), v1::CHECK_STATUS_FAIL,
                           v1::TXT_LOOKUP_FAILED);
}

TEST_F(TxtCheckTest, CancelledRunNeverReports) {
  ExpectCancelledRunNeverReports("_mta-sts.example.test", "v=STSv1; id=1;");
}

}  // namespace
}  // namespace mtasts::checks
