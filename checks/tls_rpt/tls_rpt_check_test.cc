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

using fakes::DnsReply;

using TlsRptCheckTest = testing::DnsCheckTest<TlsRptCheck>;

TEST_F(TlsRptCheckTest, Metadata) {
  testing::ExpectMetadata(check_, {"tls_rpt", 10, {}, false});
}

TEST_F(TlsRptCheckTest, ValidRecordIsQueriedRecordedAndWrittenToEvidence) {
  const v1::Evidence evidence =
      ExpectValidRecordPasses("_smtp._tls.example.test", "v=TLSRPTv1; rua=mailto:tlsrpt@example.test", v1::TLSRPT_VALID);
  EXPECT_TRUE(evidence.tls_rpt().valid());
  ASSERT_EQ(evidence.tls_rpt().rua_size(), 1);
  EXPECT_EQ(evidence.tls_rpt().rua(0), "mailto:tlsrpt@example.test");
  ASSERT_EQ(evidence.tls_rpt().records_size(), 1);
  EXPECT_EQ(evidence.tls_rpt().records(0), "v=TLSRPTv1; rua=mailto:tlsrpt@example.test");
  // Its own part only.
  EXPECT_EQ(evidence.sts_records_size(), 0);
  EXPECT_EQ(evidence.mx_hosts_size(), 0);
  EXPECT_FALSE(evidence.has_policy());
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
