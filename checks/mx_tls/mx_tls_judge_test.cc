#include "checks/mx_tls/mx_tls_judge.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

using net::NetFailure;
using net::SmtpPhase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// --- Probe results as the probe reports them. ---

net::SmtpProbeResult Passed(int days_left = 80) {
  net::SmtpProbeResult r;
  r.connected = true;
  r.phase = SmtpPhase::kDone;
  r.greeting.code = 220;
  r.greeting.lines = {"mx ESMTP"};
  r.starttls_offered = true;
  r.tls.handshake_complete = true;
  r.tls.verified = true;
  r.tls.version = "TLSv1.3";
  net::CertificateInfo leaf;
  leaf.subject = "CN=mx";
  leaf.issuer = "CN=CA";
  leaf.dns_names = {"mx.example.com"};
  leaf.days_to_expiry = days_left;
  leaf.cert_sha256 = std::string(64, 'a');
  r.tls.chain = {leaf};
  return r;
}

net::SmtpProbeResult Failed(NetFailure failure, SmtpPhase phase, bool connected = true) {
  net::SmtpProbeResult r = phase == SmtpPhase::kTlsHandshake ? Passed() : net::SmtpProbeResult();
  r.tls.verified = false;
  r.connected = connected;
  r.phase = phase;
  r.error.failure = failure;
  r.error.message = "what happened";
  return r;
}

// The SMTP exchange failed (kProtocol) in this way.
net::SmtpProbeResult Failed(net::SmtpFailure failure, SmtpPhase phase) {
  net::SmtpProbeResult r = Failed(NetFailure::kProtocol, phase);
  r.smtp_failure = failure;
  return r;
}

net::SmtpProbeResult CertFailed(NetFailure failure, std::vector<int> other_errors = {}) {
  net::SmtpProbeResult r = Failed(failure, SmtpPhase::kTlsHandshake);
  for (int code : other_errors) r.tls.certificate_errors.push_back({code, 0, "x", "", {}, {}});
  return r;
}

MxAddressProbe At(const std::string& address, net::SmtpProbeResult result) {
  MxAddressProbe p;
  p.address = address;
  p.guard.allowed = true;
  p.result = std::move(result);
  return p;
}

MxAddressProbe Refused(const std::string& address) {
  MxAddressProbe p;
  p.address = address;
  p.guard.allowed = false;
  p.guard.explanation = address + " is in a private range";
  return p;
}

MxHostProbes Host(const std::string& name, std::vector<MxAddressProbe> addresses) {
  MxHostProbes h;
  h.host = name;
  h.a_outcome = net::DnsOutcome::kAnswer;
  h.addresses = std::move(addresses);
  return h;
}

std::vector<v1::FindingCode> Codes(const CheckVerdict& v) {
  std::vector<v1::FindingCode> codes;
  for (const auto& f : v.findings) codes.push_back(f.code());
  return codes;
}

const v1::Finding& Only(const CheckVerdict& v) {
  EXPECT_EQ(v.findings.size(), 1u);
  static const v1::Finding kNone;
  return v.findings.empty() ? kNone : v.findings.front();
}

// --- One cause per row, one host with one address, under each mode. ---

struct Row {
  const char* name;
  net::SmtpProbeResult result;
  v1::FindingCode code;
  v1::Severity enforce;
  v1::Severity testing;
  v1::Severity no_policy;
  v1::CheckStatus status;  // under enforce
  // RFC 8460 §4.3 result type a TLS-RPT report gives the failure; "" when
  // the failure is not a TLS negotiation or policy failure (or no failure).
  const char* tlsrpt;
};

