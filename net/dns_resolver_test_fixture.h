// The fixtures of the dns_resolver tests: a FakeDnsServer on loopback, a
// reactor, and a session made from options_ (DnsResolverTest); sessions over
// a shared DnsUpstream (PacedDnsTest). Test-only.
#ifndef MTASTS_NET_DNS_RESOLVER_TEST_FIXTURE_H_
#define MTASTS_NET_DNS_RESOLVER_TEST_FIXTURE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_types.h"
#include "net/dns_upstream.h"
#include "net/reactor.h"
#include "net/run_sync.h"
#include "tests/fakes/fake_dns_server.h"

namespace mtasts::net {

// Readable failure messages (found by ADL).
inline void PrintTo(const DnsResult& r, std::ostream* os) {
  *os << "{" << r.name << " " << RrTypeName(r.type) << " " << DnsOutcomeName(r.outcome)
      << " detail=\"" << r.detail << "\" chain=[" << absl::StrJoin(r.cname_chain, ",")
      << "] txt=[" << absl::StrJoin(r.txt, "|") << "] addresses=["
      << absl::StrJoin(r.addresses, ",") << "] mx=" << r.mx.size()
      << " used_tcp=" << r.used_tcp << " ttl=" << r.ttl << "}";
}

inline constexpr absl::Duration kWait = absl::Seconds(5);

MATCHER_P(HasOutcome, expected, "") {
  if (arg.outcome == expected) return true;
  *result_listener << "outcome " << DnsOutcomeName(arg.outcome) << " (detail \""
                   << arg.detail << "\"), expected " << DnsOutcomeName(expected);
  return false;
}

MATCHER_P2(HasStatus, code, substring, "") {
  if (arg.code() == code && absl::StrContains(arg.message(), substring)) return true;
  *result_listener << "status " << arg;
  return false;
}

// Polls `done` (a fake server's counter) until it holds; false after kWait.
inline bool WaitUntil(const std::function<bool()>& done) {
  const absl::Time deadline = absl::Now() + kWait;
  while (!done()) {
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Collects callback results from the reactor thread.
class Results {
 public:
  DnsSession::Callback Add() {
    return [this](DnsResult r) {
      absl::MutexLock lock(&mu_);
      results_.push_back(std::move(r));
    };
  }
  bool WaitFor(size_t n, absl::Duration timeout = kWait) {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return results_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  }
  std::vector<DnsResult> Get() {
    absl::MutexLock lock(&mu_);
    return results_;
  }
  size_t size() {
    absl::MutexLock lock(&mu_);
    return results_.size();
  }

 private:
  absl::Mutex mu_;
  std::vector<DnsResult> results_;
};

class DnsResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<fakes::FakeDnsServer>> dns =
        fakes::FakeDnsServer::Start();
    ASSERT_TRUE(dns.ok()) << dns.status();
    dns_ = *std::move(dns);
    absl::StatusOr<std::unique_ptr<Reactor>> reactor = Reactor::Create("dns-test");
    ASSERT_TRUE(reactor.ok()) << reactor.status();
    reactor_ = *std::move(reactor);
    options_.servers = {DnsServer{"127.0.0.1", dns_->port()}};
    options_.attempt_timeout = absl::Milliseconds(200);
    options_.tries = 1;
  }

  void TearDown() override {
    if (reactor_ != nullptr) OnReactor([&] { session_.reset(); });
    reactor_.reset();
  }

  // Runs `fn` on the reactor thread and waits for it.
  void OnReactor(absl::AnyInvocable<void()> fn) { RunSync(reactor_.get(), std::move(fn)); }

  void MakeSession() {
    OnReactor([&] {
      absl::StatusOr<std::unique_ptr<DnsSession>> session =
          DnsSession::Create(reactor_.get(), options_);
      ASSERT_TRUE(session.ok()) << session.status();
      session_ = *std::move(session);
    });
  }

  DnsResult Resolve(const std::string& name, RrType type) {
    if (session_ == nullptr) MakeSession();
    Results results;
    OnReactor([&] { session_->Query(name, type, results.Add()); });
    EXPECT_TRUE(results.WaitFor(1)) << "no result for " << name;
    std::vector<DnsResult> got = results.Get();
    return got.empty() ? DnsResult() : got[0];
  }

  std::unique_ptr<fakes::FakeDnsServer> dns_;
  std::unique_ptr<Reactor> reactor_;
  DnsOptions options_;
  std::unique_ptr<DnsSession> session_;  // reactor thread only
};

// Many sessions, optionally over one shared DnsUpstream (UseUpstream).
class PacedDnsTest : public DnsResolverTest {
 protected:
  void SetUp() override {
    DnsResolverTest::SetUp();
    options_.overload_backoff = absl::Milliseconds(20);
  }
  void TearDown() override {
    if (reactor_ != nullptr) OnReactor([&] { sessions_.clear(); });
    DnsResolverTest::TearDown();
  }
  void UseUpstream(int max_outstanding) {
    DnsUpstreamOptions upstream;
    upstream.max_outstanding = max_outstanding;
    upstream_ = std::make_shared<DnsUpstream>(upstream);
    options_.upstream = upstream_;
  }
  // A new session (reactor thread), kept until the test ends.
  DnsSession* NewSession(absl::Time deadline = absl::InfiniteFuture()) {
    DnsSession* made = nullptr;
    OnReactor([&] {
      auto session = DnsSession::Create(reactor_.get(), options_, deadline);
      ASSERT_TRUE(session.ok()) << session.status();
      made = session->get();
      sessions_.push_back(*std::move(session));
    });
    return made;
  }
  std::shared_ptr<DnsUpstream> upstream_;
  std::vector<std::unique_ptr<DnsSession>> sessions_;  // reactor thread only
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_RESOLVER_TEST_FIXTURE_H_
