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

using fakes::DnsReply;

using TxtCheckTest = testing::DnsCheckTest<TxtCheck>;

TEST_F(TxtCheckTest, Metadata) {
  testing::ExpectMetadata(check_, {"txt", 15, {}, false});
}

TEST_F(TxtCheckTest, ValidRecordIsQueriedRecordedAndWrittenToEvidence) {
  const v1::Evidence evidence =
      ExpectValidRecordPasses("_mta-sts.example.test", "v=STSv1; id=2024a;", v1::TXT_VALID);
  EXPECT_EQ(evidence.sts_id(), "2024a");
  ASSERT_EQ(evidence.sts_records_size(), 1);
  EXPECT_EQ(evidence.sts_records(0), "v=STSv1; id=2024a;");
  // Its own part only.
  EXPECT_EQ(evidence.mx_hosts_size(), 0);
  EXPECT_FALSE(evidence.has_tls_rpt());
  EXPECT_FALSE(evidence.has_policy());
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
