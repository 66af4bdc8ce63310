// One upstream connection, DoT or DoH: many queries share it, a cut with
// queries in flight reopens it and sends them again, an idle one closes;
// and hostile resolvers (in-process DoT and DoH servers) whose answers are
// garbage, cut in half, to another question, or refused HTTP responses are
// never relayed.
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_stream_test_fixture.h"
#include "net/dns_stream_transport.h"
#include "net/dns_stream_wire.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "tests/fakes/counting_proxy.h"
#include "tests/fakes/loopback_listener.h"
#include "tests/fakes/test_certs.h"
#include "tests/fakes/tls_server_ctx.h"

namespace mtasts::net {
namespace {

using fakes::CountingProxy;

TEST_P(BothTransports, ManyQueriesShareOneConnection) {
  CountingProxy proxy(TargetPort());
  auto fwd = ForwarderAndSession(proxy.port());
  ASSERT_NE(fwd, nullptr);
  ExpectAllAnswered(QueryAll(Names(kNames)));
  // Again: the connection stays open across batches (domains).
  ExpectAllAnswered(QueryAll(Names(kNames)));
  EXPECT_EQ(proxy.accepted(), 1);
  const DnsForwarderStats s = fwd->stats();
  EXPECT_EQ(s.connections_opened, 1);
  EXPECT_EQ(s.answers, 2 * kNames);
  EXPECT_EQ(s.resent, 0);
}

TEST_P(BothTransports, ConnectionCutWithQueriesInFlightIsReopenedAndAnswered) {
  CountingProxy proxy(TargetPort());
  auto fwd = ForwarderAndSession(proxy.port());
  ASSERT_NE(fwd, nullptr);
  // Warm up: the connection is open and answering.
  ExpectAllAnswered(QueryAll(Names(1)));
  const int64_t before = proxy.client_bytes();
  // Queries reach the proxy but go no further: they are in flight.
  proxy.Hold(true);
  std::vector<DnsResult> results(50);
  size_t done = 0;
  absl::Notification all;
  RunSync(reactor_.get(), [&] {
    for (int i = 0; i < 50; ++i) {
      session_->Query(absl::StrCat("d", i, ".example.test"), RrType::kTxt,
                      [&, i](DnsResult r) {
                        results[i] = std::move(r);
                        if (++done == 50) all.Notify();
                      });
    }
  });
  // Wait (bounded) until the resolver side has the queries' bytes.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (proxy.client_bytes() - before < 50 * 30 && absl::Now() < give_up) usleep(2000);
  ASSERT_GE(proxy.client_bytes() - before, 50 * 30);
  proxy.Hold(false);
  proxy.CutAll();  // the resolver closes the connection, 50 queries unanswered
  ASSERT_TRUE(all.WaitForNotificationWithTimeout(absl::Seconds(30)));
  ExpectAllAnswered(results);
  EXPECT_EQ(proxy.accepted(), 2);
  const DnsForwarderStats s = fwd->stats();
  EXPECT_EQ(s.connections_opened, 2);
  EXPECT_GE(s.resent, 50);
  EXPECT_EQ(s.dropped, 0);
}

TEST_P(BothTransports, IdleConnectionIsClosedAndReopenedOnDemand) {
  CountingProxy proxy(TargetPort());
  DnsForwarderOptions o;
  o.idle_timeout = absl::Seconds(1);
  auto fwd = ForwarderAndSession(proxy.port(), o);
  ASSERT_NE(fwd, nullptr);
  ExpectAllAnswered(QueryAll(Names(3)));
  EXPECT_EQ(proxy.open(), 1);
  // The forwarder closes it once idle (bounded wait for that event).
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (proxy.open() > 0 && absl::Now() < give_up) usleep(10000);
  ASSERT_EQ(proxy.open(), 0);
  EXPECT_EQ(fwd->last_error(), "");  // closing an idle connection is no error
  ExpectAllAnswered(QueryAll(Names(3)));
  EXPECT_EQ(proxy.accepted(), 2);
  EXPECT_EQ(fwd->stats().dropped, 0);
}

// --- The hostile servers' common part: a TLS listener on 127.0.0.1 (an
// ephemeral port) whose thread accepts one connection at a time, does the
// handshake and hands the connection to `serve` with its number (0, 1, ...).

class LoopbackTlsServer {
 public:
  using Serve = std::function<void(SSL* ssl, int connection)>;
  // With `h2`, the server selects ALPN "h2" (a client that offers no h2 fails).
  LoopbackTlsServer(const fakes::TestCert& cert, bool h2, Serve serve) : serve_(std::move(serve)) {
    fakes::BlockSigpipe();
    ctx_ = *fakes::MakeTlsServerCtx(cert, fakes::FakeTlsVersion::kDefault,
                                    fakes::FakeTlsVersion::kDefault);
    if (h2) SSL_CTX_set_alpn_select_cb(ctx_, &SelectH2, nullptr);
    listen_fd_ = fakes::ListenOnLoopback(16, &port_);
    thread_ = std::thread([this] { Loop(); });
  }
  ~LoopbackTlsServer() {
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  static int SelectH2(SSL*, const unsigned char** out, unsigned char* outlen,
                      const unsigned char* in, unsigned int inlen, void*) {
    static const unsigned char kH2[] = {2, 'h', '2'};
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, kH2, sizeof(kH2), in, inlen) !=
        OPENSSL_NPN_NEGOTIATED) {
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  void Loop() {
    while (true) {
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      const int n = connections_.fetch_add(1);
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) serve_(ssl, n);
      SSL_free(ssl);
      close(fd);
    }
  }

