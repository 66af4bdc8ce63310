#include "net/dns_pacer.h"

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/reactor.h"
#include "net/run_sync.h"

namespace mtasts::net {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class DnsPacerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reactor = Reactor::Create("pacer-test");
    ASSERT_TRUE(reactor.ok()) << reactor.status();
    reactor_ = *std::move(reactor);
  }

  // Queues a waiter named `name`; its start records "<name>" (granted) or
  // "<name>:expired".
  DnsPacer::Acquired Wait(DnsPacer& pacer, const std::string& name,
                          absl::Time deadline = absl::InfiniteFuture(), bool urgent = false) {
    return pacer.Acquire(
        reactor_.get(), deadline,
        [this, name](bool granted) {
          absl::MutexLock lock(&mu_);
          started_.push_back(granted ? name : name + ":expired");
        },
        urgent);
  }

  // Lets every start posted so far run.
  void Drain() {
    RunSync(reactor_.get(), [] {});
  }

  std::vector<std::string> Started() {
    absl::MutexLock lock(&mu_);
    return started_;
  }

  std::unique_ptr<Reactor> reactor_;
  absl::Mutex mu_;
  std::vector<std::string> started_;
};

TEST_F(DnsPacerTest, TakesFreeSlotsAtOnceUpToTheBound) {
  auto pacer = DnsPacer::Create(2);
  EXPECT_TRUE(Wait(*pacer, "a").granted_now);
  EXPECT_TRUE(Wait(*pacer, "b").granted_now);
  const DnsPacer::Acquired c = Wait(*pacer, "c");
  EXPECT_FALSE(c.granted_now);
  EXPECT_NE(c.ticket, 0u);
  EXPECT_EQ(pacer->outstanding(), 2);
  EXPECT_EQ(pacer->waiting(), 1);
  Drain();
  EXPECT_THAT(Started(), IsEmpty()) << "a waiter started while no slot was free";
}

TEST_F(DnsPacerTest, HandsSlotsOutInArrivalOrder) {
  auto pacer = DnsPacer::Create(1);
  ASSERT_TRUE(Wait(*pacer, "first").granted_now);
  for (const char* name : {"w1", "w2", "w3"}) ASSERT_FALSE(Wait(*pacer, name).granted_now);
  pacer->Release();
  Drain();
  EXPECT_THAT(Started(), ElementsAre("w1"));
  pacer->Release();
  pacer->Release();
  Drain();
  EXPECT_THAT(Started(), ElementsAre("w1", "w2", "w3"));
  EXPECT_EQ(pacer->outstanding(), 1);
  EXPECT_EQ(pacer->max_seen(), 1);
}

TEST_F(DnsPacerTest, NewcomersQueueBehindWaitersEvenWhenASlotJustFreed) {
  auto pacer = DnsPacer::Create(1);
  ASSERT_TRUE(Wait(*pacer, "first").granted_now);
  ASSERT_FALSE(Wait(*pacer, "old").granted_now);
  pacer->Release();  // handed to "old" (its start is posted, not run yet)
  EXPECT_FALSE(Wait(*pacer, "new").granted_now) << "a newcomer jumped the line";
  Drain();
  EXPECT_THAT(Started(), ElementsAre("old"));
}

TEST_F(DnsPacerTest, UrgentWaitersGoFirst) {
  auto pacer = DnsPacer::Create(1);
  ASSERT_TRUE(Wait(*pacer, "first").granted_now);
  ASSERT_FALSE(Wait(*pacer, "normal").granted_now);
  ASSERT_FALSE(Wait(*pacer, "probe", absl::InfiniteFuture(), /*urgent=*/true).granted_now);
  pacer->Release();
  pacer->Release();
  Drain();
  EXPECT_THAT(Started(), ElementsAre("probe", "normal"));
}

