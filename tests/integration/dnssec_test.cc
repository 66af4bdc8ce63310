// The dnssec check through the gRPC API, against zones signed at test time
// and served by a real nsd on loopback (tests/fakes/signed_zones.h), validated
// from the lab's own root key: SECURE, INSECURE (delegation without DS),
// BOGUS (tampered records), BOGUS (expired RRSIGs), DANE TLSA in a secure and
// in an insecure zone, and the checker's own failures (bad trust anchor,
// validator reaching nothing).
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "mtasts/v1/service.grpc.pb.h"
#include "tests/fakes/fake_smtp_server.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/signed_zones.h"
#include "tests/fakes/silent_udp.h"
#include "tests/fakes/test_certs.h"
#include "server/server.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

using fakes::SignedZones;

const v1::DnssecEvidence* Evidence(const v1::DomainReport& r, const std::string& name,
                                   const std::string& type) {
  for (const auto& e : r.evidence().dnssec()) {
    if (e.name() == name && e.type() == type) return &e;
  }
  ADD_FAILURE() << "no DNSSEC evidence for " << name << " " << type;
  return nullptr;
}

// A 32-byte DANE-EE SPKI SHA-256 record, published in secure.test and
// insecure.test at _25._tcp.mx.<zone>.
const std::string kTlsa = "3 1 1 " + std::string(64, 'a');

class DnssecTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SignedZones::Options o;
    o.tlsa_rdata = kTlsa;
    zones_.Start(SignedZones::Start(o));
  }
  static void TearDownTestSuite() { zones_.Stop(); }
  void SetUp() override {
    if (zones_.missing()) {
      MTASTS_SKIP_OR_FAIL_IN_CI(*zones_.missing());
    }
    ASSERT_NE(zones_.get(), nullptr);
  }

  LabOptions Lab() const {
    LabOptions o;
    o.trust_anchor_file = zones_->trust_anchor_file();
    o.dnssec_forwarder = zones_->forwarder();
    return o;
  }

  // The lab's c-ares DNS tells the same story as the signed zones (for
  // bogus.test: the tampered MX, which c-ares does not validate).
  static void Script(TestLab& lab, const std::string& zone, int preference = 10) {
    lab.dns().Mx(zone, {{preference, "mx." + zone}});
    lab.dns().A("mx." + zone, {"127.0.0.1"});
    lab.dns().NoData("mx." + zone, DnsType::kAaaa);
  }

  static v1::DomainReport CheckDnssec(TestLab& lab, const std::string& domain) {
    v1::CheckOptions options;
    options.add_checks("dnssec");
    auto report = lab.Check(domain, options);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : v1::DomainReport();
  }

  static fakes::SuiteLab<SignedZones> zones_;
};

fakes::SuiteLab<SignedZones> DnssecTest::zones_;

TEST_F(DnssecTest, SecureDomainEarnsTheDnssecPointsAndDaneIsUsable) {
  auto lab = TestLab::Start(Lab());
  Script(*lab, "secure.test");
  v1::DomainReport r = CheckDnssec(*lab, "secure.test");
  const v1::CheckResult& c = ResultOf(r, "dnssec");
  EXPECT_EQ(c.status(), v1::CHECK_STATUS_PASS) << c.summary();
  EXPECT_EQ(c.points_possible(), 5);
  EXPECT_EQ(c.points_earned(), 5);
  EXPECT_TRUE(CodeSet(c).count(v1::DNSSEC_SECURE));
  for (auto [name, type] : {std::pair{"secure.test", "MX"}, {"_mta-sts.secure.test", "TXT"},
                            {"mta-sts.secure.test", "A"}, {"mx.secure.test", "A"}}) {
    const v1::DnssecEvidence* e = Evidence(r, name, type);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->state(), v1::DNSSEC_STATE_SECURE) << name << " " << type;
  }
  EXPECT_EQ(Evidence(r, "secure.test", "MX")->outcome(), v1::DNS_OUTCOME_ANSWER);
  // mx.secure.test has no AAAA: a SECURE proof of absence.
  EXPECT_EQ(Evidence(r, "mx.secure.test", "AAAA")->outcome(), v1::DNS_OUTCOME_NODATA);
  EXPECT_EQ(Evidence(r, "mx.secure.test", "AAAA")->state(), v1::DNSSEC_STATE_SECURE);

  // DANE: TLSA in a secure zone is usable, and the report says DANE wins.
  ASSERT_EQ(r.evidence().mx_hosts_size(), 1);
  const v1::DaneEvidence& dane = r.evidence().mx_hosts(0).dane();
  EXPECT_TRUE(dane.published());
  EXPECT_TRUE(dane.usable());
  EXPECT_EQ(dane.state(), v1::DNSSEC_STATE_SECURE);
  ASSERT_EQ(dane.tlsa_records_size(), 1);
  EXPECT_EQ(dane.tlsa_records(0), kTlsa);
  EXPECT_TRUE(CodeSet(c).count(v1::DANE_USABLE));
  EXPECT_TRUE(CodeSet(c).count(v1::DANE_PRECEDES_MTA_STS));
}

