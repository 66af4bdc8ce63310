#include "net/tls_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::net {
namespace {

using ::mtasts::fakes::CertSpec;
using ::mtasts::fakes::FakeHttpResponse;
using ::mtasts::fakes::FakeHttpsServer;
using ::mtasts::fakes::FakeHttpsServerOptions;
using ::mtasts::fakes::FakeTlsVersion;
using ::mtasts::fakes::FullBacklogListener;
using ::mtasts::fakes::MakeSelfSigned;
using ::mtasts::fakes::TestCa;
using ::mtasts::fakes::TestCert;
using ::mtasts::fakes::UnusedLoopbackPort;
using ::mtasts::fakes::WriteTempFile;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kHost[] = "mta-sts.example.test";
constexpr absl::Duration kWait = absl::Seconds(10);

// Fails with the whole error when the failure kind differs.
MATCHER_P(FailsWith, failure, "") {
  if (arg.failure == failure) return true;
  *result_listener << "got " << arg.ToString();
  return false;
}

// Waits until `n` bytes sit unread in socket `fd` (peeking, not reading).
bool WaitForUnreadBytes(int fd, size_t n) {
  const absl::Time deadline = absl::Now() + kWait;
  std::string buf(n, '\0');
  while (absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 10) > 0 &&
        recv(fd, buf.data(), n, MSG_PEEK | MSG_DONTWAIT) == static_cast<ssize_t>(n)) {
      return true;
    }
  }
  return false;
}

class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reactor_ = *Reactor::Create("tls-test");
    root_ = *TestCa::CreateRoot("Test Root CA");
    inter_ = *root_->CreateIntermediate("Test Intermediate CA");
    ca_file_ = *root_->WriteCertFile();
    TlsClientOptions options;
    options.ca_file = ca_file_;
    options.intermediates_file = *WriteTempFile(inter_->cert_pem(), ".pem");
    ctx_ = *TlsClientContext::Create(options);
  }

  void TearDown() override {
    RunSync(reactor_.get(), [this] { stream_.reset(); });
    servers_.clear();
    reactor_.reset();
  }

  // A TLS server presenting `cert` (through the intermediate unless the
  // test removed the chain).
  FakeHttpsServer* Serve(const TestCert& cert, FakeHttpsServerOptions options = {}) {
    if (options.tls && options.certificates.empty()) {
      options.certificates.push_back({"", cert});
    }
    auto server = FakeHttpsServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    servers_.push_back(*std::move(server));
    return servers_.back().get();
  }

  FakeHttpsServer* ServePlain(FakeHttpsServerOptions options) {
    options.tls = false;
    return Serve(TestCert(), std::move(options));
  }

  TestCert Leaf(const CertSpec& spec) { return *inter_->Issue(spec); }

  struct Outcome {
    NetError error;
    TlsInfo tls;
    absl::Duration elapsed;
  };

  // ConnectTls to 127.0.0.1:port; keeps the stream in stream_.
  Outcome Handshake(int port, const std::string& host = kHost,
                    absl::Duration connect_timeout = absl::Seconds(2),
                    absl::Duration handshake_timeout = absl::Seconds(2),
                    const TlsClientContext* ctx = nullptr) {
    Outcome out;
    absl::Notification done;
    const absl::Time start = absl::Now();
    RunSync(reactor_.get(), [&] {
      stream_ = *TlsStream::Create(reactor_.get(), ctx != nullptr ? ctx : ctx_.get());
      TlsParams params;
      params.host = host;
      params.handshake_timeout = handshake_timeout;
      stream_->ConnectTls("127.0.0.1", static_cast<uint16_t>(port), connect_timeout, params,
                          [&](NetError e) {
                            out.error = std::move(e);
                            out.tls = stream_->tls_info();
                            out.elapsed = absl::Now() - start;
                            done.Notify();
                          });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  // Runs one stream operation on the reactor and waits for its callback.
  NetError WriteSync(std::string data) {
    NetError out;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      stream_->Write(std::move(data), [&](NetError e) {
        out = std::move(e);
        done.Notify();
      });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  ReadResult ReadSync(bool line, size_t max) {
    ReadResult out;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      auto cb = [&](ReadResult r) {
        out = std::move(r);
        done.Notify();
      };
      if (line) {
        stream_->ReadLine(max, cb);
      } else {
        stream_->Read(max, cb);
      }
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  NetError StartTlsSync(const std::string& host) {
    NetError out;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      TlsParams params;
      params.host = host;
      params.handshake_timeout = absl::Seconds(2);
      stream_->StartTls(params, [&](NetError e) {
        out = std::move(e);
        done.Notify();
      });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  NetError ConnectPlainSync(int port) {
    NetError out;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      stream_ = *TlsStream::Create(reactor_.get(), ctx_.get());
      stream_->Connect("127.0.0.1", static_cast<uint16_t>(port), absl::Seconds(2),
                       [&](NetError e) {
                         out = std::move(e);
                         done.Notify();
                       });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<TestCa> root_;
  std::unique_ptr<TestCa> inter_;
  std::string ca_file_;
  std::unique_ptr<TlsClientContext> ctx_;
  std::unique_ptr<TlsStream> stream_;  // reactor thread only
  std::vector<std::unique_ptr<FakeHttpsServer>> servers_;
};

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
  FakeHttpsServerOptions options;
  options.max_version = FakeTlsVersion::kTls1_2;
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})), options);
  Outcome out = Handshake(server->port());
  ASSERT_TRUE(out.error.ok()) << out.error.ToString();
  EXPECT_EQ(out.tls.version, "TLSv1.2");
}

TEST_F(TlsStreamTest, SniSelectsTheCertificate) {
  FakeHttpsServerOptions options;
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
  FakeHttpsServer* server = Serve(*MakeSelfSigned(CertSpec::ForHosts({kHost})));
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kSelfSigned));
  EXPECT_EQ(out.error.verify_error, X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT);
  EXPECT_THAT(out.error.message, HasSubstr("self-signed"));
  ASSERT_TRUE(out.tls.certificate_presented());
  EXPECT_TRUE(out.tls.leaf().self_issued);
}

