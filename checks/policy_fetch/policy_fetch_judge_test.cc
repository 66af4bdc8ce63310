// Table tests of the pure policy fetch judge: hand-built fetch outcomes, no
// network. The gRPC-level tests (tests/integration/policy_fetch_test.cc)
// cover the same causes from real connections.
#include "checks/policy_fetch/policy_fetch_judge.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

using ::testing::HasSubstr;

PolicyFetchAttempt Served(std::string address, std::string body,
                          std::string content_type = "text/plain; charset=utf-8",
                          int64_t days_left = 60) {
  PolicyFetchAttempt a;
  a.address = std::move(address);
  a.guard.allowed = true;
  a.result.status_code = 200;
  a.result.headers = {{"Content-Type", std::move(content_type)}};
  a.result.body = std::move(body);
  a.result.body_bytes_received = a.result.body.size();
  a.result.tls.version = "TLSv1.3";
  net::CertificateInfo leaf;
  leaf.subject = "CN=mta-sts.example.com";
  leaf.dns_names = {"mta-sts.example.com"};
  leaf.days_to_expiry = days_left;
  leaf.not_after = absl::FromUnixSeconds(1900000000);
  a.result.tls.chain = {leaf};
  return a;
}

PolicyFetch FetchOf(std::vector<PolicyFetchAttempt> attempts) {
  PolicyFetch f;
  f.host = "mta-sts.example.com";
  f.url = "https://mta-sts.example.com/.well-known/mta-sts.txt";
  f.a_lookup.outcome = net::DnsOutcome::kAnswer;
  f.aaaa_lookup.outcome = net::DnsOutcome::kNoData;
  f.attempts = std::move(attempts);
  for (size_t i = 0; i < f.attempts.size(); ++i) {
    if (f.attempts[i].contacted() && f.attempts[i].result.status_code == 200 &&
        f.attempts[i].result.ok()) {
      f.chosen = static_cast<int>(i);
      break;
    }
  }
  return f;
}

const v1::Finding* Find(const CheckVerdict& v, v1::FindingCode code) {
  for (const auto& f : v.findings) {
    if (f.code() == code) return &f;
  }
  return nullptr;
}

TEST(PolicyFetchJudge, CleanFetchPassesWithFullMarks) {
  v1::PolicyEvidence ev;
  CheckVerdict v = JudgePolicyFetch(FetchOf({Served("192.0.2.1", "version: STSv1\n")}), &ev);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_PASS);
  EXPECT_DOUBLE_EQ(v.fraction, 1);
  ASSERT_NE(Find(v, v1::POLICY_FETCH_OK), nullptr);
  EXPECT_EQ(ev.http_status(), 200);
  EXPECT_EQ(ev.addresses(0).outcome(), "ok");
  EXPECT_EQ(ev.certificate().days_to_expiry(), 60);
}

TEST(PolicyFetchJudge, SlowPolicyIsJudgedAndNamesEachSlowAddressWithItsTime) {
  PolicyFetchAttempt slow = Served("192.0.2.1", "version: STSv1\n");
  slow.result.timings.total = absl::Milliseconds(20013);
  PolicyFetchAttempt at_threshold = Served("192.0.2.2", "version: STSv1\n");
  at_threshold.result.timings.total = absl::Seconds(5);  // not above it
  PolicyFetch fetch = FetchOf({slow, at_threshold});
  fetch.slow_after = absl::Seconds(5);
  v1::PolicyEvidence ev;
  CheckVerdict v = JudgePolicyFetch(fetch, &ev);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_DOUBLE_EQ(v.fraction, 0.9);
  const v1::Finding* f = Find(v, v1::POLICY_FETCH_SLOW);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->severity(), v1::SEVERITY_LOW);
  EXPECT_THAT(f->detail(), HasSubstr("192.0.2.1 after 20013 ms"));
  EXPECT_THAT(f->detail(), HasSubstr("reported above 5000 ms"));
  EXPECT_THAT(f->detail(), ::testing::Not(HasSubstr("192.0.2.2")));
  EXPECT_EQ(ev.addresses(0).fetch_ms(), 20013);
  EXPECT_EQ(ev.addresses(1).fetch_ms(), 5000);
}