TEST_F(DnssecTest, DelegationWithoutDsIsInsecureAndItsTlsaUnusable) {
  auto lab = TestLab::Start(Lab());
  Script(*lab, "insecure.test");
  v1::DomainReport r = CheckDnssec(*lab, "insecure.test");
  const v1::CheckResult& c = ResultOf(r, "dnssec");
  // INSECURE is a recommendation, not a failure.
  EXPECT_EQ(c.status(), v1::CHECK_STATUS_WARN) << c.summary();
  EXPECT_EQ(c.points_earned(), 0);
  EXPECT_TRUE(CodeSet(c).count(v1::DNSSEC_INSECURE));
  EXPECT_FALSE(CodeSet(c).count(v1::DNSSEC_BOGUS));
  EXPECT_EQ(Evidence(r, "insecure.test", "MX")->state(), v1::DNSSEC_STATE_INSECURE);
  EXPECT_EQ(Evidence(r, "_mta-sts.insecure.test", "TXT")->state(), v1::DNSSEC_STATE_INSECURE);
  for (const auto& f : c.findings()) {
    if (f.code() == v1::DNSSEC_INSECURE) {
      EXPECT_EQ(f.severity(), v1::SEVERITY_LOW);
    }
  }
  const v1::DaneEvidence& dane = r.evidence().mx_hosts(0).dane();
  EXPECT_TRUE(dane.published());
  EXPECT_FALSE(dane.usable());
  EXPECT_EQ(dane.state(), v1::DNSSEC_STATE_INSECURE);
  EXPECT_TRUE(CodeSet(c).count(v1::DANE_UNUSABLE_INSECURE));
  EXPECT_FALSE(CodeSet(c).count(v1::DANE_PRECEDES_MTA_STS));
}

TEST_F(DnssecTest, TamperedSignatureIsBogusWithTheValidatorsReason) {
  auto lab = TestLab::Start(Lab());
  Script(*lab, "bogus.test", 20);
  v1::DomainReport r = CheckDnssec(*lab, "bogus.test");
  const v1::CheckResult& c = ResultOf(r, "dnssec");
  EXPECT_EQ(c.status(), v1::CHECK_STATUS_FAIL) << c.summary();
  EXPECT_EQ(c.points_possible(), 5);
  EXPECT_EQ(c.points_earned(), 0);
  ASSERT_GT(c.findings_size(), 0);
  EXPECT_EQ(c.findings(0).code(), v1::DNSSEC_BOGUS);
  EXPECT_EQ(c.findings(0).severity(), v1::SEVERITY_HIGH);
  EXPECT_EQ(c.findings(0).tlsrpt_result_type(), "dnssec-invalid");
  const v1::DnssecEvidence* mx = Evidence(r, "bogus.test", "MX");
  ASSERT_NE(mx, nullptr);
  EXPECT_EQ(mx->state(), v1::DNSSEC_STATE_BOGUS);
  EXPECT_NE(mx->reason().find("signature"), std::string::npos) << mx->reason();
  EXPECT_EQ(Evidence(r, "_mta-sts.bogus.test", "TXT")->state(), v1::DNSSEC_STATE_BOGUS);
  // The untampered host address of the same zone still validates.
  EXPECT_EQ(Evidence(r, "mx.bogus.test", "A")->state(), v1::DNSSEC_STATE_SECURE);
}