TEST_F(TlsStreamTest, UnknownIssuer) {
  auto other_root = *TestCa::CreateRoot("Other Root CA");
  FakeHttpsServer* server = Serve(*other_root->Issue(CertSpec::ForHosts({kHost})));
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kUnknownIssuer));
  EXPECT_EQ(out.error.verify_error, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  EXPECT_THAT(out.error.message, HasSubstr("CN=Other Root CA"));
  EXPECT_THAT(out.error.message, HasSubstr("unable to get local issuer certificate"));
}

TEST_F(TlsStreamTest, UntrustedRootSentInChainIsUnknownIssuer) {
  auto other_root = *TestCa::CreateRoot("Other Root CA");
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

// --- Protocol and transport failures. ---

TEST_F(TlsStreamTest, Tls11OnlyServerIsProtocolTooOld) {
  FakeHttpsServerOptions options;
  options.min_version = FakeTlsVersion::kTls1_1;
  options.max_version = FakeTlsVersion::kTls1_1;
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})), options);
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kProtocolTooOld));
  EXPECT_THAT(out.error.message, HasSubstr("does not support TLS 1.2 or later"));
  EXPECT_FALSE(out.tls.certificate_presented());
}

TEST_F(TlsStreamTest, Tls10OnlyServerIsProtocolTooOld) {
  FakeHttpsServerOptions options;
  options.min_version = FakeTlsVersion::kTls1_0;
  options.max_version = FakeTlsVersion::kTls1_0;
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})), options);
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kProtocolTooOld));
  EXPECT_EQ(out.error.tls_alert, "protocol version");
}

NetError Err(NetFailure failure, NetPhase phase, const std::string& message) {
  NetError e;
  e.failure = failure;
  e.phase = phase;
  e.message = message;
  return e;
}

