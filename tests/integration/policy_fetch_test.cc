// The policy fetch, content and MX match through the real gRPC API: every
// failure mode of RFC 8461 §3.3 scripted on the lab's HTTPS server (with
// certificates its own CA issues at test time), each asserting its finding.
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/report.pb.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/test_certs.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using fakes::CertSpec;
using fakes::FakeHttpResponse;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPolicyPath[] = "/.well-known/mta-sts.txt";

std::string EnforcePolicy(const std::string& domain) {
  return absl::StrCat("version: STSv1\nmode: enforce\nmx: mx1.", domain,
                      "\nmax_age: 604800\n");
}

FakeHttpResponse PolicyResponse(std::string body) {
  FakeHttpResponse r = FakeHttpResponse::Text(std::move(body));
  r.headers = {{"Content-Type", "text/plain; charset=utf-8"}};
  return r;
}

// DNS for a domain whose policy host is the lab's web server.
void PublishDomain(TestLab& lab, const std::string& domain, bool txt = true) {
  lab.dns().Mx(domain, {{10, "mx1." + domain}});
  lab.dns().A("mx1." + domain, {"192.0.2.10"});
  if (txt) lab.dns().Txt("_mta-sts." + domain, {{"v=STSv1; id=1;"}});
  lab.dns().Txt("_smtp._tls." + domain, {{"v=TLSRPTv1; rua=mailto:r@" + domain}});
}

// One scripted web behaviour and what the report must say about it.
struct FetchCase {
  std::string name;  // also the domain's first label
  // Scripts the lab for `domain` (DNS is already published; mta-sts.<domain>
  // resolves to the web server unless the case changes it).
  std::function<void(TestLab&, const std::string& domain)> script;
  v1::FindingCode code;
  v1::CheckStatus status;
  std::string detail_part;  // "" for none
};

FakeHttpResponse Big(size_t bytes) {
  return PolicyResponse(std::string(bytes, 'x'));
}

