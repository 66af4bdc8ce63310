#include "checks/mx_tls/probe_cache.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "net/reactor.h"

namespace mtasts::checks {
namespace {

// A probe that answers after `delay` on its reactor, counting how many are
// alive and how many ever started, and on which thread they were destroyed.
struct Probes {
  std::atomic<int> started{0};
  std::atomic<int> alive{0};
  std::atomic<int> max_alive{0};
  std::atomic<int> destroyed_off_thread{0};
  net::NetFailure failure = net::NetFailure::kNone;
  absl::Duration delay = absl::Milliseconds(50);

  // Waits until `cond` (over the counters) holds; false after 5 s, a bound
  // for a broken cache, not a guess at how long anything takes.
  template <typename Cond>
  bool Await(Cond cond) {
    absl::MutexLock lock(&mu);
    return mu.AwaitWithTimeout(absl::Condition(&cond), absl::Seconds(5));
  }
  // Called after each change of a counter: releasing `mu` makes Await look
  // at its condition again.
  void Changed() { absl::MutexLock lock(&mu); }
  absl::Mutex mu;
};

class FakeProbe : public net::SmtpProbe {
 public:
  FakeProbe(net::Reactor* reactor, Probes* probes, net::SmtpProbeCallback done)
      : reactor_(reactor), probes_(probes) {
    const int now = ++probes_->alive;
    int seen = probes_->max_alive.load();
    while (now > seen && !probes_->max_alive.compare_exchange_weak(seen, now)) {
    }
    ++probes_->started;
    probes_->Changed();
    timer_ = reactor_->RunAfter(probes_->delay, [this, done = std::move(done)]() mutable {
      timer_ = 0;
      net::SmtpProbeResult r;
      r.connected = true;
      r.error.failure = probes_->failure;
      r.greeting.code = 220;
      done(std::move(r));
    });
  }
  ~FakeProbe() override {
    if (!reactor_->InReactorThread()) ++probes_->destroyed_off_thread;
    Cancel();
    --probes_->alive;
    probes_->Changed();
  }
  void Cancel() override {
    if (timer_ != 0) reactor_->CancelTimer(timer_);
    timer_ = 0;
  }

 private:
  net::Reactor* const reactor_;
  Probes* const probes_;
  net::TimerId timer_ = 0;
};

ProbeCache::Factory FactoryFor(Probes* probes) {
  return [probes](net::Reactor* reactor, net::SmtpProbeCallback done) {
    return std::make_unique<FakeProbe>(reactor, probes, std::move(done));
  };
}

// Collects answers; checks each arrives on the reactor it asked for.
class Answers {
 public:
  ProbeCache::Callback On(net::Reactor* reactor) {
    return [this, reactor](net::SmtpProbeResult r) {
      absl::MutexLock lock(&mu_);
      ++count_;
      if (!reactor->InReactorThread()) ++wrong_thread_;
      last_ = r.greeting.code;
    };
  }
  bool WaitFor(int n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return count_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(5));
  }
  int count() {
    absl::MutexLock lock(&mu_);
    return count_;
  }
  int wrong_thread() {
    absl::MutexLock lock(&mu_);
    return wrong_thread_;
  }

 private:
  absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
  int wrong_thread_ ABSL_GUARDED_BY(mu_) = 0;
  int last_ ABSL_GUARDED_BY(mu_) = 0;
};

class ProbeCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    r0_ = *net::Reactor::Create("cache-0");
    r1_ = *net::Reactor::Create("cache-1");
  }
  // Lets both reactors run everything already posted or due.
  void Drain() {
    for (auto* r : {r0_.get(), r1_.get()}) {
      absl::Notification n;
      r->Post([&n] { n.Notify(); });
      n.WaitForNotification();
    }
  }
  void TearDown() override {
    Drain();
    r0_.reset();
    r1_.reset();
  }

  ProbeKey Key(const std::string& host, const std::string& address = "192.0.2.1") {
    return ProbeKey{host, address, 25};
  }

  std::unique_ptr<net::Reactor> r0_, r1_;
  Probes probes_;
  Answers answers_;
};

