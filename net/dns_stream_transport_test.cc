// The DoT and DoH transports against a real unbound (tests/fakes/unbound_dox)
// on loopback, through the clients the server really uses: c-ares
// (DnsSession) and libunbound (DnssecValidator) pointed at the forwarder.
// A counting TCP proxy between the forwarder and unbound counts the
// connections the resolver sees and can cut them mid-run.
#include "net/dns_stream_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_upstream.h"
#include "net/dnssec_validator.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "tests/fakes/counting_proxy.h"
#include "tests/fakes/loopback_listener.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/signed_zones.h"
#include "tests/fakes/test_certs.h"
#include "tests/fakes/tls_server_ctx.h"
#include "net/dns_stream_wire.h"
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>

#include <map>
#include "tests/fakes/unbound_dox.h"

namespace mtasts::net {
namespace {

using fakes::CertSpec;
using fakes::CountingProxy;
using fakes::TestCa;
using fakes::UnboundDox;

// --- Parsing --dns_servers for the stream transports.

TEST(ParseDnsStreamEndpoints, TlsForms) {
  auto e = ParseDnsStreamEndpoints(DnsTransportKind::kTls,
                                   "192.0.2.1#dns.example, 192.0.2.2:8853,[2001:db8::1]:853#X.Test");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[0].address, "192.0.2.1");
  EXPECT_EQ((*e)[0].port, 853);
  EXPECT_EQ((*e)[0].verify_name, "dns.example");
  EXPECT_EQ((*e)[1].port, 8853);
  EXPECT_EQ((*e)[1].verify_name, "192.0.2.2");  // verified as an iPAddress
  EXPECT_EQ((*e)[2].address, "2001:db8::1");
  EXPECT_EQ((*e)[2].verify_name, "x.test");
}

TEST(ParseDnsStreamEndpoints, HttpsForms) {
  auto e = ParseDnsStreamEndpoints(
      DnsTransportKind::kHttps,
      "https://192.0.2.1/dns-query,https://dns.example:8443/q#192.0.2.9,https://[::1]:444/dns-query");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->size(), 3u);
  EXPECT_EQ((*e)[0].address, "192.0.2.1");
  EXPECT_EQ((*e)[0].port, 443);
  EXPECT_EQ((*e)[0].path, "/dns-query");
  EXPECT_EQ((*e)[0].authority, "192.0.2.1");
  EXPECT_EQ((*e)[1].address, "192.0.2.9");
  EXPECT_EQ((*e)[1].verify_name, "dns.example");
  EXPECT_EQ((*e)[1].authority, "dns.example:8443");
  EXPECT_EQ((*e)[1].port, 8443);
  EXPECT_EQ((*e)[2].address, "::1");
  EXPECT_EQ((*e)[2].port, 444);
}

TEST(ParseDnsStreamEndpoints, Errors) {
  struct Case {
    DnsTransportKind kind;
    const char* csv;
    const char* words;
  } cases[] = {
      {DnsTransportKind::kTls, "", "needs --dns_servers"},
      {DnsTransportKind::kTls, "dns.example:853", "IP"},
      {DnsTransportKind::kTls, "192.0.2.1:0", "port"},
      {DnsTransportKind::kTls, "192.0.2.1#bad name", "host name"},
      {DnsTransportKind::kTls, "192.0.2.1,,192.0.2.2", "empty entry"},
      {DnsTransportKind::kHttps, "192.0.2.1", "https:// URL"},
      {DnsTransportKind::kHttps, "https://192.0.2.1", "no path"},
      {DnsTransportKind::kHttps, "https://dns.example/dns-query", "address to connect to"},
      {DnsTransportKind::kHttps, "https://192.0.2.1:99999/dns-query", "port"},
      {DnsTransportKind::kHttps, "https://192.0.2.1/dns-query?dns=x", "plain path"},
      {DnsTransportKind::kUdp, "192.0.2.1", "not a stream transport"},
  };
  for (const Case& c : cases) {
    auto e = ParseDnsStreamEndpoints(c.kind, c.csv);
    EXPECT_FALSE(e.ok()) << c.csv;
    EXPECT_TRUE(absl::StrContains(e.status().message(), c.words))
        << c.csv << ": " << e.status().message();
  }
  EXPECT_FALSE(ParseDnsTransportKind("quic").ok());
  EXPECT_EQ(*ParseDnsTransportKind("https"), DnsTransportKind::kHttps);
}