std::vector<FetchCase> FetchCases() {
  // A 200 scripted without a body serves the domain's policy.
  auto serve = [](FakeHttpResponse r) {
    return [r](TestLab& lab, const std::string& d) {
      FakeHttpResponse response = r;
      if (response.status == 200 && response.body.empty()) response.body = EnforcePolicy(d);
      lab.ServePolicy(d, response);
    };
  };
  auto with_cert = [](std::function<absl::StatusOr<fakes::TestCert>(TestLab&, const std::string&)>
                          make) {
    return [make](TestLab& lab, const std::string& d) {
      auto cert = make(lab, "mta-sts." + d);
      ASSERT_TRUE(cert.ok()) << cert.status();
      lab.ServePolicy(d, PolicyResponse(EnforcePolicy(d)), *cert);
    };
  };
  FakeHttpResponse chunked = PolicyResponse("");
  chunked.framing = FakeHttpResponse::Framing::kChunked;
  chunked.chunk_size = 7;
  FakeHttpResponse huge_headers = PolicyResponse("");
  huge_headers.headers.emplace_back("X-Padding", std::string(20000, 'p'));
  FakeHttpResponse slow_headers = PolicyResponse("");
  slow_headers.delay_before_first_byte = absl::Seconds(30);
  FakeHttpResponse drip = PolicyResponse(std::string(400, ' '));
  drip.drip_interval = absl::Milliseconds(20);
  FakeHttpResponse reset = PolicyResponse(std::string(4000, '#'));
  reset.close_after_bytes = 300;
  reset.reset = true;
  FakeHttpResponse html_403 = FakeHttpResponse::Status(403, "Forbidden");
  html_403.body = "<!DOCTYPE html><html><title>Just a moment...</title></html>";
  FakeHttpResponse no_type = PolicyResponse("");
  no_type.headers.clear();
  FakeHttpResponse latin1 = PolicyResponse("");
  latin1.headers = {{"Content-Type", "text/plain; charset=iso-8859-1"}};
  // Plain text/plain: US-ASCII (RFC 2046 §4.1.2), right for an ASCII policy.
  FakeHttpResponse bare_type = PolicyResponse("");
  bare_type.headers = {{"Content-Type", "text/plain"}};
  // Non-ASCII bytes (in an extension field senders ignore) need utf-8.
  auto non_ascii = [](std::string content_type) {
    return [content_type](TestLab& lab, const std::string& d) {
      FakeHttpResponse r = PolicyResponse(EnforcePolicy(d) + "x-note: caf\xc3\xa9\n");
      r.headers = {{"Content-Type", content_type}};
      lab.ServePolicy(d, r);
    };
  };

  return {
      {"good", nullptr, v1::POLICY_FETCH_OK, v1::CHECK_STATUS_PASS, ""},
      {"notfound", serve(FakeHttpResponse::Status(404, "Not Found")), v1::POLICY_HTTP_NOT_FOUND,
       v1::CHECK_STATUS_FAIL, "404"},
      {"error500", serve(FakeHttpResponse::Status(500, "Internal Server Error")),
       v1::POLICY_HTTP_STATUS, v1::CHECK_STATUS_FAIL, "HTTP 500"},
      {"moved301", serve(FakeHttpResponse::Redirect(301, "https://www.example.org/mta-sts.txt")),
       v1::POLICY_HTTP_REDIRECT, v1::CHECK_STATUS_FAIL, "https://www.example.org/mta-sts.txt"},
      {"found302", serve(FakeHttpResponse::Redirect(302, "/elsewhere")), v1::POLICY_HTTP_REDIRECT,
       v1::CHECK_STATUS_FAIL, "/elsewhere"},
      {"html", serve(FakeHttpResponse::Status(200, "OK")), v1::POLICY_CONTENT_TYPE_WRONG,
       v1::CHECK_STATUS_FAIL, "text/html"},
      {"notype", serve(no_type), v1::POLICY_CONTENT_TYPE_WRONG, v1::CHECK_STATUS_FAIL,
       "no Content-Type"},
      {"latin1", serve(latin1), v1::POLICY_CONTENT_TYPE_CHARSET, v1::CHECK_STATUS_WARN,
       "iso-8859-1"},
      {"baretype", serve(bare_type), v1::POLICY_FETCH_OK, v1::CHECK_STATUS_PASS, ""},
      {"baretypeutf8", non_ascii("text/plain"), v1::POLICY_CONTENT_TYPE_NO_CHARSET,
       v1::CHECK_STATUS_WARN, "non-ASCII"},
      {"asciiutf8", non_ascii("text/plain; charset=us-ascii"), v1::POLICY_CONTENT_TYPE_CHARSET,
       v1::CHECK_STATUS_WARN, "non-ASCII"},
      {"utf8", non_ascii("text/plain; charset=utf-8"), v1::POLICY_FETCH_OK, v1::CHECK_STATUS_PASS,
       ""},
      {"chunked", serve(chunked), v1::POLICY_FETCH_OK, v1::CHECK_STATUS_PASS, ""},
      {"huge", serve(Big(70 * 1024)), v1::POLICY_BODY_TOO_LARGE, v1::CHECK_STATUS_FAIL, ""},
      {"bigheaders", serve(huge_headers), v1::POLICY_HTTP_HEADERS_TOO_LARGE,
       v1::CHECK_STATUS_FAIL, ""},
      {"slowheaders", serve(slow_headers), v1::POLICY_FETCH_TIMEOUT, v1::CHECK_STATUS_FAIL, ""},
      {"drip", serve(drip), v1::POLICY_FETCH_TIMEOUT, v1::CHECK_STATUS_FAIL, ""},
      {"reset", serve(reset), v1::POLICY_CONNECTION_DROPPED, v1::CHECK_STATUS_FAIL, ""},
      {"bot", serve(html_403), v1::POLICY_HTTP_BOT_PROTECTION, v1::CHECK_STATUS_FAIL, "403"},
      {"expired",
       with_cert([](TestLab& lab, const std::string& h) {
         return lab.ca().Issue(CertSpec::ForHosts({h}).Expired());
       }),
       v1::POLICY_CERT_EXPIRED, v1::CHECK_STATUS_FAIL, "expired on"},
      {"notyet",
       with_cert([](TestLab& lab, const std::string& h) {
         return lab.ca().Issue(CertSpec::ForHosts({h}).NotYetValid());
       }),
       v1::POLICY_CERT_NOT_YET_VALID, v1::CHECK_STATUS_FAIL, "valid only from"},
      {"selfsigned",
       with_cert([](TestLab&, const std::string& h) {
         return fakes::MakeSelfSigned(CertSpec::ForHosts({h}));
       }),
       v1::POLICY_CERT_SELF_SIGNED, v1::CHECK_STATUS_FAIL, "self-signed"},
      {"unknownca",
       with_cert([](TestLab&, const std::string& h) -> absl::StatusOr<fakes::TestCert> {
         auto other = fakes::TestCa::CreateRoot("Some Other Root");
         if (!other.ok()) return other.status();
         return (*other)->Issue(CertSpec::ForHosts({h}));
       }),
       v1::POLICY_CERT_UNKNOWN_ISSUER, v1::CHECK_STATUS_FAIL, "Some Other Root"},
      {"wrongname",
       with_cert([](TestLab& lab, const std::string&) {
         return lab.ca().Issue(CertSpec::ForHosts({"www.wrongname.example", "wrongname.example"}));
       }),
       v1::POLICY_CERT_NAME_MISMATCH, v1::CHECK_STATUS_FAIL, "www.wrongname.example"},
      {"expiring",
       with_cert([](TestLab& lab, const std::string& h) {
         return lab.ca().Issue(CertSpec::ForHosts({h}).ValidUntil(absl::Now() + absl::Hours(24 * 10)));
       }),
       v1::POLICY_CERT_EXPIRING_SOON, v1::CHECK_STATUS_WARN, "in 9 days"},
      {"refused",
       [](TestLab& lab, const std::string& d) { lab.dns().A("mta-sts." + d, {"127.0.0.2"}); },
       v1::POLICY_CONNECT_FAILED, v1::CHECK_STATUS_FAIL, "refused"},
      {"nohost",
       [](TestLab& lab, const std::string& d) {
         lab.dns().Rcode("mta-sts." + d, fakes::DnsRcode::kNxDomain, fakes::DnsType::kA);
         lab.dns().Rcode("mta-sts." + d, fakes::DnsRcode::kNxDomain, fakes::DnsType::kAaaa);
       },
       v1::POLICY_HOST_NOT_FOUND, v1::CHECK_STATUS_FAIL, "NXDOMAIN"},
      {"hostservfail",
       [](TestLab& lab, const std::string& d) {
         lab.dns().Rcode("mta-sts." + d, fakes::DnsRcode::kServFail, fakes::DnsType::kA);
         lab.dns().Rcode("mta-sts." + d, fakes::DnsRcode::kServFail, fakes::DnsType::kAaaa);
       },
       v1::POLICY_HOST_LOOKUP_FAILED, v1::CHECK_STATUS_FAIL, "SERVFAIL"},
      {"twoaddresses",
       [](TestLab& lab, const std::string& d) {
         lab.dns().A("mta-sts." + d, {"127.0.0.1", "127.0.0.2"});
       },
       v1::POLICY_ADDRESSES_INCONSISTENT, v1::CHECK_STATUS_FAIL, "127.0.0.2"},
  };
}

