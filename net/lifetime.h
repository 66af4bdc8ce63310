// The lifetime kit of the reactor's objects: callbacks that outlive their
// owner must not run, and timers must not outlive theirs.
//
//   class Session {
//     Reactor* reactor_;
//     LifetimeToken lifetime_;     // expires when the Session dies
//     ReactorTimer timer_{reactor_};
//     void Later() {
//       reactor_->Post(lifetime_.Guard([this] { ... }));  // dropped once dead
//       timer_.RunAfter(absl::Seconds(1), [this] { ... }); // cancelled by ~Session
//     }
//   };
//
// Threading: a token is created, guarded, expired and destroyed on one
// thread (its owner's reactor thread); a guarded callback runs there too. A
// ReactorTimer is used on its reactor's thread only (like Reactor::RunAt).
#ifndef MTASTS_NET_LIFETIME_H_
#define MTASTS_NET_LIFETIME_H_

#include <memory>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "net/reactor.h"

namespace mtasts::net {

// Tells callbacks whether their owner still lives. Held by value in the
// owner; expires when Expire() is called or the token is destroyed.
class LifetimeToken {
 public:
  // A weak view of the token: alive() until the token expires.
  class Ref {
   public:
    Ref() = default;
    bool alive() const { return !alive_.expired(); }

   private:
    friend class LifetimeToken;
    explicit Ref(std::weak_ptr<const char> alive) : alive_(std::move(alive)) {}
    std::weak_ptr<const char> alive_;
  };

  LifetimeToken() : alive_(std::make_shared<const char>(0)) {}
  LifetimeToken(const LifetimeToken&) = delete;
  LifetimeToken& operator=(const LifetimeToken&) = delete;

  // Expires every Ref and guarded callback now (an owner's destructor calls
  // this first, before its members go). Idempotent.
  void Expire() { alive_.reset(); }
  bool expired() const { return alive_ == nullptr; }
  Ref ref() const { return Ref(alive_); }

  // `fn` wrapped so that it does nothing once the token has expired. `fn`
  // returns void; its arguments are forwarded.
  template <typename Fn>
  auto Guard(Fn fn) const {
    return [alive = ref(), fn = std::move(fn)](auto&&... args) mutable {
      if (!alive.alive()) return;
      fn(std::forward<decltype(args)>(args)...);
    };
  }

 private:
  std::shared_ptr<const char> alive_;
};

// One reactor timer that is disarmed when the handle is destroyed, re-armed
// or cancelled: an owner keeps one per deadline and cancels none by hand.
// Movable (the timer goes with the handle); not copyable.
class ReactorTimer {
 public:
  explicit ReactorTimer(Reactor* reactor = nullptr) : reactor_(reactor) {}
  ~ReactorTimer() { Cancel(); }
  ReactorTimer(ReactorTimer&& other) noexcept
      : reactor_(other.reactor_), id_(std::exchange(other.id_, 0)) {}
  ReactorTimer& operator=(ReactorTimer&& other) noexcept {
    if (this != &other) {
      Cancel();
      reactor_ = other.reactor_;
      id_ = std::exchange(other.id_, 0);
    }
    return *this;
  }
  ReactorTimer(const ReactorTimer&) = delete;
  ReactorTimer& operator=(const ReactorTimer&) = delete;

  // Arms the timer (disarming the one armed before). `fn` runs on the
  // reactor thread at or after `when`, unless the handle is cancelled,
  // re-armed or destroyed first. `fn` may destroy the handle.
  void RunAt(absl::Time when, absl::AnyInvocable<void()> fn) {
    Cancel();
    id_ = reactor_->RunAt(when, std::move(fn));
  }
  void RunAfter(absl::Duration delay, absl::AnyInvocable<void()> fn) {
    RunAt(absl::Now() + delay, std::move(fn));
  }
  // Disarms it; a no-op when it is not armed, already ran or was cancelled.
  void Cancel() {
    // Reactor timer ids are never reused, so cancelling one that already ran
    // is harmless.
    if (id_ != 0) reactor_->CancelTimer(std::exchange(id_, 0));
  }
  // Lets go of the timer without touching the reactor, for owners that
  // outlive their reactor (which destroys its armed timers unrun).
  void Forget() { id_ = 0; }

 private:
  Reactor* reactor_;
  TimerId id_ = 0;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_LIFETIME_H_