TEST_F(TlsStreamTest, LegacyVersionProbeNamesTheVersionAndNeverSucceeds) {
  FakeHttpsServerOptions options;
  options.min_version = FakeTlsVersion::kTls1_0;
  options.max_version = FakeTlsVersion::kTls1_1;
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})), options);
  Outcome out;
  absl::Notification done;
  RunSync(reactor_.get(), [&] {
    stream_ = *TlsStream::Create(reactor_.get(), ctx_.get());
    TlsParams params;
    params.host = kHost;
    params.handshake_timeout = absl::Seconds(2);
    params.legacy_version_probe = true;
    stream_->ConnectTls("127.0.0.1", static_cast<uint16_t>(server->port()), absl::Seconds(2),
                        params, [&](NetError e) {
                          out.error = std::move(e);
                          out.tls = stream_->tls_info();
                          done.Notify();
                        });
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_THAT(out.error, FailsWith(NetFailure::kProtocolTooOld));
  EXPECT_THAT(out.error.message, HasSubstr("speaks TLS 1.1 at most"));
  EXPECT_EQ(out.tls.version, "TLSv1.1");
  EXPECT_FALSE(out.tls.verified);
  EXPECT_FALSE(out.tls.certificate_presented());  // never judged, never reported
  bool secure = true;
  RunSync(reactor_.get(), [&] { secure = stream_->secure(); });
  EXPECT_FALSE(secure);
}

TEST_F(TlsStreamTest, LegacyVersionProbeAgainstAModernServerFails) {
  // A TLS 1.2+ server refuses the diagnostic hello: nothing to re-label.
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})));
  Outcome out;
  absl::Notification done;
  RunSync(reactor_.get(), [&] {
    stream_ = *TlsStream::Create(reactor_.get(), ctx_.get());
    TlsParams params;
    params.host = kHost;
    params.legacy_version_probe = true;
    stream_->ConnectTls("127.0.0.1", static_cast<uint16_t>(server->port()), absl::Seconds(2),
                        params, [&](NetError e) {
                          out.error = std::move(e);
                          out.tls = stream_->tls_info();
                          done.Notify();
                        });
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_FALSE(out.error.ok());
  EXPECT_TRUE(out.tls.version.empty());
  NetError real = Err(NetFailure::kHandshakeFailure, NetPhase::kTlsHandshake, "x");
  TlsInfo tls;
  ApplyLegacyVersionProbe(out.error, out.tls, &real, &tls);
  EXPECT_EQ(real.failure, NetFailure::kHandshakeFailure);
}

TEST(LegacyVersionProbeTest, WorthOnlyForFailuresAnOldServerCauses) {
  for (NetFailure f : {NetFailure::kProtocolTooOld, NetFailure::kHandshakeFailure,
                       NetFailure::kConnectionClosed, NetFailure::kConnectionReset}) {
    EXPECT_TRUE(WorthLegacyVersionProbe(Err(f, NetPhase::kTlsHandshake, "")))
        << NetFailureName(f);
    // The same failure outside the handshake says nothing about versions.
    EXPECT_FALSE(WorthLegacyVersionProbe(Err(f, NetPhase::kRead, "")));
  }
  for (NetFailure f : {NetFailure::kTimeout, NetFailure::kNotTls, NetFailure::kNameMismatch,
                       NetFailure::kCertificateExpired, NetFailure::kLocalError,
                       NetFailure::kDeadlineExceeded, NetFailure::kNone}) {
    EXPECT_FALSE(WorthLegacyVersionProbe(Err(f, NetPhase::kTlsHandshake, "")))
        << NetFailureName(f);
  }
}

TEST(LegacyVersionProbeTest, ApplyRelabelsOnlyACompletedDiagnosticHandshake) {
  NetError real = Err(NetFailure::kConnectionClosed, NetPhase::kTlsHandshake,
                               "127.0.0.1:443 closed the connection during the TLS handshake");
  TlsInfo tls;
  NetError probe = Err(NetFailure::kProtocolTooOld, NetPhase::kTlsHandshake,
                                "127.0.0.1:443 speaks TLS 1.0 at most");
  TlsInfo probe_tls;
  // Without a version the diagnostic handshake did not complete: unchanged.
  ApplyLegacyVersionProbe(probe, probe_tls, &real, &tls);
  EXPECT_EQ(real.failure, NetFailure::kConnectionClosed);
  probe_tls.version = "TLSv1";
  probe_tls.cipher = "ECDHE-RSA-AES256-SHA";
  // A failed diagnostic handshake (another failure) changes nothing either.
  NetError other = Err(NetFailure::kTimeout, NetPhase::kTlsHandshake, "slow");
  ApplyLegacyVersionProbe(other, probe_tls, &real, &tls);
  EXPECT_EQ(real.failure, NetFailure::kConnectionClosed);
  ApplyLegacyVersionProbe(probe, probe_tls, &real, &tls);
  EXPECT_EQ(real.failure, NetFailure::kProtocolTooOld);
  EXPECT_EQ(real.message,
            "127.0.0.1:443 speaks TLS 1.0 at most; offered TLS 1.2 and 1.3: 127.0.0.1:443 "
            "closed the connection during the TLS handshake");
  EXPECT_EQ(tls.version, "TLSv1");
  EXPECT_EQ(tls.cipher, "ECDHE-RSA-AES256-SHA");
  EXPECT_EQ(TlsVersionText("TLSv1"), "TLS 1.0");
  EXPECT_EQ(TlsVersionText("TLSv1.1"), "TLS 1.1");
  EXPECT_EQ(TlsVersionText("SSLv3"), "SSL 3.0");
  EXPECT_EQ(TlsVersionText("DTLSv1"), "DTLSv1");
}

TEST_F(TlsStreamTest, ConnectionRefused) {
  const int port = *UnusedLoopbackPort();
  Outcome out = Handshake(port);
  EXPECT_THAT(out.error, FailsWith(NetFailure::kConnectionRefused));
  EXPECT_EQ(out.error.phase, NetPhase::kConnect);
  EXPECT_EQ(out.error.message,
            absl::StrCat("connection to 127.0.0.1:", port,
                         " refused (nothing is listening on that port)"));
}

TEST_F(TlsStreamTest, ConnectTimeout) {
  auto listener = *FullBacklogListener::Start();
  Outcome out = Handshake(listener->port(), kHost, absl::Milliseconds(200));
  EXPECT_THAT(out.error, FailsWith(NetFailure::kTimeout));
  EXPECT_EQ(out.error.phase, NetPhase::kConnect);
  EXPECT_THAT(out.error.message, HasSubstr("TCP connect to 127.0.0.1:"));
  EXPECT_THAT(out.error.message, HasSubstr("timed out after 200ms"));
  EXPECT_GE(out.elapsed, absl::Milliseconds(200));
  EXPECT_LT(out.elapsed, absl::Seconds(2));
}

TEST_F(TlsStreamTest, HandshakeTimeoutOnServerThatNeverSpeaksTls) {
  FakeHttpsServer* server = ServePlain({});
  Outcome out = Handshake(server->port(), kHost, absl::Seconds(2), absl::Milliseconds(200));
  EXPECT_THAT(out.error, FailsWith(NetFailure::kTimeout));
  EXPECT_EQ(out.error.phase, NetPhase::kTlsHandshake);
  EXPECT_THAT(out.error.message, HasSubstr("timed out after 200ms (the server sent nothing)"));
  EXPECT_LT(out.elapsed, absl::Seconds(2));
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
}

TEST_F(TlsStreamTest, PlaintextServerIsNotTls) {
  FakeHttpsServerOptions options;
  options.plain_greeting = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  FakeHttpsServer* server = ServePlain(options);
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kNotTls));
  EXPECT_THAT(out.error.message, HasSubstr("does not speak TLS"));
  EXPECT_THAT(out.error.message, HasSubstr("HTTP/1.1 400 Bad Request\\r\\n"));
}

