#include "net/reactor.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/run_sync.h"

namespace mtasts::net {
namespace {

using ::testing::ElementsAre;

constexpr absl::Duration kWait = absl::Seconds(5);

std::unique_ptr<Reactor> MakeReactor() {
  absl::StatusOr<std::unique_ptr<Reactor>> reactor = Reactor::Create("test");
  EXPECT_TRUE(reactor.ok()) << reactor.status();
  return *std::move(reactor);
}


// Records the order in which callbacks ran; usable from any thread.
class Log {
 public:
  void Add(int v) {
    absl::MutexLock lock(&mu_);
    values_.push_back(v);
  }
  std::vector<int> values() {
    absl::MutexLock lock(&mu_);
    return values_;
  }
  bool WaitForSize(size_t n) {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return values_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), kWait);
  }

 private:
  absl::Mutex mu_;
  std::vector<int> values_;
};

TEST(ReactorTest, PostRunsOnReactorThreadInOrder) {
  auto reactor = MakeReactor();
  EXPECT_FALSE(reactor->InReactorThread());
  Log log;
  std::atomic<bool> all_on_thread{true};
  for (int i = 0; i < 100; ++i) {
    reactor->Post([&, i] {
      if (!reactor->InReactorThread()) all_on_thread = false;
      log.Add(i);
    });
  }
  ASSERT_TRUE(log.WaitForSize(100));
  std::vector<int> expected(100);
  for (int i = 0; i < 100; ++i) expected[i] = i;
  EXPECT_EQ(log.values(), expected);
  EXPECT_TRUE(all_on_thread);
}

TEST(ReactorTest, PostFromReactorThreadIsNeverInline) {
  auto reactor = MakeReactor();
  Log log;
  RunSync(reactor.get(), [&] {
    reactor->Post([&] { log.Add(2); });
    log.Add(1);  // must come first: the post runs after this reaction
  });
  ASSERT_TRUE(log.WaitForSize(2));
  EXPECT_THAT(log.values(), ElementsAre(1, 2));
}

TEST(ReactorTest, PostFromManyThreads) {
  auto reactor = MakeReactor();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  std::atomic<int> ran{0};
  // Per thread, its own posts must keep their order.
  std::vector<int> last_seen(kThreads, -1);
  std::atomic<bool> in_order{true};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        reactor->Post([&, t, i] {
          if (last_seen[t] != i - 1) in_order = false;
          last_seen[t] = i;
          ++ran;
        });
      }
    });
  }
  for (auto& thread : threads) thread.join();
  absl::Notification done;
  reactor->Post([&] { done.Notify(); });
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
  EXPECT_EQ(ran.load(), kThreads * kPerThread);
  EXPECT_TRUE(in_order);
}

TEST(ReactorTest, TimersRunInDueOrder) {
  auto reactor = MakeReactor();
  Log log;
  const absl::Time start = absl::Now();
  std::atomic<bool> early{false};
  RunSync(reactor.get(), [&] {
    reactor->RunAfter(absl::Milliseconds(60), [&] { log.Add(3); });
    reactor->RunAfter(absl::Milliseconds(20), [&] {
      if (absl::Now() - start < absl::Milliseconds(20)) early = true;
      log.Add(1);
    });
    reactor->RunAfter(absl::Milliseconds(40), [&] { log.Add(2); });
  });
  ASSERT_TRUE(log.WaitForSize(3));
  EXPECT_THAT(log.values(), ElementsAre(1, 2, 3));
  EXPECT_FALSE(early);
}

TEST(ReactorTest, TimersDueTogetherRunInArmingOrder) {
  auto reactor = MakeReactor();
  Log log;
  RunSync(reactor.get(), [&] {
    const absl::Time when = absl::Now() + absl::Milliseconds(10);
    for (int i = 0; i < 5; ++i) reactor->RunAt(when, [&, i] { log.Add(i); });
  });
  ASSERT_TRUE(log.WaitForSize(5));
  EXPECT_THAT(log.values(), ElementsAre(0, 1, 2, 3, 4));
}

TEST(ReactorTest, CancelledTimerNeverRuns) {
  auto reactor = MakeReactor();
  Log log;
  RunSync(reactor.get(), [&] {
    TimerId cancelled = reactor->RunAfter(absl::Milliseconds(10), [&] { log.Add(1); });
    EXPECT_NE(cancelled, 0u);
    reactor->RunAfter(absl::Milliseconds(30), [&] { log.Add(2); });
    reactor->CancelTimer(cancelled);
    reactor->CancelTimer(cancelled);  // twice: a no-op
    reactor->CancelTimer(12345);      // unknown: a no-op
  });
  // Timers run in due order: once the 30 ms one ran, the 10 ms one would have.
  ASSERT_TRUE(log.WaitForSize(1));
  EXPECT_THAT(log.values(), ElementsAre(2));
}

