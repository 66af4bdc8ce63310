#include "net/https_get.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <vector>
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
#include "net/tls_stream.h"
#include "tests/fakes/fake_https_server.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::net {
namespace {

using ::mtasts::fakes::CertSpec;
using ::mtasts::fakes::FakeHttpResponse;
using ::mtasts::fakes::FakeHttpsServer;
using ::mtasts::fakes::FakeHttpsServerOptions;
using ::mtasts::fakes::FakeTlsVersion;
using ::mtasts::fakes::TestCa;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr char kHost[] = "mta-sts.example.test";
constexpr char kPath[] = "/.well-known/mta-sts.txt";
constexpr char kPolicy[] = "version: STSv1\nmode: enforce\nmx: mx.example.test\nmax_age: 86400\n";
constexpr absl::Duration kWait = absl::Seconds(10);

MATCHER_P(FailsWith, failure, "") {
  if (arg.failure == failure) return true;
  *result_listener << "got " << arg.ToString();
  return false;
}

// An HttpsResult whose response broke HTTP or our limits in this way.
MATCHER_P(FailsWithHttp, failure, "") {
  if (arg.error.failure == NetFailure::kProtocol && arg.http_failure == failure) return true;
  *result_listener << "got " << arg.FailureName() << ": " << arg.error.ToString();
  return false;
}

// Short limits, so every timeout test is quick.
HttpsLimits ShortLimits() {
  HttpsLimits limits;
  limits.connect_timeout = absl::Milliseconds(500);
  limits.handshake_timeout = absl::Milliseconds(500);
  limits.first_byte_timeout = absl::Milliseconds(500);
  limits.response_timeout = absl::Seconds(2);
  return limits;
}

class HttpsGetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reactor_ = *Reactor::Create("https-test");
    root_ = *TestCa::CreateRoot("Test Root CA");
    ctx_ = *TlsClientContext::Create(*root_->WriteCertFile());
    cert_ = *root_->Issue(CertSpec::ForHosts({kHost}));
  }

  void TearDown() override {
    RunSync(reactor_.get(), [this] { fetch_.reset(); });
    servers_.clear();
    reactor_.reset();
  }

  FakeHttpsServer* Serve(FakeHttpsServerOptions options = {}) {
    if (options.tls && options.certificates.empty()) options.certificates.push_back({"", cert_});
    auto server = FakeHttpsServer::Start(options);
    EXPECT_TRUE(server.ok()) << server.status();
    servers_.push_back(*std::move(server));
    return servers_.back().get();
  }

  FakeHttpsServer* ServeResponse(FakeHttpResponse response) {
    FakeHttpsServer* server = Serve();
    server->SetResponse(kPath, std::move(response));
    return server;
  }

  // Completes the handshake, then never sends a byte of the response.
  FakeHttpsServer* ServeNoResponse() {
    FakeHttpResponse response = FakeHttpResponse::Text(kPolicy);
    response.delay_before_first_byte = absl::InfiniteDuration();
    return ServeResponse(response);
  }

  // Speaks only the TLS versions min to max.
  FakeHttpsServer* ServeVersions(FakeTlsVersion min, FakeTlsVersion max) {
    FakeHttpsServerOptions options;
    options.min_version = min;
    options.max_version = max;
    return Serve(options);
  }

  // One fetch from 127.0.0.1:port; the handle stays in fetch_.
  HttpsResult Fetch(int port, const HttpsLimits& limits = ShortLimits(),
                    const std::string& path = kPath) {
    HttpsResult out;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      fetch_ = HttpsGet(reactor_.get(), ctx_.get(), "127.0.0.1", static_cast<uint16_t>(port),
                        kHost, path, limits, [&](HttpsResult r) {
                          out = std::move(r);
                          done.Notify();
                        });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    return out;
  }

  // Fetches from `server`, which answers with a `code` redirect to
  // `location`: the redirect itself is the result.
  void ExpectRedirectNotFollowed(FakeHttpsServer* server, int code,
                                 const std::string& location) {
    HttpsResult r = Fetch(server->port());
    ASSERT_TRUE(r.ok()) << r.error.ToString();
    EXPECT_EQ(r.status_code, code);
    EXPECT_THAT(r.Header("location"), Optional(location));
    // The fake logs a request before answering it, so a client that followed
    // the redirect (and reported its answer) would show a second one by now.
    EXPECT_EQ(server->requests().size(), 1u);
  }

  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<TestCa> root_;
  std::unique_ptr<TlsClientContext> ctx_;
  fakes::TestCert cert_;
  std::unique_ptr<HttpsFetch> fetch_;  // reactor thread only
  std::vector<std::unique_ptr<FakeHttpsServer>> servers_;
};

