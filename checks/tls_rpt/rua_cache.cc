#include "checks/tls_rpt/rua_cache.h"

#include <iterator>
#include <utility>

namespace mtasts::checks {

uint64_t RuaCache::Get(const std::string& key, net::Reactor* reactor, Start start,
                       Callback done) {
  const absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  const uint64_t id = next_id_++;
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    std::shared_ptr<Entry> entry = it->second;
    if (entry->done && now < entry->expires) {
      ++stats_.cache_hits;
      reactor->Post([done = std::move(done), result = entry->result]() mutable {
        done(std::move(result), true);
      });
      return id;
    }
    if (!entry->done) {
      ++stats_.joined;
      entry->waiters.push_back({id, reactor, std::move(start), std::move(done)});
      waiting_[id] = entry;
      return id;
    }
    entries_.erase(it);  // expired
  }
  if (entries_.size() >= options_.max_entries) EvictLocked(now);
  auto entry = std::make_shared<Entry>();
  entry->key = key;
  entry->waiters.push_back({id, reactor, std::move(start), std::move(done)});
  entries_[key] = entry;
  waiting_[id] = entry;
  StartLocked(*entry, entry->waiters.back());
  return id;
}

void RuaCache::StartLocked(Entry& entry, Waiter& waiter) {
  ++stats_.checks_started;
  entry.worker = waiter.id;
  waiter.reactor->Post(
      [start = std::move(waiter.start), id = waiter.id]() mutable { start(id); });
  waiter.start = nullptr;
}

void RuaCache::Finish(uint64_t id, RuaResult result) {
  std::vector<Waiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    auto it = waiting_.find(id);
    if (it == waiting_.end() || it->second->worker != id) return;
    std::shared_ptr<Entry> entry = it->second;
    waiters = std::move(entry->waiters);
    entry->waiters.clear();
    for (const Waiter& w : waiters) waiting_.erase(w.id);
    auto e = entries_.find(entry->key);
    const bool ours = e != entries_.end() && e->second == entry;
    if (IsReusable(result) && options_.ttl > absl::ZeroDuration()) {
      entry->done = true;
      entry->worker = 0;
      entry->result = result;
      entry->expires = options_.now() + options_.ttl;
    } else if (ours) {
      entries_.erase(e);
    }
  }
  for (Waiter& w : waiters) {
    const bool shared = w.id != id;
    w.reactor->Post([done = std::move(w.done), result, shared]() mutable {
      done(std::move(result), shared);
    });
  }
}

void RuaCache::Cancel(uint64_t id) {
  absl::MutexLock lock(&mu_);
  auto it = waiting_.find(id);
  if (it == waiting_.end()) return;
  std::shared_ptr<Entry> entry = it->second;
  waiting_.erase(it);
  auto& ws = entry->waiters;
  for (auto w = ws.begin(); w != ws.end(); ++w) {
    if (w->id == id) {
      ws.erase(w);
      break;
    }
  }
  if (ws.empty()) {
    ++stats_.abandoned;
    auto e = entries_.find(entry->key);
    if (e != entries_.end() && e->second == entry) entries_.erase(e);
    return;
  }
  if (entry->worker == id) {
    ++stats_.handovers;
    StartLocked(*entry, ws.front());
  }
}

void RuaCache::EvictLocked(absl::Time now) {
  std::string oldest;
  absl::Time oldest_expiry = absl::InfiniteFuture();
  for (auto it = entries_.begin(); it != entries_.end();) {
    auto next = std::next(it);
    const Entry& e = *it->second;
    if (e.done) {
      if (e.expires <= now) {
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

RuaCache::Stats RuaCache::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.entries = entries_.size();
  return s;
}

}  // namespace mtasts::checks