TEST(ReactorTest, TimerCancelledByAnotherDueInSameTurn) {
  auto reactor = MakeReactor();
  Log log;
  TimerId second = 0;
  RunSync(reactor.get(), [&] {
    const absl::Time when = absl::Now() + absl::Milliseconds(10);
    reactor->RunAt(when, [&] {
      log.Add(1);
      reactor->CancelTimer(second);
    });
    second = reactor->RunAt(when, [&] { log.Add(2); });
    reactor->RunAt(when + absl::Milliseconds(20), [&] { log.Add(3); });
  });
  ASSERT_TRUE(log.WaitForSize(2));
  EXPECT_THAT(log.values(), ElementsAre(1, 3));
}

TEST(ReactorTest, RunAtInThePastRunsNextTurnNotInline) {
  auto reactor = MakeReactor();
  Log log;
  RunSync(reactor.get(), [&] {
    reactor->RunAt(absl::Now() - absl::Seconds(10), [&] { log.Add(2); });
    reactor->RunAt(absl::InfinitePast(), [&] { log.Add(3); });
    log.Add(1);
  });
  ASSERT_TRUE(log.WaitForSize(3));
  // Past timers still run in due order: InfinitePast() first.
  EXPECT_THAT(log.values(), ElementsAre(1, 3, 2));
}

TEST(ReactorTest, TimerArmingPastTimersDoesNotStarveTheLoop) {
  auto reactor = MakeReactor();
  std::atomic<int> rearms{0};
  std::atomic<bool> stop{false};
  // A timer that keeps re-arming itself in the past must still let posts run.
  std::function<void()> again = [&] {
    ++rearms;
    if (!stop) reactor->RunAt(absl::InfinitePast(), again);
  };
  RunSync(reactor.get(), [&] { reactor->RunAt(absl::InfinitePast(), again); });
  absl::Notification posted_ran;
  reactor->Post([&] { posted_ran.Notify(); });
  EXPECT_TRUE(posted_ran.WaitForNotificationWithTimeout(kWait));
  stop = true;
  RunSync(reactor.get(), [] {});
  EXPECT_GT(rearms.load(), 0);
}

class PipeHandler : public FdHandler {
 public:
  void OnFdReady(int fd, uint32_t events) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    last_events_ = events;
    if (drain_ && (events & EPOLLIN)) {
      char buf[64];
      while (read(fd, buf, sizeof(buf)) > 0) {
      }
    }
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  uint32_t last_events() {
    absl::MutexLock lock(&mu_);
    return last_events_;
  }
  bool WaitForCalls(int n) {
    absl::MutexLock lock(&mu_);
    auto ready = [&] { return calls_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&ready), kWait);
  }
  void set_drain(bool drain) {
    absl::MutexLock lock(&mu_);
    drain_ = drain;
  }

 private:
  absl::Mutex mu_;
  int calls_ = 0;
  uint32_t last_events_ = 0;
  bool drain_ = true;
};

class PipeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(pipe2(fds_, O_NONBLOCK | O_CLOEXEC), 0);
    reactor_ = MakeReactor();
  }
  void TearDown() override {
    reactor_.reset();
    close(fds_[0]);
    close(fds_[1]);
  }
  int read_fd() const { return fds_[0]; }
  int write_fd() const { return fds_[1]; }

  int fds_[2] = {-1, -1};
  std::unique_ptr<Reactor> reactor_;
};

TEST_F(PipeTest, WatchReportsReadable) {
  PipeHandler handler;
  RunSync(reactor_.get(), [&] {
    EXPECT_TRUE(reactor_->Watch(read_fd(), EPOLLIN, &handler).ok());
  });
  ASSERT_EQ(write(write_fd(), "x", 1), 1);
  ASSERT_TRUE(handler.WaitForCalls(1));
  EXPECT_TRUE(handler.last_events() & EPOLLIN);
  RunSync(reactor_.get(), [&] { EXPECT_TRUE(reactor_->Unwatch(read_fd()).ok()); });
}

TEST_F(PipeTest, LevelTriggeredUntilDrained) {
  PipeHandler handler;
  handler.set_drain(false);
  RunSync(reactor_.get(), [&] {
    EXPECT_TRUE(reactor_->Watch(read_fd(), EPOLLIN, &handler).ok());
  });
  ASSERT_EQ(write(write_fd(), "x", 1), 1);
  // Not drained: level-triggered epoll keeps reporting it.
  ASSERT_TRUE(handler.WaitForCalls(3));
  RunSync(reactor_.get(), [&] { EXPECT_TRUE(reactor_->Unwatch(read_fd()).ok()); });
}