// --- Successful fetches. ---

TEST_F(HttpsGetTest, FetchesThePolicyWithEvidenceAndTimings) {
  FakeHttpsServer* server = ServeResponse(FakeHttpResponse::Text(kPolicy));
  HttpsResult r = Fetch(server->port());
  ASSERT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.http_minor_version, 1);
  EXPECT_EQ(r.body, kPolicy);
  EXPECT_EQ(r.body_bytes_received, sizeof(kPolicy) - 1);
  EXPECT_THAT(r.Header("content-type"), Optional(std::string("text/plain")));
  EXPECT_THAT(r.Header("CONTENT-LENGTH"), Optional(absl::StrCat(sizeof(kPolicy) - 1)));
  EXPECT_EQ(r.framing, HttpResponseParser::Framing::kContentLength);
  EXPECT_EQ(r.address, "127.0.0.1");
  EXPECT_EQ(r.port, server->port());
  EXPECT_EQ(r.host, kHost);
  EXPECT_EQ(r.path, kPath);
  // TLS evidence.
  EXPECT_TRUE(r.tls.verified);
  EXPECT_EQ(r.tls.version, "TLSv1.3");
  EXPECT_FALSE(r.tls.cipher.empty());
  ASSERT_TRUE(r.tls.certificate_presented());
  EXPECT_EQ(r.tls.leaf().subject, "CN=mta-sts.example.test,O=mtasts tests");
  EXPECT_EQ(r.tls.leaf().issuer, "CN=Test Root CA,O=mtasts tests");
  EXPECT_EQ(r.tls.leaf().dns_names, std::vector<std::string>{kHost});
  EXPECT_EQ(r.tls.leaf().not_after, cert_.not_after);
  EXPECT_GE(r.tls.leaf().days_to_expiry, 89);
  // Timings.
  EXPECT_GT(r.timings.connect, absl::ZeroDuration());
  EXPECT_GT(r.timings.tls_handshake, absl::ZeroDuration());
  EXPECT_GT(r.timings.first_byte, absl::ZeroDuration());
  EXPECT_GE(r.timings.total, r.timings.connect + r.timings.tls_handshake);
  // What the server saw.
  ASSERT_TRUE(server->WaitForRequests(1, kWait));
  const auto requests = server->requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& req = requests[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, kPath);
  EXPECT_EQ(req.version, "HTTP/1.1");
  EXPECT_EQ(req.sni, kHost);
  EXPECT_THAT(req.Header("host"), Optional(absl::StrCat(kHost, ":", server->port())));
  EXPECT_THAT(req.Header("user-agent"),
              Optional(std::string("mtasts-checker/1 (+MTA-STS policy check)")));
  EXPECT_THAT(req.Header("accept"), Optional(std::string("text/plain")));
  EXPECT_THAT(req.Header("connection"), Optional(std::string("close")));
}

TEST_F(HttpsGetTest, NotFoundIsReturnedAsIs) {
  FakeHttpsServer* server = Serve();  // default: 404
  HttpsResult r = Fetch(server->port());
  ASSERT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_EQ(r.status_code, 404);
  EXPECT_EQ(r.reason, "Not Found");
  EXPECT_THAT(r.body, HasSubstr("404 Not Found"));
}