TEST_F(ProbeCacheTest, OneFlightManyWaitersEachOnItsReactor) {
  ProbeCache cache({});
  for (int i = 0; i < 10; ++i) {
    net::Reactor* r = i % 2 == 0 ? r0_.get() : r1_.get();
    cache.Get(Key("mx.example.com"), absl::Minutes(5), r, FactoryFor(&probes_), answers_.On(r));
  }
  ASSERT_TRUE(answers_.WaitFor(10));
  EXPECT_EQ(probes_.started, 1);
  EXPECT_EQ(answers_.wrong_thread(), 0);
  EXPECT_EQ(cache.stats().joined, 9);

  // Warm: answered from the cache, no new probe.
  cache.Get(Key("mx.example.com"), absl::Minutes(5), r1_.get(), FactoryFor(&probes_),
            answers_.On(r1_.get()));
  ASSERT_TRUE(answers_.WaitFor(11));
  EXPECT_EQ(probes_.started, 1);
  EXPECT_EQ(cache.stats().cache_hits, 1);
  // Another address of the same host is another probe.
  cache.Get(Key("mx.example.com", "2001:db8::1"), absl::Minutes(5), r0_.get(),
            FactoryFor(&probes_), answers_.On(r0_.get()));
  ASSERT_TRUE(answers_.WaitFor(12));
  EXPECT_EQ(probes_.started, 2);
  Drain();
  EXPECT_EQ(probes_.alive, 0);
  EXPECT_EQ(probes_.destroyed_off_thread, 0);
}

TEST_F(ProbeCacheTest, ZeroTtlSharesOnlyTheFlightAndResultsExpire) {
  ProbeCache cache({});
  cache.Get(Key("a"), absl::ZeroDuration(), r0_.get(), FactoryFor(&probes_), answers_.On(r0_.get()));
  ASSERT_TRUE(answers_.WaitFor(1));
  cache.Get(Key("a"), absl::ZeroDuration(), r0_.get(), FactoryFor(&probes_), answers_.On(r0_.get()));
  ASSERT_TRUE(answers_.WaitFor(2));
  EXPECT_EQ(probes_.started, 2);
  EXPECT_EQ(cache.stats().entries, 0u);

  cache.Get(Key("b"), absl::Milliseconds(30), r0_.get(), FactoryFor(&probes_),
            answers_.On(r0_.get()));
  ASSERT_TRUE(answers_.WaitFor(3));
  absl::SleepFor(absl::Milliseconds(60));
  cache.Get(Key("b"), absl::Milliseconds(30), r0_.get(), FactoryFor(&probes_),
            answers_.On(r0_.get()));
  ASSERT_TRUE(answers_.WaitFor(4));
  EXPECT_EQ(probes_.started, 4);
}

TEST_F(ProbeCacheTest, OurOwnFailuresAreNotCached) {
  probes_.failure = net::NetFailure::kLocalError;
  ProbeCache cache({});
  for (int i = 1; i <= 2; ++i) {
    cache.Get(Key("a"), absl::Minutes(5), r0_.get(), FactoryFor(&probes_), answers_.On(r0_.get()));
    ASSERT_TRUE(answers_.WaitFor(i));
  }
  EXPECT_EQ(probes_.started, 2);
}

TEST_F(ProbeCacheTest, ProbeGoesOnForOthersAndStopsWhenNobodyWaits) {
  probes_.delay = absl::Milliseconds(200);
  ProbeCache cache({});
  // The first asker (whose reactor runs the probe) leaves; the second stays.
  const uint64_t first = cache.Get(Key("a"), absl::Minutes(5), r0_.get(), FactoryFor(&probes_),
                                   answers_.On(r0_.get()));
  cache.Get(Key("a"), absl::Minutes(5), r1_.get(), FactoryFor(&probes_), answers_.On(r1_.get()));
  // The probe runs on r0 when its asker leaves.
  ASSERT_TRUE(probes_.Await([this] { return probes_.started == 1; }));
  cache.Cancel(first);
  ASSERT_TRUE(answers_.WaitFor(1));
  Drain();
  EXPECT_EQ(answers_.count(), 1);
  EXPECT_EQ(probes_.started, 1);

  // Everybody leaves: the probe is closed on its reactor, nothing is kept.
  // It would never answer by itself, so only the cancellation can end it.
  probes_.delay = absl::Hours(1);
  const uint64_t x = cache.Get(Key("c"), absl::Minutes(5), r0_.get(), FactoryFor(&probes_),
                               answers_.On(r0_.get()));
  const uint64_t y = cache.Get(Key("c"), absl::Minutes(5), r1_.get(), FactoryFor(&probes_),
                               answers_.On(r1_.get()));
  ASSERT_TRUE(probes_.Await([this] { return probes_.started == 2; }));
  cache.Cancel(x);
  cache.Cancel(y);
  cache.Cancel(y);  // twice: no-op
  ASSERT_TRUE(probes_.Await([this] { return probes_.alive == 0; }));
  Drain();
  EXPECT_EQ(answers_.count(), 1);
  EXPECT_EQ(probes_.alive, 0);
  EXPECT_EQ(probes_.destroyed_off_thread, 0);
  EXPECT_EQ(cache.stats().abandoned, 1);
  EXPECT_EQ(cache.stats().entries, 1u);  // only "a"
}

