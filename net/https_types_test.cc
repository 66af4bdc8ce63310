#include "net/https_types.h"

#include <optional>
#include <utility>

#include "gtest/gtest.h"
#include "net/tls_types.h"

namespace mtasts::net {
namespace {

// The names reach reports (policy_fetch's per-address outcome): stable.
TEST(HttpsTypesTest, FailureNameIsTheHttpFailureElseTheTransportFailure) {
  HttpsResult r;
  EXPECT_EQ(r.FailureName(), "none");
  r.error.failure = NetFailure::kCertificateExpired;
  EXPECT_EQ(r.FailureName(), "certificate_expired");
  r.error.failure = NetFailure::kProtocol;
  for (auto [failure, name] : {std::pair{HttpFailure::kMalformed, "http_malformed"},
                               {HttpFailure::kHeadersTooLarge, "http_headers_too_large"},
                               {HttpFailure::kBodyTooLarge, "http_body_too_large"},
                               {HttpFailure::kTruncated, "http_truncated"}}) {
    r.http_failure = failure;
    EXPECT_EQ(r.FailureName(), name);
    EXPECT_FALSE(r.ok());
  }
}

TEST(HttpsTypesTest, HeaderIsCaseInsensitiveAndFirstWins) {
  HttpsResult r;
  r.headers = {{"Content-Type", "text/plain"}, {"content-type", "text/html"}};
  EXPECT_EQ(r.Header("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(r.Header("location"), std::nullopt);
}

}  // namespace
}  // namespace mtasts::net