TEST_F(HttpsGetTest, ForbiddenHtmlIsReturnedWithItsBody) {
  FakeHttpsServer* server = ServeResponse(FakeHttpResponse::Status(403, "Forbidden"));
  HttpsResult r = Fetch(server->port());
  ASSERT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_EQ(r.status_code, 403);
  EXPECT_THAT(r.Header("content-type"), Optional(std::string("text/html")));
  EXPECT_THAT(r.body, HasSubstr("<html>"));
}

TEST_F(HttpsGetTest, RedirectIsNotFollowed) {
  const std::string location = "https://elsewhere.example.test/policy";
  FakeHttpsServer* server = ServeResponse(FakeHttpResponse::Redirect(301, location));
  server->SetResponse("/policy", FakeHttpResponse::Text(kPolicy));
  ExpectRedirectNotFollowed(server, 301, location);
}

TEST_F(HttpsGetTest, Found302IsNotFollowed) {
  ExpectRedirectNotFollowed(ServeResponse(FakeHttpResponse::Redirect(302, "/elsewhere")), 302,
                            "/elsewhere");
}

TEST_F(HttpsGetTest, ChunkedBody) {
  std::string body;
  for (int i = 0; i < 300; ++i) absl::StrAppend(&body, "mx: mx", i, ".example.test\n");
  FakeHttpResponse response = FakeHttpResponse::Text(body);
  response.framing = FakeHttpResponse::Framing::kChunked;
  response.chunk_size = 100;
  FakeHttpsServer* server = ServeResponse(response);
  HttpsResult r = Fetch(server->port());
  ASSERT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_EQ(r.framing, HttpResponseParser::Framing::kChunked);
  EXPECT_EQ(r.body, body);
}

TEST_F(HttpsGetTest, BodyUntilClose) {
  FakeHttpResponse response = FakeHttpResponse::Text(kPolicy);
  response.framing = FakeHttpResponse::Framing::kClose;
  FakeHttpsServer* server = ServeResponse(response);
  HttpsResult r = Fetch(server->port());
  ASSERT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_EQ(r.framing, HttpResponseParser::Framing::kUntilClose);
  EXPECT_EQ(r.body, kPolicy);
  EXPECT_TRUE(r.close_notify);
}

TEST_F(HttpsGetTest, Tls12ServerWorks) {
  FakeHttpsServerOptions options;
  options.max_version = FakeTlsVersion::kTls1_2;
  FakeHttpsServer* server = Serve(options);
  server->SetResponse(kPath, FakeHttpResponse::Text(kPolicy));
  HttpsResult r = Fetch(server->port());
  ASSERT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_EQ(r.tls.version, "TLSv1.2");
  EXPECT_EQ(r.body, kPolicy);
}

// --- Limits. ---

TEST_F(HttpsGetTest, BodyOver64KiB) {
  FakeHttpsServer* server = ServeResponse(FakeHttpResponse::Text(std::string(70000, 'a')));
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r, FailsWithHttp(HttpFailure::kBodyTooLarge));
  EXPECT_EQ(r.error.phase, NetPhase::kResponse);
  EXPECT_THAT(r.error.message, HasSubstr("65536"));
  EXPECT_EQ(r.status_code, 200);  // the head is reported
  EXPECT_LE(r.body.size(), 65536u);
}

TEST_F(HttpsGetTest, ChunkedBodyOver64KiB) {
  FakeHttpResponse response = FakeHttpResponse::Text(std::string(70000, 'a'));
  response.framing = FakeHttpResponse::Framing::kChunked;
  response.chunk_size = 8192;
  FakeHttpsServer* server = ServeResponse(response);
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r, FailsWithHttp(HttpFailure::kBodyTooLarge));
}

TEST_F(HttpsGetTest, BodyLimitIsConfigurable) {
  FakeHttpsServer* server = ServeResponse(FakeHttpResponse::Text(kPolicy));
  HttpsLimits limits = ShortLimits();
  limits.http.max_body_bytes = 10;
  HttpsResult r = Fetch(server->port(), limits);
  EXPECT_THAT(r, FailsWithHttp(HttpFailure::kBodyTooLarge));
}

