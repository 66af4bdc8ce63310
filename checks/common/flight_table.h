// FlightTable: the books of a server-wide single-flight cache, shared by
// checks/mx_tls (ProbeCache: one STARTTLS probe per MX address) and
// checks/tls_rpt (RuaCache: one reachability check per rua destination).
//
// A result is computed once per key while every run that asks for it waits
// (a "flight"); a reusable result is then kept until it expires, and at most
// `max_entries` finished results are kept (expired ones dropped first, then
// the one closest to expiry). The table holds the flights by key, their
// waiters (id, reactor, callbacks) by id, and posts a result to each waiter's
// reactor.
//
// Who does a flight's work, where, and what happens when the waiter doing it
// leaves is the owner's policy: the table only keeps the books, and the
// owner keeps its own state of a flight in `Work`.
//
// Not thread-safe: the owner calls it under its own mutex. Callbacks are only
// ever Post()ed, never run inside a method.
#ifndef MTASTS_CHECKS_COMMON_FLIGHT_TABLE_H_
#define MTASTS_CHECKS_COMMON_FLIGHT_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "net/reactor.h"

namespace mtasts::checks {

template <typename Result, typename Work>
class FlightTable {
 public:
  // `shared`: the result came from another waiter's work (cached or joined).
  using Done = absl::AnyInvocable<void(Result result, bool shared)>;
  // For owners that hand the work to a waiter (RuaCache); unused otherwise.
  using Start = absl::AnyInvocable<void(uint64_t id)>;

  struct Waiter {
    uint64_t id = 0;
    net::Reactor* reactor = nullptr;
    Done done;
    Start start;
  };
  struct Flight {
    std::string key;
    bool done = false;  // `result` is kept until `expires`
    std::vector<Waiter> waiters;
    Result result;
    absl::Time expires;
    Work work;  // the owner's state of this flight
  };
  using FlightPtr = std::shared_ptr<Flight>;

  explicit FlightTable(size_t max_entries) : max_entries_(max_entries) {}
  FlightTable(const FlightTable&) = delete;
  FlightTable& operator=(const FlightTable&) = delete;

  // A fresh waiter id (never 0).
  uint64_t NewId() { return next_id_++; }

  enum class Found {
    kCached,  // a fresh result: `waiter.done` is posted to its reactor
    kJoined,  // a flight under way: `waiter` waits with the others
    kNone,    // neither (an expired result is dropped): `waiter` is untouched
  };
  Found Join(const std::string& key, absl::Time now, Waiter& waiter) {
    auto it = flights_.find(key);
    if (it == flights_.end()) return Found::kNone;
    FlightPtr flight = it->second;
    if (flight->done && now < flight->expires) {
      ++counts_.cache_hits;
      waiter.reactor->Post([done = std::move(waiter.done), result = flight->result]() mutable {
        done(std::move(result), true);
      });
      return Found::kCached;
    }
    if (!flight->done) {
      ++counts_.joined;
      waiting_[waiter.id] = flight;
      flight->waiters.push_back(std::move(waiter));
      return Found::kJoined;
    }
    flights_.erase(it);  // expired
    return Found::kNone;
  }

  // A new flight of `key` with `waiter` as its first waiter (after Join said
  // kNone). Makes room first when the table is full.
  FlightPtr Open(const std::string& key, absl::Time now, Waiter waiter) {
    if (flights_.size() >= max_entries_) Evict(now);
    auto flight = std::make_shared<Flight>();
    flight->key = key;
    waiting_[waiter.id] = flight;
    flight->waiters.push_back(std::move(waiter));
    flights_[key] = flight;
    return flight;
  }

  // The flight of waiter `id`, or null for an unknown or answered one.
  FlightPtr Find(uint64_t id) const {
    auto it = waiting_.find(id);
    return it == waiting_.end() ? nullptr : it->second;
  }