TEST_F(ProbeCacheTest, PerAddressCapQueuesTheRest) {
  ProbeCache cache({.max_entries = 100, .max_per_address = 2});
  for (int i = 0; i < 7; ++i) {
    cache.Get(Key("mx" + std::to_string(i)), absl::Minutes(5), i % 2 ? r0_.get() : r1_.get(),
              FactoryFor(&probes_), answers_.On(i % 2 ? r0_.get() : r1_.get()));
  }
  // A different address is not held back by the cap.
  cache.Get(Key("other", "192.0.2.99"), absl::Minutes(5), r0_.get(), FactoryFor(&probes_),
            answers_.On(r0_.get()));
  ASSERT_TRUE(answers_.WaitFor(8));
  EXPECT_EQ(probes_.started, 8);
  EXPECT_LE(probes_.max_alive, 3);
  EXPECT_EQ(cache.stats().queued, 5);

  // A queued key whose only waiter leaves never starts.
  probes_.delay = absl::Milliseconds(100);
  cache.Get(Key("q1", "192.0.2.2"), absl::Minutes(5), r0_.get(), FactoryFor(&probes_),
            answers_.On(r0_.get()));
  cache.Get(Key("q2", "192.0.2.2"), absl::Minutes(5), r0_.get(), FactoryFor(&probes_),
            answers_.On(r0_.get()));
  const uint64_t q3 = cache.Get(Key("q3", "192.0.2.2"), absl::Minutes(5), r0_.get(),
                                FactoryFor(&probes_), answers_.On(r0_.get()));
  cache.Cancel(q3);
  ASSERT_TRUE(answers_.WaitFor(10));
  // A slot is handed on (the next probe posted to r0) before the answers are
  // posted there, so a wrongly started q3 has been created by now.
  Drain();
  EXPECT_EQ(probes_.started, 10);
  EXPECT_EQ(answers_.count(), 10);
}

TEST_F(ProbeCacheTest, SizeIsBounded) {
  ProbeCache cache({.max_entries = 3, .max_per_address = 4});
  for (int i = 0; i < 6; ++i) {
    cache.Get(Key("mx" + std::to_string(i)), absl::Minutes(5), r0_.get(), FactoryFor(&probes_),
              answers_.On(r0_.get()));
    ASSERT_TRUE(answers_.WaitFor(i + 1));
    // Every result is kept until the bound, then the bound holds.
    EXPECT_EQ(cache.stats().entries, static_cast<size_t>(i < 3 ? i + 1 : 3));
  }
  EXPECT_EQ(probes_.started, 6);
  // The newest results are the ones kept: answered without a probe...
  for (int i = 3; i < 6; ++i) {
    cache.Get(Key("mx" + std::to_string(i)), absl::Minutes(5), r0_.get(), FactoryFor(&probes_),
              answers_.On(r0_.get()));
  }
  ASSERT_TRUE(answers_.WaitFor(9));
  EXPECT_EQ(probes_.started, 6);
  EXPECT_EQ(cache.stats().cache_hits, 3);
  // ...while the oldest was evicted and is probed again.
  cache.Get(Key("mx0"), absl::Minutes(5), r0_.get(), FactoryFor(&probes_), answers_.On(r0_.get()));
  ASSERT_TRUE(answers_.WaitFor(10));
  EXPECT_EQ(probes_.started, 7);
  EXPECT_EQ(cache.stats().entries, 3u);
}

}  // namespace
}  // namespace mtasts::checks