TEST_F(HttpsGetTest, HeadersOver16KiB) {
  FakeHttpsServer* server =
      ServeResponse(FakeHttpResponse::Text(kPolicy).WithHeader("X-Big", std::string(20000, 'h')));
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r, FailsWithHttp(HttpFailure::kHeadersTooLarge));
  EXPECT_THAT(r.error.message, HasSubstr("16384"));
  EXPECT_EQ(r.status_code, 0);
}

TEST_F(HttpsGetTest, MalformedResponse) {
  FakeHttpResponse response;
  response.raw = "SMTP/1.0 hello\r\n\r\n";
  FakeHttpsServer* server = ServeResponse(response);
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r, FailsWithHttp(HttpFailure::kMalformed));
  EXPECT_THAT(r.error.message, HasSubstr("bad HTTP response from 127.0.0.1:"));
}

// --- Timeouts. ---

TEST_F(HttpsGetTest, FirstByteTimeout) {
  FakeHttpsServer* server = ServeNoResponse();
  HttpsLimits limits = ShortLimits();
  limits.first_byte_timeout = absl::Milliseconds(200);
  const absl::Time start = absl::Now();
  HttpsResult r = Fetch(server->port(), limits);
  EXPECT_THAT(r.error, FailsWith(NetFailure::kTimeout));
  EXPECT_EQ(r.error.phase, NetPhase::kFirstByte);
  EXPECT_THAT(r.error.message, HasSubstr("sent no response within 200ms"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_TRUE(r.tls.verified);  // the evidence of the handshake is kept
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
}

TEST_F(HttpsGetTest, SlowDripCannotHoldTheRequestPastTheResponseTimeout) {
  FakeHttpResponse response = FakeHttpResponse::Text(kPolicy);
  response.drip_interval = absl::Milliseconds(20);  // ~2.5 s for the whole response
  FakeHttpsServer* server = ServeResponse(response);
  HttpsLimits limits = ShortLimits();
  limits.first_byte_timeout = absl::Milliseconds(200);
  limits.response_timeout = absl::Milliseconds(400);
  const absl::Time start = absl::Now();
  HttpsResult r = Fetch(server->port(), limits);
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_THAT(r.error, FailsWith(NetFailure::kTimeout));
  EXPECT_EQ(r.error.phase, NetPhase::kResponse);
  EXPECT_THAT(r.error.message, HasSubstr("did not complete within 400ms"));
  EXPECT_GE(elapsed, absl::Milliseconds(400));
  EXPECT_LT(elapsed, absl::Milliseconds(1500));
  EXPECT_GT(r.timings.first_byte, absl::ZeroDuration());
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
}

// The whole-fetch timeout (RFC 8461 §3.3's one minute by default) ends a
// fetch in whatever phase it is, with the phase it reached; a response that
// completes before it succeeds however late its first byte, and its total
// time is measured.
TEST_F(HttpsGetTest, TotalTimeoutEndsTheFetchInTheFirstBytePhase) {
  FakeHttpsServer* server = ServeNoResponse();
  HttpsLimits limits = ShortLimits();
  limits.first_byte_timeout = absl::Seconds(30);
  limits.total_timeout = absl::Milliseconds(300);
  HttpsResult r = Fetch(server->port(), limits);
  EXPECT_THAT(r.error, FailsWith(NetFailure::kTimeout));
  EXPECT_EQ(r.error.phase, NetPhase::kFirstByte);
  EXPECT_THAT(r.error.message, HasSubstr("within the fetch timeout of 300ms"));
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
}

TEST_F(HttpsGetTest, LateResponseInsideTheTotalTimeoutSucceedsWithItsTime) {
  FakeHttpResponse response = FakeHttpResponse::Text(kPolicy);
  response.delay_before_first_byte = absl::Milliseconds(700);
  FakeHttpsServer* server = ServeResponse(response);
  HttpsLimits limits;  // the defaults: every phase may use the whole minute
  EXPECT_EQ(limits.total_timeout, absl::Seconds(60));
  EXPECT_EQ(limits.first_byte_timeout, absl::Seconds(60));
  HttpsResult r = Fetch(server->port(), limits);
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.body, kPolicy);
  EXPECT_GE(r.timings.first_byte, absl::Milliseconds(700));
  EXPECT_GE(r.timings.total, r.timings.first_byte);
}

TEST_F(HttpsGetTest, HandshakeTimeoutOnServerThatNeverSpeaksTls) {
  FakeHttpsServerOptions options;
  options.tls = false;
  FakeHttpsServer* server = Serve(options);
  HttpsLimits limits = ShortLimits();
  limits.handshake_timeout = absl::Milliseconds(200);
  HttpsResult r = Fetch(server->port(), limits);
  EXPECT_THAT(r.error, FailsWith(NetFailure::kTimeout));
  EXPECT_EQ(r.error.phase, NetPhase::kTlsHandshake);
  EXPECT_EQ(r.status_code, 0);
}

TEST_F(HttpsGetTest, ConnectTimeout) {
  auto listener = *fakes::FullBacklogListener::Start();
  HttpsLimits limits = ShortLimits();
  limits.connect_timeout = absl::Milliseconds(200);
  HttpsResult r = Fetch(listener->port(), limits);
  EXPECT_THAT(r.error, FailsWith(NetFailure::kTimeout));
  EXPECT_EQ(r.error.phase, NetPhase::kConnect);
}

TEST_F(HttpsGetTest, DeadlineExceeded) {
  FakeHttpsServer* server = ServeNoResponse();
  HttpsLimits limits = ShortLimits();
  limits.first_byte_timeout = absl::Seconds(5);
  limits.response_timeout = absl::Seconds(5);
  limits.deadline = absl::Now() + absl::Milliseconds(300);
  HttpsResult r = Fetch(server->port(), limits);
  EXPECT_THAT(r.error, FailsWith(NetFailure::kDeadlineExceeded));
  EXPECT_EQ(r.error.phase, NetPhase::kFirstByte);
  EXPECT_LT(r.timings.total, absl::Seconds(2));
}

// --- Broken connections. ---

TEST_F(HttpsGetTest, CloseMidBodyIsTruncated) {
  FakeHttpResponse response = FakeHttpResponse::Text(std::string(1000, 'b'));
  response.close_after_bytes = 200;
  FakeHttpsServer* server = ServeResponse(response);
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r, FailsWithHttp(HttpFailure::kTruncated));
  EXPECT_EQ(r.error.phase, NetPhase::kResponse);
  EXPECT_EQ(r.status_code, 200);
  EXPECT_FALSE(r.close_notify);
  EXPECT_LT(r.body.size(), 1000u);
}

