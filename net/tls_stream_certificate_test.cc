// TlsStream's TLS handshake against good and bad certificates: the evidence
// it records, and how each certificate failure is named.

#include "net/tls_stream.h"

#include <openssl/x509_vfy.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/run_sync.h"
#include "net/tls_stream_test_fixture.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::net {
namespace {

using ::mtasts::fakes::CertSpec;
using ::mtasts::fakes::FakeHttpsServer;
using ::mtasts::fakes::TestCert;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Day(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

// --- Good certificates and the evidence. ---

TEST_F(TlsStreamTest, GoodCertificateThroughIntermediateFillsEvidence) {
  const TestCert cert = Leaf(CertSpec::ForHosts({kHost, "alt.example.test"}));
  FakeHttpsServer* server = Serve(cert);
  Outcome out = Handshake(server->port());
  ASSERT_TRUE(out.error.ok()) << out.error.ToString();
  EXPECT_TRUE(out.tls.handshake_complete);
  EXPECT_TRUE(out.tls.verified);
  EXPECT_EQ(out.tls.sni, kHost);
  EXPECT_EQ(out.tls.version, "TLSv1.3");
  EXPECT_FALSE(out.tls.cipher.empty());
  ASSERT_EQ(out.tls.chain.size(), 2u);  // leaf + intermediate
  const CertificateInfo& leaf = out.tls.leaf();
  EXPECT_EQ(leaf.subject, "CN=mta-sts.example.test,O=mtasts tests");
  EXPECT_EQ(leaf.issuer, "CN=Test Intermediate CA,O=mtasts tests");
  EXPECT_THAT(leaf.dns_names, ElementsAre(kHost, "alt.example.test"));
  EXPECT_EQ(leaf.not_after, cert.not_after);
  EXPECT_EQ(leaf.not_before, cert.not_before);
  EXPECT_TRUE(leaf.days_to_expiry == 89 || leaf.days_to_expiry == 90) << leaf.days_to_expiry;
  EXPECT_FALSE(leaf.serial_hex.empty());
  EXPECT_EQ(leaf.sha256_fingerprint.size(), 32u * 3 - 1);
  EXPECT_FALSE(leaf.self_issued);
  EXPECT_TRUE(out.tls.certificate_errors.empty());
  EXPECT_GT(out.tls.handshake_time, absl::ZeroDuration());
  RunSync(reactor_.get(), [&] {
    EXPECT_TRUE(stream_->secure());
    EXPECT_GT(stream_->connect_time(), absl::ZeroDuration());
  });
}

TEST_F(TlsStreamTest, Tls12OnlyServerIsAccepted) {
  fakes::FakeHttpsServerOptions options;
  options.max_version = fakes::FakeTlsVersion::kTls1_2;
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})), options);
  Outcome out = Handshake(server->port());
  ASSERT_TRUE(out.error.ok()) << out.error.ToString();
  EXPECT_EQ(out.tls.version, "TLSv1.2");
}

TEST_F(TlsStreamTest, SniSelectsTheCertificate) {
  fakes::FakeHttpsServerOptions options;
  options.certificates.push_back({"", Leaf(CertSpec::ForHosts({"default.example.test"}))});
  options.certificates.push_back({kHost, Leaf(CertSpec::ForHosts({kHost}))});
  FakeHttpsServer* server = Serve(TestCert(), options);
  Outcome out = Handshake(server->port());
  ASSERT_TRUE(out.error.ok()) << out.error.ToString();
  EXPECT_THAT(out.tls.leaf().dns_names, ElementsAre(kHost));
  Outcome other = Handshake(server->port(), "default.example.test");
  ASSERT_TRUE(other.error.ok()) << other.error.ToString();
  EXPECT_THAT(other.tls.leaf().dns_names, ElementsAre("default.example.test"));
}

TEST_F(TlsStreamTest, TrailingDotAndCaseInHostAreIgnored) {
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})));
  Outcome out = Handshake(server->port(), "MTA-STS.Example.Test.");
  ASSERT_TRUE(out.error.ok()) << out.error.ToString();
  EXPECT_EQ(out.tls.sni, kHost);
}

// --- Certificate failures. ---

TEST_F(TlsStreamTest, ExpiredCertificateNamesTheDate) {
  const TestCert cert = Leaf(CertSpec::ForHosts({kHost}).Expired(absl::Hours(24 * 10)));
  FakeHttpsServer* server = Serve(cert);
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kCertificateExpired));
  EXPECT_EQ(out.error.phase, NetPhase::kTlsHandshake);
  EXPECT_EQ(out.error.verify_error, X509_V_ERR_CERT_HAS_EXPIRED);
  EXPECT_THAT(out.error.message, HasSubstr(absl::StrCat("expired on ", Day(cert.not_after))));
  EXPECT_THAT(out.error.message, HasSubstr("10 days ago"));
  // The evidence is there even though verification failed.
  EXPECT_TRUE(out.tls.handshake_complete);
  EXPECT_FALSE(out.tls.verified);
  ASSERT_TRUE(out.tls.certificate_presented());
  EXPECT_EQ(out.tls.leaf().not_after, cert.not_after);
  EXPECT_LE(out.tls.leaf().days_to_expiry, -10);
  EXPECT_THAT(out.tls.leaf().dns_names, ElementsAre(kHost));
  RunSync(reactor_.get(), [&] { EXPECT_FALSE(stream_->secure()); });
  // The client hung up: no request reached the server.
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
  EXPECT_TRUE(server->requests().empty());
}