class PolicyFetchTest : public ::testing::TestWithParam<FetchCase> {
 protected:
  static void SetUpTestSuite() { lab_ = TestLab::Start(LabOptions{}).release(); }
  static void TearDownTestSuite() {
    delete lab_;
    lab_ = nullptr;
  }
  static TestLab* lab_;
};
TestLab* PolicyFetchTest::lab_ = nullptr;

TEST_P(PolicyFetchTest, ReportNamesTheCause) {
  ASSERT_NE(lab_, nullptr);
  const FetchCase& c = GetParam();
  const std::string domain = c.name + ".fetch.example";
  PublishDomain(*lab_, domain);
  lab_->PublishPolicy(domain, EnforcePolicy(domain));
  if (c.script) c.script(*lab_, domain);
  auto report = lab_->Check(domain);
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& fetch = ResultOf(*report, "policy_fetch");
  EXPECT_EQ(fetch.status(), c.status) << fetch.DebugString();
  const v1::Finding* finding = FindingOf(fetch, c.code);
  ASSERT_NE(finding, nullptr) << v1::FindingCode_Name(c.code) << " missing in\n"
                              << fetch.DebugString();
  if (!c.detail_part.empty()) {
    EXPECT_THAT(finding->detail(), HasSubstr(c.detail_part));
  }
  EXPECT_EQ(report->evidence().policy().url(),
            absl::StrCat("https://mta-sts.", domain, ":", lab_->https().port(), kPolicyPath));
  if (c.status == v1::CHECK_STATUS_FAIL) {
    EXPECT_LT(fetch.points_earned(), fetch.points_possible());
    EXPECT_LT(report->score(), 100);
  }
}

