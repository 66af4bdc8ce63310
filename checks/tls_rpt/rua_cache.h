// RuaCache: the reachability of an rua destination, checked once and shared
// by every run that needs it, server-wide.
//
// Thousands of domains send their reports to the same few providers
// (mailto:...@reports.example.net, https://collector.example.net/v1): checking
// each of them once per domain would hammer the provider. Instead:
//  - single flight: while one run checks a destination (its key:
//    RuaDestination::CacheKey()), later askers join it as waiters;
//  - cache: a result is kept for `ttl` (kRuaCacheTtl); results that say
//    nothing about the destination (INCONCLUSIVE: our resolver, our
//    deadline) are never kept;
//  - bounds: at most `max_entries` finished results (expired ones dropped
//    first, then the one closest to expiry).
//
// The check itself is done by a waiter's run, through that run's DNS session
// and reactor (so it is paced and cancelled like the rest of the run). When
// the working run leaves before it finished (cancelled, deadline), the work
// is handed to the next waiter: its `start` is posted, and the check starts
// again there. So a destination shared with another run keeps going for it.
//
//   uint64_t id = cache.Get(key, reactor,
//       [](uint64_t id) { /* check it, then cache.Finish(id, result) */ },
//       [](RuaResult r, bool shared) { ... });   // posted to `reactor`
//   cache.Cancel(id);  // the run ended: no callback, the work moves on
//
// The books (flights, waiters, TTL, bound) are checks/common/flight_table.h,
// shared with mx_tls's ProbeCache; the handover is this cache's own.
//
// Threading: every method is thread-safe; callbacks (start and done) are
// Post()ed to the waiter's reactor, never run inside a method. One posted
// just before Cancel may still run: callers hold their state weakly.
#ifndef MTASTS_CHECKS_TLS_RPT_RUA_CACHE_H_
#define MTASTS_CHECKS_TLS_RPT_RUA_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "checks/common/flight_table.h"
#include "checks/tls_rpt/rua_reachability.h"
#include "net/reactor.h"

namespace mtasts::checks {

// How long a destination's reachability is reused.
inline constexpr absl::Duration kRuaCacheTtl = absl::Minutes(10);

class RuaCache {
 public:
  struct Options {
    size_t max_entries = 4096;
    absl::Duration ttl = kRuaCacheTtl;
    // The clock (tests move it).
    std::function<absl::Time()> now = [] { return absl::Now(); };
  };
  // The waiter `id` must do the check now and report it with Finish(id, ...)
  // (or leave with Cancel(id)).
  using Start = absl::AnyInvocable<void(uint64_t id)>;
  // `shared`: the result came from another run's check (cached or joined).
  using Callback = absl::AnyInvocable<void(RuaResult result, bool shared)>;

  explicit RuaCache(Options options)
      : options_(std::move(options)), table_(options_.max_entries) {}
  RuaCache(const RuaCache&) = delete;
  RuaCache& operator=(const RuaCache&) = delete;

  // A fresh result (done posted), a check under way to join, or a new check
  // (start posted). Both go to `reactor`. Returns the waiter's id (never 0).
  uint64_t Get(const std::string& key, net::Reactor* reactor, Start start, Callback done);
  // The working waiter's result: posted to every waiter, kept if reusable.
  // Ignored from a waiter that is not (any more) the worker.
  void Finish(uint64_t id, RuaResult result);
  // The waiter leaves; its callback will not be posted. If it was doing the
  // check, the next waiter takes over; with no waiter left the entry goes.
  void Cancel(uint64_t id);

  struct Stats {
    int64_t checks_started = 0;  // starts, handovers included
    int64_t cache_hits = 0;      // answered from a finished result
    int64_t joined = 0;          // joined a check under way
    int64_t handovers = 0;       // the worker left, another waiter took over
    int64_t abandoned = 0;       // the last waiter left
    size_t entries = 0;
  };
  Stats stats() const;

 private:
  struct Work {
    uint64_t worker = 0;  // the waiter doing the check
  };
  using Table = FlightTable<RuaResult, Work>;

  void StartLocked(Table::Flight& flight, Table::Waiter& waiter)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  Table table_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TLS_RPT_RUA_CACHE_H_