TEST_F(TlsStreamTest, ResetDuringHandshake) {
  FakeHttpsServerOptions options;
  options.reset_on_accept = true;
  FakeHttpsServer* server = ServePlain(options);
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kConnectionReset));
  // The RST may beat our connect completion to the socket.
  if (out.error.phase == NetPhase::kConnect) {
    EXPECT_THAT(out.error.message, HasSubstr("reset the connection during the TCP connect"));
  } else {
    EXPECT_EQ(out.error.phase, NetPhase::kTlsHandshake);
    EXPECT_THAT(out.error.message, HasSubstr("reset the connection during the TLS handshake"));
  }
}

TEST_F(TlsStreamTest, CloseDuringHandshake) {
  FakeHttpsServerOptions options;
  options.close_on_accept = true;
  FakeHttpsServer* server = ServePlain(options);
  Outcome out = Handshake(server->port());
  // A FIN, or a RST when our ClientHello reached the closed socket first.
  EXPECT_TRUE(out.error.failure == NetFailure::kConnectionClosed ||
              out.error.failure == NetFailure::kConnectionReset)
      << out.error.ToString();
  EXPECT_TRUE(out.error.phase == NetPhase::kConnect ||
              out.error.phase == NetPhase::kTlsHandshake)
      << out.error.ToString();
}