  const Serve serve_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// --- A hostile DoT server (in-process, TLS over a blocking socket): each
// accepted connection follows the next step of a script.

enum class Misbehave {
  kAnswer,          // answers every query correctly
  kGarbage,         // answers the first query with a 5-byte "message"
  kWrongQuestion,   // answers with the right ID but another question
  kCloseMidAnswer,  // sends half of the first answer, then closes
};

class HostileDot {
 public:
  HostileDot(const fakes::TestCert& cert, std::vector<Misbehave> script)
      : script_(std::move(script)), server_(cert, /*h2=*/false, [this](SSL* ssl, int n) {
          Serve(ssl, script_[std::min<size_t>(n, script_.size() - 1)]);
        }) {}
  int port() const { return server_.port(); }
  int connections() const { return server_.connections(); }

  static std::string AnswerFor(const DnsQueryShape& q) { return Answer(q, q.raw_question); }

 private:
  static std::string Answer(const DnsQueryShape& q, const std::string& question) {
    std::string a;
    for (uint16_t v : {q.id, uint16_t{0x8180}, uint16_t{1}, uint16_t{1}, uint16_t{0},
                       uint16_t{0}}) {
      a.push_back(static_cast<char>(v >> 8));
      a.push_back(static_cast<char>(v & 0xff));
    }
    a += question;
    a += std::string("\xc0\x0c\x00\x10\x00\x01\x00\x00\x01\x2c\x00\x06\x05hello", 19);
    return a;
  }
  void Serve(SSL* ssl, Misbehave mode) {
    DnsStreamFramer framer;
    char buf[4096];
    while (true) {
      const int n = SSL_read(ssl, buf, sizeof(buf));
      if (n <= 0) return;
      framer.Append(absl::string_view(buf, n));
      while (auto m = framer.Next()) {
        auto q = ParseDnsQuery(*m);
        if (!q) return;
        std::string out;
        switch (mode) {
          case Misbehave::kAnswer:
            out = FrameDnsMessage(Answer(*q, q->raw_question));
            break;
          case Misbehave::kGarbage:
            out = FrameDnsMessage("hello");
            break;
          case Misbehave::kWrongQuestion:
            out = FrameDnsMessage(Answer(*q, std::string("\x05other\x04test\x00\x00\x10\x00\x01", 16)));
            break;
          case Misbehave::kCloseMidAnswer:
            out = FrameDnsMessage(Answer(*q, q->raw_question));
            out.resize(out.size() / 2);
            SSL_write(ssl, out.data(), static_cast<int>(out.size()));
            return;
        }
        if (SSL_write(ssl, out.data(), static_cast<int>(out.size())) <= 0) return;
      }
    }
  }

