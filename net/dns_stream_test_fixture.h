// The stream transport tests' common fixture (dns_stream_{endpoint,
// connection,transport}_test): a real unbound serving DoT and DoH on
// loopback (tests/fakes/unbound_dox) with names d0..d199.example.test and
// big.example.test, certificates for dns.test and 127.0.0.1 from a test
// root (and a second root that trusts none of them), forwarders to it, and
// c-ares sessions (DnsSession) pointed at the forwarder, as the server uses
// them.
#ifndef MTASTS_NET_DNS_STREAM_TEST_FIXTURE_H_
#define MTASTS_NET_DNS_STREAM_TEST_FIXTURE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_stream_transport.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "tests/fakes/prerequisite.h"
#include "tests/fakes/unbound_dox.h"

namespace mtasts::net {

// How many d<i>.example.test names unbound serves.
inline constexpr int kNames = 200;

class DnsStreamTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
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

  static fakes::SuiteLab<fakes::UnboundDox> dox_;
  static std::string* ca_file_;
  static std::string* other_ca_file_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<DnsSession> session_;
};

// The cases every transport must pass, run once per transport (each test
// file instantiates it as Transports/.../tls and .../https).
class BothTransports : public DnsStreamTransportTest,
                       public ::testing::WithParamInterface<DnsTransportKind> {
 protected:
  int TargetPort() const {
    return GetParam() == DnsTransportKind::kTls ? dox_->dot_port() : dox_->doh_port();
  }

  // A forwarder of this transport to 127.0.0.1:`port` (Forwarder, trusting
  // the test root) and a session over it (MakeSession); null (and the test
  // failed) when it cannot start.
  std::unique_ptr<DnsForwarder> ForwarderAndSession(int port, DnsForwarderOptions o = {}) {
    auto fwd = Forwarder(GetParam(), port, *ca_file_, std::move(o));
    if (fwd != nullptr) MakeSession(*fwd);
    return fwd;
  }
};

// What each test file instantiates the transport suites with: both
// transports, named .../tls and .../https.
inline auto BothTransportKinds() {
  return ::testing::Values(DnsTransportKind::kTls, DnsTransportKind::kHttps);
}
inline std::string TransportTestName(const ::testing::TestParamInfo<DnsTransportKind>& info) {
  return std::string(DnsTransportName(info.param));
}

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_STREAM_TEST_FIXTURE_H_