TEST(MxTlsJudgeTest, EachCauseItsCodeAndSeverityPerMode) {
  const v1::Severity C = v1::SEVERITY_CRITICAL, H = v1::SEVERITY_HIGH, M = v1::SEVERITY_MEDIUM;
  const v1::CheckStatus FAIL = v1::CHECK_STATUS_FAIL, WARN = v1::CHECK_STATUS_WARN;
  const std::vector<Row> rows = {
      {"starttls missing", Failed(net::SmtpFailure::kStartTlsNotOffered, SmtpPhase::kEhlo),
       v1::MX_TLS_STARTTLS_MISSING, C, H, H, FAIL, "starttls-not-supported"},
      {"454", Failed(net::SmtpFailure::kRejected, SmtpPhase::kStartTls),
       v1::MX_TLS_STARTTLS_REFUSED, C, H, H, FAIL, "starttls-not-supported"},
      {"554 greeting", Failed(net::SmtpFailure::kRejected, SmtpPhase::kGreeting),
       v1::MX_TLS_GREETING_REJECTED, H, H, H, FAIL, ""},
      {"EHLO refused", Failed(net::SmtpFailure::kRejected, SmtpPhase::kEhlo),
       v1::MX_TLS_EHLO_REJECTED, H, H, H, FAIL, "starttls-not-supported"},
      {"handshake alert", Failed(NetFailure::kHandshakeFailure, SmtpPhase::kTlsHandshake),
       v1::MX_TLS_HANDSHAKE_FAILED, C, H, H, FAIL, "validation-failure"},
      {"reset in handshake", Failed(NetFailure::kConnectionReset, SmtpPhase::kTlsHandshake),
       v1::MX_TLS_HANDSHAKE_FAILED, C, H, H, FAIL, "validation-failure"},
      {"TLS 1.0", Failed(NetFailure::kProtocolTooOld, SmtpPhase::kTlsHandshake),
       v1::MX_TLS_PROTOCOL_TOO_OLD, C, H, H, FAIL, "validation-failure"},
      {"expired", CertFailed(NetFailure::kCertificateExpired), v1::MX_TLS_CERT_EXPIRED, C, H, M,
       FAIL, "certificate-expired"},
      {"not yet valid", CertFailed(NetFailure::kCertificateNotYetValid),
       v1::MX_TLS_CERT_NOT_YET_VALID, C, H, M, FAIL, "validation-failure"},
      {"self-signed", CertFailed(NetFailure::kSelfSigned), v1::MX_TLS_CERT_SELF_SIGNED, C, H, M,
       FAIL, "certificate-not-trusted"},
      {"unknown issuer", CertFailed(NetFailure::kUnknownIssuer), v1::MX_TLS_CERT_UNKNOWN_ISSUER,
       C, H, M, FAIL, "certificate-not-trusted"},
      {"incomplete chain", CertFailed(NetFailure::kIncompleteChain),
       v1::MX_TLS_CERT_INCOMPLETE_CHAIN, C, H, M, FAIL, "certificate-not-trusted"},
      {"wrong name", CertFailed(NetFailure::kNameMismatch), v1::MX_TLS_CERT_NAME_MISMATCH, C, H,
       M, FAIL, "certificate-host-mismatch"},
      {"other certificate error", CertFailed(NetFailure::kCertificateInvalid),
       v1::MX_TLS_CERT_INVALID, C, H, M, FAIL, "validation-failure"},
      {"greeting timeout", Failed(NetFailure::kTimeout, SmtpPhase::kGreeting),
       v1::MX_TLS_TIMEOUT, M, M, M, FAIL, ""},
      {"not SMTP", Failed(net::SmtpFailure::kMalformed, SmtpPhase::kGreeting),
       v1::MX_TLS_PROTOCOL_ERROR, M, M, M, FAIL, ""},
      {"expires in 10 days", Passed(10), v1::MX_TLS_CERT_EXPIRING_SOON, M, M, M, WARN, ""},
      {"expires in 2 days", Passed(2), v1::MX_TLS_CERT_EXPIRING_SOON, H, H, H, WARN, ""},
  };
  for (const Row& row : rows) {
    for (const auto& [mode, severity] :
         std::vector<std::pair<v1::PolicyMode, v1::Severity>>{
             {v1::POLICY_MODE_ENFORCE, row.enforce},
             {v1::POLICY_MODE_TESTING, row.testing},
             {v1::POLICY_MODE_NONE, row.no_policy},
             {v1::POLICY_MODE_UNSPECIFIED, row.no_policy}}) {
      MxTlsInput in;
      in.mode = mode;
      in.hosts = {Host("mx.example.com", {At("192.0.2.1", row.result)})};
      const CheckVerdict v = JudgeMxTls(in);
      SCOPED_TRACE(std::string(row.name) + " mode " + v1::PolicyMode_Name(mode));
      EXPECT_THAT(Codes(v), ElementsAre(row.code));
      EXPECT_EQ(Only(v).severity(), severity);
      EXPECT_EQ(Only(v).subject(), "mx.example.com");
      EXPECT_THAT(Only(v).detail(), HasSubstr("192.0.2.1"));
      if (mode == v1::POLICY_MODE_ENFORCE) {
        EXPECT_EQ(v.status, row.status);
      }
      // Only a passing (if expiring) certificate earns the host's share.
      EXPECT_EQ(v.fraction, row.code == v1::MX_TLS_CERT_EXPIRING_SOON ? 1.0 : 0.0);
      EXPECT_EQ(Only(v).tlsrpt_result_type(), row.tlsrpt);
    }
  }
}

