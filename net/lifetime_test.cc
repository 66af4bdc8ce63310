#include "net/lifetime.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "net/reactor.h"
#include "net/run_sync.h"

namespace mtasts::net {
namespace {

TEST(LifetimeTokenTest, RefsExpireWithTheToken) {
  LifetimeToken::Ref ref;
  EXPECT_FALSE(ref.alive());  // a default Ref watches nothing
  {
    LifetimeToken token;
    ref = token.ref();
    EXPECT_TRUE(ref.alive());
    EXPECT_FALSE(token.expired());
  }
  EXPECT_FALSE(ref.alive());
}

TEST(LifetimeTokenTest, ExpireIsImmediateAndIdempotent) {
  LifetimeToken token;
  LifetimeToken::Ref ref = token.ref();
  token.Expire();
  EXPECT_TRUE(token.expired());
  EXPECT_FALSE(ref.alive());
  token.Expire();
  EXPECT_FALSE(token.ref().alive());
}

TEST(LifetimeTokenTest, GuardRunsOnlyWhileAliveAndForwardsArguments) {
  std::vector<std::string> seen;
  auto token = std::make_unique<LifetimeToken>();
  absl::AnyInvocable<void(std::string, int)> guarded =
      token->Guard([&](std::string s, int n) { seen.push_back(s + std::to_string(n)); });
  guarded("a", 1);
  guarded("b", 2);
  token.reset();
  guarded("c", 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"a1", "b2"}));
}

TEST(LifetimeTokenTest, GuardTakesMoveOnlyCallables) {
  LifetimeToken token;
  auto owned = std::make_unique<int>(7);
  int got = 0;
  auto guarded = token.Guard([&got, owned = std::move(owned)] { got = *owned; });
  guarded();
  EXPECT_EQ(got, 7);
}

class ReactorTimerTest : public ::testing::Test {
 protected:
  void SetUp() override { reactor_ = *Reactor::Create("timer-test"); }
  void TearDown() override { reactor_.reset(); }

  std::unique_ptr<Reactor> reactor_;
};

constexpr absl::Duration kShort = absl::Milliseconds(20);

TEST_F(ReactorTimerTest, Fires) {
  int fired = 0;
  std::unique_ptr<ReactorTimer> timer;
  RunSync(reactor_.get(), [&] {
    timer = std::make_unique<ReactorTimer>(reactor_.get());
    timer->RunAfter(kShort, [&] { ++fired; });
  });
  WaitForTimersDue(reactor_.get(), kShort);
  RunSync(reactor_.get(), [&] {
    EXPECT_EQ(fired, 1);
    timer.reset();
  });
}

TEST_F(ReactorTimerTest, DestructionCancels) {
  int fired = 0;
  RunSync(reactor_.get(), [&] {
    ReactorTimer timer(reactor_.get());
    timer.RunAfter(kShort, [&] { ++fired; });
  });
  WaitForTimersDue(reactor_.get(), kShort);
  RunSync(reactor_.get(), [&] { EXPECT_EQ(fired, 0); });
}

TEST_F(ReactorTimerTest, RearmingReplacesAndCancelStops) {
  std::vector<int> fired;
  ReactorTimer rearmed(reactor_.get());
  ReactorTimer cancelled(reactor_.get());
  RunSync(reactor_.get(), [&] {
    rearmed.RunAfter(kShort, [&] { fired.push_back(1); });
    rearmed.RunAfter(kShort, [&] { fired.push_back(2); });
    cancelled.RunAfter(kShort, [&] { fired.push_back(3); });
    cancelled.Cancel();
    cancelled.Cancel();  // twice: a no-op
  });
  WaitForTimersDue(reactor_.get(), kShort);
  RunSync(reactor_.get(), [&] {
    EXPECT_EQ(fired, std::vector<int>{2});
    rearmed.Cancel();  // after it ran: a no-op
  });
}

TEST_F(ReactorTimerTest, MoveTakesTheTimerAlong) {
  int fired = 0;
  ReactorTimer moved_to;
  ReactorTimer overwritten(reactor_.get());
  RunSync(reactor_.get(), [&] {
    ReactorTimer source(reactor_.get());
    source.RunAfter(kShort, [&] { fired += 1; });
    moved_to = std::move(source);  // `source` dies here without cancelling it
    overwritten.RunAfter(kShort, [&] { fired += 10; });
    overwritten = ReactorTimer(reactor_.get());  // cancels what it held
  });
  WaitForTimersDue(reactor_.get(), kShort);
  RunSync(reactor_.get(), [&] {
    EXPECT_EQ(fired, 1);
    moved_to.Cancel();  // reactor thread only
    overwritten.Cancel();
  });
}

TEST_F(ReactorTimerTest, CallbackMayDestroyItsTimer) {
  int fired = 0;
  auto timer = std::make_unique<ReactorTimer>(reactor_.get());
  RunSync(reactor_.get(), [&] {
    timer->RunAfter(kShort, [&] {
      ++fired;
      timer.reset();
    });
  });
  WaitForTimersDue(reactor_.get(), kShort);
  RunSync(reactor_.get(), [&] {
    EXPECT_EQ(fired, 1);
    EXPECT_EQ(timer, nullptr);
  });
}

TEST_F(ReactorTimerTest, ForgetLeavesTheReactorAlone) {
  int fired = 0;
  RunSync(reactor_.get(), [&] {
    ReactorTimer timer(reactor_.get());
    timer.RunAfter(kShort, [&] { ++fired; });
    timer.Forget();  // its destructor no longer cancels
  });
  WaitForTimersDue(reactor_.get(), kShort);
  RunSync(reactor_.get(), [&] { EXPECT_EQ(fired, 1); });
}

}  // namespace
}  // namespace mtasts::net
