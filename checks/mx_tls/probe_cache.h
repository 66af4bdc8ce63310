// ProbeCache: one STARTTLS probe per (MX host, address, port) shared by every
// run that needs it, and its result reused for a short time.
//
// A fleet of 1,000 domains hosted by one provider names the same few MX
// hosts; probing each of them once per domain would open 1,000 connections
// to the provider and look like an attack. Instead:
//  - single flight: while a probe of a key runs, later askers join it as
//    waiters (one connection, many waiters);
//  - cache: the result is kept for `ttl` (--mx_probe_cache_ttl, default 5
//    minutes; 0 keeps nothing beyond the waiters of the flight);
//  - politeness: at most `max_per_address` probes run at once against one
//    destination address (several MX names can share it); the rest queue;
//  - bounds: at most `max_entries` finished results are kept (expired ones
//    are dropped first, then the oldest).
//
//   ProbeCache cache({.max_entries = 4096, .max_per_address = 4});
//   uint64_t id = cache.Get(key, ttl, run_reactor, factory,
//                           [](net::SmtpProbeResult r) { ... });  // run_reactor
//   cache.Cancel(id);  // the run ended: the callback will not be posted
//
// Where probes run: on the reactor of the run that first asked for the key.
// When that run is cancelled while other runs wait, the probe keeps going
// for them; it is cancelled only when its last waiter leaves (then nothing
// is cached and the next asker starts afresh).
//
// The books (flights, waiters, TTL, bound) are checks/common/flight_table.h,
// shared with tls_rpt's RuaCache; the per-address queue is this cache's own.
//
// Threading: every method is thread-safe. A waiter's callback is Post()ed to
// the reactor it gave, never run inside Get. After Cancel(id) it is not
// posted any more, but one posted just before may still run: callers hold
// their own state weakly in it. The cache must outlive the reactors' activity on
// its behalf: destroy it only after those reactors stopped (the engine
// destroys its reactors before its checks); probes still in flight then are
// abandoned, not destroyed off their thread.
#ifndef MTASTS_CHECKS_MX_TLS_PROBE_CACHE_H_
#define MTASTS_CHECKS_MX_TLS_PROBE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "checks/common/flight_table.h"
#include "net/reactor.h"
#include "net/smtp_starttls.h"

namespace mtasts::checks {

struct ProbeKey {
  std::string host;     // lower case, no trailing dot
  std::string address;  // IP literal
  uint16_t port = 25;
};

class ProbeCache {
 public:
  struct Options {
    size_t max_entries = 4096;
    int max_per_address = 4;
  };
  using Callback = absl::AnyInvocable<void(net::SmtpProbeResult)>;
  // Starts the probe on the reactor it is called on; its callback must run
  // there too (net::ProbeSmtpStartTls does both).
  using Factory = absl::AnyInvocable<std::unique_ptr<net::SmtpProbe>(
      net::Reactor* reactor, net::SmtpProbeCallback done)>;

  explicit ProbeCache(Options options) : options_(options), table_(options.max_entries) {}
  ~ProbeCache();
  ProbeCache(const ProbeCache&) = delete;
  ProbeCache& operator=(const ProbeCache&) = delete;

  // Asks for the probe of `key`: a fresh cached result, a flight to join, or
  // a new probe made with `factory` on `reactor`. `done` is posted to
  // `reactor`. Returns an id for Cancel (never 0).
  uint64_t Get(const ProbeKey& key, absl::Duration ttl, net::Reactor* reactor, Factory factory,
               Callback done);
  // The waiter leaves; a probe left without waiters is cancelled. No-op for
  // an unknown or already answered id.
  void Cancel(uint64_t waiter_id);

  // Observability for tests and logs.
  struct Stats {
    int64_t probes_started = 0;
    int64_t cache_hits = 0;     // answered from a finished result
    int64_t joined = 0;         // joined a flight
    int64_t queued = 0;         // waited for the per-address cap
    int64_t abandoned = 0;      // cancelled: no waiter left
    size_t entries = 0;
  };
  Stats stats() const;

 private:
  // Our state of one probe's flight.
  struct Work {
    ProbeKey key;
    enum class State { kQueued, kStarting, kRunning, kDone, kGone } state = State::kQueued;
    net::Reactor* reactor = nullptr;  // where the probe runs
    Factory factory;
    absl::Duration ttl;
    std::unique_ptr<net::SmtpProbe> probe;  // created and destroyed on `reactor`
  };
  using State = Work::State;
  using Table = FlightTable<net::SmtpProbeResult, Work>;

  void StartLocked(const Table::FlightPtr& flight) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunOnReactor(Table::FlightPtr flight);
  void OnProbeDone(Table::FlightPtr flight, net::SmtpProbeResult result);
  // A probe of `address` ended (or was dropped): start the next queued one.
  void ReleaseSlotLocked(const std::string& address) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  Table table_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> running_ ABSL_GUARDED_BY(mu_);  // by address
  absl::flat_hash_map<std::string, std::deque<Table::FlightPtr>> queues_
      ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_MX_TLS_PROBE_CACHE_H_
