// The forwarder as a whole, against a real unbound (tests/fakes/unbound_dox)
// on loopback, through the clients the server really uses: c-ares
// (DnsSession) and libunbound (DnssecValidator) pointed at it. A counting
// TCP proxy between the forwarder and unbound counts the connections the
// resolver sees. Here: relaying (NXDOMAIN, TC and the TCP retry), the bound
// on queries held, who answered (AnsweredBy), DNSSEC validation through it.
// The resolvers' failures: dns_stream_endpoint_test; one connection and
// hostile resolvers: dns_stream_connection_test.
#include "net/dns_stream_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_stream_test_fixture.h"
#include "net/dns_stream_wire.h"
#include "net/dnssec_validator.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "tests/fakes/counting_proxy.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/signed_zones.h"
#include "tests/fakes/test_certs.h"
#include "tests/fakes/unbound_dox.h"

namespace mtasts::net {
namespace {

using fakes::CountingProxy;
using fakes::UnboundDox;

TEST_P(BothTransports, AnswersNxdomainAndLargeAnswersOverTcp) {
  CountingProxy proxy(TargetPort());
  auto fwd = ForwarderAndSession(proxy.port());
  ASSERT_NE(fwd, nullptr);
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
    return StartForwarder(GetParam(), csv, *ca_file_);
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
  auto root = fakes::TestCa::CreateRoot("DoX DNSSEC Root");
  ASSERT_TRUE(root.ok());
  fakes::CertSpec spec = fakes::CertSpec::ForHosts({"dns.test"});
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

INSTANTIATE_TEST_SUITE_P(Transports, BothTransports, BothTransportKinds(),
                         TransportTestName);
INSTANTIATE_TEST_SUITE_P(Transports, AnsweredByTest, BothTransportKinds(),
                         TransportTestName);

}  // namespace
}  // namespace mtasts::net