TEST_F(PipeTest, UnwatchStopsEventsAndModifyChangesMask) {
  PipeHandler handler;
  RunSync(reactor_.get(), [&] {
    EXPECT_TRUE(reactor_->Watch(read_fd(), EPOLLIN, &handler).ok());
    EXPECT_TRUE(reactor_->Unwatch(read_fd()).ok());
    EXPECT_EQ(reactor_->Unwatch(read_fd()).code(), absl::StatusCode::kNotFound);
  });
  ASSERT_EQ(write(write_fd(), "x", 1), 1);
  // The pipe is readable before the post below wakes the reactor, and a turn
  // dispatches fd events before posted work: had the watch survived, the
  // handler would have run by the time the post has.
  RunSync(reactor_.get(), [] {});
  EXPECT_EQ(handler.calls(), 0);

  // Watch the write end for input first (never fires), then switch it to
  // EPOLLOUT with a second Watch (EPOLL_CTL_MOD): a pipe with room is writable.
  PipeHandler writer;
  RunSync(reactor_.get(), [&] {
    EXPECT_TRUE(reactor_->Watch(write_fd(), EPOLLIN, &writer).ok());
  });
  RunSync(reactor_.get(), [] {});  // a whole turn with the watch in place
  EXPECT_EQ(writer.calls(), 0);
  RunSync(reactor_.get(), [&] {
    EXPECT_TRUE(reactor_->Watch(write_fd(), EPOLLOUT, &writer).ok());
  });
  ASSERT_TRUE(writer.WaitForCalls(1));
  EXPECT_TRUE(writer.last_events() & EPOLLOUT);
  RunSync(reactor_.get(), [&] { EXPECT_TRUE(reactor_->Unwatch(write_fd()).ok()); });
}

