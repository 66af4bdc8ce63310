// The pure judges of rua destinations: parsing a URI into what is looked up,
// the outcome of each kind of lookup and fetch result, and how outcomes
// change the tls_rpt verdict (scored only when broken for every reporter).
#include "checks/tls_rpt/rua_reachability.h"

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

net::DnsResult Dns(const std::string& name, net::RrType type, net::DnsOutcome outcome,
                   std::vector<std::string> addresses = {}) {
  net::DnsResult r;
  r.name = name;
  r.type = type;
  r.outcome = outcome;
  r.addresses = std::move(addresses);
  return r;
}

net::DnsResult Mx(const std::string& name, std::vector<net::MxRecord> records) {
  net::DnsResult r = Dns(name, net::RrType::kMx, net::DnsOutcome::kAnswer);
  r.mx = std::move(records);
  return r;
}

MailHostLookup Host(const std::string& host, net::DnsOutcome a, std::vector<std::string> v4,
                    net::DnsOutcome aaaa = net::DnsOutcome::kNoData) {
  return {host, Dns(host, net::RrType::kA, a, std::move(v4)),
          Dns(host, net::RrType::kAaaa, aaaa)};
}

RuaDestination Https(const std::string& uri) {
  std::string why;
  auto d = ParseRuaDestination(uri, &why);
  EXPECT_TRUE(d.has_value()) << uri << ": " << why;
  return d.value_or(RuaDestination{});
}

// --- ParseRuaDestination ---

TEST(ParseRuaDestination, MailtoTakesTheFirstAddressesDomainLowerCased) {
  std::string why;
  auto d = ParseRuaDestination("mailto:TLS%2Brpt@Reports.Example.NET.%2Cother@x.test?subject=a", &why);
  ASSERT_TRUE(d.has_value()) << why;
  EXPECT_EQ(d->kind, RuaDestination::Kind::kMailto);
  EXPECT_EQ(d->host, "reports.example.net");
  EXPECT_EQ(d->CacheKey(), "mailto:reports.example.net");
}

TEST(ParseRuaDestination, MailboxesOfOneDomainShareTheKey) {
  std::string why;
  EXPECT_EQ(ParseRuaDestination("mailto:a@example.net", &why)->CacheKey(),
            ParseRuaDestination("mailto:b@EXAMPLE.net", &why)->CacheKey());
}

TEST(ParseRuaDestination, HttpsHostPortPathAndQuery) {
  RuaDestination d = Https("https://user@Collector.Example.NET:8443/v1/tlsrpt?k=1#frag");
  EXPECT_EQ(d.kind, RuaDestination::Kind::kHttps);
  EXPECT_EQ(d.host, "collector.example.net");
  EXPECT_EQ(d.port, 8443);
  EXPECT_EQ(d.path, "/v1/tlsrpt?k=1");
  EXPECT_EQ(d.CacheKey(), "https://collector.example.net:8443/v1/tlsrpt?k=1");
}

TEST(ParseRuaDestination, HttpsWithoutPathGetsSlashAndPort443) {
  RuaDestination d = Https("https://collector.example.net");
  EXPECT_EQ(d.port, 443);
  EXPECT_EQ(d.path, "/");
  EXPECT_EQ(Https("https://c.example.net?x=1").path, "/?x=1");
}

TEST(ParseRuaDestination, AddressLiteralsAreNotChecked) {
  std::string why;
  EXPECT_FALSE(ParseRuaDestination("mailto:a@[192.0.2.1]", &why).has_value());
  EXPECT_TRUE(absl::StrContains(why, "address literal")) << why;
  EXPECT_FALSE(ParseRuaDestination("https://192.0.2.1/r", &why).has_value());
  EXPECT_FALSE(ParseRuaDestination("https://[2001:db8::1]/r", &why).has_value());
  EXPECT_TRUE(absl::StrContains(why, "IP address")) << why;
  EXPECT_FALSE(ParseRuaDestination("https://host.example:99999/", &why).has_value());
  EXPECT_FALSE(ParseRuaDestination("http://host.example/", &why).has_value());
  EXPECT_FALSE(ParseRuaDestination("no-scheme", &why).has_value());
}

// --- JudgeMailtoLookups ---

TEST(JudgeMailto, NullMxAcceptsNoMail) {
  RuaResult r = JudgeMailtoLookups("example.net", Mx("example.net", {{0, ""}}), {});
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_NO_MAIL);
  EXPECT_TRUE(absl::StrContains(r.detail, "null MX")) << r.detail;
}

TEST(JudgeMailto, NxDomainAcceptsNoMail) {
  RuaResult r = JudgeMailtoLookups(
      "gone.example", Dns("gone.example", net::RrType::kMx, net::DnsOutcome::kNxDomain), {});
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_NO_MAIL);
  EXPECT_TRUE(absl::StrContains(r.detail, "NXDOMAIN")) << r.detail;
}