  const std::vector<Misbehave> script_;
  LoopbackTlsServer server_;  // last: its thread stops before the rest goes
};

class HostileDoh;

class HostileDotTest : public DnsStreamTransportTest {
 protected:
  std::unique_ptr<DnsForwarder> To(const HostileDot& server, absl::Duration query_timeout) {
    DnsForwarderOptions o;
    o.query_timeout = query_timeout;
    return StartForwarder(DnsTransportKind::kTls,
                          absl::StrCat("127.0.0.1:", server.port(), "#dns.test"),
                          *hostile_ca_file_, o);
  }
  // The DoH server is named dns.test, reached at 127.0.0.1.
  std::unique_ptr<DnsForwarder> To(const HostileDoh& server,
                                   absl::Duration query_timeout = absl::Seconds(2));
  static fakes::TestCert Cert() { return *cert_; }
  // Needs no unbound: only the reactor of the base fixture.
  void SetUp() override {
    auto r = Reactor::Create("hostile-test");
    ASSERT_TRUE(r.ok());
    reactor_ = *std::move(r);
  }
  static void SetUpTestSuite() {
    auto root = fakes::TestCa::CreateRoot("Hostile Root");
    fakes::CertSpec spec = fakes::CertSpec::ForHosts({"dns.test"});
    cert_ = new fakes::TestCert(*(*root)->Issue(spec));
    hostile_ca_file_ = new std::string(*(*root)->WriteCertFile());
  }
  static fakes::TestCert* cert_;
  static std::string* hostile_ca_file_;
};
fakes::TestCert* HostileDotTest::cert_ = nullptr;
std::string* HostileDotTest::hostile_ca_file_ = nullptr;

TEST_F(HostileDotTest, AnswerCutInHalfIsAskedAgainOnANewConnection) {
  HostileDot server(Cert(), {Misbehave::kCloseMidAnswer, Misbehave::kAnswer});
  auto fwd = To(server, absl::Seconds(5));
  MakeSession(*fwd);
  auto results = QueryAll({"a.example.test"});
  ASSERT_EQ(results[0].outcome, DnsOutcome::kAnswer) << results[0].detail;
  EXPECT_EQ(results[0].txt, std::vector<std::string>{"hello"});
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(fwd->stats().resent, 1);
}

TEST_F(HostileDotTest, GarbageClosesTheConnectionAndAnswersNothing) {
  HostileDot server(Cert(), {Misbehave::kGarbage});
  auto fwd = To(server, absl::Seconds(2));
  MakeSession(*fwd, nullptr, absl::Milliseconds(400));
  auto results = QueryAll({"a.example.test"});
  EXPECT_EQ(results[0].outcome, DnsOutcome::kTimeout) << results[0].detail;
  EXPECT_EQ(fwd->stats().answers, 0);
  EXPECT_TRUE(absl::StrContains(fwd->last_error(), "shorter than a DNS header"))
      << fwd->last_error();
}

TEST_F(HostileDotTest, AnswerToAnotherQuestionIsNeverRelayed) {
  HostileDot server(Cert(), {Misbehave::kWrongQuestion});
  auto fwd = To(server, absl::Seconds(2));
  MakeSession(*fwd, nullptr, absl::Milliseconds(400));
  auto results = QueryAll({"a.example.test"});
  EXPECT_EQ(results[0].outcome, DnsOutcome::kTimeout) << results[0].detail;
  EXPECT_EQ(fwd->stats().answers, 0);
  EXPECT_TRUE(absl::StrContains(fwd->last_error(), "different question")) << fwd->last_error();
  // Each query is sent at most max_sends (3) times however often it fails.
  EXPECT_LE(server.connections(), 3 * static_cast<int>(fwd->stats().queries));
}

// --- A hostile DoH server: HTTP/2 by libnghttp2's server side over TLS,
// answering every request with the same misbehaviour.

enum class DohMisbehave { kAnswer, kStatus500, kTextPlain, kOversizedBody };

class HostileDoh {
 public:
  HostileDoh(const fakes::TestCert& cert, DohMisbehave mode)
      : mode_(mode), server_(cert, /*h2=*/true, [this](SSL* ssl, int) { Serve(ssl); }) {}
  int port() const { return server_.port(); }
  int requests() const { return requests_.load(); }