INSTANTIATE_TEST_SUITE_P(EveryFailureMode, PolicyFetchTest, ::testing::ValuesIn(FetchCases()),
                         [](const auto& info) { return info.param.name; });

TEST(PolicyFetchDetailTest, CertificateEvidenceAndPerAddressOutcomes) {
  auto lab = TestLab::Start(LabOptions{});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "evidence.example");
  lab->PublishPolicy("evidence.example", EnforcePolicy("evidence.example"));
  lab->dns().A("mta-sts.evidence.example", {"127.0.0.1", "127.0.0.2"});
  auto report = lab->Check("evidence.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::PolicyEvidence& policy = report->evidence().policy();
  ASSERT_EQ(policy.addresses_size(), 2);
  EXPECT_EQ(policy.addresses(0).address(), "127.0.0.1");
  EXPECT_EQ(policy.addresses(0).outcome(), "ok");
  EXPECT_EQ(policy.addresses(0).http_status(), 200);
  EXPECT_EQ(policy.addresses(0).body_sha256().size(), 64u);
  EXPECT_EQ(policy.addresses(1).address(), "127.0.0.2");
  EXPECT_EQ(policy.addresses(1).outcome(), "connection refused");
  EXPECT_THAT(policy.certificate().subject(), HasSubstr("CN=mta-sts.evidence.example"));
  EXPECT_THAT(policy.certificate().issuer(), HasSubstr("mtasts lab root CA"));
  EXPECT_GE(policy.certificate().days_to_expiry(), 80);
  EXPECT_THAT(policy.certificate().tls_version(), HasSubstr("TLSv1."));
  EXPECT_FALSE(policy.certificate().cipher().empty());
  // The policy itself was still judged from the address that served it.
  EXPECT_EQ(ResultOf(*report, "policy_content").status(), v1::CHECK_STATUS_PASS);
  // Half the addresses failing costs half the fetch's points.
  EXPECT_DOUBLE_EQ(ResultOf(*report, "policy_fetch").points_earned(), 7.5);
}

TEST(PolicyFetchDetailTest, RunDeadlineClosesThePolicyConnection) {
  auto lab = TestLab::Start(LabOptions{});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "stall.example");
  lab->PublishPolicy("stall.example", EnforcePolicy("stall.example"));
  FakeHttpResponse stall = PolicyResponse(EnforcePolicy("stall.example"));
  stall.delay_before_first_byte = absl::InfiniteDuration();
  lab->ServePolicy("stall.example", stall);
  v1::CheckOptions options;
  options.mutable_timeout()->set_nanos(300'000'000);  // before the 1 s first-byte limit
  auto report = lab->Check("stall.example", options);
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& fetch = ResultOf(*report, "policy_fetch");
  EXPECT_EQ(fetch.status(), v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(CodeSet(fetch), Contains(v1::CHECK_TIMED_OUT));
  EXPECT_THAT(fetch.findings(0).detail(), HasSubstr("policy fetch"));
  // The run let go of its connection: the server sees the client close it.
  EXPECT_TRUE(lab->https().WaitForClientCloses(1, absl::Seconds(2)));
}