TEST(JudgeMailto, MxHostWithAnAddressIsReachable) {
  RuaResult r = JudgeMailtoLookups(
      "example.net", Mx("example.net", {{10, "mx1.example.net"}, {20, "mx2.example.net"}}),
      {Host("mx1.example.net", net::DnsOutcome::kAnswer, {"192.0.2.25"})}, 1);
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_REACHABLE);
  EXPECT_TRUE(absl::StrContains(r.detail, "mx1.example.net (192.0.2.25)")) << r.detail;
}

TEST(JudgeMailto, ImplicitMxWithAnAddressIsReachable) {
  RuaResult r = JudgeMailtoLookups(
      "example.net", Dns("example.net", net::RrType::kMx, net::DnsOutcome::kNoData),
      {Host("example.net", net::DnsOutcome::kNoData, {}, net::DnsOutcome::kAnswer)});
  // AAAA answered but empty list: not an address.
  EXPECT_NE(r.outcome, v1::RUA_OUTCOME_REACHABLE);
  r = JudgeMailtoLookups("example.net",
                         Dns("example.net", net::RrType::kMx, net::DnsOutcome::kNoData),
                         {Host("example.net", net::DnsOutcome::kAnswer, {"192.0.2.1"})});
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_REACHABLE);
  EXPECT_TRUE(absl::StrContains(r.detail, "implicit MX")) << r.detail;
}

TEST(JudgeMailto, NoMxAndNoAddressAcceptsNoMail) {
  RuaResult r = JudgeMailtoLookups(
      "example.net", Dns("example.net", net::RrType::kMx, net::DnsOutcome::kNoData),
      {Host("example.net", net::DnsOutcome::kNoData, {})});
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_NO_MAIL);
}

TEST(JudgeMailto, MxHostsWithoutAddressAcceptNoMail) {
  RuaResult r = JudgeMailtoLookups(
      "example.net", Mx("example.net", {{10, "mx1.example.net"}}),
      {Host("mx1.example.net", net::DnsOutcome::kNxDomain, {}, net::DnsOutcome::kNxDomain)});
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_NO_MAIL);
  EXPECT_TRUE(absl::StrContains(r.detail, "mx1.example.net")) << r.detail;
}

TEST(JudgeMailto, UntriedMxHostsLeaveItUnreachableNotBroken) {
  RuaResult r = JudgeMailtoLookups(
      "example.net", Mx("example.net", {{10, "a.example.net"}, {20, "d.example.net"}}),
      {Host("a.example.net", net::DnsOutcome::kNxDomain, {}, net::DnsOutcome::kNxDomain)}, 1);
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_UNREACHABLE);
}

TEST(JudgeMailto, DomainServFailIsUnreachableNotBroken) {
  RuaResult r = JudgeMailtoLookups(
      "example.net", Dns("example.net", net::RrType::kMx, net::DnsOutcome::kServFail), {});
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_UNREACHABLE);
  EXPECT_TRUE(IsReusable(r));
}

TEST(JudgeMailto, OurResolverOverloadedIsInconclusiveAndNotReused) {
  RuaResult r = JudgeMailtoLookups(
      "example.net",
      Dns("example.net", net::RrType::kMx, net::DnsOutcome::kResolverOverloaded), {});
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_INCONCLUSIVE);
  EXPECT_FALSE(IsReusable(r));
  r = JudgeMailtoLookups(
      "example.net", Mx("example.net", {{10, "mx1.example.net"}}),
      {Host("mx1.example.net", net::DnsOutcome::kResolverOverloaded, {})});
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_INCONCLUSIVE);
}

// --- JudgeHttpsReach ---

HttpsReachInput Resolved(std::vector<std::string> v4) {
  HttpsReachInput in;
  in.a = Dns("c.example.net", net::RrType::kA, net::DnsOutcome::kAnswer, std::move(v4));
  in.aaaa = Dns("c.example.net", net::RrType::kAaaa, net::DnsOutcome::kNoData);
  return in;
}

net::HttpsResult Fetched(int status) {
  net::HttpsResult f;
  f.address = "192.0.2.80";
  f.status_code = status;
  return f;
}

net::HttpsResult Failed(net::NetFailure failure) {
  net::HttpsResult f;
  f.address = "192.0.2.80";
  f.error.failure = failure;
  return f;
}

TEST(JudgeHttps, HostThatDoesNotResolveIsBroken) {
  HttpsReachInput in;
  in.a = Dns("c.example.net", net::RrType::kA, net::DnsOutcome::kNxDomain);
  in.aaaa = Dns("c.example.net", net::RrType::kAaaa, net::DnsOutcome::kNxDomain);
  RuaResult r = JudgeHttpsReach(Https("https://c.example.net/r"), in);
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_HTTPS_BROKEN);
  EXPECT_TRUE(absl::StrContains(r.detail, "does not resolve")) << r.detail;
}

