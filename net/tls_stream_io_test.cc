// TlsStream's reads and writes (lines, bytes, STARTTLS after plaintext, an
// adopted socket), the client context, and the failure names.

#include "net/tls_stream.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
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

using ::mtasts::fakes::CertSpec;
using ::mtasts::fakes::FakeHttpsServer;
using ::mtasts::fakes::FakeHttpsServerOptions;
using ::testing::HasSubstr;

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

// --- Reads and writes. ---

TEST_F(TlsStreamTest, WriteThenReadLinesAndBytesUntilCloseNotify) {
  FakeHttpsServer* server = Serve(Leaf(CertSpec::ForHosts({kHost})));
  server->SetResponse("/hello", fakes::FakeHttpResponse::Text("hello, world\n"));
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
  server->SetResponse("/", fakes::FakeHttpResponse::Text("secure\n"));
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
  const int port = *fakes::UnusedLoopbackPort();
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
  const std::string path = *fakes::WriteTempFile("not a certificate\n", ".pem");
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