TEST_F(HttpsGetTest, ResetMidBody) {
  FakeHttpResponse response = FakeHttpResponse::Text(std::string(1000, 'b'));
  response.close_after_bytes = 200;
  response.reset = true;
  FakeHttpsServer* server = ServeResponse(response);
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r.error, FailsWith(NetFailure::kConnectionReset));
  EXPECT_EQ(r.error.phase, NetPhase::kResponse);
  EXPECT_THAT(r.error.message, HasSubstr("reset the connection after"));
}

TEST_F(HttpsGetTest, ConnectionRefused) {
  HttpsResult r = Fetch(*fakes::UnusedLoopbackPort());
  EXPECT_THAT(r.error, FailsWith(NetFailure::kConnectionRefused));
  EXPECT_EQ(r.error.phase, NetPhase::kConnect);
  EXPECT_FALSE(r.tls.certificate_presented());
}

TEST_F(HttpsGetTest, ProtocolTooOld) {
  FakeHttpsServer* server = ServeVersions(FakeTlsVersion::kTls1_0, FakeTlsVersion::kTls1_0);
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r.error, FailsWith(NetFailure::kProtocolTooOld));
  EXPECT_TRUE(server->requests().empty());
  // One diagnostic handshake named the version; the fetch sent nothing over it.
  EXPECT_THAT(r.error.message, HasSubstr("speaks TLS 1.0 at most"));
  EXPECT_EQ(r.tls.version, "TLSv1");
  EXPECT_FALSE(r.tls.verified);
  EXPECT_EQ(server->connections(), 2);
}