constexpr int kNames = 200;

std::string BigTxt() {
  // Three 255-byte strings: 765 bytes of TXT, over UDP's 512 without EDNS.
  std::string s;
  for (int i = 0; i < 3; ++i) s += absl::StrCat(" \"", std::string(255, 'a' + i), "\"");
  return s;
}

class DnsStreamTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto root = TestCa::CreateRoot("DoX Test Root");
    ASSERT_TRUE(root.ok()) << root.status();
    CertSpec spec = CertSpec::ForHosts({"dns.test"});
    spec.ip_addresses = {"127.0.0.1"};
    auto cert = (*root)->Issue(spec);
    ASSERT_TRUE(cert.ok()) << cert.status();
    auto ca_file = (*root)->WriteCertFile();
    ASSERT_TRUE(ca_file.ok());
    ca_file_ = new std::string(*ca_file);
    auto other = TestCa::CreateRoot("Some Other Root");
    ASSERT_TRUE(other.ok());
    auto other_file = (*other)->WriteCertFile();
    ASSERT_TRUE(other_file.ok());
    other_ca_file_ = new std::string(*other_file);

    UnboundDox::Options o;
    o.cert = *cert;
    for (int i = 0; i < kNames; ++i) {
      o.local_data.push_back(
          absl::StrCat("d", i, ".example.test. 300 IN TXT \"v=STSv1; id=", i, "\""));
    }
    o.local_data.push_back(absl::StrCat("big.example.test. 300 IN TXT", BigTxt()));
    dox_.Start(UnboundDox::Start(o));
  }
  static void TearDownTestSuite() { dox_.Stop(); }

  void SetUp() override {
    if (dox_.missing()) {
      MTASTS_SKIP_OR_FAIL_IN_CI(*dox_.missing());
    }
    ASSERT_NE(dox_.get(), nullptr);
    auto r = Reactor::Create("dox-test");
    ASSERT_TRUE(r.ok());
    reactor_ = *std::move(r);
  }
  void TearDown() override {
    if (reactor_ != nullptr) RunSync(reactor_.get(), [this] { session_.reset(); });
  }

  // A forwarder of `kind` to the endpoints `csv` (--dns_servers' form),
  // trusting `ca_file`; null (and the test failed) when it cannot start.
  static std::unique_ptr<DnsForwarder> StartForwarder(DnsTransportKind kind,
                                                      const std::string& csv,
                                                      const std::string& ca_file,
                                                      DnsForwarderOptions o = {}) {
    auto endpoints = ParseDnsStreamEndpoints(kind, csv);
    EXPECT_TRUE(endpoints.ok()) << endpoints.status();
    if (!endpoints.ok()) return nullptr;
    o.kind = kind;
    o.endpoints = *endpoints;
    o.ca_file = ca_file;
    auto fwd = DnsForwarder::Start(o);
    EXPECT_TRUE(fwd.ok()) << fwd.status();
    return fwd.ok() ? *std::move(fwd) : nullptr;
  }

  // A forwarder of `kind` to 127.0.0.1:`port` (unbound through a proxy),
  // named dns.test for DoT, by address for DoH.
  std::unique_ptr<DnsForwarder> Forwarder(DnsTransportKind kind, int port,
                                          const std::string& ca_file,
                                          DnsForwarderOptions o = {}) {
    const std::string csv = kind == DnsTransportKind::kTls
                                ? absl::StrCat("127.0.0.1:", port, "#dns.test")
                                : absl::StrCat("https://127.0.0.1:", port, "/dns-query");
    return StartForwarder(kind, csv, ca_file, std::move(o));
  }

  void MakeSession(const DnsForwarder& fwd, std::shared_ptr<DnsUpstream> upstream = nullptr,
                   absl::Duration attempt = absl::Seconds(3)) {
    DnsOptions o;
    o.servers = {fwd.local()};
    o.attempt_timeout = attempt;
    o.tries = 2;
    o.upstream = std::move(upstream);
    o.overload_retries = 0;
    RunSync(reactor_.get(), [&] {
      auto s = DnsSession::Create(reactor_.get(), o, absl::Now() + absl::Seconds(20));
      ASSERT_TRUE(s.ok()) << s.status();
      session_ = *std::move(s);
    });
  }

  // Queries every name at once; returns the results by name index.
  std::vector<DnsResult> QueryAll(const std::vector<std::string>& names) {
    std::vector<DnsResult> results(names.size());
    absl::Mutex mu;
    size_t done = 0;
    absl::Notification all;
    RunSync(reactor_.get(), [&] {
      for (size_t i = 0; i < names.size(); ++i) {
        session_->Query(names[i], RrType::kTxt, [&, i](DnsResult r) {
          results[i] = std::move(r);
          if (++done == names.size()) all.Notify();
        });
      }
    });
    EXPECT_TRUE(all.WaitForNotificationWithTimeout(absl::Seconds(60)));
    return results;
  }

  static std::vector<std::string> Names(int n) {
    std::vector<std::string> names;
    for (int i = 0; i < n; ++i) names.push_back(absl::StrCat("d", i, ".example.test"));
    return names;
  }

  static void ExpectAllAnswered(const std::vector<DnsResult>& results) {
    for (size_t i = 0; i < results.size(); ++i) {
      ASSERT_EQ(results[i].outcome, DnsOutcome::kAnswer) << i << ": " << results[i].detail;
      ASSERT_EQ(results[i].txt.size(), 1u);
      EXPECT_EQ(results[i].txt[0], absl::StrCat("v=STSv1; id=", i));
    }
  }

  static fakes::SuiteLab<UnboundDox> dox_;
  static std::string* ca_file_;
  static std::string* other_ca_file_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<DnsSession> session_;
};

