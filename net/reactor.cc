#include "net/reactor.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace mtasts::net {
namespace {

// Events read per epoll_wait; more simply wait for the next turn.
constexpr int kMaxEventsPerWait = 256;

// epoll_event.data of the wakeup eventfd. Watched fds carry
// (generation << 32 | fd) and an fd is never 0xffffffff, so this cannot clash.
constexpr uint64_t kWakeToken = ~uint64_t{0};

uint64_t FdToken(int fd, uint32_t generation) {
  return (uint64_t{generation} << 32) | static_cast<uint32_t>(fd);
}

absl::Status ErrnoToStatus(int err, absl::string_view what) {
  std::string message = absl::StrCat(what, ": ", strerror(err));
  switch (err) {
    case EBADF:
    case EINVAL:
    case EPERM:  // epoll refuses regular files and directories
      return absl::InvalidArgumentError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    default:
      return absl::InternalError(message);
  }
}

class EpollReactor final : public Reactor {
 public:
  EpollReactor(std::string name, int epoll_fd, int wake_fd)
      : name_(std::move(name)), epoll_fd_(epoll_fd), wake_fd_(wake_fd) {}

  ~EpollReactor() override {
    // Joining our own thread would deadlock; see the contract in reactor.h.
    assert(!InReactorThread());
    stopping_.store(true, std::memory_order_release);
    Wake();
    if (thread_.joinable()) thread_.join();
    joined_ = true;

    // Destroy what never ran. Destructors of captured objects may Post() or
    // CancelTimer() on us, so each container is emptied before its elements die.
    for (;;) {
      std::vector<absl::AnyInvocable<void()>> leftovers;
      {
        absl::MutexLock lock(&mu_);
        leftovers.swap(posted_);
      }
      if (leftovers.empty()) break;
    }
    while (!timers_.empty()) {
      auto timers = std::move(timers_);
      timers_.clear();
      timer_index_.clear();
    }
    watchers_.clear();
    close(wake_fd_);
    close(epoll_fd_);
  }

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }

  void Post(absl::AnyInvocable<void()> fn) override {
    bool was_empty;
    {
      absl::MutexLock lock(&mu_);
      was_empty = posted_.empty();
      posted_.push_back(std::move(fn));
    }
    // The loop looks at the queue before every epoll_wait, so only the post
    // that makes the queue non-empty from another thread has to wake it.
    if (was_empty && !InReactorThread()) Wake();
  }

  bool InReactorThread() const override {
    return thread_id_.load(std::memory_order_acquire) == std::this_thread::get_id();
  }

  TimerId RunAt(absl::Time when, absl::AnyInvocable<void()> fn) override {
    assert(OnOwnerThread());
    const TimerId id = next_timer_id_++;
    timers_.emplace(std::make_pair(when, id), std::move(fn));
    timer_index_.emplace(id, when);
    return id;
  }

  void CancelTimer(TimerId id) override {
    assert(OnOwnerThread());
    auto it = timer_index_.find(id);
    if (it == timer_index_.end()) return;
    // Absent from timers_ when it is due in the batch RunDueTimers is running;
    // dropping the index entry is what stops it there.
    timers_.erase(std::make_pair(it->second, id));
    timer_index_.erase(it);
  }

