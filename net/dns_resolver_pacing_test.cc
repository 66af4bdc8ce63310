// Pacing and the overload verdict (DnsOptions::upstream): the server-wide
// bound on queries, and telling our resolver's overload from the domain's.

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/dns_resolver.h"
#include "net/dns_resolver_test_fixture.h"
#include "net/dns_types.h"
#include "net/reactor.h"
#include "tests/fakes/fake_dns_server.h"

namespace mtasts::net {
namespace {

using ::mtasts::fakes::DnsRecord;
using ::mtasts::fakes::DnsReply;
using ::mtasts::fakes::DnsType;
using ::testing::HasSubstr;
using ::testing::Not;

TEST_F(PacedDnsTest, SessionsTogetherNeverExceedTheBound) {
  // A resolver that takes 4 queries at a time and drops the rest.
  dns_->SetCapacity(4);
  dns_->SetHandler([](const fakes::DnsQuery& q) {
    return DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(15));
  });
  UseUpstream(4);
  std::vector<DnsSession*> sessions = {NewSession(), NewSession(), NewSession()};
  Results results;
  constexpr int kPerSession = 40;
  OnReactor([&] {
    for (int i = 0; i < kPerSession; ++i) {
      for (size_t s = 0; s < sessions.size(); ++s) {
        sessions[s]->Query(absl::StrCat("h", i, ".s", s, ".test"), RrType::kA, results.Add());
      }
    }
  });
  ASSERT_TRUE(results.WaitFor(3 * kPerSession, absl::Seconds(20)));
  for (const DnsResult& r : results.Get()) EXPECT_THAT(r, HasOutcome(DnsOutcome::kAnswer));
  EXPECT_LE(dns_->max_outstanding(), 4);
  EXPECT_EQ(dns_->dropped(), 0);
  EXPECT_EQ(upstream_->pacer().max_seen(), 4);
  EXPECT_EQ(upstream_->pacer().outstanding(), 0);
}

TEST_F(PacedDnsTest, WithoutPacingTheSameLoadOverflowsTheResolver) {
  // The control for the test above: the fake's limit really bites.
  dns_->SetCapacity(4);
  dns_->SetHandler([](const fakes::DnsQuery& q) {
    return DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(15));
  });
  MakeSession();
  Results results;
  OnReactor([&] {
    for (int i = 0; i < 40; ++i) session_->Query(absl::StrCat("h", i, ".test"), RrType::kA, results.Add());
  });
  ASSERT_TRUE(results.WaitFor(40));
  EXPECT_GT(dns_->dropped(), 0);
}

TEST_F(PacedDnsTest, SilentResolverIsOverloadedNotATimeout) {
  dns_->SetDefaultReply(DnsReply::Drop());  // nothing answers, not even ". NS"
  options_.overload_retries = 1;
  UseUpstream(8);
  NewSession();
  Results results;
  OnReactor([&] { sessions_[0]->Query("void.test", RrType::kTxt, results.Add()); });
  ASSERT_TRUE(results.WaitFor(1));
  const DnsResult r = results.Get()[0];
  EXPECT_THAT(r, HasOutcome(DnsOutcome::kResolverOverloaded));
  EXPECT_THAT(r.detail, HasSubstr("root's NS records"));
  EXPECT_THAT(r.detail, HasSubstr("sent 2 times"));
  // Sent again once after the backoff; probed for ". NS".
  EXPECT_EQ(dns_->queries_for("void.test"), 2);
  EXPECT_GE(dns_->queries_for(""), 1);
  EXPECT_EQ(upstream_->pacer().outstanding(), 0);
}

TEST_F(PacedDnsTest, DomainTimeoutWhileResolverAnswersStaysATimeout) {
  dns_->SetReply("void.test", DnsType::kTxt, DnsReply::Drop());
  dns_->SetReply("void2.test", DnsType::kTxt, DnsReply::Drop());
  UseUpstream(8);
  NewSession();
  Results results;
  OnReactor([&] { sessions_[0]->Query("void.test", RrType::kTxt, results.Add()); });
  ASSERT_TRUE(results.WaitFor(1));
  OnReactor([&] { sessions_[0]->Query("void2.test", RrType::kTxt, results.Add()); });
  ASSERT_TRUE(results.WaitFor(2));
  for (const DnsResult& r : results.Get()) {
    EXPECT_THAT(r, HasOutcome(DnsOutcome::kTimeout));
    EXPECT_THAT(r.detail, Not(HasSubstr("root")));
  }
  EXPECT_EQ(dns_->queries_for("void.test"), 1);  // no resend: the domain's fault
  // One probe served both: its verdict is reused for a while.
  EXPECT_EQ(upstream_->probes(), 1);
  EXPECT_EQ(dns_->queries_for(""), 1);
}