  // The flight ended with `result`: its waiters are taken out (to Deliver);
  // the result is kept until `keep_until`, or, without one, the flight goes.
  std::vector<Waiter> Land(const FlightPtr& flight, const Result& result,
                           std::optional<absl::Time> keep_until) {
    std::vector<Waiter> waiters = std::move(flight->waiters);
    flight->waiters.clear();
    for (const Waiter& w : waiters) waiting_.erase(w.id);
    if (keep_until.has_value()) {
      flight->done = true;
      flight->result = result;
      flight->expires = *keep_until;
    } else {
      Drop(flight);
    }
    return waiters;
  }

  // Posts `result` to each waiter's reactor; `shared` for all but `worker`.
  static void Deliver(std::vector<Waiter>& waiters, const Result& result, uint64_t worker) {
    for (Waiter& w : waiters) {
      const bool shared = w.id != worker;
      w.reactor->Post([done = std::move(w.done), result, shared]() mutable {
        done(std::move(result), shared);
      });
    }
  }

  // Waiter `id` leaves: its callbacks are dropped. Returns its flight (null
  // for an unknown or answered id); a flight left without waiters (its
  // `waiters` empty) is gone from the table.
  FlightPtr Leave(uint64_t id) {
    auto it = waiting_.find(id);
    if (it == waiting_.end()) return nullptr;
    FlightPtr flight = it->second;
    waiting_.erase(it);
    auto& ws = flight->waiters;
    for (auto w = ws.begin(); w != ws.end(); ++w) {
      if (w->id == id) {
        ws.erase(w);
        break;
      }
    }
    if (ws.empty()) {
      ++counts_.abandoned;
      Drop(flight);
    }
    return flight;
  }

  size_t size() const { return flights_.size(); }

  // An owner's `stats` (any struct with these fields) with the table's
  // counts filled in: cache_hits (answered from a finished result), joined
  // (joined a flight under way), abandoned (the last waiter of a flight
  // left), entries (flights held).
  template <typename Stats>
  Stats WithCounts(Stats stats) const {
    stats.cache_hits = counts_.cache_hits;
    stats.joined = counts_.joined;
    stats.abandoned = counts_.abandoned;
    stats.entries = flights_.size();
    return stats;
  }

  template <typename F>
  void ForEach(F f) {
    for (auto& [key, flight] : flights_) f(*flight);
  }

 private:
  // Removes `flight` if the table still holds it under its key.
  void Drop(const FlightPtr& flight) {
    auto it = flights_.find(flight->key);
    if (it != flights_.end() && it->second == flight) flights_.erase(it);
  }

  // Expired results first; if none, the one closest to expiry.
  void Evict(absl::Time now) {
    std::string oldest;
    absl::Time oldest_expiry = absl::InfiniteFuture();
    for (auto it = flights_.begin(); it != flights_.end();) {
      auto next = std::next(it);
      const Flight& f = *it->second;
      if (f.done) {
        if (f.expires <= now) {
          flights_.erase(it);
        } else if (f.expires < oldest_expiry) {
          oldest_expiry = f.expires;
          oldest = it->first;
        }
      }
      it = next;
    }
    if (flights_.size() >= max_entries_ && !oldest.empty()) flights_.erase(oldest);
  }

  // What Join and Leave saw, for the owners' stats.
  struct Counts {
    int64_t cache_hits = 0;  // answered from a finished result
    int64_t joined = 0;      // joined a flight under way
    int64_t abandoned = 0;   // the last waiter of a flight left
  };

  const size_t max_entries_;
  uint64_t next_id_ = 1;
  absl::flat_hash_map<std::string, FlightPtr> flights_;
  absl::flat_hash_map<uint64_t, FlightPtr> waiting_;
  Counts counts_;
};

// A run that stops leaves `cache` (a ProbeCache, a RuaCache) with each of
// its waiter ids in `ids` (0: none) and zeroes them.
template <typename Cache>
void CancelWaiters(Cache& cache, std::vector<uint64_t>& ids) {
  for (uint64_t& id : ids) {
    if (id != 0) cache.Cancel(id);
    id = 0;
  }
}

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_COMMON_FLIGHT_TABLE_H_