TEST(PolicyFetchJudge, SlowFailureIsNotASlowPolicy) {
  // Only a policy that arrived is slow; a slow 404 is a 404.
  PolicyFetchAttempt missing = Served("192.0.2.1", "not here");
  missing.result.status_code = 404;
  missing.result.timings.total = absl::Seconds(30);
  PolicyFetch fetch = FetchOf({missing});
  fetch.slow_after = absl::Seconds(5);
  CheckVerdict v = JudgePolicyFetch(fetch, nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
  EXPECT_EQ(Find(v, v1::POLICY_FETCH_SLOW), nullptr);
  EXPECT_NE(Find(v, v1::POLICY_HTTP_NOT_FOUND), nullptr);
}

TEST(PolicyFetchJudge, DifferentBodiesAtTwoAddressesAreNamed) {
  CheckVerdict v = JudgePolicyFetch(
      FetchOf({Served("192.0.2.1", "mode: enforce"), Served("192.0.2.2", "mode: testing")}),
      nullptr);
  ASSERT_NE(Find(v, v1::POLICY_ADDRESSES_DIFFER), nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
}

TEST(PolicyFetchJudge, ExpiryWithinThreeDaysIsHighWithinFourteenMedium) {
  CheckVerdict soon = JudgePolicyFetch(FetchOf({Served("192.0.2.1", "p", "text/plain; charset=utf-8", 14)}), nullptr);
  ASSERT_NE(Find(soon, v1::POLICY_CERT_EXPIRING_SOON), nullptr);
  EXPECT_EQ(Find(soon, v1::POLICY_CERT_EXPIRING_SOON)->severity(), v1::SEVERITY_MEDIUM);
  EXPECT_DOUBLE_EQ(soon.fraction, 0.8);
  CheckVerdict very = JudgePolicyFetch(FetchOf({Served("192.0.2.1", "p", "text/plain; charset=utf-8", 3)}), nullptr);
  EXPECT_EQ(Find(very, v1::POLICY_CERT_EXPIRING_SOON)->severity(), v1::SEVERITY_HIGH);
  EXPECT_DOUBLE_EQ(very.fraction, 0.5);
  EXPECT_EQ(very.status, v1::CHECK_STATUS_WARN);
  CheckVerdict fine = JudgePolicyFetch(FetchOf({Served("192.0.2.1", "p", "text/plain; charset=utf-8", 15)}), nullptr);
  EXPECT_EQ(Find(fine, v1::POLICY_CERT_EXPIRING_SOON), nullptr);
}

// RFC 2046 §4.1.2: text/plain without a charset is US-ASCII, which an ASCII
// policy is: no finding, no deduction. Non-ASCII bytes need charset=utf-8.
TEST(PolicyFetchJudge, CharsetMattersOnlyForNonAsciiBodies) {
  const std::string ascii = "version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800\n";
  const std::string utf8 = ascii + "x-note: caf\xc3\xa9\n";
  struct Case {
    std::string content_type;
    std::string body;
    v1::FindingCode code;  // FINDING_CODE_UNSPECIFIED: no charset finding
  };
  const Case cases[] = {
      {"text/plain", ascii, v1::FINDING_CODE_UNSPECIFIED},
      {"text/plain; charset=us-ascii", ascii, v1::FINDING_CODE_UNSPECIFIED},
      {"text/plain; charset=utf-8", utf8, v1::FINDING_CODE_UNSPECIFIED},
      {"text/plain", utf8, v1::POLICY_CONTENT_TYPE_NO_CHARSET},
      {"text/plain; charset=us-ascii", utf8, v1::POLICY_CONTENT_TYPE_CHARSET},
      {"text/plain; charset=iso-8859-1", ascii, v1::POLICY_CONTENT_TYPE_CHARSET},
  };
  for (const Case& c : cases) {
    CheckVerdict v = JudgePolicyFetch(FetchOf({Served("192.0.2.1", c.body, c.content_type)}), nullptr);
    const bool flagged = Find(v, v1::POLICY_CONTENT_TYPE_NO_CHARSET) != nullptr ||
                         Find(v, v1::POLICY_CONTENT_TYPE_CHARSET) != nullptr;
    if (c.code == v1::FINDING_CODE_UNSPECIFIED) {
      EXPECT_FALSE(flagged) << c.content_type;
      EXPECT_EQ(v.status, v1::CHECK_STATUS_PASS) << c.content_type;
      EXPECT_DOUBLE_EQ(v.fraction, 1) << c.content_type;
    } else {
      EXPECT_NE(Find(v, c.code), nullptr) << c.content_type;
      EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN) << c.content_type;
      EXPECT_DOUBLE_EQ(v.fraction, 0.9) << c.content_type;
    }
  }
}

TEST(PolicyFetchJudge, AddressesBeyondTheLimitAreNotedNotCounted) {
  PolicyFetchAttempt skipped = Served("192.0.2.9", "");
  skipped.skipped = true;
  CheckVerdict v = JudgePolicyFetch(FetchOf({Served("192.0.2.1", "p"), skipped}), nullptr);
  EXPECT_NE(Find(v, v1::POLICY_ADDRESSES_NOT_ALL_FETCHED), nullptr);
  EXPECT_EQ(Find(v, v1::POLICY_ADDRESSES_INCONSISTENT), nullptr);
  EXPECT_DOUBLE_EQ(v.fraction, 1);
}

TEST(PolicyFetchJudge, SameCauseAtEveryAddressIsOneFinding) {
  PolicyFetchAttempt a = Served("192.0.2.1", "");
  a.result.status_code = 404;
  PolicyFetchAttempt b = a;
  b.address = "2001:db8::1";
  CheckVerdict v = JudgePolicyFetch(FetchOf({a, b}), nullptr);
  int count = 0;
  for (const auto& f : v.findings) count += f.code() == v1::POLICY_HTTP_NOT_FOUND;
  EXPECT_EQ(count, 1);
  EXPECT_THAT(Find(v, v1::POLICY_HTTP_NOT_FOUND)->detail(), HasSubstr("at every address"));
  EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
  EXPECT_DOUBLE_EQ(v.fraction, 0);
}

TEST(PolicyFetchJudge, UnreachableResolverIsInconclusive) {
  PolicyFetch f = FetchOf({});
  f.a_lookup.outcome = net::DnsOutcome::kUnreachable;
  f.aaaa_lookup.outcome = net::DnsOutcome::kUnreachable;
  EXPECT_EQ(JudgePolicyFetch(f, nullptr).status, v1::CHECK_STATUS_INCONCLUSIVE);
}

TEST(PolicyFetchJudge, NoDataEverywhereIsNoAddress) {
  PolicyFetch f = FetchOf({});
  f.a_lookup.outcome = net::DnsOutcome::kNoData;
  CheckVerdict v = JudgePolicyFetch(f, nullptr);
  EXPECT_NE(Find(v, v1::POLICY_HOST_NO_ADDRESS), nullptr);
}

struct ContentTypeCase {
  std::string value;
  std::string type;
  std::string charset;
};

TEST(ParseContentType, ParametersCaseAndQuotes) {
  const std::vector<ContentTypeCase> cases = {
      {"text/plain", "text/plain", ""},
      {"Text/Plain; Charset=\"UTF-8\"", "text/plain", "utf-8"},
      {" text/plain ;format=flowed; charset=us-ascii", "text/plain", "us-ascii"},
      {"text/plain; charset", "text/plain", ""},
      {"text/html; charset=utf-8", "text/html", "utf-8"},
      {"", "", ""},
      {";;;", "", ""},
  };
  for (const auto& c : cases) {
    MediaType m = ParseContentType(c.value);
    EXPECT_EQ(m.type, c.type) << c.value;
    EXPECT_EQ(m.charset, c.charset) << c.value;
  }
}

}  // namespace
}  // namespace mtasts::checks