TEST_F(TlsStreamTest, NotYetValidCertificate) {
  const TestCert cert = Leaf(CertSpec::ForHosts({kHost}).NotYetValid(absl::Hours(24 * 5)));
  FakeHttpsServer* server = Serve(cert);
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kCertificateNotYetValid));
  EXPECT_THAT(out.error.message, HasSubstr(absl::StrCat("not valid before ", Day(cert.not_before))));
  EXPECT_EQ(out.tls.leaf().not_before, cert.not_before);
}

TEST_F(TlsStreamTest, SelfSignedCertificate) {
  FakeHttpsServer* server = Serve(*fakes::MakeSelfSigned(CertSpec::ForHosts({kHost})));
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kSelfSigned));
  EXPECT_EQ(out.error.verify_error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  EXPECT_THAT(out.error.message, HasSubstr("self-signed"));
  ASSERT_TRUE(out.tls.certificate_presented());
  EXPECT_TRUE(out.tls.leaf().self_issued);
}

TEST_F(TlsStreamTest, UnknownIssuer) {
  auto other_root = *fakes::TestCa::CreateRoot("Other Root CA");
  FakeHttpsServer* server = Serve(*other_root->Issue(CertSpec::ForHosts({kHost})));
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kUnknownIssuer));
  EXPECT_EQ(out.error.verify_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_THAT(out.error.message, HasSubstr("CN=Other Root CA"));
  EXPECT_THAT(out.error.message, HasSubstr("unable to get local issuer certificate"));
}

TEST_F(TlsStreamTest, UntrustedRootSentInChainIsUnknownIssuer) {
  auto other_root = *fakes::TestCa::CreateRoot("Other Root CA");
  TestCert cert = *other_root->Issue(CertSpec::ForHosts({kHost}));
  cert.chain_pem.push_back(other_root->cert_pem());
  FakeHttpsServer* server = Serve(cert);
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kUnknownIssuer));
  EXPECT_EQ(out.error.verify_error, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN);
  EXPECT_THAT(out.error.message, HasSubstr("CN=Other Root CA"));
  EXPECT_EQ(out.tls.chain.size(), 2u);
}

TEST_F(TlsStreamTest, IncompleteChainNamesTheMissingIntermediate) {
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})).WithoutChain());
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kIncompleteChain));
  EXPECT_THAT(out.error.message, HasSubstr("CN=Test Intermediate CA"));
  EXPECT_THAT(out.tls.missing_intermediates, ElementsAre("CN=Test Intermediate CA,O=mtasts tests"));
  EXPECT_EQ(out.tls.chain.size(), 1u);
}

TEST_F(TlsStreamTest, IncompleteChainWithoutKnownIntermediatesIsUnknownIssuer) {
  auto plain_ctx = *TlsClientContext::Create(ca_file_);
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})).WithoutChain());
  Outcome out = Handshake(server->port(), kHost, absl::Seconds(2), absl::Seconds(2), plain_ctx.get());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kUnknownIssuer));
  EXPECT_THAT(out.error.message, HasSubstr("the server sent no intermediates"));
}

TEST_F(TlsStreamTest, NameMismatchListsTheNamesCovered) {
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({"www.example.test", "example.test"})));
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kNameMismatch));
  EXPECT_EQ(out.error.verify_error, X509_V_ERR_HOSTNAME_MISMATCH);
  EXPECT_THAT(out.error.message, HasSubstr("not valid for \"mta-sts.example.test\""));
  EXPECT_THAT(out.error.message, HasSubstr("it covers www.example.test, example.test"));
  EXPECT_THAT(out.tls.leaf().dns_names, ElementsAre("www.example.test", "example.test"));
}

TEST_F(TlsStreamTest, SubjectCommonNameIsNotUsed) {
  CertSpec spec;
  spec.common_name = kHost;  // no subjectAltName at all
  FakeHttpsServer* server = Serve(Leaf(spec));
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kNameMismatch));
  EXPECT_THAT(out.error.message, HasSubstr("lists no DNS names"));
}

TEST_F(TlsStreamTest, WildcardCoversExactlyOneLabel) {
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({"*.example.test"})));
  Outcome one = Handshake(server->port(), "mta-sts.example.test");
  EXPECT_TRUE(one.error.ok()) << one.error.ToString();
  Outcome two = Handshake(server->port(), "a.mta-sts.example.test");
  EXPECT_THAT(two.error, FailsWith(NetFailure::kNameMismatch));
  EXPECT_THAT(two.error.message, HasSubstr("it covers *.example.test"));
  Outcome bare = Handshake(server->port(), "example.test");
  EXPECT_THAT(bare.error, FailsWith(NetFailure::kNameMismatch));
}

TEST_F(TlsStreamTest, PartialWildcardIsNotAccepted) {
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({"mta*.example.test"})));
  Outcome out = Handshake(server->port(), "mta-sts.example.test");
  EXPECT_THAT(out.error, FailsWith(NetFailure::kNameMismatch));
}

TEST_F(TlsStreamTest, ExpiredAndWrongNameReportsExpiryFirstAndMentionsBoth) {
  FakeHttpsServer* server =
      Serve(Leaf(CertSpec::ForHosts({"other.example.test"}).Expired(absl::Hours(24 * 3))));
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kCertificateExpired));
  EXPECT_THAT(out.error.message, HasSubstr("also: hostname mismatch"));
  EXPECT_EQ(out.tls.certificate_errors.size(), 2u);
}

}  // namespace
}  // namespace mtasts::net
