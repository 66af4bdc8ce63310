#include "checks/tls_rpt/rua_cache.h"

#include <optional>
#include <utility>
#include <vector>

namespace mtasts::checks {

uint64_t RuaCache::Get(const std::string& key, net::Reactor* reactor, Start start,
                       Callback done) {
  const absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  Table::Waiter waiter{table_.NewId(), reactor, std::move(done), std::move(start)};
  const uint64_t id = waiter.id;
  if (table_.Join(key, now, waiter) != Table::Found::kNone) return id;  // cached or joined
  Table::FlightPtr flight = table_.Open(key, now, std::move(waiter));
  StartLocked(*flight, flight->waiters.back());
  return id;
}

void RuaCache::StartLocked(Table::Flight& flight, Table::Waiter& waiter) {
  ++stats_.checks_started;
  flight.work.worker = waiter.id;
  waiter.reactor->Post(
      [start = std::move(waiter.start), id = waiter.id]() mutable { start(id); });
  waiter.start = nullptr;
}

void RuaCache::Finish(uint64_t id, RuaResult result) {
  std::vector<Table::Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    Table::FlightPtr flight = table_.Find(id);
    if (flight == nullptr || flight->work.worker != id) return;
    std::optional<absl::Time> keep_until;
    if (IsReusable(result) && options_.ttl > absl::ZeroDuration()) {
      keep_until = options_.now() + options_.ttl;
      flight->work.worker = 0;
    }
    waiters = table_.Land(flight, result, keep_until);
  }
  Table::Deliver(waiters, result, id);
}

void RuaCache::Cancel(uint64_t id) {
  absl::MutexLock lock(&mu_);
  Table::FlightPtr flight = table_.Leave(id);
  if (flight == nullptr || flight->waiters.empty()) return;  // unknown, or the last waiter
  if (flight->work.worker == id) {
    ++stats_.handovers;
    StartLocked(*flight, flight->waiters.front());
  }
}

RuaCache::Stats RuaCache::stats() const {
  absl::MutexLock lock(&mu_);
  return table_.WithCounts(stats_);
}

}  // namespace mtasts::checks
