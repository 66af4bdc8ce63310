#include "checks/mx_tls/probe_cache.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace mtasts::checks {

ProbeCache::~ProbeCache() {
  absl::MutexLock lock(&mu_);
  table_.ForEach([](Table::Flight& flight) {
    // Its reactor is gone (see the header): destroying the probe here would
    // touch it from the wrong thread. Abandon it instead.
    if (flight.work.probe != nullptr) (void)flight.work.probe.release();
  });
}

uint64_t ProbeCache::Get(const ProbeKey& key, absl::Duration ttl, net::Reactor* reactor,
                         Factory factory, Callback done) {
  const std::string map_key = absl::StrCat(key.host, "|", key.address, "|", key.port);
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  Table::Waiter waiter{table_.NewId(), reactor,
                       [done = std::move(done)](net::SmtpProbeResult result, bool) mutable {
                         done(std::move(result));
                       }};
  const uint64_t id = waiter.id;
  if (table_.Join(map_key, now, waiter) != Table::Found::kNone) return id;  // cached or joined
  Table::FlightPtr flight = table_.Open(map_key, now, std::move(waiter));
  flight->work.key = key;
  flight->work.reactor = reactor;
  flight->work.factory = std::move(factory);
  flight->work.ttl = ttl;
  int& running = running_[key.address];
  if (running >= options_.max_per_address) {
    ++stats_.queued;
    queues_[key.address].push_back(flight);
  } else {
    ++running;
    StartLocked(flight);
  }
  return id;
}

void ProbeCache::StartLocked(const Table::FlightPtr& flight) {
  flight->work.state = State::kStarting;
  ++stats_.probes_started;
  flight->work.reactor->Post([this, flight] { RunOnReactor(flight); });
}

void ProbeCache::RunOnReactor(Table::FlightPtr flight) {
  absl::MutexLock lock(&mu_);
  Work& work = flight->work;
  if (work.state != State::kStarting) return;  // abandoned meanwhile
  work.state = State::kRunning;
  // The probe never calls back inside this call, so holding mu_ is safe.
  work.probe = work.factory(work.reactor, [this, flight](net::SmtpProbeResult result) {
    OnProbeDone(flight, std::move(result));
  });
}

void ProbeCache::OnProbeDone(Table::FlightPtr flight, net::SmtpProbeResult result) {
  std::unique_ptr<net::SmtpProbe> probe;  // destroyed after the lock, here on its reactor
  std::vector<Table::Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    Work& work = flight->work;
    probe = std::move(work.probe);
    if (work.state != State::kRunning) return;
    // Our own failures (deadline, local errors) say nothing about the host:
    // never reuse them.
    const bool reusable = work.ttl > absl::ZeroDuration() &&
                          result.error.failure != net::NetFailure::kLocalError &&
                          result.error.failure != net::NetFailure::kDeadlineExceeded;
    std::optional<absl::Time> keep_until;
    if (reusable) {
      work.state = State::kDone;
      work.factory = nullptr;
      keep_until = absl::Now() + work.ttl;
    } else {
      work.state = State::kGone;
    }
    waiters = table_.Land(flight, result, keep_until);
    ReleaseSlotLocked(work.key.address);
  }
  Table::Deliver(waiters, result, /*worker=*/0);
}

void ProbeCache::Cancel(uint64_t waiter_id) {
  std::unique_ptr<net::SmtpProbe> probe;
  net::Reactor* reactor = nullptr;
  {
    absl::MutexLock lock(&mu_);
    Table::FlightPtr flight = table_.Leave(waiter_id);
    if (flight == nullptr) return;
    if (!flight->waiters.empty()) return;  // the flight goes on for the others
    Work& work = flight->work;
    const State state = work.state;
    work.state = State::kGone;
    if (state == State::kQueued) {
      auto& queue = queues_[work.key.address];
      for (auto q = queue.begin(); q != queue.end(); ++q) {
        if (*q == flight) {
          queue.erase(q);
          break;
        }
      }
      if (queue.empty()) queues_.erase(work.key.address);
      return;
    }
    // Starting or running: it holds a slot of its address.
    probe = std::move(work.probe);
    reactor = work.reactor;
    ReleaseSlotLocked(work.key.address);
  }
  // A probe belongs to its reactor: close it there.
  if (probe != nullptr) {
    reactor->Post([probe = std::shared_ptr<net::SmtpProbe>(std::move(probe))]() mutable {
      probe.reset();
    });
  }
}

void ProbeCache::ReleaseSlotLocked(const std::string& address) {
  auto q = queues_.find(address);
  if (q != queues_.end() && !q->second.empty()) {
    Table::FlightPtr next = q->second.front();
    q->second.pop_front();
    if (q->second.empty()) queues_.erase(q);
    StartLocked(next);  // takes over the slot
    return;
  }
  auto r = running_.find(address);
  if (r != running_.end() && --r->second <= 0) running_.erase(r);
}

ProbeCache::Stats ProbeCache::stats() const {
  absl::MutexLock lock(&mu_);
  return table_.WithCounts(stats_);
}

}  // namespace mtasts::checks