fakes::SuiteLab<UnboundDox> DnsStreamTransportTest::dox_;
std::string* DnsStreamTransportTest::ca_file_ = nullptr;
std::string* DnsStreamTransportTest::other_ca_file_ = nullptr;

class BothTransports : public DnsStreamTransportTest,
                       public ::testing::WithParamInterface<DnsTransportKind> {
 protected:
  int TargetPort() const {
    return GetParam() == DnsTransportKind::kTls ? dox_->dot_port() : dox_->doh_port();
  }
};

TEST_P(BothTransports, AnswersNxdomainAndLargeAnswersOverTcp) {
  CountingProxy proxy(TargetPort());
  auto fwd = Forwarder(GetParam(), proxy.port(), *ca_file_);
  ASSERT_NE(fwd, nullptr);
  MakeSession(*fwd);
  auto results = QueryAll({"d7.example.test", "nothing.example.test", "big.example.test"});
  ASSERT_EQ(results[0].outcome, DnsOutcome::kAnswer) << results[0].detail;
  EXPECT_EQ(results[0].txt, std::vector<std::string>{"v=STSv1; id=7"});
  EXPECT_EQ(results[1].outcome, DnsOutcome::kNxDomain) << results[1].detail;
  // 765 bytes of TXT: truncated to c-ares over UDP (no EDNS), then over TCP
  // to the forwarder, still over the same upstream connection.
  ASSERT_EQ(results[2].outcome, DnsOutcome::kAnswer) << results[2].detail;
  EXPECT_TRUE(results[2].used_tcp);
  ASSERT_EQ(results[2].txt.size(), 1u);
  EXPECT_EQ(results[2].txt[0].size(), 765u);
  EXPECT_EQ(proxy.accepted(), 1);
  EXPECT_EQ(fwd->stats().connections_opened, 1);
  EXPECT_EQ(fwd->last_error(), "");
}