TEST_F(TlsStreamTest, NotAnIpAddressIsALocalError) {
  NetError error;
  absl::Notification done;
  bool inside_call = false;
  RunSync(reactor_.get(), [&] {
    stream_ = *TlsStream::Create(reactor_.get(), ctx_.get());
    inside_call = true;
    stream_->Connect("mta-sts.example.test", 443, absl::Seconds(1), [&](NetError e) {
      EXPECT_FALSE(inside_call) << "callback ran inside Connect";
      error = std::move(e);
      done.Notify();
    });
    inside_call = false;
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_THAT(error, FailsWith(NetFailure::kLocalError));
  EXPECT_THAT(error.message, HasSubstr("is not an IPv4 or IPv6 address"));
}

// --- Cancellation and lifetime. ---

TEST_F(TlsStreamTest, CloseDuringHandshakeStopsItAndTheServerSeesTheClose) {
  FakeHttpsServer* server = ServePlain({});  // never answers the ClientHello
  bool called = false;
  const absl::Duration handshake_timeout = absl::Milliseconds(300);
  RunSync(reactor_.get(), [&] {
    stream_ = *TlsStream::Create(reactor_.get(), ctx_.get());
    TlsParams params;
    params.host = kHost;
    params.handshake_timeout = handshake_timeout;
    stream_->ConnectTls("127.0.0.1", static_cast<uint16_t>(server->port()), absl::Seconds(2),
                        params, [&](NetError) { called = true; });
  });
  // The ClientHello (a TLS record header at least) reached the server.
  ASSERT_TRUE(server->WaitForPlainBytes(5, kWait));
  RunSync(reactor_.get(), [&] { stream_->Close(); });
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
  // Past the handshake timeout: its timer went with Close.
  WaitForTimersDue(reactor_.get(), handshake_timeout);
  RunSync(reactor_.get(), [&] { EXPECT_FALSE(called); });
}

TEST_F(TlsStreamTest, CallbackMayDestroyTheStream) {
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})));
  absl::Notification done;
  RunSync(reactor_.get(), [&] {
    stream_ = *TlsStream::Create(reactor_.get(), ctx_.get());
    TlsParams params;
    params.host = kHost;
    stream_->ConnectTls("127.0.0.1", static_cast<uint16_t>(server->port()), absl::Seconds(2),
                        params, [&](NetError e) {
                          EXPECT_TRUE(e.ok()) << e.ToString();
                          stream_.reset();
                          done.Notify();
                        });
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
}

// --- Reads and writes. ---

TEST_F(TlsStreamTest, WriteThenReadLinesAndBytesUntilCloseNotify) {
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})));
  server->SetResponse("/hello", FakeHttpResponse::Text("hello, world\n"));
  ASSERT_TRUE(Handshake(server->port()).error.ok());
  ASSERT_TRUE(WriteSync("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  ReadResult status = ReadSync(/*line=*/true, 1024);
  ASSERT_TRUE(status.error.ok()) << status.error.ToString();
  EXPECT_EQ(status.data, "HTTP/1.1 200 OK");
  std::string rest;
  for (;;) {
    ReadResult r = ReadSync(/*line=*/false, 7);
    ASSERT_TRUE(r.error.ok()) << r.error.ToString();
    if (r.eof) {
      EXPECT_TRUE(r.close_notify);
      break;
    }
    EXPECT_LE(r.data.size(), 7u);
    rest += r.data;
  }
  EXPECT_TRUE(absl::EndsWith(rest, "\r\n\r\nhello, world\n")) << rest;
  // After the end, reads keep reporting it.
  EXPECT_TRUE(ReadSync(false, 10).eof);
}

TEST_F(TlsStreamTest, StartTlsAfterAPlaintextExchange) {
  FakeHttpsServerOptions options;
  options.starttls_preamble = true;
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})), options);
  server->SetResponse("/", FakeHttpResponse::Text("secure\n"));
  ASSERT_TRUE(ConnectPlainSync(server->port()).ok());
  ReadResult greeting = ReadSync(/*line=*/true, 512);
  ASSERT_TRUE(greeting.error.ok()) << greeting.error.ToString();
  EXPECT_EQ(greeting.data, "220 fake ready");
  ASSERT_TRUE(WriteSync("STARTTLS\r\n").ok());
  EXPECT_EQ(ReadSync(true, 512).data, "220 go ahead");
  NetError tls = StartTlsSync(kHost);
  ASSERT_TRUE(tls.ok()) << tls.ToString();
  RunSync(reactor_.get(), [&] {
    EXPECT_TRUE(stream_->secure());
    EXPECT_TRUE(stream_->tls_info().verified);
  });
  ASSERT_TRUE(WriteSync("GET / HTTP/1.1\r\nHost: x\r\n\r\n").ok());
  EXPECT_EQ(ReadSync(true, 512).data, "HTTP/1.1 200 OK");
  ASSERT_EQ(server->requests().size(), 1u);
  EXPECT_EQ(server->requests()[0].sni, kHost);
}