TEST_F(DnssecTest, ExpiredSignaturesAreBogus) {
  auto lab = TestLab::Start(Lab());
  Script(*lab, "expired.test");
  v1::DomainReport r = CheckDnssec(*lab, "expired.test");
  const v1::CheckResult& c = ResultOf(r, "dnssec");
  EXPECT_EQ(c.status(), v1::CHECK_STATUS_FAIL) << c.summary();
  EXPECT_TRUE(CodeSet(c).count(v1::DNSSEC_BOGUS));
  const v1::DnssecEvidence* mx = Evidence(r, "expired.test", "MX");
  ASSERT_NE(mx, nullptr);
  EXPECT_EQ(mx->state(), v1::DNSSEC_STATE_BOGUS);
  EXPECT_NE(mx->reason().find("expired"), std::string::npos) << mx->reason();
  // The TLSA lookup is bogus too: DANE senders would defer.
  EXPECT_TRUE(CodeSet(c).count(v1::DANE_BOGUS));
  EXPECT_EQ(r.evidence().mx_hosts(0).dane().state(), v1::DNSSEC_STATE_BOGUS);
}

TEST(DnssecStartupTest, UnreadableTrustAnchorStopsTheServerFromStarting) {
  // A broken trust anchor would make every report's dnssec check
  // INCONCLUSIVE; the operator hears about it at start-up instead.
  server::ServerSettings settings;
  settings.listen = "127.0.0.1:0";
  settings.log = nullptr;
  settings.probe.trust_anchor_file = "/nonexistent/root.key";
  auto server = server::MtaStsServer::Start(settings);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(server.status().message().find("--trust_anchor_file"), absl::string_view::npos)
      << server.status();
  EXPECT_NE(server.status().message().find("/nonexistent/root.key"), absl::string_view::npos)
      << server.status();
}

TEST_F(DnssecTest, TrustAnchorOfAnotherRootIsInconclusiveNotBogus) {
  // The real root's key against the lab's root: the lab's DNSKEY is bogus,
  // which is our configuration's fault, not the domain's.
  LabOptions o = Lab();
  o.trust_anchor_file = "/usr/share/dns/root.key";
  auto lab = TestLab::Start(o);
  Script(*lab, "secure.test");
  v1::DomainReport r = CheckDnssec(*lab, "secure.test");
  const v1::CheckResult& c = ResultOf(r, "dnssec");
  EXPECT_EQ(c.status(), v1::CHECK_STATUS_INCONCLUSIVE) << c.summary();
  EXPECT_TRUE(CodeSet(c).count(v1::DNSSEC_TRUST_ANCHOR_PROBLEM));
}

TEST_F(DnssecTest, SilentForwarderIsInconclusiveQuicklyAndThenAtOnce) {
  fakes::SilentUdp silent;
  LabOptions o = Lab();
  o.dnssec_forwarder = absl::StrCat("127.0.0.1:", silent.port());
  auto lab = TestLab::Start(o);
  Script(*lab, "secure.test");
  absl::Time start = absl::Now();
  v1::DomainReport r = CheckDnssec(*lab, "secure.test");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  const v1::CheckResult& c = ResultOf(r, "dnssec");
  EXPECT_EQ(c.status(), v1::CHECK_STATUS_INCONCLUSIVE);
  EXPECT_TRUE(CodeSet(c).count(v1::DNSSEC_VALIDATOR_UNAVAILABLE)) << c.summary();
  // Remembered: the next domain does not wait for the probe again.
  // Time is the behaviour: well under the 1.5 s a probe would take.
  start = absl::Now();
  r = CheckDnssec(*lab, "secure.test");
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(CodeSet(ResultOf(r, "dnssec")).count(v1::DNSSEC_VALIDATOR_UNAVAILABLE));
}