TEST_F(DnsPacerTest, WithdrawnWaitersLeaveTheLineAndNeverStart) {
  auto pacer = DnsPacer::Create(1);
  ASSERT_TRUE(Wait(*pacer, "first").granted_now);
  const DnsPacer::Acquired gone = Wait(*pacer, "gone");
  ASSERT_FALSE(Wait(*pacer, "stays").granted_now);
  EXPECT_TRUE(pacer->Withdraw(gone.ticket));
  EXPECT_EQ(pacer->waiting(), 1);
  pacer->Release();
  Drain();
  EXPECT_THAT(Started(), ElementsAre("stays"));
  EXPECT_FALSE(pacer->Withdraw(gone.ticket)) << "withdrawn twice";
}

TEST_F(DnsPacerTest, WithdrawingAfterTheHandoverPassesTheSlotOn) {
  auto pacer = DnsPacer::Create(1);
  ASSERT_TRUE(Wait(*pacer, "first").granted_now);
  DnsPacer::Acquired handed;
  // On the reactor thread, so the handed-over start cannot run in between.
  RunSync(reactor_.get(), [&] {
    handed = Wait(*pacer, "handed");
    ASSERT_FALSE(Wait(*pacer, "next").granted_now);
    pacer->Release();  // the slot goes to "handed"; its start is queued
    EXPECT_TRUE(pacer->Withdraw(handed.ticket));  // the run was cancelled meanwhile
  });
  Drain();
  EXPECT_THAT(Started(), ElementsAre("next"));
  EXPECT_EQ(pacer->outstanding(), 1);
}

TEST_F(DnsPacerTest, WaitersPastTheirDeadlineArePassedOverWithoutTheSlot) {
  auto pacer = DnsPacer::Create(1);
  ASSERT_TRUE(Wait(*pacer, "first").granted_now);
  ASSERT_FALSE(Wait(*pacer, "late", absl::Now() + absl::Milliseconds(20)).granted_now);
  ASSERT_FALSE(Wait(*pacer, "patient").granted_now);
  absl::SleepFor(absl::Milliseconds(40));
  pacer->Release();
  Drain();
  EXPECT_THAT(Started(), ElementsAre("late:expired", "patient"));
  EXPECT_EQ(pacer->outstanding(), 1);  // held by "patient" alone
}

TEST_F(DnsPacerTest, NeverExceedsTheBoundUnderConcurrentUse) {
  constexpr int kBound = 8;
  auto pacer = DnsPacer::Create(kBound);
  std::vector<std::unique_ptr<Reactor>> reactors;
  for (int i = 0; i < 4; ++i) reactors.push_back(*Reactor::Create("pacer-" + std::to_string(i)));
  absl::Mutex mu;
  int holding = 0, most = 0, done = 0;
  constexpr int kPerReactor = 500;
  auto hold_then_release = [&] {
    {
      absl::MutexLock lock(&mu);
      most = std::max(most, ++holding);
    }
    absl::SleepFor(absl::Microseconds(50));
    {
      absl::MutexLock lock(&mu);
      --holding;
    }
    pacer->Release();
    absl::MutexLock lock(&mu);
    ++done;
  };
  for (auto& reactor : reactors) {
    reactor->Post([&, r = reactor.get()] {
      for (int i = 0; i < kPerReactor; ++i) {
        // Each holder gives its slot back from a later reaction.
        auto a = pacer->Acquire(r, absl::InfiniteFuture(), [&, r](bool granted) {
          ASSERT_TRUE(granted);
          r->Post(hold_then_release);
        });
        if (a.granted_now) r->Post(hold_then_release);
      }
    });
  }
  {
    absl::MutexLock lock(&mu);
    ASSERT_TRUE(mu.AwaitWithTimeout(
        absl::Condition(+[](int* d) { return *d == 4 * kPerReactor; }, &done),
        absl::Seconds(60)));
    EXPECT_LE(most, kBound);
  }
  reactors.clear();  // before what their work refers to
  EXPECT_LE(pacer->max_seen(), kBound);
  EXPECT_EQ(pacer->outstanding(), 0);
  EXPECT_EQ(pacer->waiting(), 0);
}

}  // namespace
}  // namespace mtasts::net
