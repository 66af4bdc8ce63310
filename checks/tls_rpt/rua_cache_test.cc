// RuaCache: one check per destination shared by concurrent runs, handed to
// the next waiter when the working run leaves, results reused for the TTL
// (never our own inconclusive ones), and at most max_entries kept.
#include "checks/tls_rpt/rua_cache.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "net/reactor.h"

namespace mtasts::checks {
namespace {

// What the callbacks saw, filled on the reactor thread.
struct Seen {
  absl::Mutex mu;
  std::vector<uint64_t> starts;  // ids told to do the check
  struct Answer {
    uint64_t waiter;
    RuaResult result;
    bool shared;
  };
  std::vector<Answer> answers;
};

class RuaCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reactor = net::Reactor::Create("rua-cache-test");
    ASSERT_TRUE(reactor.ok()) << reactor.status();
    reactor_ = *std::move(reactor);
  }

  RuaCache::Options Options(size_t max_entries = 16) {
    RuaCache::Options o;
    o.max_entries = max_entries;
    o.now = [this] {
      absl::MutexLock lock(&clock_mu_);
      return now_;
    };
    return o;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&clock_mu_);
    now_ += d;
  }

  // Asks for `key` as one waiter; `tag` names it in seen_.answers.
  uint64_t Ask(RuaCache& cache, const std::string& key, uint64_t tag) {
    return cache.Get(
        key, reactor_.get(),
        [this](uint64_t id) {
          absl::MutexLock lock(&seen_.mu);
          seen_.starts.push_back(id);
        },
        [this, tag](RuaResult r, bool shared) {
          absl::MutexLock lock(&seen_.mu);
          seen_.answers.push_back({tag, std::move(r), shared});
        });
  }

  // Everything posted so far has run (the reactor runs posts in order).
  void Drain() {
    absl::Notification done;
    reactor_->Post([&done] { done.Notify(); });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(5)));
  }

  std::vector<uint64_t> Starts() {
    Drain();
    absl::MutexLock lock(&seen_.mu);
    return seen_.starts;
  }
  std::vector<Seen::Answer> Answers() {
    Drain();
    absl::MutexLock lock(&seen_.mu);
    return seen_.answers;
  }

  static RuaResult Reachable() { return {v1::RUA_OUTCOME_REACHABLE, "ok"}; }

  std::unique_ptr<net::Reactor> reactor_;
  absl::Mutex clock_mu_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  Seen seen_;
};

TEST_F(RuaCacheTest, ConcurrentAskersShareOneCheck) {
  RuaCache cache(Options());
  const uint64_t a = Ask(cache, "mailto:x.test", 1);
  const uint64_t b = Ask(cache, "mailto:x.test", 2);
  ASSERT_EQ(Starts(), std::vector<uint64_t>{a});  // b joined, not started
  cache.Finish(a, Reachable());
  auto answers = Answers();
  ASSERT_EQ(answers.size(), 2u);
  for (const auto& ans : answers) {
    EXPECT_EQ(ans.result.outcome, v1::RUA_OUTCOME_REACHABLE);
    EXPECT_EQ(ans.shared, ans.waiter == 2);  // only the joiner got another's check
  }
  const RuaCache::Stats s = cache.stats();
  EXPECT_EQ(s.checks_started, 1);
  EXPECT_EQ(s.joined, 1);
  (void)b;
}

TEST_F(RuaCacheTest, ResultIsReusedUntilTheTtlThenCheckedAgain) {
  RuaCache cache(Options());
  const uint64_t a = Ask(cache, "https://c.test:443/", 1);
  ASSERT_EQ(Starts().size(), 1u);
  cache.Finish(a, Reachable());
  Advance(kRuaCacheTtl - absl::Seconds(1));
  Ask(cache, "https://c.test:443/", 2);
  auto answers = Answers();
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_TRUE(answers[1].shared);
  EXPECT_EQ(cache.stats().cache_hits, 1);
  EXPECT_EQ(Starts().size(), 1u);
  Advance(absl::Seconds(2));  // expired
  Ask(cache, "https://c.test:443/", 3);
  EXPECT_EQ(Starts().size(), 2u);
  EXPECT_EQ(cache.stats().cache_hits, 1);
}

TEST_F(RuaCacheTest, InconclusiveResultsAreNeverReused) {
  RuaCache cache(Options());
  const uint64_t a = Ask(cache, "mailto:x.test", 1);
  ASSERT_EQ(Starts().size(), 1u);
  cache.Finish(a, {v1::RUA_OUTCOME_INCONCLUSIVE, "resolver overloaded"});
  EXPECT_EQ(Answers().size(), 1u);
  EXPECT_EQ(cache.stats().entries, 0u);
  Ask(cache, "mailto:x.test", 2);
  EXPECT_EQ(Starts().size(), 2u);  // checked afresh
}

TEST_F(RuaCacheTest, WhenTheWorkerLeavesTheNextWaiterTakesOver) {
  RuaCache cache(Options());
  const uint64_t a = Ask(cache, "mailto:x.test", 1);
  const uint64_t b = Ask(cache, "mailto:x.test", 2);
  ASSERT_EQ(Starts(), std::vector<uint64_t>{a});
  cache.Cancel(a);  // the first run was cancelled mid-check
  ASSERT_EQ(Starts(), (std::vector<uint64_t>{a, b}));
  cache.Finish(a, Reachable());  // a late result of the gone worker: ignored
  EXPECT_TRUE(Answers().empty());
  cache.Finish(b, Reachable());
  auto answers = Answers();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].waiter, 2u);
  EXPECT_FALSE(answers[0].shared);
  EXPECT_EQ(cache.stats().handovers, 1);
}

TEST_F(RuaCacheTest, LastWaiterLeavingDropsTheEntry) {
  RuaCache cache(Options());
  const uint64_t a = Ask(cache, "mailto:x.test", 1);
  const uint64_t b = Ask(cache, "mailto:x.test", 2);
  cache.Cancel(b);  // a joiner leaves: nothing to hand over
  cache.Cancel(a);
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().abandoned, 1);
  EXPECT_EQ(cache.stats().handovers, 0);
  cache.Finish(a, Reachable());
  EXPECT_TRUE(Answers().empty());
}

TEST_F(RuaCacheTest, FinishedResultsAreBoundedOldestFirst) {
  RuaCache cache(Options(/*max_entries=*/2));
  for (int i = 0; i < 3; ++i) {
    const std::string key = "mailto:d" + std::to_string(i) + ".test";
    const uint64_t id = Ask(cache, key, i);
    Drain();
    cache.Finish(id, Reachable());
    Advance(absl::Seconds(1));
  }
  EXPECT_EQ(cache.stats().entries, 2u);
  EXPECT_EQ(Starts().size(), 3u);
  Ask(cache, "mailto:d2.test", 10);  // newest kept
  Ask(cache, "mailto:d0.test", 11);  // oldest dropped: checked again
  EXPECT_EQ(Starts().size(), 4u);
  EXPECT_EQ(cache.stats().cache_hits, 1);
}

}  // namespace
}  // namespace mtasts::checks