TEST(MxTlsJudgeTest, ModeDecidesWhatTheDetailPromises) {
  MxTlsInput in;
  in.hosts = {Host("mx.example.com", {At("192.0.2.1", CertFailed(NetFailure::kNameMismatch))})};
  in.mode = v1::POLICY_MODE_ENFORCE;
  EXPECT_THAT(Only(JudgeMxTls(in)).detail(), HasSubstr("will not deliver"));
  in.mode = v1::POLICY_MODE_TESTING;
  EXPECT_THAT(Only(JudgeMxTls(in)).detail(),
              HasSubstr("TLS-RPT reports show this as a failure (certificate-host-mismatch)"));
  in.mode = v1::POLICY_MODE_UNSPECIFIED;
  EXPECT_THAT(Only(JudgeMxTls(in)).detail(), HasSubstr("before enforcing"));
}

TEST(MxTlsJudgeTest, AllHostsValidPass) {
  MxTlsInput in;
  in.mode = v1::POLICY_MODE_ENFORCE;
  in.hosts = {Host("mx1.example.com", {At("192.0.2.1", Passed()), At("2001:db8::1", Passed())}),
              Host("mx2.example.com", {At("192.0.2.2", Passed())})};
  const CheckVerdict v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_PASS);
  EXPECT_EQ(v.fraction, 1.0);
  EXPECT_THAT(Codes(v), ElementsAre(v1::MX_TLS_VALID));
  EXPECT_EQ(v.summary, "All 2 MX hosts present a valid certificate over STARTTLS.");
}

TEST(MxTlsJudgeTest, SlowGreetingIsAFindingBesideThePass) {
  MxTlsInput in;
  in.mode = v1::POLICY_MODE_ENFORCE;
  in.greeting_slow_after = absl::Seconds(10);
  net::SmtpProbeResult slow = Passed();
  slow.greeting_time = absl::Milliseconds(25400);
  net::SmtpProbeResult at_threshold = Passed();
  at_threshold.greeting_time = absl::Seconds(10);  // not above it
  // A greeting that never came is a timeout, not a slow greeting.
  net::SmtpProbeResult silent = Failed(NetFailure::kTimeout, SmtpPhase::kGreeting);
  silent.greeting_time = absl::ZeroDuration();
  in.hosts = {Host("mx1.example.com", {At("192.0.2.1", slow), At("192.0.2.2", at_threshold)})};
  CheckVerdict v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_PASS);
  EXPECT_EQ(v.fraction, 1.0);
  EXPECT_THAT(Codes(v), ::testing::UnorderedElementsAre(v1::MX_TLS_VALID,
                                                        v1::MX_TLS_GREETING_SLOW));
  for (const v1::Finding& f : v.findings) {
    if (f.code() != v1::MX_TLS_GREETING_SLOW) continue;
    EXPECT_EQ(f.severity(), v1::SEVERITY_LOW);
    EXPECT_THAT(f.detail(), HasSubstr("192.0.2.1 after 25400 ms"));
    EXPECT_THAT(f.detail(), ::testing::Not(HasSubstr("192.0.2.2")));
  }
  EXPECT_EQ(MxTlsEvidence(At("192.0.2.1", slow)).greeting_ms(), 25400);

  in.hosts = {Host("mx1.example.com", {At("192.0.2.1", silent)})};
  v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
  EXPECT_THAT(Codes(v), ElementsAre(v1::MX_TLS_TIMEOUT));
}

