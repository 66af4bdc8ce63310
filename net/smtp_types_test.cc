#include "net/smtp_types.h"

#include <utility>

#include "gtest/gtest.h"
#include "net/tls_types.h"

namespace mtasts::net {
namespace {

TEST(SmtpTypesTest, FailureNameIsTheSmtpFailureElseTheTransportFailure) {
  SmtpProbeResult r;
  EXPECT_EQ(r.FailureName(), "none");
  r.error.failure = NetFailure::kTimeout;
  EXPECT_EQ(r.FailureName(), "timeout");
  r.error.failure = NetFailure::kProtocol;
  for (auto [failure, name] : {std::pair{SmtpFailure::kMalformed, "smtp_malformed"},
                               {SmtpFailure::kRejected, "smtp_rejected"},
                               {SmtpFailure::kStartTlsNotOffered, "starttls_not_offered"}}) {
    r.smtp_failure = failure;
    EXPECT_EQ(r.FailureName(), name);
    EXPECT_FALSE(r.ok());
  }
}

TEST(SmtpTypesTest, PhaseNames) {
  EXPECT_EQ(SmtpPhaseName(SmtpPhase::kStartTls), "STARTTLS reply");
  EXPECT_EQ(SmtpPhaseName(SmtpPhase::kTlsHandshake), "TLS handshake");
}

}  // namespace
}  // namespace mtasts::net