// RFC 8461 §3.3 senders wait up to a minute. A policy that arrives after
// the old 5 s first-byte limit (scaled down here: phases unset, so only the
// fetch timeout bounds them, slowness reported above 200 ms) is judged and
// reported as slow, with the time measured.
TEST(PolicyFetchSlowTest, SlowPolicyIsJudgedAndReportedWithItsTime) {
  auto lab = TestLab::Start(LabOptions{.policy_phase_timeout = absl::ZeroDuration(),
                                       .policy_response_timeout = absl::ZeroDuration(),
                                       .policy_fetch_timeout = absl::Seconds(20),
                                       .policy_fetch_slow_after = absl::Milliseconds(200)});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "slow.example");
  lab->PublishPolicy("slow.example", EnforcePolicy("slow.example"));
  FakeHttpResponse slow = PolicyResponse(EnforcePolicy("slow.example"));
  slow.delay_before_first_byte = absl::Milliseconds(1500);
  lab->ServePolicy("slow.example", slow);
  auto report = lab->Check("slow.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& fetch = ResultOf(*report, "policy_fetch");
  EXPECT_EQ(fetch.status(), v1::CHECK_STATUS_WARN) << fetch.DebugString();
  EXPECT_THAT(CodeSet(fetch), Not(Contains(v1::POLICY_FETCH_TIMEOUT)));
  const v1::Finding* finding = FindingOf(fetch, v1::POLICY_FETCH_SLOW);
  ASSERT_NE(finding, nullptr) << fetch.DebugString();
  EXPECT_EQ(finding->severity(), v1::SEVERITY_LOW);
  EXPECT_THAT(finding->detail(), HasSubstr("127.0.0.1 after "));
  EXPECT_THAT(finding->detail(), HasSubstr("reported above 200 ms"));
  // The policy was judged as if it had come at once.
  EXPECT_EQ(ResultOf(*report, "policy_content").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(report->evidence().policy().http_status(), 200);
  ASSERT_EQ(report->evidence().policy().addresses_size(), 1);
  const int64_t ms = report->evidence().policy().addresses(0).fetch_ms();
  EXPECT_GE(ms, 1500);
  EXPECT_LT(ms, 20000);
  EXPECT_THAT(finding->detail(), HasSubstr(absl::StrCat(ms, " ms")));
  // A small deduction: every RFC-following sender gets the policy.
  EXPECT_GT(fetch.points_earned(), 0.8 * fetch.points_possible());
  EXPECT_LT(fetch.points_earned(), fetch.points_possible());
}

TEST(PolicyFetchSlowTest, FastPolicyHasNoSlowFindingAndCarriesItsTime) {
  auto lab = TestLab::Start(LabOptions{.policy_fetch_slow_after = absl::Seconds(5)});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "fast.example");
  lab->PublishPolicy("fast.example", EnforcePolicy("fast.example"));
  auto report = lab->Check("fast.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& fetch = ResultOf(*report, "policy_fetch");
  EXPECT_EQ(fetch.status(), v1::CHECK_STATUS_PASS);
  EXPECT_THAT(CodeSet(fetch), Not(Contains(v1::POLICY_FETCH_SLOW)));
  ASSERT_EQ(report->evidence().policy().addresses_size(), 1);
  EXPECT_LT(report->evidence().policy().addresses(0).fetch_ms(), 5000);
}

// Past the fetch timeout the fetch fails, whichever phase it is in; the run's
// own time is longer, so it is the fetch that ends, not the run.
TEST(PolicyFetchSlowTest, PolicyLaterThanTheFetchTimeoutFails) {
  auto lab = TestLab::Start(LabOptions{.check_timeout = absl::Seconds(10),
                                       .policy_phase_timeout = absl::ZeroDuration(),
                                       .policy_response_timeout = absl::ZeroDuration(),
                                       .policy_fetch_timeout = absl::Milliseconds(700),
                                       .policy_fetch_slow_after = absl::Milliseconds(200)});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "tooslow.example");
  lab->PublishPolicy("tooslow.example", EnforcePolicy("tooslow.example"));
  FakeHttpResponse stall = PolicyResponse(EnforcePolicy("tooslow.example"));
  stall.delay_before_first_byte = absl::InfiniteDuration();
  lab->ServePolicy("tooslow.example", stall);
  auto report = lab->Check("tooslow.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& fetch = ResultOf(*report, "policy_fetch");
  EXPECT_EQ(fetch.status(), v1::CHECK_STATUS_FAIL) << fetch.DebugString();
  const v1::Finding* timeout = FindingOf(fetch, v1::POLICY_FETCH_TIMEOUT);
  ASSERT_NE(timeout, nullptr) << fetch.DebugString();
  EXPECT_THAT(timeout->detail(), HasSubstr("fetch timeout of 700ms"));
  EXPECT_THAT(CodeSet(fetch), Not(Contains(v1::POLICY_FETCH_SLOW)));
  EXPECT_THAT(CodeSet(fetch), Not(Contains(v1::CHECK_TIMED_OUT)));
  EXPECT_EQ(fetch.points_earned(), 0);
}

// A dripping server is stopped by the fetch timeout too, not only by the
// response phase's own clock.
TEST(PolicyFetchSlowTest, DrippingResponseIsStoppedByTheFetchTimeout) {
  auto lab = TestLab::Start(LabOptions{.policy_phase_timeout = absl::ZeroDuration(),
                                       .policy_response_timeout = absl::ZeroDuration(),
                                       .policy_fetch_timeout = absl::Milliseconds(700)});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "drip.example");
  lab->PublishPolicy("drip.example", EnforcePolicy("drip.example"));
  FakeHttpResponse drip = PolicyResponse(std::string(400, ' '));
  drip.drip_interval = absl::Milliseconds(20);
  lab->ServePolicy("drip.example", drip);
  auto report = lab->Check("drip.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& fetch = ResultOf(*report, "policy_fetch");
  EXPECT_EQ(fetch.status(), v1::CHECK_STATUS_FAIL);
  const v1::Finding* timeout = FindingOf(fetch, v1::POLICY_FETCH_TIMEOUT);
  ASSERT_NE(timeout, nullptr) << fetch.DebugString();
  EXPECT_THAT(timeout->detail(), HasSubstr("fetch timeout"));
  EXPECT_THAT(timeout->detail(), HasSubstr("bytes received"));
}

TEST(PolicyFetchGuardTest, PolicyHostOnLoopbackIsRefusedWithoutAllowlist) {
  auto lab = TestLab::Start(LabOptions{.allow_targets = ""});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "loopback.example");
  lab->PublishPolicy("loopback.example", EnforcePolicy("loopback.example"));
  auto report = lab->Check("loopback.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& fetch = ResultOf(*report, "policy_fetch");
  EXPECT_EQ(fetch.status(), v1::CHECK_STATUS_FAIL);
  const v1::Finding* refused = FindingOf(fetch, v1::POLICY_HOST_ADDRESS_REFUSED);
  ASSERT_NE(refused, nullptr) << fetch.DebugString();
  EXPECT_THAT(refused->detail(), HasSubstr("loopback"));
  EXPECT_EQ(lab->https().connections(), 0);  // refused means never contacted
  ASSERT_EQ(report->evidence().policy().addresses_size(), 1);
  EXPECT_FALSE(report->evidence().policy().addresses(0).contacted());
  EXPECT_EQ(report->evidence().policy().addresses(0).outcome(), "refused by address guard");
}

TEST(PolicyFetchGuardTest, SamePolicyHostPassesWhenTheAllowlistCoversIt) {
  auto lab = TestLab::Start(LabOptions{.allow_targets = "127.0.0.0/8"});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "loopback.example");
  lab->PublishPolicy("loopback.example", EnforcePolicy("loopback.example"));
  auto report = lab->Check("loopback.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "policy_fetch").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(lab->https().connections(), 1);
}

TEST(PolicyFetchTlsTest, MissingIntermediateIsAnIncompleteChain) {
  auto lab = TestLab::Start(LabOptions{.known_intermediate = true});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "chain.example");
  lab->PublishPolicy("chain.example", EnforcePolicy("chain.example"));
  auto full = lab->intermediate().Issue(CertSpec::ForHosts({"mta-sts.chain.example"}));
  ASSERT_TRUE(full.ok()) << full.status();

  // With the intermediate sent, the chain verifies.
  lab->ServePolicy("chain.example", PolicyResponse(EnforcePolicy("chain.example")), *full);
  auto report = lab->Check("chain.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "policy_fetch").status(), v1::CHECK_STATUS_PASS)
      << ResultOf(*report, "policy_fetch").DebugString();

  // Without it, the report names what is missing.
  lab->ServePolicy("chain.example", PolicyResponse(EnforcePolicy("chain.example")),
                   full->WithoutChain());
  report = lab->Check("chain.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::Finding* incomplete =
      FindingOf(ResultOf(*report, "policy_fetch"), v1::POLICY_CERT_INCOMPLETE_CHAIN);
  ASSERT_NE(incomplete, nullptr) << ResultOf(*report, "policy_fetch").DebugString();
  EXPECT_THAT(incomplete->detail(), HasSubstr("mtasts lab intermediate CA"));
}

TEST(PolicyFetchTlsTest, Tls10OnlyServerIsTooOld) {
  auto lab = TestLab::Start(LabOptions{.https_max_version = fakes::FakeTlsVersion::kTls1_0});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "old.example");
  lab->PublishPolicy("old.example", EnforcePolicy("old.example"));
  auto report = lab->Check("old.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& fetch = ResultOf(*report, "policy_fetch");
  EXPECT_EQ(fetch.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeSet(fetch), Contains(v1::POLICY_TLS_PROTOCOL_TOO_OLD)) << fetch.DebugString();
  // The version the host speaks, learned by one diagnostic handshake.
  EXPECT_THAT(FindingOf(fetch, v1::POLICY_TLS_PROTOCOL_TOO_OLD)->detail(),
              HasSubstr("speaks TLS 1.0 at most"));
  EXPECT_THAT(CodeSet(fetch), Not(Contains(v1::POLICY_TLS_HANDSHAKE_FAILED)));
}

TEST(PolicyFetchTlsTest, VersionIntolerantTls11ServerIsTooOldNotHandshakeFailed) {
  // Refuses a TLS 1.2+ hello with handshake_failure instead of protocol_version.
  auto lab = TestLab::Start(
      LabOptions{.https_max_version = fakes::FakeTlsVersion::kTls1_1Intolerant});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "intolerant.example");
  lab->PublishPolicy("intolerant.example", EnforcePolicy("intolerant.example"));
  auto report = lab->Check("intolerant.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& fetch = ResultOf(*report, "policy_fetch");
  EXPECT_EQ(fetch.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeSet(fetch), Contains(v1::POLICY_TLS_PROTOCOL_TOO_OLD)) << fetch.DebugString();
  EXPECT_THAT(CodeSet(fetch), Not(Contains(v1::POLICY_TLS_HANDSHAKE_FAILED)));
  EXPECT_THAT(FindingOf(fetch, v1::POLICY_TLS_PROTOCOL_TOO_OLD)->detail(),
              HasSubstr("speaks TLS 1.1 at most"));
}

TEST(PolicyFetchTlsTest, AaaaOnlyPolicyHostIsFetchedOverIpv6) {
  auto lab = TestLab::Start(LabOptions{.https_bind_address = "::1"});
  ASSERT_NE(lab, nullptr);
  PublishDomain(*lab, "v6only.example");
  lab->PublishPolicy("v6only.example", EnforcePolicy("v6only.example"));
  auto report = lab->Check("v6only.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "policy_fetch").status(), v1::CHECK_STATUS_PASS)
      << ResultOf(*report, "policy_fetch").DebugString();
  ASSERT_EQ(report->evidence().policy().addresses_size(), 1);
  EXPECT_EQ(report->evidence().policy().addresses(0).address(), "::1");
  EXPECT_EQ(report->score(), 100);
}

// policy_content and mx_match through the API, on a policy fetched for real.
class PolicyJudgedTest : public ::testing::Test {
 protected:
  void SetUp() override { lab_ = TestLab::Start(LabOptions{}); }
  absl::StatusOr<v1::DomainReport> CheckWithPolicy(const std::string& domain,
                                                   const std::string& body) {
    PublishDomain(*lab_, domain);
    lab_->PublishPolicy(domain, body);
    return lab_->Check(domain);
  }
  std::unique_ptr<TestLab> lab_;
};

TEST_F(PolicyJudgedTest, TestingModeIsAWarningWithRolloutAdvice) {
  auto report = CheckWithPolicy(
      "testing.example", "version: STSv1\nmode: testing\nmx: mx1.testing.example\nmax_age: 86400\n");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& content = ResultOf(*report, "policy_content");
  EXPECT_EQ(content.status(), v1::CHECK_STATUS_WARN);
  EXPECT_THAT(CodeSet(content), Contains(v1::POLICY_TESTING_MODE));
  EXPECT_DOUBLE_EQ(content.points_earned(), 15);
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_TESTING);
  // The served policy is what we would suggest: no copy of it, one step on.
  EXPECT_EQ(report->suggested_policy(), "");
  EXPECT_THAT(report->recommendations(),
              Contains(HasSubstr("switch the policy to `mode: enforce`")));
}

TEST_F(PolicyJudgedTest, InvalidPolicyIsBroken) {
  auto report = CheckWithPolicy("invalid.example",
                                "version: STSv1\nmode: Enforce\nmx: mx1.invalid.example\n");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& content = ResultOf(*report, "policy_content");
  EXPECT_EQ(content.status(), v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(CodeSet(content), Contains(v1::POLICY_MODE_INVALID));
  EXPECT_THAT(CodeSet(content), Contains(v1::POLICY_MAX_AGE_MISSING));
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_BROKEN);
  EXPECT_EQ(ResultOf(*report, "mx_match").status(), v1::CHECK_STATUS_SKIPPED);
}

TEST_F(PolicyJudgedTest, DuplicateModeKeepsTheFirstValue) {
  auto report = CheckWithPolicy("dup.example",
                                "version: STSv1\nmode: testing\nmode: enforce\n"
                                "mx: mx1.dup.example\nmax_age: 604800\n");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->evidence().policy().mode(), v1::POLICY_MODE_TESTING);
  EXPECT_THAT(CodeSet(ResultOf(*report, "policy_content")), Contains(v1::POLICY_DUPLICATE_FIELD));
}

TEST_F(PolicyJudgedTest, UnmatchedMxUnderEnforceIsCritical) {
  PublishDomain(*lab_, "uncovered.example");
  lab_->dns().Mx("uncovered.example", {{10, "mx1.uncovered.example"}, {20, "backup.other.example"}});
  lab_->PublishPolicy("uncovered.example", EnforcePolicy("uncovered.example"));
  auto report = lab_->Check("uncovered.example");
  ASSERT_TRUE(report.ok()) << report.status();
  const v1::CheckResult& match = ResultOf(*report, "mx_match");
  EXPECT_EQ(match.status(), v1::CHECK_STATUS_FAIL);
  const v1::Finding* unmatched = FindingOf(match, v1::MX_MATCH_HOST_UNMATCHED);
  ASSERT_NE(unmatched, nullptr) << match.DebugString();
  EXPECT_EQ(unmatched->severity(), v1::SEVERITY_CRITICAL);
  EXPECT_EQ(unmatched->subject(), "backup.other.example");
  EXPECT_DOUBLE_EQ(match.points_earned(), 5);
  EXPECT_THAT(report->suggested_policy(), HasSubstr("mx: backup.other.example"));
}

TEST_F(PolicyJudgedTest, WildcardCoversOneLabelOnly) {
  lab_->dns().Mx("wild.example", {{10, "a.mx.wild.example"}, {20, "b.c.mx.wild.example"}});
  lab_->dns().Txt("_mta-sts.wild.example", {{"v=STSv1; id=1;"}});
  lab_->PublishPolicy("wild.example",
                      "version: STSv1\nmode: enforce\nmx: *.mx.wild.example\nmax_age: 604800\n");
  auto report = lab_->Check("wild.example");
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->evidence().mx_hosts_size(), 2);
  EXPECT_EQ(report->evidence().mx_hosts(0).matched_pattern(), "*.mx.wild.example");
  EXPECT_EQ(report->evidence().mx_hosts(1).matched_pattern(), "");
  const v1::Finding* unmatched = FindingOf(ResultOf(*report, "mx_match"), v1::MX_MATCH_HOST_UNMATCHED);
  ASSERT_NE(unmatched, nullptr);
  EXPECT_EQ(unmatched->subject(), "b.c.mx.wild.example");
}

TEST_F(PolicyJudgedTest, PolicyIsFetchedAndExplainedEvenWithoutTheTxtRecord) {
  PublishDomain(*lab_, "notxt.example", /*txt=*/false);
  lab_->PublishPolicy("notxt.example", EnforcePolicy("notxt.example"));
  auto report = lab_->Check("notxt.example");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(ResultOf(*report, "policy_fetch").status(), v1::CHECK_STATUS_PASS);
  EXPECT_EQ(report->state(), v1::MTA_STS_STATE_ABSENT);
  bool explained = false;
  for (const auto& f : report->domain_findings()) explained |= f.code() == v1::POLICY_WITHOUT_TXT;
  EXPECT_TRUE(explained);
  EXPECT_EQ(ResultOf(*report, "policy_content").points_earned(), 0);
}

}  // namespace
}  // namespace mtasts::testing