TEST(MxTlsJudgeTest, OneBadAddressFailsItsHostAndIsListed) {
  MxTlsInput in;
  in.mode = v1::POLICY_MODE_ENFORCE;
  in.hosts = {Host("mx1.example.com",
                   {At("192.0.2.1", Passed()), At("192.0.2.9", CertFailed(NetFailure::kSelfSigned)),
                    At("2001:db8::9", CertFailed(NetFailure::kSelfSigned))}),
              Host("mx2.example.com", {At("192.0.2.2", Passed())})};
  const CheckVerdict v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
  EXPECT_EQ(v.fraction, 0.5);
  ASSERT_THAT(Codes(v), ElementsAre(v1::MX_TLS_CERT_SELF_SIGNED));
  EXPECT_THAT(Only(v).detail(), HasSubstr("at 192.0.2.9, 2001:db8::9:"));
}

TEST(MxTlsJudgeTest, SecondaryCertificateProblemsGetTheirOwnFindings) {
  MxTlsInput in;
  in.mode = v1::POLICY_MODE_TESTING;
  // Self-signed, and also expired and for another name (X509_V_ERR 10, 62).
  in.hosts = {Host("mx.example.com",
                   {At("192.0.2.1", CertFailed(NetFailure::kSelfSigned, {18, 10, 62, 10}))})};
  EXPECT_THAT(Codes(JudgeMxTls(in)),
              ElementsAre(v1::MX_TLS_CERT_SELF_SIGNED, v1::MX_TLS_CERT_EXPIRED,
                          v1::MX_TLS_CERT_NAME_MISMATCH));
}

TEST(MxTlsJudgeTest, NoTcpAnywhereIsTheVantagePoint) {
  MxTlsInput in;
  in.mode = v1::POLICY_MODE_ENFORCE;
  in.hosts = {
      Host("mx1.example.com",
           {At("192.0.2.1", Failed(NetFailure::kConnectionRefused, SmtpPhase::kConnect, false)),
            At("2001:db8::1", Failed(NetFailure::kTimeout, SmtpPhase::kConnect, false))}),
      Host("mx2.example.com",
           {At("192.0.2.2", Failed(NetFailure::kNetworkUnreachable, SmtpPhase::kConnect, false)),
            Refused("10.0.0.1")})};
  const CheckVerdict v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(Codes(v), ElementsAre(v1::MX_TLS_PORT25_BLOCKED, v1::MX_TLS_ADDRESS_REFUSED));
  EXPECT_THAT(v.findings[0].detail(), HasSubstr("None of the 3 MX addresses"));
}

TEST(MxTlsJudgeTest, HostsOurResolverCouldNotResolveAreLeftOut) {
  MxTlsInput in;
  in.mode = v1::POLICY_MODE_ENFORCE;
  MxHostProbes unresolved = Host("mx2.example.com", {});
  unresolved.a_outcome = net::DnsOutcome::kResolverOverloaded;
  unresolved.aaaa_outcome = net::DnsOutcome::kResolverOverloaded;
  // Alone: nothing is known, not MX_TLS_HOST_NO_ADDRESS.
  in.hosts = {unresolved};
  CheckVerdict v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(Codes(v), ElementsAre(v1::RESOLVER_OVERLOADED));
  // Beside a host that passes: that host's pass stands, the other is left out.
  in.hosts = {Host("mx1.example.com", {At("192.0.2.1", Passed())}), unresolved};
  v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_PASS);
  EXPECT_EQ(v.fraction, 1.0);
  EXPECT_THAT(Codes(v), ::testing::Contains(v1::RESOLVER_OVERLOADED));
  EXPECT_THAT(Codes(v), ::testing::Not(::testing::Contains(v1::MX_TLS_HOST_NO_ADDRESS)));
}

TEST(MxTlsJudgeTest, OneHostUnreachableWhileAnotherAnswersIsTheDomains) {
  MxTlsInput in;
  in.mode = v1::POLICY_MODE_ENFORCE;
  in.hosts = {
      Host("mx1.example.com", {At("192.0.2.1", Passed())}),
      Host("mx2.example.com",
           {At("192.0.2.2", Failed(NetFailure::kConnectionRefused, SmtpPhase::kConnect, false))})};
  const CheckVerdict v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_EQ(v.fraction, 0.5);
  EXPECT_THAT(Codes(v), ElementsAre(v1::MX_TLS_CONNECT_FAILED));
  EXPECT_EQ(Only(v).subject(), "mx2.example.com");
}