TEST_F(HttpsGetTest, VersionIntolerantServerIsTooOld) {
  FakeHttpsServer* server =
      ServeVersions(FakeTlsVersion::kTls1_0, FakeTlsVersion::kTls1_1Intolerant);
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r.error, FailsWith(NetFailure::kProtocolTooOld));
  EXPECT_THAT(r.error.message, HasSubstr("speaks TLS 1.1 at most"));
  EXPECT_THAT(r.error.message, HasSubstr("handshake failure"));
  EXPECT_TRUE(server->requests().empty());
}

TEST_F(HttpsGetTest, ModernServerGetsNoDiagnosticHandshake) {
  // A certificate failure is not a version problem: one connection only.
  cert_ = *root_->Issue(CertSpec::ForHosts({"other.example.test"}));
  FakeHttpsServer* server = Serve();
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r.error, FailsWith(NetFailure::kNameMismatch));
  EXPECT_EQ(server->connections(), 1);
  EXPECT_EQ(r.tls.version, "TLSv1.3");
}

// --- Against a real OpenSSL server (`openssl s_server`), not our fake. ---

// `openssl s_server -www` on 127.0.0.1 with extra arguments; killed by PID.
class OpensslServer {
 public:
  static std::unique_ptr<OpensslServer> Start(const fakes::TestCert& cert,
                                              const std::vector<std::string>& args) {
    auto server = std::unique_ptr<OpensslServer>(new OpensslServer());
    const std::string cert_file = *fakes::WriteTempFile(cert.FullChainPem(), ".pem");
    const std::string key_file = *fakes::WriteTempFile(cert.key_pem, ".pem");
    server->port_ = *fakes::UnusedLoopbackPort();
    std::vector<std::string> argv = {"openssl", "s_server", "-accept",
                                     absl::StrCat("127.0.0.1:", server->port_),
                                     "-cert", cert_file, "-key", key_file, "-www"};
    argv.insert(argv.end(), args.begin(), args.end());
    int out[2];
    if (pipe(out) != 0) return nullptr;
    server->pid_ = fork();
    if (server->pid_ == 0) {
      dup2(out[1], 1);
      dup2(out[1], 2);
      std::vector<char*> c;
      for (std::string& a : argv) c.push_back(a.data());
      c.push_back(nullptr);
      execvp("openssl", c.data());
      _exit(127);
    }
    close(out[1]);
    // s_server prints "ACCEPT" once it listens: wait for that (bounded).
    std::string seen;
    const absl::Time deadline = absl::Now() + kWait;
    while (seen.find("ACCEPT") == std::string::npos && absl::Now() < deadline) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[256];
      const ssize_t n = read(out[0], buf, sizeof(buf));
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
    }
    server->out_fd_ = out[0];
    if (seen.find("ACCEPT") == std::string::npos) {
      ADD_FAILURE() << "openssl s_server did not start: " << seen;
      return nullptr;
    }
    return server;
  }
  ~OpensslServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_fd_ >= 0) close(out_fd_);
  }
  int port() const { return port_; }

 private:
  OpensslServer() = default;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int port_ = 0;
};

// The fetch against `openssl s_server`, where the machine has the command.
class HttpsGetOpensslTest : public HttpsGetTest {
 protected:
  void SetUp() override {
    HttpsGetTest::SetUp();
    if (system("openssl version >/dev/null 2>&1") != 0) {
      MTASTS_SKIP_OR_FAIL_IN_CI("the openssl command is not installed");
    }
  }
};

