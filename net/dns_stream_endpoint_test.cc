// The resolvers the forwarder relays to: --dns_servers parsed into
// endpoints, and what happens when one cannot be used (its certificate is
// not trusted or names another host, nothing listens): the queries get no
// answer, never the domain's failure, and last_error() says why.
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_stream_test_fixture.h"
#include "net/dns_stream_transport.h"
#include "net/dns_upstream.h"
#include "tests/fakes/counting_proxy.h"

namespace mtasts::net {
namespace {

using fakes::CountingProxy;

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

// --- A resolver that cannot be used: untrusted, wrongly named, or not there.

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

INSTANTIATE_TEST_SUITE_P(Transports, BothTransports, BothTransportKinds(),
                         TransportTestName);

}  // namespace
}  // namespace mtasts::net