TEST_F(PipeTest, WatchRejectsBadFd) {
  PipeHandler handler;
  RunSync(reactor_.get(), [&] {
    EXPECT_EQ(reactor_->Watch(-1, EPOLLIN, &handler).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(reactor_->Watch(1 << 20, EPOLLIN, &handler).code(),
              absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(reactor_->Watch(read_fd(), EPOLLIN, nullptr).code(),
              absl::StatusCode::kInvalidArgument);
  });
}

// A handler that unwatches another fd whose event was read in the same turn:
// the stale event must not be delivered.
class UnwatchOtherHandler : public FdHandler {
 public:
  UnwatchOtherHandler(Reactor* reactor, int other) : reactor_(reactor), other_(other) {}
  void OnFdReady(int fd, uint32_t) override {
    ++calls_;
    if (fd != other_) reactor_->Unwatch(other_).IgnoreError();
    if (fd == other_) saw_other_ = true;
  }
  std::atomic<int> calls_{0};
  std::atomic<bool> saw_other_{false};

 private:
  Reactor* reactor_;
  int other_;
};

TEST_F(PipeTest, EventForFdUnwatchedInSameTurnIsDropped) {
  int second[2];
  ASSERT_EQ(pipe2(second, O_NONBLOCK | O_CLOEXEC), 0);
  // Both readable before the reactor looks, so one epoll_wait returns both;
  // whichever runs first unwatches the other.
  ASSERT_EQ(write(write_fd(), "x", 1), 1);
  ASSERT_EQ(write(second[1], "x", 1), 1);
  UnwatchOtherHandler a(reactor_.get(), second[0]);
  UnwatchOtherHandler b(reactor_.get(), read_fd());
  RunSync(reactor_.get(), [&] {
    ASSERT_TRUE(reactor_->Watch(read_fd(), EPOLLIN, &a).ok());
    ASSERT_TRUE(reactor_->Watch(second[0], EPOLLIN, &b).ok());
  });
  // Wait for the turn that saw both fds ready (one handler has run).
  const absl::Time deadline = absl::Now() + kWait;
  while (a.calls_ + b.calls_ == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  ASSERT_GT(a.calls_ + b.calls_, 0);
  RunSync(reactor_.get(), [&] {
    // Exactly one fd is still watched: the one whose handler ran first.
    const bool first_left = reactor_->Unwatch(read_fd()).ok();
    const bool second_left = reactor_->Unwatch(second[0]).ok();
    EXPECT_NE(first_left, second_left);
  });
  // Level-triggered: the survivor was called (maybe repeatedly); the other never.
  EXPECT_TRUE((a.calls_ > 0) != (b.calls_ > 0));
  close(second[0]);
  close(second[1]);
}

// Counts destructions, to show queued work is destroyed rather than run.
struct DestroyCounter {
  explicit DestroyCounter(std::atomic<int>* destroyed) : destroyed(destroyed) {}
  DestroyCounter(DestroyCounter&& o) : destroyed(o.destroyed) { o.destroyed = nullptr; }
  ~DestroyCounter() {
    if (destroyed != nullptr) ++*destroyed;
  }
  std::atomic<int>* destroyed;
};

// This thread's kernel state ('R', 'S', ...) from /proc; '?' when unknown.
char ThreadState(pid_t tid) {
  std::ifstream stat(absl::StrCat("/proc/self/task/", tid, "/stat"));
  std::string line;
  if (!std::getline(stat, line)) return '?';
  // "tid (comm) S ...": the state follows the last ')'.
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() ? line[paren + 2] : '?';
}

// Threads of this process named `name` (Reactor::Create names its thread).
int ThreadsNamed(const std::string& name) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(entry.path() / "comm");
    std::string line;
    if (std::getline(comm, line) && line == name) ++n;
  }
  return n;
}

TEST(ReactorTest, DestructionDestroysPendingWorkWithoutRunningIt) {
  std::atomic<int> ran{0};
  std::atomic<int> destroyed{0};
  auto reactor = MakeReactor();
  RunSync(reactor.get(), [&] {
    reactor->RunAfter(absl::Hours(1),
                      [&, c = DestroyCounter(&destroyed)] { ++ran; });
    reactor->RunAfter(absl::Milliseconds(1),
                      [&, c = DestroyCounter(&destroyed)] { ++ran; });
  });
  // Keep the reactor busy until the destructor, on another thread, has
  // started (it then sleeps in join), so the posts below (and the 1 ms
  // timer) are still pending when the loop sees it must stop.
  std::atomic<pid_t> destroyer{0};
  absl::Notification busy;
  reactor->Post([&] {
    busy.Notify();
    const absl::Time deadline = absl::Now() + kWait;
    while (absl::Now() < deadline &&
           (destroyer.load() == 0 || ThreadState(destroyer.load()) != 'S')) {
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  ASSERT_TRUE(busy.WaitForNotificationWithTimeout(kWait));
  for (int i = 0; i < 3; ++i) {
    reactor->Post([&, c = DestroyCounter(&destroyed)] { ++ran; });
  }
  std::thread destroy([&] {
    destroyer = static_cast<pid_t>(syscall(SYS_gettid));
    reactor.reset();
  });
  destroy.join();
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(destroyed.load(), 5);
}

TEST(ReactorTest, DestroyingAnIdleReactorWakesAndJoinsItsThread) {
  constexpr char kName[] = "idle-reactor";
  for (int i = 0; i < 20; ++i) {
    std::unique_ptr<Reactor> reactor = *Reactor::Create(kName);
    RunSync(reactor.get(), [] {});  // its thread runs, then sleeps in epoll_wait
    EXPECT_EQ(ThreadsNamed(kName), 1);
    // The destructor must wake the idle loop (it waits with no timeout) and
    // join it: one that did not wake it would never return.
    absl::Notification destroyed;
    std::thread destroy([&] {
      reactor.reset();
      destroyed.Notify();
    });
    if (!destroyed.WaitForNotificationWithTimeout(kWait)) {
      ADD_FAILURE() << "~Reactor of an idle reactor did not return";
      destroy.detach();  // still blocked; the test has failed
      return;
    }
    destroy.join();
    // Joined: the thread is gone (it leaves /proc a moment after join returns).
    const absl::Time deadline = absl::Now() + kWait;
    while (ThreadsNamed(kName) != 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    EXPECT_EQ(ThreadsNamed(kName), 0);
  }
}

TEST(ReactorPoolTest, RoundRobin) {
  absl::StatusOr<std::unique_ptr<ReactorPool>> pool = ReactorPool::Create(3);
  ASSERT_TRUE(pool.ok()) << pool.status();
  EXPECT_EQ((*pool)->size(), 3);
  Reactor* first = (*pool)->Next();
  Reactor* second = (*pool)->Next();
  Reactor* third = (*pool)->Next();
  EXPECT_NE(first, second);
  EXPECT_NE(second, third);
  EXPECT_NE(first, third);
  EXPECT_EQ((*pool)->Next(), first);
  for (int i = 0; i < 3; ++i) {
    Reactor* r = (*pool)->at(i);
    absl::Notification done;
    std::atomic<bool> on_thread{false};
    r->Post([&] {
      on_thread = r->InReactorThread();
      done.Notify();
    });
    ASSERT_TRUE(done.WaitForNotificationWithTimeout(kWait));
    EXPECT_TRUE(on_thread);
  }
}

TEST(ReactorPoolTest, RejectsZeroThreads) {
  EXPECT_EQ(ReactorPool::Create(0).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReactorPool::Create(-2).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mtasts::net