TEST(JudgeHttps, LookupFailuresAreUnreachableOrInconclusive) {
  HttpsReachInput in;
  in.a = Dns("c.example.net", net::RrType::kA, net::DnsOutcome::kServFail);
  in.aaaa = Dns("c.example.net", net::RrType::kAaaa, net::DnsOutcome::kNoData);
  EXPECT_EQ(JudgeHttpsReach(Https("https://c.example.net/"), in).outcome,
            v1::RUA_OUTCOME_UNREACHABLE);
  in.aaaa.outcome = net::DnsOutcome::kResolverOverloaded;
  EXPECT_EQ(JudgeHttpsReach(Https("https://c.example.net/"), in).outcome,
            v1::RUA_OUTCOME_INCONCLUSIVE);
}

TEST(JudgeHttps, OnlyNonPublicAddressesIsBrokenButOurAllowlistIsNot) {
  HttpsReachInput in = Resolved({"10.0.0.1"});
  in.refused = {"10.0.0.1 is not a public address: private (RFC 1918) 10.0.0.0/8."};
  in.refused_by_range = true;
  RuaResult r = JudgeHttpsReach(Https("https://c.example.net/"), in);
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_HTTPS_BROKEN);
  EXPECT_TRUE(absl::StrContains(r.detail, "RFC 1918")) << r.detail;
  in.refused_by_range = false;
  EXPECT_EQ(JudgeHttpsReach(Https("https://c.example.net/"), in).outcome,
            v1::RUA_OUTCOME_INCONCLUSIVE);
}

TEST(JudgeHttps, AnyHttpAnswerBelow500IsReachable) {
  for (int status : {200, 204, 301, 400, 404, 405}) {
    HttpsReachInput in = Resolved({"192.0.2.80"});
    in.fetch = Fetched(status);
    RuaResult r = JudgeHttpsReach(Https("https://c.example.net/r"), in);
    EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_REACHABLE) << status;
    EXPECT_TRUE(absl::StrContains(r.detail, absl::StrCat("HTTP ", status))) << r.detail;
  }
}

TEST(JudgeHttps, ABodyOverOurLimitStillAnsweredHttp) {
  HttpsReachInput in = Resolved({"192.0.2.80"});
  net::HttpsResult f = Fetched(200);
  f.error.failure = net::NetFailure::kProtocol;
  f.http_failure = net::HttpFailure::kBodyTooLarge;
  in.fetch = f;
  EXPECT_EQ(JudgeHttpsReach(Https("https://c.example.net/r"), in).outcome,
            v1::RUA_OUTCOME_REACHABLE);
}

TEST(JudgeHttps, ServerErrorIsUnreachableNotBroken) {
  HttpsReachInput in = Resolved({"192.0.2.80"});
  in.fetch = Fetched(503);
  RuaResult r = JudgeHttpsReach(Https("https://c.example.net/r"), in);
  EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_UNREACHABLE);
  EXPECT_TRUE(absl::StrContains(r.detail, "HTTP 503")) << r.detail;
}

TEST(JudgeHttps, InvalidCertificateIsBroken) {
  for (net::NetFailure f : {net::NetFailure::kNameMismatch, net::NetFailure::kSelfSigned,
                            net::NetFailure::kCertificateExpired,
                            net::NetFailure::kUnknownIssuer}) {
    HttpsReachInput in = Resolved({"192.0.2.80"});
    in.fetch = Failed(f);
    RuaResult r = JudgeHttpsReach(Https("https://c.example.net/r"), in);
    EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_HTTPS_BROKEN) << net::NetFailureName(f);
    EXPECT_TRUE(absl::StrContains(r.detail, net::NetFailureName(f))) << r.detail;
  }
}

TEST(JudgeHttps, ConnectionAndHandshakeFailuresAreUnreachable) {
  for (net::NetFailure f : {net::NetFailure::kConnectionRefused, net::NetFailure::kTimeout,
                            net::NetFailure::kHandshakeFailure, net::NetFailure::kNotTls}) {
    HttpsReachInput in = Resolved({"192.0.2.80"});
    in.fetch = Failed(f);
    EXPECT_EQ(JudgeHttpsReach(Https("https://c.example.net/r"), in).outcome,
              v1::RUA_OUTCOME_UNREACHABLE)
        << net::NetFailureName(f);
  }
}

