// TlsStream's protocol and transport failures (old TLS versions and the
// legacy version probe, refused, timed out, reset, not TLS), cancellation and
// lifetime.

#include "net/tls_stream.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "net/tls_stream_test_fixture.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::net {
namespace {

using ::mtasts::fakes::FakeHttpsServer;
using ::mtasts::fakes::FakeHttpsServerOptions;
using ::mtasts::fakes::FakeTlsVersion;
using ::testing::HasSubstr;

// --- Protocol and transport failures. ---

TEST_F(TlsStreamTest, Tls11OnlyServerIsProtocolTooOld) {
  FakeHttpsServer* server = ServeVersions(FakeTlsVersion::kTls1_1, FakeTlsVersion::kTls1_1);
  Outcome out = Handshake(server->port());
  EXPECT_THAT(out.error, FailsWith(NetFailure::kProtocolTooOld));
  EXPECT_THAT(out.error.message, HasSubstr("does not support TLS 1.2 or later"));
  EXPECT_FALSE(out.tls.certificate_presented());
}

TEST_F(TlsStreamTest, Tls10OnlyServerIsProtocolTooOld) {
  FakeHttpsServer* server = ServeVersions(FakeTlsVersion::kTls1_0, FakeTlsVersion::kTls1_0);
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
  FakeHttpsServer* server = ServeVersions(FakeTlsVersion::kTls1_0, FakeTlsVersion::kTls1_1);
  TlsParams params;
  params.host = kHost;
  params.handshake_timeout = absl::Seconds(2);
  params.legacy_version_probe = true;
  Outcome out = HandshakeWith(server->port(), params);
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
  FakeHttpsServer* server = Serve(Leaf(fakes::CertSpec::ForHosts({kHost})));
  TlsParams params;
  params.host = kHost;
  params.legacy_version_probe = true;
  Outcome out = HandshakeWith(server->port(), params);
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
  const int port = *fakes::UnusedLoopbackPort();
  Outcome out = Handshake(port);
  EXPECT_THAT(out.error, FailsWith(NetFailure::kConnectionRefused));
  EXPECT_EQ(out.error.phase, NetPhase::kConnect);
  EXPECT_EQ(out.error.message,
            absl::StrCat("connection to 127.0.0.1:", port,
                         " refused (nothing is listening on that port)"));
}

TEST_F(TlsStreamTest, ConnectTimeout) {
  auto listener = *fakes::FullBacklogListener::Start();
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
  Outcome out = HandshakePlain(options);
  EXPECT_THAT(out.error, FailsWith(NetFailure::kNotTls));
  EXPECT_THAT(out.error.message, HasSubstr("does not speak TLS"));
  EXPECT_THAT(out.error.message, HasSubstr("HTTP/1.1 400 Bad Request\\r\\n"));
}

TEST_F(TlsStreamTest, ResetDuringHandshake) {
  FakeHttpsServerOptions options;
  options.reset_on_accept = true;
  Outcome out = HandshakePlain(options);
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
  Outcome out = HandshakePlain(options);
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
  FakeHttpsServer* server = Serve(Leaf(fakes::CertSpec::ForHosts({kHost})));
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

}  // namespace
}  // namespace mtasts::net