 private:
  struct Conn {
    HostileDoh* server;
    std::map<int32_t, std::string> request;   // body by stream
    std::map<int32_t, std::string> response;  // body by stream
    std::map<int32_t, size_t> sent;
  };
  static ssize_t ReadBody(nghttp2_session* s, int32_t id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* user) {
    auto* c = static_cast<Conn*>(user);
    const std::string& body = c->response[id];
    size_t& sent = c->sent[id];
    const size_t n = std::min(length, body.size() - sent);
    memcpy(buf, body.data() + sent, n);
    sent += n;
    if (sent == body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    (void)s;
    return static_cast<ssize_t>(n);
  }
  static int OnData(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                    void* user) {
    static_cast<Conn*>(user)->request[id].append(reinterpret_cast<const char*>(data), len);
    return 0;
  }
  static int OnFrame(nghttp2_session* s, const nghttp2_frame* frame, void* user) {
    auto* c = static_cast<Conn*>(user);
    if ((frame->hd.type != NGHTTP2_DATA && frame->hd.type != NGHTTP2_HEADERS) ||
        !(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      return 0;
    }
    const int32_t id = frame->hd.stream_id;
    c->server->requests_.fetch_add(1);
    auto q = ParseDnsQuery(c->request[id]);
    std::string status = "200", type = "application/dns-message";
    std::string body = q ? HostileDot::AnswerFor(*q) : "";
    switch (c->server->mode_) {
      case DohMisbehave::kAnswer: break;
      case DohMisbehave::kStatus500: status = "500"; break;
      case DohMisbehave::kTextPlain: type = "text/plain"; break;
      case DohMisbehave::kOversizedBody: body = std::string(70000, 'x'); break;
    }
    c->response[id] = body;
    const std::string st = ":status", ct = "content-type";
    nghttp2_nv headers[] = {
        {(uint8_t*)st.data(), (uint8_t*)status.data(), st.size(), status.size(), 0},
        {(uint8_t*)ct.data(), (uint8_t*)type.data(), ct.size(), type.size(), 0}};
    nghttp2_data_provider data;
    data.read_callback = &HostileDoh::ReadBody;
    nghttp2_submit_response(s, id, headers, 2, &data);
    return 0;
  }
  void Serve(SSL* ssl) {
    Conn conn{this, {}, {}, {}};
    nghttp2_session_callbacks* cbs;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &HostileDoh::OnData);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &HostileDoh::OnFrame);
    nghttp2_session* session;
    nghttp2_session_server_new(&session, cbs, &conn);
    nghttp2_session_callbacks_del(cbs);
    // Large windows: the oversized body must not wait for WINDOW_UPDATEs.
    nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
    nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, 1);
    char buf[16384];
    while (true) {
      const uint8_t* out;
      ssize_t n;
      bool failed = false;
      while ((n = nghttp2_session_mem_send(session, &out)) > 0) {
        if (SSL_write(ssl, out, static_cast<int>(n)) <= 0) failed = true;
      }
      if (failed || n < 0) break;
      const int r = SSL_read(ssl, buf, sizeof(buf));
      if (r <= 0) break;
      if (nghttp2_session_mem_recv(session, reinterpret_cast<uint8_t*>(buf), r) < 0) break;
    }
    nghttp2_session_del(session);
  }

  const DohMisbehave mode_;
  std::atomic<int> requests_{0};
  LoopbackTlsServer server_;  // last: its thread stops before the rest goes
};

std::unique_ptr<DnsForwarder> HostileDotTest::To(const HostileDoh& server,
                                                 absl::Duration query_timeout) {
  DnsForwarderOptions o;
  o.query_timeout = query_timeout;
  return StartForwarder(DnsTransportKind::kHttps,
                        absl::StrCat("https://dns.test:", server.port(), "/dns-query#127.0.0.1"),
                        *hostile_ca_file_, o);
}

class HostileDohTest : public HostileDotTest,
                       public ::testing::WithParamInterface<std::pair<DohMisbehave, const char*>> {
 protected:
};

TEST_F(HostileDotTest, DohServerAnswersThroughNghttp2) {
  // The hostile DoH server itself, behaving: the baseline for the cases below.
  HostileDoh server(Cert(), DohMisbehave::kAnswer);
  auto fwd = To(server, DnsForwarderOptions().query_timeout);
  ASSERT_NE(fwd, nullptr);
  MakeSession(*fwd);
  auto results = QueryAll({"a.example.test", "b.example.test"});
  for (const DnsResult& r : results) {
    ASSERT_EQ(r.outcome, DnsOutcome::kAnswer) << r.detail;
    EXPECT_EQ(r.txt, std::vector<std::string>{"hello"});
  }
}

TEST_P(HostileDohTest, RefusedResponseIsNeverRelayed) {
  HostileDoh server(Cert(), GetParam().first);
  auto fwd = To(server);
  MakeSession(*fwd, nullptr, absl::Milliseconds(400));
  auto results = QueryAll({"a.example.test"});
  EXPECT_EQ(results[0].outcome, DnsOutcome::kTimeout) << results[0].detail;
  EXPECT_GE(server.requests(), 1);
  EXPECT_EQ(fwd->stats().answers, 0);
  EXPECT_TRUE(absl::StrContains(fwd->last_error(), GetParam().second)) << fwd->last_error();
  // The connection itself stayed up: one handshake.
  EXPECT_EQ(fwd->stats().connections_opened, 1);
}

INSTANTIATE_TEST_SUITE_P(
    Misbehaviours, HostileDohTest,
    ::testing::Values(std::pair{DohMisbehave::kStatus500, "HTTP status 500"},
                      std::pair{DohMisbehave::kTextPlain, "content-type \"text/plain\""},
                      std::pair{DohMisbehave::kOversizedBody, "over 65535 bytes"}),
    [](const auto& info) {
      switch (info.param.first) {
        case DohMisbehave::kStatus500: return std::string("status500");
        case DohMisbehave::kTextPlain: return std::string("text_plain");
        default: return std::string("oversized_body");
      }
    });

INSTANTIATE_TEST_SUITE_P(Transports, BothTransports, BothTransportKinds(),
                         TransportTestName);

}  // namespace
}  // namespace mtasts::net
