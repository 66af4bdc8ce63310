#include "checks/dnssec/dnssec_judge.h"

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

using net::DnsOutcome;
using net::DnssecSecurity;
using net::ValidatedResult;

ValidatedResult R(const std::string& name, uint16_t type, DnssecSecurity sec,
                  DnsOutcome outcome = DnsOutcome::kAnswer) {
  ValidatedResult r;
  r.name = name;
  r.type = type;
  r.security = sec;
  r.outcome = outcome;
  if (sec == DnssecSecurity::kBogus) {
    r.outcome = DnsOutcome::kServFail;
    r.why_bogus = "signature expired from 192.0.2.53 for DNSKEY example.com.";
  }
  if (sec == DnssecSecurity::kUnknown) {
    r.outcome = outcome == DnsOutcome::kAnswer ? DnsOutcome::kTimeout : outcome;
    r.detail = "no validated answer in time";
  }
  return r;
}

ValidatedResult Tlsa(DnssecSecurity sec, std::vector<std::string> rdata) {
  ValidatedResult r = R("_25._tcp.mx.example.com", net::kDnsTypeTlsa, sec,
                        rdata.empty() ? DnsOutcome::kNxDomain : DnsOutcome::kAnswer);
  r.rdata = std::move(rdata);
  return r;
}

const std::string kEe = std::string("\x03\x01\x01", 3) + std::string(32, '\x11');
const std::string kPkix = std::string("\x01\x01\x01", 3) + std::string(32, '\x11');