  absl::Status Watch(int fd, uint32_t events, FdHandler* handler) override {
    assert(OnOwnerThread());
    if (fd < 0 || handler == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("Watch(", fd, "): bad fd or null handler"));
    }
    epoll_event ev{};
    ev.events = events;
    auto it = watchers_.find(fd);
    if (it != watchers_.end()) {
      ev.data.u64 = FdToken(fd, it->second.generation);
      if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0) {
        it->second.handler = handler;
        return absl::OkStatus();
      }
      if (errno != ENOENT) {
        return ErrnoToStatus(errno, absl::StrCat("epoll_ctl(MOD, ", fd, ")"));
      }
      // The fd was closed without Unwatch (epoll forgot it) and the number has
      // been reused: register the new file afresh.
      watchers_.erase(it);
    }
    const uint32_t generation = next_generation_++;
    ev.data.u64 = FdToken(fd, generation);
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("epoll_ctl(ADD, ", fd, ")"));
    }
    watchers_[fd] = Watcher{handler, generation};
    return absl::OkStatus();
  }

  absl::Status Unwatch(int fd) override {
    assert(OnOwnerThread());
    auto it = watchers_.find(fd);
    if (it == watchers_.end()) {
      return absl::NotFoundError(absl::StrCat("Unwatch(", fd, "): not watched"));
    }
    watchers_.erase(it);
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr) != 0 && errno != EBADF &&
        errno != ENOENT) {
      // EBADF/ENOENT: the fd was already closed, which removed it from epoll.
      return ErrnoToStatus(errno, absl::StrCat("epoll_ctl(DEL, ", fd, ")"));
    }
    return absl::OkStatus();
  }

 private:
  struct Watcher {
    FdHandler* handler;
    // Changes on every registration, so an event read from epoll before an
    // Unwatch (or an Unwatch + Watch of a reused fd number) in the same turn is
    // recognised as stale and dropped.
    uint32_t generation;
  };

  // The reactor thread, or the destroying thread once the loop has exited
  // (destructors of never-run callbacks may still cancel timers).
  bool OnOwnerThread() const { return joined_ || InReactorThread(); }

  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  void Wake() {
    const uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the loop will wake anyway.
    ssize_t ignored = write(wake_fd_, &one, sizeof(one));
    (void)ignored;
  }

  void Loop() {
    thread_id_.store(std::this_thread::get_id(), std::memory_order_release);
    // Linux limits thread names to 15 characters.
    pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
    std::vector<epoll_event> events(kMaxEventsPerWait);
    while (!stopping()) {
      const int n = epoll_wait(epoll_fd_, events.data(), kMaxEventsPerWait,
                               NextWaitMillis());
      if (n < 0) {
        if (errno == EINTR) continue;
        // Only EBADF/EFAULT/EINVAL remain, all bugs of ours: fail loudly.
        assert(false && "epoll_wait failed");
        return;
      }
      Dispatch(events.data(), n);
      RunDueTimers();
      RunPosted();
    }
  }

  // How long epoll_wait may sleep: 0 with posted work, until the next timer,
  // or forever.
  int NextWaitMillis() {
    {
      absl::MutexLock lock(&mu_);
      if (!posted_.empty()) return 0;
    }
    if (timers_.empty()) return -1;
    const absl::Duration wait = timers_.begin()->first.first - absl::Now();
    if (wait <= absl::ZeroDuration()) return 0;
    // Round up: waking a little early would only spin until the timer is due.
    const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
    return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
  }

  void Dispatch(const epoll_event* events, int n) {
    for (int i = 0; i < n && !stopping(); ++i) {
      const uint64_t token = events[i].data.u64;
      if (token == kWakeToken) {
        uint64_t count;
        ssize_t ignored = read(wake_fd_, &count, sizeof(count));
        (void)ignored;
        continue;
      }
      const int fd = static_cast<int>(token & 0xffffffffu);
      const uint32_t generation = static_cast<uint32_t>(token >> 32);
      auto it = watchers_.find(fd);
      if (it == watchers_.end() || it->second.generation != generation) continue;
      it->second.handler->OnFdReady(fd, events[i].events);
    }
  }

  void RunDueTimers() {
    // Take the due batch out first: a callback that arms a timer in the past
    // must not keep this loop from returning to epoll_wait.
    const absl::Time now = absl::Now();
    std::vector<std::pair<TimerId, absl::AnyInvocable<void()>>> due;
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
      auto node = timers_.extract(timers_.begin());
      due.emplace_back(node.key().second, std::move(node.mapped()));
    }
    for (auto& [id, fn] : due) {
      if (stopping()) break;
      // Cancelled by an earlier callback of this batch.
      if (timer_index_.erase(id) == 0) continue;
      fn();
    }
  }

  void RunPosted() {
    std::vector<absl::AnyInvocable<void()>> batch;
    {
      absl::MutexLock lock(&mu_);
      batch.swap(posted_);
    }
    // Posts made while this batch runs land in posted_ and run next turn, so
    // Post() never runs its callback inline.
    for (auto& fn : batch) {
      if (stopping()) break;
      fn();
    }
  }

  const std::string name_;
  const int epoll_fd_;
  const int wake_fd_;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_{};
  std::atomic<bool> stopping_{false};
  bool joined_ = false;  // set by the destructor after the join

  absl::Mutex mu_;
  std::vector<absl::AnyInvocable<void()>> posted_ ABSL_GUARDED_BY(mu_);

  // Reactor thread only (and the destructor, after the join).
  // Keyed by (due time, id): ids grow, so equal times run in arming order.
  absl::btree_map<std::pair<absl::Time, TimerId>, absl::AnyInvocable<void()>> timers_;
  absl::flat_hash_map<TimerId, absl::Time> timer_index_;  // armed timers' keys
  TimerId next_timer_id_ = 1;
  absl::flat_hash_map<int, Watcher> watchers_;
  uint32_t next_generation_ = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Reactor>> Reactor::Create(std::string name) {
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return ErrnoToStatus(errno, "epoll_create1");
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    absl::Status status = ErrnoToStatus(errno, "eventfd");
    close(epoll_fd);
    return status;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeToken;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    absl::Status status = ErrnoToStatus(errno, "epoll_ctl(ADD, eventfd)");
    close(wake_fd);
    close(epoll_fd);
    return status;
  }
  auto reactor = std::make_unique<EpollReactor>(std::move(name), epoll_fd, wake_fd);
  reactor->Start();
  return std::unique_ptr<Reactor>(std::move(reactor));
}

absl::StatusOr<std::unique_ptr<ReactorPool>> ReactorPool::Create(int threads) {
  if (threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("ReactorPool needs at least one thread, got ", threads));
  }
  auto pool = std::make_unique<ReactorPool>();
  pool->reactors_.reserve(threads);
  for (int i = 0; i < threads; ++i) {
    absl::StatusOr<std::unique_ptr<Reactor>> reactor =
        Reactor::Create(absl::StrCat("reactor-", i));
    if (!reactor.ok()) return reactor.status();
    pool->reactors_.push_back(*std::move(reactor));
  }
  return pool;
}

Reactor* ReactorPool::Next() {
  const uint64_t n = next_.fetch_add(1, std::memory_order_relaxed);
  return reactors_[n % reactors_.size()].get();
}

}  // namespace mtasts::net