TEST_F(HttpsGetOpensslTest, RealOpensslServerSpeakingOnlyTls11IsTooOldAndNamed) {
  auto server = OpensslServer::Start(cert_, {"-tls1_1", "-cipher", "ALL:@SECLEVEL=0"});
  ASSERT_NE(server, nullptr);
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r.error, FailsWith(NetFailure::kProtocolTooOld));
  EXPECT_EQ(r.error.phase, NetPhase::kTlsHandshake);
  EXPECT_THAT(r.error.message, HasSubstr("speaks TLS 1.1 at most"));
  // The real failure is kept: the server's protocol_version alert.
  EXPECT_THAT(r.error.message, HasSubstr("offered TLS 1.2 and 1.3"));
  EXPECT_EQ(r.error.tls_alert, "protocol version");
  EXPECT_EQ(r.tls.version, "TLSv1.1");
  EXPECT_EQ(r.status_code, 0);
}

TEST_F(HttpsGetOpensslTest, RealOpensslServerSpeakingOnlyTls10IsTooOldAndNamed) {
  auto server = OpensslServer::Start(cert_, {"-tls1", "-cipher", "ALL:@SECLEVEL=0"});
  ASSERT_NE(server, nullptr);
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r.error, FailsWith(NetFailure::kProtocolTooOld));
  EXPECT_THAT(r.error.message, HasSubstr("speaks TLS 1.0 at most"));
  EXPECT_EQ(r.tls.version, "TLSv1");
}

TEST_F(HttpsGetOpensslTest, RealOpensslServerWithTls12IsFetched) {
  // The peer of the two above: the same server binary at TLS 1.2 serves the page.
  auto server = OpensslServer::Start(cert_, {"-tls1_2"});
  ASSERT_NE(server, nullptr);
  HttpsResult r = Fetch(server->port(), ShortLimits(), "/");
  EXPECT_TRUE(r.ok()) << r.error.ToString();
  EXPECT_EQ(r.tls.version, "TLSv1.2");
  EXPECT_EQ(r.status_code, 200);
}

TEST_F(HttpsGetTest, ExpiredCertificateKeepsTheEvidenceAndSendsNoRequest) {
  cert_ = *root_->Issue(CertSpec::ForHosts({kHost}).Expired(absl::Hours(24 * 2)));
  FakeHttpsServer* server = ServeResponse(FakeHttpResponse::Text(kPolicy));
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r.error, FailsWith(NetFailure::kCertificateExpired));
  EXPECT_THAT(r.error.message,
              HasSubstr(absl::FormatTime("%Y-%m-%d", cert_.not_after, absl::UTCTimeZone())));
  ASSERT_TRUE(r.tls.certificate_presented());
  EXPECT_FALSE(r.tls.verified);
  EXPECT_EQ(r.tls.leaf().not_after, cert_.not_after);
  EXPECT_LT(r.tls.leaf().days_to_expiry, 0);
  EXPECT_EQ(r.status_code, 0);
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
  EXPECT_TRUE(server->requests().empty());
}

TEST_F(HttpsGetTest, WrongNameCertificate) {
  cert_ = *root_->Issue(CertSpec::ForHosts({"www.example.test"}));
  FakeHttpsServer* server = ServeResponse(FakeHttpResponse::Text(kPolicy));
  HttpsResult r = Fetch(server->port());
  EXPECT_THAT(r.error, FailsWith(NetFailure::kNameMismatch));
  EXPECT_THAT(r.error.message, HasSubstr("it covers www.example.test"));
}

// --- Cancellation and arguments. ---

TEST_F(HttpsGetTest, CancelMidRequestClosesTheConnectionAndNeverCallsBack) {
  FakeHttpsServer* server = ServeNoResponse();
  bool called = false;
  HttpsLimits limits = ShortLimits();
  limits.response_timeout = absl::Milliseconds(500);
  limits.deadline = absl::Now() + absl::Milliseconds(600);
  RunSync(reactor_.get(), [&] {
    fetch_ = HttpsGet(reactor_.get(), ctx_.get(), "127.0.0.1",
                      static_cast<uint16_t>(server->port()), kHost, kPath, limits,
                      [&](HttpsResult) { called = true; });
  });
  ASSERT_TRUE(server->WaitForRequests(1, kWait));
  RunSync(reactor_.get(), [&] { fetch_->Cancel(); });
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
  // Past every timeout and the deadline: their timers went with Cancel.
  WaitForTimersDue(reactor_.get(), absl::Milliseconds(700));
  RunSync(reactor_.get(), [&] { EXPECT_FALSE(called); });
}