struct Case {
  std::string name;
  DnssecSecurity mx, txt;
  DnsOutcome txt_outcome = DnsOutcome::kAnswer;
  DnssecSecurity host = DnssecSecurity::kSecure;
  ValidatedResult tlsa = Tlsa(DnssecSecurity::kSecure, {});
  v1::CheckStatus status;
  double fraction;
  std::vector<v1::FindingCode> codes;  // in order (most severe first)
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class JudgeTest : public ::testing::TestWithParam<Case> {};

DnssecObservations Obs(const Case& c) {
  DnssecObservations o;
  o.domain = "example.com";
  o.mx = R("example.com", net::kDnsTypeMx, c.mx);
  o.sts_txt = R("_mta-sts.example.com", net::kDnsTypeTxt, c.txt, c.txt_outcome);
  o.policy_host = {R("mta-sts.example.com", net::kDnsTypeA, DnssecSecurity::kSecure),
                   R("mta-sts.example.com", net::kDnsTypeAaaa, DnssecSecurity::kSecure,
                     DnsOutcome::kNoData)};
  DnssecObservations::MxHostLookups h;
  h.host = "mx.example.com";
  h.addresses = {R("mx.example.com", net::kDnsTypeA, c.host),
                 R("mx.example.com", net::kDnsTypeAaaa, c.host, DnsOutcome::kNoData)};
  h.tlsa = c.tlsa;
  o.mx_hosts.push_back(h);
  return o;
}

TEST_P(JudgeTest, Verdict) {
  const Case& c = GetParam();
  v1::Evidence ev;
  ev.add_mx_hosts()->set_name("mx.example.com");
  CheckVerdict v = JudgeDnssec(Obs(c), &ev);
  EXPECT_EQ(v.status, c.status) << v.summary;
  if (c.status != v1::CHECK_STATUS_INCONCLUSIVE) {
    EXPECT_DOUBLE_EQ(v.fraction, c.fraction);
  }
  std::vector<v1::FindingCode> codes;
  for (const auto& f : v.findings) codes.push_back(f.code());
  EXPECT_EQ(codes, c.codes);
  EXPECT_FALSE(v.summary.empty());
  // Every lookup is in the evidence, with its role.
  ASSERT_EQ(ev.dnssec_size(), 6);
  EXPECT_EQ(ev.dnssec(0).name(), "example.com");
  EXPECT_EQ(ev.dnssec(0).type(), "MX");
  EXPECT_EQ(ev.dnssec(0).role(), "mx");
  EXPECT_EQ(ev.dnssec(1).role(), "mta_sts_txt");
  EXPECT_EQ(ev.dnssec(2).role(), "policy_host");
  EXPECT_EQ(ev.dnssec(4).role(), "mx_host");
  EXPECT_EQ(ev.dnssec(0).state(), ToDnssecState(c.mx));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, JudgeTest,
    ::testing::Values(
        Case{"AllSecure", DnssecSecurity::kSecure, DnssecSecurity::kSecure,
             DnsOutcome::kAnswer, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kSecure, {}), v1::CHECK_STATUS_PASS, 1,
             {v1::DNSSEC_SECURE, v1::DANE_NOT_PUBLISHED}},
        Case{"SecureProofOfAbsenceCounts", DnssecSecurity::kSecure, DnssecSecurity::kSecure,
             DnsOutcome::kNxDomain, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kSecure, {}), v1::CHECK_STATUS_PASS, 1,
             {v1::DNSSEC_SECURE, v1::DANE_NOT_PUBLISHED}},
        Case{"TxtInsecureIsARecommendation", DnssecSecurity::kSecure, DnssecSecurity::kInsecure,
             DnsOutcome::kAnswer, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kSecure, {}), v1::CHECK_STATUS_WARN, 0.5,
             {v1::DNSSEC_INSECURE, v1::DANE_NOT_PUBLISHED}},
        Case{"AllInsecure", DnssecSecurity::kInsecure, DnssecSecurity::kInsecure,
             DnsOutcome::kAnswer, DnssecSecurity::kInsecure,
             Tlsa(DnssecSecurity::kInsecure, {}), v1::CHECK_STATUS_WARN, 0,
             {v1::DNSSEC_INSECURE, v1::DNSSEC_INSECURE, v1::DNSSEC_HOST_INSECURE,
              v1::DANE_NOT_PUBLISHED}},
        Case{"MxBogusFails", DnssecSecurity::kBogus, DnssecSecurity::kSecure,
             DnsOutcome::kAnswer, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kSecure, {}), v1::CHECK_STATUS_FAIL, 0,
             {v1::DNSSEC_BOGUS, v1::DANE_NOT_PUBLISHED}},
        Case{"TxtTimeoutIsInconclusive", DnssecSecurity::kSecure, DnssecSecurity::kUnknown,
             DnsOutcome::kTimeout, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kSecure, {}), v1::CHECK_STATUS_INCONCLUSIVE, 0,
             {v1::DNSSEC_LOOKUP_FAILED, v1::DANE_NOT_PUBLISHED}},
        Case{"TxtNeverSentIsOurOverload", DnssecSecurity::kSecure, DnssecSecurity::kUnknown,
             DnsOutcome::kResolverOverloaded, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kSecure, {}), v1::CHECK_STATUS_INCONCLUSIVE, 0,
             {v1::DNSSEC_VALIDATOR_OVERLOADED, v1::DANE_NOT_PUBLISHED}},
        Case{"BogusHostAddressWarns", DnssecSecurity::kSecure, DnssecSecurity::kSecure,
             DnsOutcome::kAnswer, DnssecSecurity::kBogus,
             Tlsa(DnssecSecurity::kSecure, {}), v1::CHECK_STATUS_WARN, 1,
             {v1::DNSSEC_BOGUS, v1::DNSSEC_BOGUS, v1::DNSSEC_SECURE, v1::DANE_NOT_PUBLISHED}},
        Case{"DaneUsable", DnssecSecurity::kSecure, DnssecSecurity::kSecure,
             DnsOutcome::kAnswer, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kSecure, {kEe}), v1::CHECK_STATUS_PASS, 1,
             {v1::DNSSEC_SECURE, v1::DANE_USABLE, v1::DANE_PRECEDES_MTA_STS}},
        Case{"DaneInInsecureZone", DnssecSecurity::kSecure, DnssecSecurity::kSecure,
             DnsOutcome::kAnswer, DnssecSecurity::kInsecure,
             Tlsa(DnssecSecurity::kInsecure, {kEe}), v1::CHECK_STATUS_PASS, 1,
             {v1::DANE_UNUSABLE_INSECURE, v1::DNSSEC_SECURE, v1::DNSSEC_HOST_INSECURE}},
        Case{"DaneBogus", DnssecSecurity::kSecure, DnssecSecurity::kSecure,
             DnsOutcome::kAnswer, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kBogus, {}), v1::CHECK_STATUS_WARN, 1,
             {v1::DANE_BOGUS, v1::DNSSEC_SECURE}},
        Case{"DanePkixOnlyIsUnusable", DnssecSecurity::kSecure, DnssecSecurity::kSecure,
             DnsOutcome::kAnswer, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kSecure, {kPkix}), v1::CHECK_STATUS_PASS, 1,
             {v1::DANE_RECORD_UNUSABLE, v1::DNSSEC_SECURE}},
        Case{"DaneLookupFailed", DnssecSecurity::kSecure, DnssecSecurity::kSecure,
             DnsOutcome::kAnswer, DnssecSecurity::kSecure,
             Tlsa(DnssecSecurity::kUnknown, {}), v1::CHECK_STATUS_PASS, 1,
             {v1::DANE_LOOKUP_FAILED, v1::DNSSEC_SECURE}}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// One run's timeouts are its domain's (DNSSEC_LOOKUP_FAILED); the same
