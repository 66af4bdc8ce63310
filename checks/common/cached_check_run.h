// The lifecycle shared by the runs of the checks that wait on a server-wide
// single-flight cache (mx_tls's ProbeCache, tls_rpt's RuaCache): the run owns
// itself from HoldSelf() until Stop(), lives on the run's reactor, leaves the
// cache when it stops (its waiter ids in `waiters_`), and calls `done` once
// (docs/design.md §3.6).
//
//   class MxTlsRun : public CachedCheckRun<MxTlsRun, ProbeCache> { ... };
//   void MxTlsCheck::Run(CheckContext& ctx, DoneCallback done) {
//     MxTlsRun::Launch(ctx, cache_, std::move(done));
//   }
//
// Threading: the run's reactor thread only.
#ifndef MTASTS_CHECKS_COMMON_CACHED_CHECK_RUN_H_
#define MTASTS_CHECKS_COMMON_CACHED_CHECK_RUN_H_

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "checks/check.h"
#include "checks/common/flight_table.h"
#include "net/lifetime.h"

namespace mtasts::checks {

template <typename Run, typename Cache>
class CachedCheckRun : public std::enable_shared_from_this<Run> {
 public:
  CachedCheckRun(CheckContext& ctx, Cache& cache, Check::DoneCallback done)
      : ctx_(&ctx), lifetime_(ctx.lifetime()), reactor_(&ctx.reactor()), cache_(cache),
        done_(std::move(done)) {}
  virtual ~CachedCheckRun() = default;

  // Creates a run that owns itself and starts it (Run::Start).
  static void Launch(CheckContext& ctx, Cache& cache, Check::DoneCallback done) {
    std::make_shared<Run>(ctx, cache, std::move(done))->Start();
  }

 protected:
  // The run owns itself from here until Stop().
  void HoldSelf() { self_ = this->shared_from_this(); }

  // Stops the run when its caller cancels it: it leaves the cache at once
  // rather than when the cache's answers come back.
  void StopOnCancel() {
    ctx_->OnCancel([weak = this->weak_from_this()] {
      if (auto self = weak.lock()) self->Stop();
    });
  }

  // Whether the run still has someone to report to; a run whose caller has
  // gone (the context's lifetime expired) stops here.
  bool Live() {
    if (stopped_) return false;
    if (lifetime_.expired()) {
      Stop();
      return false;
    }
    return true;
  }

  // Stops, then reports `verdict`: the run may finish (and die) inside `done`.
  void Deliver(CheckVerdict verdict) {
    Check::DoneCallback done = std::move(done_);
    Stop();
    done(std::move(verdict));
  }

  // Leaves the cache, lets go of the run's own work (OnStop), disarms the
  // deadline and lets go of the run's state. Idempotent.
  void Stop() {
    if (stopped_) return;
    stopped_ = true;
    CancelWaiters(cache_, waiters_);
    OnStop();
    deadline_timer_.Cancel();
    ctx_ = nullptr;
    // Released last; the caller still holds a reference while it returns.
    reactor_->Post([self = std::move(self_)] {});
  }

  // Called by Stop() once the run has left the cache.
  virtual void OnStop() {}

  CheckContext* ctx_;  // null once stopped
  const std::weak_ptr<const void> lifetime_;
  net::Reactor* const reactor_;
  Cache& cache_;
  std::vector<uint64_t> waiters_;  // the run's waiter ids in cache_; 0 when none
  bool stopped_ = false;
  net::ReactorTimer deadline_timer_{reactor_};

 private:
  Check::DoneCallback done_;
  std::shared_ptr<Run> self_;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_COMMON_CACHED_CHECK_RUN_H_