TEST_F(DnssecTest, RunEndingWhileValidationIsInFlightIsSafe) {
  // A silent forwarder keeps the root probe in flight; the call's deadline
  // ends the run first. The probe's late answer must not touch the dead run.
  fakes::SilentUdp silent;
  LabOptions o = Lab();
  o.dnssec_forwarder = absl::StrCat("127.0.0.1@", silent.port());
  auto lab = TestLab::Start(o);
  // Longer than std::string's inline buffer: a dead run's domain is freed
  // memory, which the address sanitizer catches if it is read.
  const std::string domain = "a-long-domain-name.secure.test";
  Script(*lab, domain);
  for (int i = 0; i < 3; ++i) {
    // The caller cancels while the probe waits (the run's own deadline is far):
    // once the run has asked for its MX hosts, and for the first run once the
    // probe's query has reached the silent forwarder.
    grpc::ClientContext call;
    call.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::CheckDomainRequest request;
    request.set_domain(domain);
    request.mutable_options()->add_checks("dnssec");
    v1::DomainReport response;
    std::thread cancel([&, i] {
      lab->dns().WaitForQueries(domain, i + 1, absl::Seconds(10));
      if (i == 0) {
        WaitUntil(
            [&silent] { return silent.TakeDatagram(); },
            absl::Seconds(10), "the root probe's query at the silent forwarder");
      }
      call.TryCancel();
    });
    grpc::Status status = lab->stub().CheckDomain(&call, request, &response);
    cancel.join();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  }
  // The cancelled runs' probes time out (probe_timeout, 1.5 s) and call back
  // into runs that are gone. A fourth run probes after them with the same
  // timeout, so when it reports the forwarder unreachable those late answers
  // have come.
  const v1::CheckResult last = ResultOf(CheckDnssec(*lab, domain), "dnssec");
  EXPECT_EQ(last.status(), v1::CHECK_STATUS_INCONCLUSIVE) << last.summary();
  EXPECT_TRUE(CodeSet(last).count(v1::DNSSEC_VALIDATOR_UNAVAILABLE)) << last.summary();
  // The server is fine, and a lab with a working forwarder still validates.
  EXPECT_EQ(lab->HealthStatus(""), "SERVING");
  auto good = TestLab::Start(Lab());
  Script(*good, "secure.test");
  EXPECT_EQ(ResultOf(CheckDnssec(*good, "secure.test"), "dnssec").status(), v1::CHECK_STATUS_PASS);
}

TEST_F(DnssecTest, DefaultsWithoutNetworkDoNotHoldUpTheReport) {
  // No flags: Debian's root key and full recursion. Without a route to the
  // root servers (this lab) the check is INCONCLUSIVE within the probe time.
  auto lab = TestLab::Start(LabOptions{});
  Script(*lab, "secure.test");
  const absl::Time start = absl::Now();
  v1::DomainReport r = CheckDnssec(*lab, "secure.test");
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  const v1::CheckResult& c = ResultOf(r, "dnssec");
  if (c.status() == v1::CHECK_STATUS_INCONCLUSIVE) {
    EXPECT_TRUE(CodeSet(c).count(v1::DNSSEC_VALIDATOR_UNAVAILABLE)) << c.summary();
  } else {
    // A machine with Internet access: the real root proves test. absent.
    EXPECT_EQ(c.status(), v1::CHECK_STATUS_PASS) << c.summary();
  }
}