TEST_F(TlsStreamTest, StartTlsRefusesPlaintextInjectedBeforeTheHandshake) {
  FakeHttpsServerOptions options;
  options.starttls_preamble = true;
  options.starttls_reply = "220 go ahead\r\n250 injected\r\n";
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})), options);
  ASSERT_TRUE(ConnectPlainSync(server->port()).ok());
  EXPECT_EQ(ReadSync(true, 512).data, "220 fake ready");
  ASSERT_TRUE(WriteSync("STARTTLS\r\n").ok());
  EXPECT_EQ(ReadSync(true, 512).data, "220 go ahead");
  NetError tls = StartTlsSync(kHost);
  EXPECT_THAT(tls, FailsWith(NetFailure::kHandshakeFailure));
  EXPECT_THAT(tls.message, HasSubstr("plaintext byte(s)"));
  EXPECT_THAT(tls.message, HasSubstr("250 injected"));
}

TEST_F(TlsStreamTest, AdoptedSocketCanStartTls) {
  FakeHttpsServerOptions options;
  options.starttls_preamble = true;
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})), options);
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(server->port()));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  RunSync(reactor_.get(), [&] {
    stream_ = *TlsStream::Create(reactor_.get(), ctx_.get());
    ASSERT_TRUE(stream_->Adopt(fd).ok());
    EXPECT_EQ(stream_->Adopt(fd).code(), absl::StatusCode::kFailedPrecondition);
  });
  EXPECT_EQ(ReadSync(true, 512).data, "220 fake ready");
  ASSERT_TRUE(WriteSync("STARTTLS\r\n").ok());
  EXPECT_EQ(ReadSync(true, 512).data, "220 go ahead");
  NetError tls = StartTlsSync(kHost);
  EXPECT_TRUE(tls.ok()) << tls.ToString();
}

TEST_F(TlsStreamTest, ReadLineLongerThanTheLimitFails) {
  FakeHttpsServerOptions options;
  options.plain_greeting = std::string(100, 'x');
  FakeHttpsServer* server = ServePlain(options);
  ASSERT_TRUE(ConnectPlainSync(server->port()).ok());
  ReadResult r = ReadSync(/*line=*/true, 50);
  EXPECT_THAT(r.error, FailsWith(NetFailure::kLineTooLong));
  EXPECT_THAT(r.error.message, HasSubstr("longer than 50 bytes"));
}