TEST(MxTlsJudgeTest, GuardRefusalsAndMissingAddresses) {
  MxTlsInput in;
  in.hosts = {Host("mx1.example.com", {Refused("10.0.0.1")})};
  CheckVerdict v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(Codes(v), ElementsAre(v1::MX_TLS_ADDRESS_REFUSED));

  // A refused address beside a probed one: named, and the host still judged
  // on the address that was probed.
  in.hosts = {Host("mx1.example.com", {Refused("10.0.0.1"), At("192.0.2.1", Passed())})};
  v = JudgeMxTls(in);
  EXPECT_EQ(v.fraction, 1.0);
  EXPECT_THAT(Codes(v), ElementsAre(v1::MX_TLS_ADDRESS_REFUSED));

  MxHostProbes no_address = Host("mx2.example.com", {});
  no_address.a_outcome = net::DnsOutcome::kNoData;
  in.hosts = {no_address};
  v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
  EXPECT_EQ(v.fraction, 0.0);
  EXPECT_THAT(Codes(v), ElementsAre(v1::MX_TLS_HOST_NO_ADDRESS));
  EXPECT_THAT(Only(v).detail(), HasSubstr("no A or AAAA record"));

  no_address.a_outcome = net::DnsOutcome::kServFail;
  in.hosts = {no_address, Host("mx1.example.com", {At("192.0.2.1", Passed())})};
  v = JudgeMxTls(in);
  EXPECT_EQ(v.fraction, 0.5);
  EXPECT_THAT(Only(v).detail(), HasSubstr("failed"));
}

TEST(MxTlsJudgeTest, OurOwnFailuresSayNothing) {
  MxTlsInput in;
  in.hosts = {Host("mx1.example.com",
                   {At("192.0.2.1", Failed(NetFailure::kLocalError, SmtpPhase::kConnect, false))})};
  const CheckVerdict v = JudgeMxTls(in);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_THAT(v.findings, ::testing::IsEmpty());
}

TEST(MxTlsJudgeTest, NoHostsIsSkipped) {
  EXPECT_EQ(JudgeMxTls(MxTlsInput{}).status, v1::CHECK_STATUS_SKIPPED);
}

TEST(MxTlsJudgeTest, EvidenceCarriesTheFactsAndDigests) {
  net::SmtpProbeResult r = CertFailed(NetFailure::kNameMismatch);
  r.greeting.lines = {"mx1 ESMTP", "no UCE\x01"};
  r.error.message = "the certificate is not valid for mx.example.com";
  net::CertificateInfo inter;
  inter.cert_sha256 = std::string(64, 'b');
  inter.spki_sha512 = std::string(128, 'c');
  r.tls.chain.push_back(inter);
  const v1::MxTlsResult ev = MxTlsEvidence(At("192.0.2.1", r));
  EXPECT_EQ(ev.address(), "192.0.2.1");
  EXPECT_EQ(ev.greeting(), "220 mx1 ESMTP / no UCE\\x01");
  EXPECT_TRUE(ev.starttls_offered());
  EXPECT_EQ(ev.certificate().subject(), "CN=mx");
  EXPECT_EQ(ev.certificate().tls_version(), "TLSv1.3");
  EXPECT_EQ(ev.certificate().days_to_expiry(), 80);
  EXPECT_THAT(ev.certificate().validation_error(), HasSubstr("not valid for"));
  EXPECT_EQ(ev.failure(), "TLS handshake: the certificate is not valid for mx.example.com");
  ASSERT_EQ(ev.chain_size(), 2);
  EXPECT_EQ(ev.chain(0).cert_sha256(), std::string(64, 'a'));
  EXPECT_EQ(ev.chain(1).cert_sha256(), std::string(64, 'b'));
  EXPECT_EQ(ev.chain(1).spki_sha512(), std::string(128, 'c'));

  const v1::MxTlsResult refused = MxTlsEvidence(Refused("10.0.0.1"));
  EXPECT_EQ(refused.failure(), "10.0.0.1 is in a private range");
  EXPECT_FALSE(refused.has_certificate());
}

}  // namespace
}  // namespace mtasts::checks