// SHA-256 of a certificate's SubjectPublicKeyInfo, lower-case hex: the data
// of a DANE-EE "3 1 1" TLSA record (RFC 7672 §3.1.1).
std::string SpkiSha256(const std::string& cert_pem) {
  BIO* bio = BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (cert == nullptr) return "";
  unsigned char* der = nullptr;
  const int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(der, static_cast<size_t>(len), digest);
  OPENSSL_free(der);
  X509_free(cert);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

// DANE matched against the certificates mx_tls saw: one MX host whose TLSA
// record names its key, one whose record names another key. The
// certificates come from a CA nobody trusts: DANE-EE does not need PKIX.
TEST(DaneMatchTest, CertificatesFromTheStarttlsProbeAreMatchedAgainstTlsa) {
  auto ca = fakes::TestCa::CreateRoot("dane test CA (untrusted)");
  ASSERT_TRUE(ca.ok()) << ca.status();
  auto cert1 = (*ca)->Issue(fakes::CertSpec::ForHosts({"mx1.dane.secure.test"}));
  auto cert2 = (*ca)->Issue(fakes::CertSpec::ForHosts({"mx2.dane.secure.test"}));
  ASSERT_TRUE(cert1.ok() && cert2.ok());
  const std::string spki1 = SpkiSha256(cert1->cert_pem);
  ASSERT_EQ(spki1.size(), 64u);

  // dane.secure.test lives inside the signed secure.test zone.
  SignedZones::Options zo;
  const std::string d = "dane.secure.test.";
  zo.extra["secure.test"] = {
      absl::StrCat(d, " 3600 IN MX 10 mx1.", d),
      absl::StrCat(d, " 3600 IN MX 20 mx2.", d),
      absl::StrCat("_mta-sts.", d, " 3600 IN TXT \"v=STSv1; id=dane1\""),
      absl::StrCat("mx1.", d, " 3600 IN A 127.0.0.2"),
      absl::StrCat("mx2.", d, " 3600 IN A 127.0.0.3"),
      absl::StrCat("_25._tcp.mx1.", d, " 3600 IN TLSA 3 1 1 ", spki1),
      absl::StrCat("_25._tcp.mx2.", d, " 3600 IN TLSA 3 1 1 ", std::string(64, 'b')),
  };
  auto zones = SignedZones::Start(zo);
  if (zones.status().code() == absl::StatusCode::kUnavailable) {
    MTASTS_SKIP_OR_FAIL_IN_CI(zones.status().ToString());
  }
  ASSERT_TRUE(zones.ok()) << zones.status();
  auto smtp = fakes::FakeSmtpServer::Start({"127.0.0.2", "127.0.0.3"});
  ASSERT_TRUE(smtp.ok()) << smtp.status();
  ASSERT_TRUE((*smtp)->SetScript("127.0.0.2", fakes::FakeSmtpScript::Good(*cert1)).ok());
  ASSERT_TRUE((*smtp)->SetScript("127.0.0.3", fakes::FakeSmtpScript::Good(*cert2)).ok());

  LabOptions o;
  o.trust_anchor_file = (*zones)->trust_anchor_file();
  o.dnssec_forwarder = (*zones)->forwarder();
  o.smtp_port = (*smtp)->port();
  auto lab = TestLab::Start(o);
  lab->dns().Mx("dane.secure.test", {{10, "mx1.dane.secure.test"}, {20, "mx2.dane.secure.test"}});
  lab->dns().A("mx1.dane.secure.test", {"127.0.0.2"});
  lab->dns().A("mx2.dane.secure.test", {"127.0.0.3"});
  v1::CheckOptions options;
  options.add_checks("dnssec");
  options.add_checks("mx_tls");
  auto report = lab->Check("dane.secure.test", options);
  ASSERT_TRUE(report.ok()) << report.status();
  // DANE matching is the dnssec check's AnnotateReport hook, which the engine
  // runs after every check: nothing here calls it.

  const v1::CheckResult& c = ResultOf(*report, "dnssec");
  EXPECT_EQ(c.status(), v1::CHECK_STATUS_PASS) << c.summary();
  ASSERT_EQ(report->evidence().mx_hosts_size(), 2);
  const v1::MxHost& mx1 = report->evidence().mx_hosts(0);
  const v1::MxHost& mx2 = report->evidence().mx_hosts(1);
  ASSERT_EQ(mx1.name(), "mx1.dane.secure.test");
  ASSERT_GT(mx1.tls_size(), 0);
  ASSERT_GT(mx1.tls(0).chain_size(), 0) << mx1.tls(0).DebugString();
  EXPECT_EQ(mx1.tls(0).chain(0).spki_sha256(), spki1);
  EXPECT_TRUE(mx1.dane().usable());
  EXPECT_TRUE(mx1.dane().certificate_checked());
  EXPECT_TRUE(mx1.dane().matches());
  EXPECT_EQ(mx1.dane().matched_record(), "3 1 1 " + spki1);
  EXPECT_TRUE(mx2.dane().usable());
  EXPECT_TRUE(mx2.dane().certificate_checked());
  EXPECT_FALSE(mx2.dane().matches());
  bool matched = false, mismatched = false;
  for (const auto& f : c.findings()) {
    if (f.code() == v1::DANE_MATCHES) matched = f.subject() == "mx1.dane.secure.test";
    if (f.code() == v1::DANE_MISMATCH) {
      mismatched = f.subject() == "mx2.dane.secure.test";
      EXPECT_EQ(f.severity(), v1::SEVERITY_HIGH);
      EXPECT_EQ(f.tlsrpt_result_type(), "tlsa-invalid");
    }
  }
  EXPECT_TRUE(matched);
  EXPECT_TRUE(mismatched);
  EXPECT_TRUE(CodeSet(c).count(v1::DANE_PRECEDES_MTA_STS));
}

}  // namespace
}  // namespace mtasts::testing