TEST_F(TlsStreamTest, PlainLinesAcceptBareLf) {
  FakeHttpsServerOptions options;
  options.plain_greeting = "one\r\ntwo\nthree";
  FakeHttpsServer* server = ServePlain(options);
  ASSERT_TRUE(ConnectPlainSync(server->port()).ok());
  EXPECT_EQ(ReadSync(true, 50).data, "one");
  EXPECT_EQ(ReadSync(true, 50).data, "two");
  EXPECT_EQ(ReadSync(false, 50).data, "three");
}

TEST_F(TlsStreamTest, ReadLineFailsWhenTheConnectionEndsMidLine) {
  FakeHttpsServerOptions options;
  options.plain_greeting = "partial";
  FakeHttpsServer* server = ServePlain(options);
  ASSERT_TRUE(ConnectPlainSync(server->port()).ok());
  ASSERT_TRUE(server->WaitForConnections(1, kWait));
  // The greeting arrived (peeked at, not read) before the server goes.
  int fd = -1;
  RunSync(reactor_.get(), [&] { fd = stream_->fd(); });
  ASSERT_TRUE(WaitForUnreadBytes(fd, options.plain_greeting.size()));
  server->Stop();  // closes the connection after the greeting
  ReadResult r = ReadSync(true, 50);
  EXPECT_THAT(r.error, FailsWith(NetFailure::kConnectionClosed));
  EXPECT_THAT(r.error.message, HasSubstr("in the middle of a line"));
}

TEST_F(TlsStreamTest, OperationsOnAFailedStreamReportTheFailure) {
  const int port = *UnusedLoopbackPort();
  ASSERT_THAT(Handshake(port).error, FailsWith(NetFailure::kConnectionRefused));
  EXPECT_THAT(WriteSync("x"), FailsWith(NetFailure::kConnectionRefused));
  EXPECT_THAT(ReadSync(false, 10).error, FailsWith(NetFailure::kConnectionRefused));
}

// --- The context. ---

TEST(TlsClientContextTest, MissingCaFileIsInvalidArgument) {
  auto ctx = TlsClientContext::Create("/nonexistent/ca.pem");
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ctx.status().message()), HasSubstr("/nonexistent/ca.pem"));
}

TEST(TlsClientContextTest, CaFileWithoutCertificatesIsInvalidArgument) {
  const std::string path = *WriteTempFile("not a certificate\n", ".pem");
  auto ctx = TlsClientContext::Create(path);
  ASSERT_FALSE(ctx.ok());
  EXPECT_EQ(ctx.status().code(), absl::StatusCode::kInvalidArgument);
  TlsClientOptions options;
  options.intermediates_file = path;
  auto with_intermediates = TlsClientContext::Create(options);
  ASSERT_FALSE(with_intermediates.ok());
  EXPECT_EQ(with_intermediates.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(TlsClientContextTest, SystemStoreLoads) {
  EXPECT_TRUE(TlsClientContext::Create("").ok());
}

TEST(TlsStreamCreateTest, OffTheReactorThreadIsRefused) {
  auto reactor = *Reactor::Create("create-test");
  auto stream = TlsStream::Create(reactor.get(), nullptr);
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(NetFailureTest, NamesAreStable) {
  EXPECT_EQ(NetFailureName(NetFailure::kCertificateExpired), "certificate_expired");
  EXPECT_EQ(NetFailureName(NetFailure::kProtocolTooOld), "protocol_too_old");
  EXPECT_TRUE(IsCertificateFailure(NetFailure::kNameMismatch));
  EXPECT_FALSE(IsCertificateFailure(NetFailure::kTimeout));
  NetError e;
  e.failure = NetFailure::kTimeout;
  e.phase = NetPhase::kTlsHandshake;
  e.message = "slow";
  EXPECT_EQ(e.ToString(), "timeout in TLS handshake: slow");
}

}  // namespace
}  // namespace mtasts::net