TEST_F(PacedDnsTest, OverloadResendsStayInsideTheDeadline) {
  dns_->SetDefaultReply(DnsReply::Drop());
  options_.overload_retries = 3;
  options_.overload_backoff = absl::Milliseconds(100);
  UseUpstream(8);
  // A round is 200 ms: after the first, 100 ms backoff + 200 ms do not fit.
  NewSession(absl::Now() + absl::Milliseconds(400));
  Results results;
  OnReactor([&] { sessions_[0]->Query("void.test", RrType::kTxt, results.Add()); });
  ASSERT_TRUE(results.WaitFor(1));
  EXPECT_THAT(results.Get()[0], HasOutcome(DnsOutcome::kResolverOverloaded));
  EXPECT_EQ(dns_->queries_for("void.test"), 1);
}

TEST_F(PacedDnsTest, CancelTakesWaitingQueriesOutOfTheLine) {
  dns_->SetReply("slow.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(300)));
  dns_->SetHandler([](const fakes::DnsQuery&) {
    return DnsReply::Records({DnsRecord::A("192.0.2.2")});
  });
  options_.attempt_timeout = absl::Seconds(2);  // the slow answer is in time
  UseUpstream(1);
  DnsSession* holder = NewSession();
  DnsSession* cancelled = NewSession();
  Results held, dropped;
  OnReactor([&] {
    holder->Query("slow.test", RrType::kA, held.Add());
    for (int i = 0; i < 3; ++i) cancelled->Query(absl::StrCat("q", i, ".test"), RrType::kA, dropped.Add());
  });
  EXPECT_EQ(upstream_->pacer().waiting(), 3);
  OnReactor([&] { cancelled->Cancel(); });
  EXPECT_EQ(upstream_->pacer().waiting(), 0);
  ASSERT_TRUE(held.WaitFor(1));
  OnReactor([] {});
  EXPECT_EQ(dropped.size(), 0u);
  EXPECT_EQ(dns_->total_queries(), 1);  // the cancelled ones never went out
  EXPECT_EQ(upstream_->pacer().outstanding(), 0);
}

TEST_F(PacedDnsTest, WaitingPastTheDeadlineIsOurOverload) {
  dns_->SetReply("slow.test", DnsType::kA,
                 DnsReply::Records({DnsRecord::A("192.0.2.1")}).Delayed(absl::Milliseconds(150)));
  UseUpstream(1);
  DnsSession* holder = NewSession();
  DnsSession* late = NewSession(absl::Now() + absl::Milliseconds(30));
  Results held, waited;
  OnReactor([&] {
    holder->Query("slow.test", RrType::kA, held.Add());
    late->Query("queued.test", RrType::kA, waited.Add());
  });
  ASSERT_TRUE(waited.WaitFor(1));
  EXPECT_THAT(waited.Get()[0], HasOutcome(DnsOutcome::kResolverOverloaded));
  EXPECT_THAT(waited.Get()[0].detail, HasSubstr("queue"));
  EXPECT_EQ(dns_->queries_for("queued.test"), 0);
  ASSERT_TRUE(held.WaitFor(1));
}


// A burst's lookups time out a moment apart. The first to time out reads a
// window that holds only itself (the probe says the resolver answers), so it
// waits one attempt timeout and reads the window again; by then the others'
// timeouts are in it and the burst is our overload, not the first domain's.
// DomainTimeoutWhileResolverAnswersStaysATimeout is the lone-timeout side.
TEST_F(PacedDnsTest, FirstTimeoutOfABurstLooksAgainBeforeBlamingItsDomain) {
  dns_->SetReply("first.test", DnsType::kTxt, DnsReply::Drop());
  dns_->SetReply("second.test", DnsType::kTxt, DnsReply::Drop());
  DnsUpstreamOptions upstream;
  upstream.max_outstanding = 8;
  upstream.mass_min_sessions = 2;
  upstream.mass_timeout_share = 0.5;
  upstream_ = std::make_shared<DnsUpstream>(upstream);
  options_.upstream = upstream_;
  options_.overload_retries = 0;  // the verdict itself, no resend
  DnsSession* first = NewSession();
  DnsSession* second = NewSession();
  Results results;
  // Attempts time out after 200 ms: the first at 200 ms, its probe answered
  // at once; the second at 300 ms; the first's second look at about 400 ms.
  OnReactor([&] {
    first->Query("first.test", RrType::kTxt, results.Add());
    reactor_->RunAfter(absl::Milliseconds(100), [&] {
      second->Query("second.test", RrType::kTxt, results.Add());
    });
  });
  ASSERT_TRUE(results.WaitFor(2));
  for (const DnsResult& r : results.Get()) {
    EXPECT_THAT(r, HasOutcome(DnsOutcome::kResolverOverloaded));
    EXPECT_THAT(r.detail, HasSubstr("lookups of 2 domains checked at the same time"));
  }
  EXPECT_EQ(dns_->queries_for("first.test"), 1);
  EXPECT_EQ(upstream_->pacer().outstanding(), 0);
}

}  // namespace
}  // namespace mtasts::net