// timeouts while many runs time out at once are the checker's overload.
TEST(MarkOwnOverloadTest, TimeoutsBecomeOurOverloadOnlyWhenManyRunsTimedOut) {
  Case c{"", DnssecSecurity::kUnknown, DnssecSecurity::kUnknown};
  DnssecObservations alone = Obs(c);
  ASSERT_TRUE(HasTimeout(alone));
  MarkOwnOverload(0, &alone);
  v1::Evidence ev;
  CheckVerdict v = JudgeDnssec(alone, &ev);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_EQ(v.findings[0].code(), v1::DNSSEC_LOOKUP_FAILED);

  DnssecObservations crowded = Obs(c);
  MarkOwnOverload(12, &crowded);
  EXPECT_FALSE(HasTimeout(crowded));
  EXPECT_EQ(crowded.mx.outcome, DnsOutcome::kResolverOverloaded);
  EXPECT_NE(crowded.mx.detail.find("validated lookups of 12 domains checked at the same time"),
            std::string::npos)
      << crowded.mx.detail;
  // Answers stay as they were.
  EXPECT_EQ(crowded.policy_host[0].outcome, DnsOutcome::kAnswer);
  v1::Evidence ev2;
  v = JudgeDnssec(crowded, &ev2);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_INCONCLUSIVE);
  for (const v1::Finding& f : v.findings) {
    EXPECT_NE(f.code(), v1::DNSSEC_LOOKUP_FAILED) << f.detail();
  }
  EXPECT_EQ(v.findings[0].code(), v1::DNSSEC_VALIDATOR_OVERLOADED);
  EXPECT_EQ(ev2.dnssec(0).outcome(), v1::DNS_OUTCOME_RESOLVER_OVERLOADED);
}

TEST(JudgeDetailTest, BogusCarriesTheValidatorsReasonAndResultType) {
  Case c{"", DnssecSecurity::kBogus, DnssecSecurity::kSecure};
  v1::Evidence ev;
  CheckVerdict v = JudgeDnssec(Obs(c), &ev);
  ASSERT_FALSE(v.findings.empty());
  const v1::Finding& f = v.findings[0];
  EXPECT_EQ(f.code(), v1::DNSSEC_BOGUS);
  EXPECT_EQ(f.severity(), v1::SEVERITY_HIGH);
  EXPECT_EQ(f.subject(), "example.com");
  EXPECT_EQ(f.tlsrpt_result_type(), "dnssec-invalid");
  EXPECT_NE(f.detail().find("signature expired"), std::string::npos) << f.detail();
  EXPECT_EQ(ev.dnssec(0).state(), v1::DNSSEC_STATE_BOGUS);
  EXPECT_NE(ev.dnssec(0).reason().find("signature expired"), std::string::npos);
  EXPECT_EQ(ev.dnssec(0).outcome(), v1::DNS_OUTCOME_SERVFAIL);
}

TEST(JudgeDetailTest, DaneEvidenceLandsOnTheMxHost) {
  Case c{"", DnssecSecurity::kSecure, DnssecSecurity::kSecure};
  c.tlsa = Tlsa(DnssecSecurity::kSecure, {kEe, kPkix});
  v1::Evidence ev;
  ev.add_mx_hosts()->set_name("other.example.net");
  ev.add_mx_hosts()->set_name("mx.example.com");
  CheckVerdict v = JudgeDnssec(Obs(c), &ev);
  const v1::DaneEvidence& d = ev.mx_hosts(1).dane();
  EXPECT_TRUE(d.published());
  EXPECT_TRUE(d.usable());
  EXPECT_EQ(d.state(), v1::DNSSEC_STATE_SECURE);
  ASSERT_EQ(d.tlsa_records_size(), 2);
  EXPECT_EQ(d.tlsa_records(0), "3 1 1 " + std::string(64, '1'));
  EXPECT_FALSE(ev.mx_hosts(0).has_dane());
  // The PKIX record is named as unusable beside the usable DANE-EE one.
  auto has = [&](v1::FindingCode code) {
    return std::any_of(v.findings.begin(), v.findings.end(),
                       [&](const v1::Finding& f) { return f.code() == code; });
  };
  EXPECT_TRUE(has(v1::DANE_RECORD_UNUSABLE));
  EXPECT_TRUE(has(v1::DANE_USABLE));
  EXPECT_TRUE(has(v1::DANE_PRECEDES_MTA_STS));
}

TEST(JudgeDetailTest, InsecureTlsaIsPublishedButNotUsable) {
  Case c{"", DnssecSecurity::kSecure, DnssecSecurity::kSecure};
  c.tlsa = Tlsa(DnssecSecurity::kInsecure, {kEe});
  v1::Evidence ev;
  ev.add_mx_hosts()->set_name("mx.example.com");
  JudgeDnssec(Obs(c), &ev);
  EXPECT_TRUE(ev.mx_hosts(0).dane().published());
  EXPECT_FALSE(ev.mx_hosts(0).dane().usable());
  EXPECT_EQ(ev.mx_hosts(0).dane().state(), v1::DNSSEC_STATE_INSECURE);
}

}  // namespace
}  // namespace mtasts::checks