TEST_P(BothTransports, ManyQueriesShareOneConnection) {
  CountingProxy proxy(TargetPort());
  auto fwd = Forwarder(GetParam(), proxy.port(), *ca_file_);
  ASSERT_NE(fwd, nullptr);
  MakeSession(*fwd);
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
  auto fwd = Forwarder(GetParam(), proxy.port(), *ca_file_);
  ASSERT_NE(fwd, nullptr);
  MakeSession(*fwd);
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
  auto fwd = Forwarder(GetParam(), proxy.port(), *ca_file_, o);
  ASSERT_NE(fwd, nullptr);
  MakeSession(*fwd);
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

TEST_P(BothTransports, QueriesBeyondTheBoundAreDroppedNotQueued) {
  CountingProxy proxy(TargetPort());
  DnsForwarderOptions o;
  o.max_queries = 4;
  o.query_timeout = absl::Seconds(2);
  auto fwd = Forwarder(GetParam(), proxy.port(), *ca_file_, o);
  ASSERT_NE(fwd, nullptr);
  MakeSession(*fwd, nullptr, absl::Seconds(1));
  proxy.Hold(true);  // nothing is answered: the first 4 fill the bound
  auto results = QueryAll(Names(10));
  int timeouts = 0;
  for (const DnsResult& r : results) timeouts += r.outcome == DnsOutcome::kTimeout;
  EXPECT_EQ(timeouts, 10);
  const DnsForwarderStats s = fwd->stats();
  EXPECT_GE(s.dropped, 6);  // at least the 6 beyond the bound, at once
  EXPECT_EQ(s.answers, 0);
}

TEST_P(BothTransports, UntrustedCertificateIsOurResolverFailingNotTheDomain) {
  CountingProxy proxy(TargetPort());
  DnsForwarderOptions o;
  o.query_timeout = absl::Seconds(3);
  auto fwd = Forwarder(GetParam(), proxy.port(), *other_ca_file_, o);
  ASSERT_NE(fwd, nullptr);
  DnsUpstreamOptions uo;
  auto upstream = std::make_shared<DnsUpstream>(uo);
  MakeSession(*fwd, upstream, absl::Milliseconds(300));
  auto results = QueryAll(Names(3));
  for (const DnsResult& r : results) {
    // Not NXDOMAIN, not SERVFAIL, not the domain's timeout: our resolver.
    EXPECT_EQ(r.outcome, DnsOutcome::kResolverOverloaded) << r.detail;
  }
  EXPECT_EQ(fwd->stats().connections_opened, 0);
  EXPECT_GE(fwd->stats().connect_failures, 1);
  EXPECT_EQ(fwd->stats().answers, 0);
  const std::string error = fwd->last_error();
  EXPECT_TRUE(absl::StrContains(error, absl::StrCat("127.0.0.1:", proxy.port()))) << error;
  EXPECT_TRUE(absl::StrContains(error, "certificate") || absl::StrContains(error, "issuer"))
      << error;
}

TEST_P(BothTransports, WrongNameIsRefused) {
  CountingProxy proxy(TargetPort());
  DnsForwarderOptions o;
  o.query_timeout = absl::Seconds(2);
  auto fwd = StartForwarder(
      GetParam(),
      GetParam() == DnsTransportKind::kTls
          ? absl::StrCat("127.0.0.1:", proxy.port(), "#other.test")
          : absl::StrCat("https://other.test:", proxy.port(), "/dns-query#127.0.0.1"),
      *ca_file_, o);
  ASSERT_NE(fwd, nullptr);
  MakeSession(*fwd, nullptr, absl::Milliseconds(300));
  auto results = QueryAll(Names(1));
  EXPECT_EQ(results[0].outcome, DnsOutcome::kTimeout) << results[0].detail;
  EXPECT_EQ(fwd->stats().connections_opened, 0);
  EXPECT_TRUE(absl::StrContains(fwd->last_error(), "other.test")) << fwd->last_error();
}

TEST_P(BothTransports, NothingListeningIsRetriedAndDroppedAtTheDeadline) {
  int port = 0;
  {
    CountingProxy gone(TargetPort());
    port = gone.port();
  }  // closed: connection refused from now on
  DnsForwarderOptions o;
  o.query_timeout = absl::Seconds(1);
  auto fwd = Forwarder(GetParam(), port, *ca_file_, o);
  ASSERT_NE(fwd, nullptr);
  MakeSession(*fwd, nullptr, absl::Milliseconds(500));
  auto results = QueryAll(Names(2));
  EXPECT_EQ(results[0].outcome, DnsOutcome::kTimeout);
  EXPECT_GE(fwd->stats().connect_failures, 2);  // backoff, then again
  EXPECT_TRUE(absl::StrContains(fwd->last_error(), "refused")) << fwd->last_error();
  // Every query was dropped at its deadline, none kept forever.
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (fwd->stats().dropped < fwd->stats().queries && absl::Now() < give_up) {
    usleep(10000);
  }
  EXPECT_EQ(fwd->stats().dropped, fwd->stats().queries);
}

// --- Who answered: the forwarder remembers which resolver sent each answer
// it relayed, and c-ares' session asks it (DnsOptions::answer_origin).

std::string EndpointCsv(DnsTransportKind kind, int port) {
  return kind == DnsTransportKind::kTls
             ? absl::StrCat("127.0.0.1:", port, "#dns.test")
             : absl::StrCat("https://127.0.0.1:", port, "/dns-query");
}

// A loopback TCP port bound but not listening: connections are refused, and
// nobody else can take the port while the test holds it.
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RefusingPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class AnsweredByTest : public BothTransports {
 protected:
  std::unique_ptr<DnsForwarder> ForwarderTo(const std::string& csv) {
    auto endpoints = ParseDnsStreamEndpoints(GetParam(), csv);
    EXPECT_TRUE(endpoints.ok()) << endpoints.status();
    DnsForwarderOptions o;
    o.kind = GetParam();
    o.endpoints = *endpoints;
    o.ca_file = *ca_file_;
    auto fwd = DnsForwarder::Start(o);
    EXPECT_TRUE(fwd.ok()) << fwd.status();
    return fwd.ok() ? *std::move(fwd) : nullptr;
  }
  // A session as the server makes it: the forwarder says who answered.
  void MakeAttributingSession(DnsForwarder* fwd) {
    DnsOptions o;
    o.servers = {fwd->local()};
    o.attempt_timeout = absl::Seconds(3);
    o.tries = 2;
    o.overload_retries = 0;
    o.answer_origin = [fwd](uint16_t port, const unsigned char* answer, size_t len) {
      return fwd->AnsweredBy(port, absl::string_view(reinterpret_cast<const char*>(answer), len));
    };
    RunSync(reactor_.get(), [&] {
      auto s = DnsSession::Create(reactor_.get(), o, absl::Now() + absl::Seconds(30));
      ASSERT_TRUE(s.ok()) << s.status();
      session_ = *std::move(s);
    });
  }
  std::vector<std::string> SessionAnsweredBy() {
    std::vector<std::string> by;
    RunSync(reactor_.get(), [&] { by = session_->AnsweredBy(); });
    return by;
  }
};

// Two resolvers, the first refusing connections: every answer, UDP and the
// TCP retry of a truncated one, is the second's, and the first is never
// named.
TEST_P(AnsweredByTest, FirstResolverDeadSecondIsNamed) {
  RefusingPort dead;
  CountingProxy live(TargetPort());
  const std::string dead_csv = EndpointCsv(GetParam(), dead.port());
  const std::string live_csv = EndpointCsv(GetParam(), live.port());
  auto fwd = ForwarderTo(absl::StrCat(dead_csv, ",", live_csv));
  ASSERT_NE(fwd, nullptr);
  MakeAttributingSession(fwd.get());
  std::vector<std::string> names = Names(20);
  names.push_back("big.example.test");
  auto results = QueryAll(names);
  for (size_t i = 0; i < results.size(); ++i) {
    ASSERT_EQ(results[i].outcome, DnsOutcome::kAnswer) << names[i] << ": " << results[i].detail;
    EXPECT_EQ(results[i].answered_by, live_csv) << names[i];
  }
  EXPECT_TRUE(results.back().used_tcp);
  EXPECT_EQ(SessionAnsweredBy(), std::vector<std::string>{live_csv});
  EXPECT_GE(fwd->stats().connect_failures, 1);  // the dead one was tried
}

// Attribution is per answer, not "the resolver in use now": the first
// resolver answers, goes away mid-session, the second takes over; earlier
// answers stay the first's, later ones are the second's.
TEST_P(AnsweredByTest, EachAnswerKeepsTheResolverThatSentIt) {
  auto first = std::make_unique<CountingProxy>(TargetPort());
  CountingProxy second(TargetPort());
  const std::string first_csv = EndpointCsv(GetParam(), first->port());
  const std::string second_csv = EndpointCsv(GetParam(), second.port());
  auto fwd = ForwarderTo(absl::StrCat(first_csv, ",", second_csv));
  ASSERT_NE(fwd, nullptr);
  MakeAttributingSession(fwd.get());
  auto before = QueryAll(Names(5));
  for (const DnsResult& r : before) EXPECT_EQ(r.answered_by, first_csv) << r.name;
  first.reset();  // its connection closes and its port refuses from now on
  std::vector<std::string> later;
  for (int i = 100; i < 105; ++i) later.push_back(absl::StrCat("d", i, ".example.test"));
  auto after = QueryAll(later);
  for (const DnsResult& r : after) {
    EXPECT_EQ(r.outcome, DnsOutcome::kAnswer) << r.name << ": " << r.detail;
    EXPECT_EQ(r.answered_by, second_csv) << r.name;
  }
  EXPECT_EQ(SessionAnsweredBy(), (std::vector<std::string>{first_csv, second_csv}));
}

// A DNS query for `name` TXT with `id`, as a stub resolver sends it.
std::string TxtQuery(uint16_t id, const std::string& name) {
  std::string q;
  q += static_cast<char>(id >> 8);
  q += static_cast<char>(id & 0xff);
  q.append("\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 10);  // RD, one question
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    q += static_cast<char>(label.size());
    q.append(label.data(), label.size());
  }
  q.append("\x00\x00\x10\x00\x01", 5);  // root, TXT, IN
  return q;
}

// The forwarder's memory of who answered is bounded (answers_remembered,
// oldest forgotten first), each answer can be asked about once, and only
// the client that got it (port, ID and question) can ask.
TEST_P(AnsweredByTest, MemoryIsBoundedAndMatchesPortIdAndQuestion) {
  CountingProxy live(TargetPort());
  const std::string live_csv = EndpointCsv(GetParam(), live.port());
  auto endpoints = ParseDnsStreamEndpoints(GetParam(), live_csv);
  ASSERT_TRUE(endpoints.ok());
  DnsForwarderOptions o;
  o.kind = GetParam();
  o.endpoints = *endpoints;
  o.ca_file = *ca_file_;
  o.answers_remembered = 2;
  auto started = DnsForwarder::Start(o);
  ASSERT_TRUE(started.ok()) << started.status();
  DnsForwarder& fwd = **started;

  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(static_cast<uint16_t>(fwd.local().port));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)), 0);
  sockaddr_in me{};
  socklen_t me_len = sizeof(me);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&me), &me_len), 0);
  const uint16_t port = ntohs(me.sin_port);

  std::vector<std::string> answers;
  for (int i = 0; i < 3; ++i) {
    const std::string q = TxtQuery(static_cast<uint16_t>(0x1100 + i), absl::StrCat("d", i, ".example.test"));
    ASSERT_EQ(send(fd, q.data(), q.size(), 0), static_cast<ssize_t>(q.size()));
    pollfd p{fd, POLLIN, 0};
    ASSERT_EQ(poll(&p, 1, 10000), 1) << "no answer to query " << i;
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    ASSERT_GT(n, 12);
    answers.emplace_back(buf, static_cast<size_t>(n));
    ASSERT_EQ(DnsMessageId(answers.back()), 0x1100 + i);  // the client's own ID back
  }
  close(fd);

  // The first of three is forgotten (bound 2).
  EXPECT_EQ(fwd.AnsweredBy(port, answers[0]), "");
  // Another port, or the same ID with another question: not this answer.
  EXPECT_EQ(fwd.AnsweredBy(static_cast<uint16_t>(port + 1), answers[1]), "");
  std::string other_question = answers[2];
  SetDnsMessageId(&other_question, 0x1101);
  EXPECT_EQ(fwd.AnsweredBy(port, other_question), "");
  EXPECT_EQ(fwd.AnsweredBy(port, "\x11"), "");  // shorter than a header
  // The right asker gets it, once.
  EXPECT_EQ(fwd.AnsweredBy(port, answers[1]), live_csv);
  EXPECT_EQ(fwd.AnsweredBy(port, answers[2]), live_csv);
  EXPECT_EQ(fwd.AnsweredBy(port, answers[2]), "");
}

