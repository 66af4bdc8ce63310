// Reactor: one epoll loop on one thread, with timers and cross-thread posting.
//
// Everything network-facing in the service (c-ares sockets, libunbound's
// result pipe, the TLS streams of HTTPS fetches and SMTP probes) is driven by
// a few reactors, never by a thread per request. Objects that belong to a
// reactor are touched only on its thread, so they need no locks; other
// threads hand work over with Post(). Owners guard posted work and timers
// with net/lifetime.h (LifetimeToken, ReactorTimer).
//
//   auto reactor = Reactor::Create("dns-0");         // starts its thread
//   reactor->Post([] { /* runs on the reactor thread */ });
//   TimerId t = reactor->RunAfter(absl::Seconds(2), [] { ... });  // reactor thread only
//
// Thread-safety: Post() and InReactorThread() from any thread; everything else
// only on the reactor's own thread. Destruction stops the thread after running
// nothing further: callbacks still queued or armed are destroyed, not run.
// Destroy a reactor from another thread (never from its own: it joins it), and
// only after the objects living on it (sessions, watched fds) are gone.
#ifndef MTASTS_NET_REACTOR_H_
#define MTASTS_NET_REACTOR_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mtasts::net {

// Identifies an armed timer; 0 is never a valid id.
using TimerId = uint64_t;

// Receives readiness events for one file descriptor; called on the reactor thread.
class FdHandler {
 public:
  virtual ~FdHandler() = default;
  // `events` is a mask of EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP.
  virtual void OnFdReady(int fd, uint32_t events) = 0;
};

class Reactor {
 public:
  // Starts a reactor thread named `name` (for debuggers and logs).
  static absl::StatusOr<std::unique_ptr<Reactor>> Create(std::string name);
  virtual ~Reactor() = default;

  // Runs `fn` on the reactor thread, after the current reaction (never inline,
  // even when called on the reactor thread). Thread-safe.
  virtual void Post(absl::AnyInvocable<void()> fn) = 0;

  // True when called on this reactor's thread.
  virtual bool InReactorThread() const = 0;

  // Arms a one-shot timer. Reactor thread only. The callback runs on the reactor
  // thread at or after `when`, never inside this call (a `when` in the past runs
  // in the next turn of the loop). Timers due at the same time run in arming order.
  virtual TimerId RunAt(absl::Time when, absl::AnyInvocable<void()> fn) = 0;
  TimerId RunAfter(absl::Duration delay, absl::AnyInvocable<void()> fn) {
    return RunAt(absl::Now() + delay, std::move(fn));
  }
  // Disarms a timer; a no-op when it already ran or was cancelled. Reactor thread only.
  virtual void CancelTimer(TimerId id) = 0;

  // Starts, changes or stops watching `fd` (EPOLLIN/EPOLLOUT mask; level-triggered).
  // The handler is not owned and must outlive the watch. Reactor thread only.
  // Watch on a watched fd changes its mask and handler. After Unwatch no event
  // for that fd reaches the old handler, even one already read in this turn.
  // Errors: INVALID_ARGUMENT (bad fd), NOT_FOUND (Unwatch of an fd not
  // watched), INTERNAL (other epoll_ctl failures).
  virtual absl::Status Watch(int fd, uint32_t events, FdHandler* handler) = 0;
  virtual absl::Status Unwatch(int fd) = 0;
};

// A fixed set of reactors; work is spread over them round-robin.
class ReactorPool {
 public:
  // Starts `threads` reactors (threads "reactor-0", "reactor-1", ...).
  // Errors: INVALID_ARGUMENT when threads < 1; those of Reactor::Create.
  static absl::StatusOr<std::unique_ptr<ReactorPool>> Create(int threads);
  // The next reactor, round-robin. Thread-safe. Never null.
  Reactor* Next();
  int size() const { return static_cast<int>(reactors_.size()); }
  Reactor* at(int i) const { return reactors_[i].get(); }

 private:
  std::vector<std::unique_ptr<Reactor>> reactors_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_REACTOR_H_