TEST(JudgeHttps, OurDeadlineOrLocalErrorIsInconclusive) {
  for (net::NetFailure f : {net::NetFailure::kDeadlineExceeded, net::NetFailure::kLocalError}) {
    HttpsReachInput in = Resolved({"192.0.2.80"});
    in.fetch = Failed(f);
    RuaResult r = JudgeHttpsReach(Https("https://c.example.net/r"), in);
    EXPECT_EQ(r.outcome, v1::RUA_OUTCOME_INCONCLUSIVE);
    EXPECT_FALSE(IsReusable(r));
  }
}

// --- AddRuaReachability ---

v1::RuaReachability Reach(const std::string& uri, v1::RuaOutcome outcome) {
  v1::RuaReachability r;
  r.set_uri(uri);
  r.set_outcome(outcome);
  r.set_detail("detail");
  return r;
}

CheckVerdict Passing() {
  CheckVerdict v;
  v.status = v1::CHECK_STATUS_PASS;
  v.fraction = 1;
  v.summary = "One valid v=TLSRPTv1 record.";
  return v;
}

bool Has(const CheckVerdict& v, v1::FindingCode code) {
  for (const v1::Finding& f : v.findings) {
    if (f.code() == code) return true;
  }
  return false;
}

TEST(AddRuaReachability, ReachableAndVantageProblemsAreInformationOnly) {
  CheckVerdict v = Passing();
  AddRuaReachability({Reach("mailto:a@x.test", v1::RUA_OUTCOME_REACHABLE),
                      Reach("https://c.x.test/", v1::RUA_OUTCOME_UNREACHABLE),
                      Reach("mailto:b@y.test", v1::RUA_OUTCOME_INCONCLUSIVE)},
                     3, "_smtp._tls.x.test", &v);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_PASS);
  EXPECT_EQ(v.fraction, 1);
  EXPECT_EQ(v.summary, "One valid v=TLSRPTv1 record.");
  ASSERT_EQ(v.findings.size(), 3u);
  for (const v1::Finding& f : v.findings) EXPECT_EQ(f.severity(), v1::SEVERITY_INFO);
  EXPECT_TRUE(Has(v, v1::TLSRPT_RUA_REACHABLE));
  EXPECT_TRUE(Has(v, v1::TLSRPT_RUA_UNREACHABLE));
  EXPECT_TRUE(Has(v, v1::TLSRPT_RUA_CHECK_INCONCLUSIVE));
}

TEST(AddRuaReachability, OneBrokenOfTwoWarnsAtHalfPoints) {
  CheckVerdict v = Passing();
  AddRuaReachability({Reach("mailto:a@x.test", v1::RUA_OUTCOME_REACHABLE),
                      Reach("mailto:b@null.test", v1::RUA_OUTCOME_NO_MAIL)},
                     2, "_smtp._tls.x.test", &v);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_EQ(v.fraction, 0.5);
  ASSERT_FALSE(v.findings.empty());
  EXPECT_EQ(v.findings[0].code(), v1::TLSRPT_RUA_MAILTO_NO_MAIL);  // most severe first
  EXPECT_EQ(v.findings[0].severity(), v1::SEVERITY_MEDIUM);
  EXPECT_TRUE(absl::StrContains(v.summary, "mailto:b@null.test")) << v.summary;
}

TEST(AddRuaReachability, EveryDestinationBrokenFails) {
  CheckVerdict v = Passing();
  AddRuaReachability({Reach("mailto:b@null.test", v1::RUA_OUTCOME_NO_MAIL),
                      Reach("https://gone.test/", v1::RUA_OUTCOME_HTTPS_BROKEN)},
                     2, "_smtp._tls.x.test", &v);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
  EXPECT_EQ(v.fraction, 0);
  EXPECT_TRUE(Has(v, v1::TLSRPT_RUA_HTTPS_BROKEN));
  EXPECT_TRUE(absl::StrContains(v.summary, "every report is lost")) << v.summary;
}

TEST(AddRuaReachability, BrokenBesideAnUncheckedDestinationOnlyWarns) {
  CheckVerdict v = Passing();
  AddRuaReachability({Reach("mailto:b@null.test", v1::RUA_OUTCOME_NO_MAIL),
                      Reach("mailto:c@slow.test", v1::RUA_OUTCOME_INCONCLUSIVE)},
                     2, "_smtp._tls.x.test", &v);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
}

TEST(AddRuaReachability, AWarningVerdictKeepsItsLowerFraction) {
  CheckVerdict v = Passing();
  v.status = v1::CHECK_STATUS_WARN;
  v.fraction = 0.5;
  AddRuaReachability({Reach("mailto:a@x.test", v1::RUA_OUTCOME_REACHABLE),
                      Reach("mailto:b@null.test", v1::RUA_OUTCOME_NO_MAIL)},
                     2, "_smtp._tls.x.test", &v);
  EXPECT_EQ(v.fraction, 0.5);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
}

}  // namespace
}  // namespace mtasts::checks