// The dnssec check keeps validating from its own trust anchor when its
// queries travel over DoT/DoH: libunbound pointed at the forwarder, unbound
// behind it forwarding to the signed lab zones (nsd).
TEST_P(BothTransports, DnssecValidatorValidatesLocallyThroughTheForwarder) {
  auto zones = fakes::SignedZones::Start({});
  if (zones.status().code() == absl::StatusCode::kUnavailable) {
    MTASTS_SKIP_OR_FAIL_IN_CI(zones.status().message());
  }
  ASSERT_TRUE(zones.ok()) << zones.status();
  auto root = TestCa::CreateRoot("DoX DNSSEC Root");
  ASSERT_TRUE(root.ok());
  CertSpec spec = CertSpec::ForHosts({"dns.test"});
  spec.ip_addresses = {"127.0.0.1"};
  auto cert = (*root)->Issue(spec);
  ASSERT_TRUE(cert.ok());
  auto ca_file = (*root)->WriteCertFile();
  ASSERT_TRUE(ca_file.ok());
  UnboundDox::Options o;
  o.cert = *cert;
  o.local_zones = {};
  o.extra_server = {"do-not-query-localhost: no"};
  o.extra_config = absl::StrCat("forward-zone:\n  name: \".\"\n  forward-addr: ",
                                (*zones)->forwarder(), "\n");
  auto dox = UnboundDox::Start(o);
  ASSERT_TRUE(dox.ok()) << dox.status();
  CountingProxy proxy(GetParam() == DnsTransportKind::kTls ? (*dox)->dot_port()
                                                           : (*dox)->doh_port());
  auto fwd = Forwarder(GetParam(), proxy.port(), *ca_file);
  ASSERT_NE(fwd, nullptr);

  DnssecOptions d;
  d.trust_anchor_file = (*zones)->trust_anchor_file();
  d.forwarder = absl::StrCat("127.0.0.1@", fwd->local().port);
  d.allow_localhost = true;
  d.unblock_local_zones = {"test."};
  std::unique_ptr<DnssecValidator> validator;
  RunSync(reactor_.get(), [&] {
    auto v = DnssecValidator::Create(reactor_.get(), d);
    ASSERT_TRUE(v.ok()) << v.status();
    validator = *std::move(v);
  });
  auto resolve = [&](const std::string& name, uint16_t type) {
    ValidatedResult result;
    absl::Notification done;
    RunSync(reactor_.get(), [&] {
      validator->Resolve(name, type, [&](ValidatedResult r) {
        result = std::move(r);
        done.Notify();
      });
    });
    EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(20)));
    return result;
  };
  ValidatedResult mx = resolve("secure.test", kDnsTypeMx);
  EXPECT_EQ(mx.outcome, DnsOutcome::kAnswer) << mx.detail;
  EXPECT_EQ(mx.security, DnssecSecurity::kSecure) << mx.why_bogus;
  ASSERT_EQ(mx.mx.size(), 1u);
  EXPECT_EQ(mx.mx[0].host, "mx.secure.test");
  ValidatedResult insecure = resolve("insecure.test", kDnsTypeMx);
  EXPECT_EQ(insecure.security, DnssecSecurity::kInsecure);
  RunSync(reactor_.get(), [&] { validator.reset(); });
  EXPECT_EQ(proxy.accepted(), 1);
  EXPECT_GT(fwd->stats().answers, 2);  // the chain of trust came the same way
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
    auto root = TestCa::CreateRoot("Hostile Root");
    CertSpec spec = CertSpec::ForHosts({"dns.test"});
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

INSTANTIATE_TEST_SUITE_P(Transports, BothTransports,
                         ::testing::Values(DnsTransportKind::kTls, DnsTransportKind::kHttps),
                         [](const auto& info) {
                           return std::string(DnsTransportName(info.param));
                         });
INSTANTIATE_TEST_SUITE_P(Transports, AnsweredByTest,
                         ::testing::Values(DnsTransportKind::kTls, DnsTransportKind::kHttps),
                         [](const auto& info) {
                           return std::string(DnsTransportName(info.param));
                         });

}  // namespace
}  // namespace mtasts::net