TEST_F(HttpsGetTest, DestroyingTheHandleCancels) {
  FakeHttpResponse response = FakeHttpResponse::Text(kPolicy);
  response.drip_interval = absl::Milliseconds(20);
  FakeHttpsServer* server = ServeResponse(response);
  bool called = false;
  RunSync(reactor_.get(), [&] {
    fetch_ = HttpsGet(reactor_.get(), ctx_.get(), "127.0.0.1",
                      static_cast<uint16_t>(server->port()), kHost, kPath, ShortLimits(),
                      [&](HttpsResult) { called = true; });
  });
  ASSERT_TRUE(server->WaitForRequests(1, kWait));
  RunSync(reactor_.get(), [&] { fetch_.reset(); });
  EXPECT_TRUE(server->WaitForClientCloses(1, kWait));
  RunSync(reactor_.get(), [&] { EXPECT_FALSE(called); });
}

TEST_F(HttpsGetTest, CallbackMayDestroyTheHandle) {
  FakeHttpsServer* server = ServeResponse(FakeHttpResponse::Text(kPolicy));
  absl::Notification done;
  RunSync(reactor_.get(), [&] {
    fetch_ = HttpsGet(reactor_.get(), ctx_.get(), "127.0.0.1",
                      static_cast<uint16_t>(server->port()), kHost, kPath, ShortLimits(),
                      [&](HttpsResult r) {
                        EXPECT_TRUE(r.ok()) << r.error.ToString();
                        fetch_.reset();
                        done.Notify();
                      });
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
}

TEST_F(HttpsGetTest, BadPathFailsThroughTheCallbackNeverInline) {
  bool inside_call = false;
  HttpsResult out;
  absl::Notification done;
  RunSync(reactor_.get(), [&] {
    inside_call = true;
    fetch_ = HttpsGet(reactor_.get(), ctx_.get(), "127.0.0.1", 443, kHost,
                      "no-slash\r\nX: y", ShortLimits(), [&](HttpsResult r) {
                        EXPECT_FALSE(inside_call);
                        out = std::move(r);
                        done.Notify();
                      });
    inside_call = false;
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_THAT(out.error, FailsWith(NetFailure::kLocalError));
  EXPECT_THAT(out.error.message, HasSubstr("must start with"));
}

TEST_F(HttpsGetTest, NotAnIpAddressFailsThroughTheCallback) {
  HttpsResult out;
  absl::Notification done;
  RunSync(reactor_.get(), [&] {
    fetch_ = HttpsGet(reactor_.get(), ctx_.get(), kHost, 443, kHost, kPath, ShortLimits(),
                      [&](HttpsResult r) {
                        out = std::move(r);
                        done.Notify();
                      });
  });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_THAT(out.error, FailsWith(NetFailure::kLocalError));
}

TEST(BuildHttpsGetRequestTest, ExactBytes) {
  EXPECT_EQ(BuildHttpsGetRequest("mta-sts.example.com", 443, "/.well-known/mta-sts.txt"),
            "GET /.well-known/mta-sts.txt HTTP/1.1\r\n"
            "Host: mta-sts.example.com\r\n"
            "User-Agent: mtasts-checker/1 (+MTA-STS policy check)\r\n"
            "Accept: text/plain\r\n"
            "Connection: close\r\n"
            "\r\n");
}

TEST(BuildHttpsGetRequestTest, NonDefaultPortAndTrailingDot) {
  EXPECT_THAT(BuildHttpsGetRequest("mta-sts.example.com.", 8443, "/x"),
              HasSubstr("\r\nHost: mta-sts.example.com:8443\r\n"));
  EXPECT_THAT(BuildHttpsGetRequest("2001:db8::1", 443, "/x"), HasSubstr("\r\nHost: [2001:db8::1]\r\n"));
}

}  // namespace
}  // namespace mtasts::net
