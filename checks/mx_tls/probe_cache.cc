#include "checks/mx_tls/probe_cache.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace mtasts::checks {

ProbeCache::~ProbeCache() {
  absl::MutexLock lock(&mu_);
  for (auto& [key, entry] : entries_) {
    // Its reactor is gone (see the header): destroying the probe here would
    // touch it from the wrong thread. Abandon it instead.
    if (entry->probe != nullptr) (void)entry->probe.release();
  }
}

uint64_t ProbeCache::Get(const ProbeKey& key, absl::Duration ttl, net::Reactor* reactor,
                         Factory factory, Callback done) {
  const std::string map_key = absl::StrCat(key.host, "|", key.address, "|", key.port);
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  auto it = entries_.find(map_key);
  if (it != entries_.end()) {
    std::shared_ptr<Entry> entry = it->second;
    if (entry->state == Entry::State::kDone && now < entry->expires) {
      ++stats_.cache_hits;
      reactor->Post([done = std::move(done), result = entry->result]() mutable {
        done(std::move(result));
      });
      return id;
    }
    if (entry->state != Entry::State::kDone) {
      ++stats_.joined;
      entry->waiters.push_back({id, reactor, std::move(done)});
      waiting_[id] = entry;
      return id;
    }
    entry->state = Entry::State::kGone;  // expired
    entries_.erase(it);
  }
  if (entries_.size() >= options_.max_entries) EvictLocked(now);
  auto entry = std::make_shared<Entry>();
  entry->key = key;
  entry->map_key = map_key;
  entry->reactor = reactor;
  entry->factory = std::move(factory);
  entry->ttl = ttl;
  entry->waiters.push_back({id, reactor, std::move(done)});
  entries_[map_key] = entry;
  waiting_[id] = entry;
  int& running = running_[key.address];
  if (running >= options_.max_per_address) {
    ++stats_.queued;
    queues_[key.address].push_back(entry);
  } else {
    ++running;
    StartLocked(entry);
  }
  return id;
}

void ProbeCache::StartLocked(const std::shared_ptr<Entry>& entry) {
  entry->state = Entry::State::kStarting;
  ++stats_.probes_started;
  entry->reactor->Post([this, entry] { RunOnReactor(entry); });
}

void ProbeCache::RunOnReactor(std::shared_ptr<Entry> entry) {
  absl::MutexLock lock(&mu_);
  if (entry->state != Entry::State::kStarting) return;  // abandoned meanwhile
  entry->state = Entry::State::kRunning;
  // The probe never calls back inside this call, so holding mu_ is safe.
  entry->probe = entry->factory(entry->reactor, [this, entry](net::SmtpProbeResult result) {
    OnProbeDone(entry, std::move(result));
  });
}

void ProbeCache::OnProbeDone(std::shared_ptr<Entry> entry, net::SmtpProbeResult result) {
  std::unique_ptr<net::SmtpProbe> probe;  // destroyed after the lock, here on its reactor
  std::vector<Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    probe = std::move(entry->probe);
    if (entry->state != Entry::State::kRunning) return;
    waiters = std::move(entry->waiters);
    entry->waiters.clear();
    for (const Waiter& w : waiters) waiting_.erase(w.id);
    // Our own failures (deadline, local errors) say nothing about the host:
    // never reuse them.
    const bool reusable = entry->ttl > absl::ZeroDuration() &&
                          result.error.failure != net::NetFailure::kLocalError &&
                          result.error.failure != net::NetFailure::kDeadlineExceeded;
    if (reusable) {
      entry->state = Entry::State::kDone;
      entry->expires = absl::Now() + entry->ttl;
      entry->result = result;
      entry->factory = nullptr;
    } else {
      entry->state = Entry::State::kGone;
      auto it = entries_.find(entry->map_key);
      if (it != entries_.end() && it->second == entry) entries_.erase(it);
    }
    ReleaseSlotLocked(entry->key.address);
  }
  for (Waiter& w : waiters) {
    w.reactor->Post([done = std::move(w.done), result]() mutable { done(std::move(result)); });
  }
}

void ProbeCache::Cancel(uint64_t waiter_id) {
  std::unique_ptr<net::SmtpProbe> probe;
  net::Reactor* reactor = nullptr;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiting_.find(waiter_id);
    if (it == waiting_.end()) return;
    std::shared_ptr<Entry> entry = it->second;
    waiting_.erase(it);
    auto& ws = entry->waiters;
    for (auto w = ws.begin(); w != ws.end(); ++w) {
      if (w->id == waiter_id) {
        ws.erase(w);
        break;
      }
    }
    if (!ws.empty()) return;  // the flight goes on for the others
    ++stats_.abandoned;
    const Entry::State state = entry->state;
    entry->state = Entry::State::kGone;
    auto e = entries_.find(entry->map_key);
    if (e != entries_.end() && e->second == entry) entries_.erase(e);
    if (state == Entry::State::kQueued) {
      auto& queue = queues_[entry->key.address];
      for (auto q = queue.begin(); q != queue.end(); ++q) {
        if (*q == entry) {
          queue.erase(q);
          break;
        }
      }
      if (queue.empty()) queues_.erase(entry->key.address);
      return;
    }
    // Starting or running: it holds a slot of its address.
    probe = std::move(entry->probe);
    reactor = entry->reactor;
    ReleaseSlotLocked(entry->key.address);
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
    std::shared_ptr<Entry> next = q->second.front();
    q->second.pop_front();
    if (q->second.empty()) queues_.erase(q);
    StartLocked(next);  // takes over the slot
    return;
  }
  auto r = running_.find(address);
  if (r != running_.end() && --r->second <= 0) running_.erase(r);
}

void ProbeCache::EvictLocked(absl::Time now) {
  // Expired results first; if none, the one closest to expiry.
  std::string oldest;
  absl::Time oldest_expiry = absl::InfiniteFuture();
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    const Entry& e = *it->second;
    if (e.state == Entry::State::kDone) {
      if (e.expires <= now) {
        it->second->state = Entry::State::kGone;
        entries_.erase(it);
      } else if (e.expires < oldest_expiry) {
        oldest_expiry = e.expires;
        oldest = it->first;
      }
    }
    it = next;
  }
  if (entries_.size() >= options_.max_entries && !oldest.empty()) entries_.erase(oldest);
}

ProbeCache::Stats ProbeCache::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.entries = entries_.size();
  return s;
}

}  // namespace mtasts::checks
