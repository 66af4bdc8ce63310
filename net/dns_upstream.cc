#include "net/dns_upstream.h"

#include <utility>

#include "absl/container/flat_hash_set.h"

namespace mtasts::net {

DnsUpstream::Ask DnsUpstream::AskHealth(Reactor* reactor, HealthCallback on_health,
                                        UpstreamHealth* known) {
  absl::MutexLock lock(&mu_);
  if (last_ != UpstreamHealth::kUnknown && absl::Now() - last_at_ < options_.health_window) {
    *known = last_;
    return Ask::kKnown;
  }
  waiters_.emplace_back(reactor, std::move(on_health));
  if (probing_) return Ask::kWaiting;
  probing_ = true;
  ++probes_;
  return Ask::kProbe;
}

void DnsUpstream::ProbeDone(UpstreamHealth health) {
  std::vector<std::pair<Reactor*, HealthCallback>> waiters;
  {
    absl::MutexLock lock(&mu_);
    probing_ = false;
    if (health != UpstreamHealth::kUnknown) {
      last_ = health;
      last_at_ = absl::Now();
    }
    waiters.swap(waiters_);
  }
  for (auto& [reactor, callback] : waiters) {
    reactor->Post([callback = std::move(callback), health]() mutable { callback(health); });
  }
}

namespace {
// Memory bound on the timeouts kept for the window.
constexpr size_t kMaxTimeoutsKept = 4096;
}  // namespace

void DnsUpstream::TrimLocked(absl::Time now) {
  const absl::Time since = now - options_.mass_window;
  while (!timeouts_.empty() && timeouts_.front().first < since) timeouts_.pop_front();
  const int64_t first_second = absl::ToUnixSeconds(since);
  while (!lookups_per_second_.empty() && lookups_per_second_.front().first < first_second) {
    lookups_per_second_.pop_front();
  }
}

void DnsUpstream::NoteLookup(uint64_t session, bool timed_out) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  TrimLocked(now);
  const int64_t second = absl::ToUnixSeconds(now);
  if (lookups_per_second_.empty() || lookups_per_second_.back().first != second) {
    lookups_per_second_.emplace_back(second, 0);
  }
  ++lookups_per_second_.back().second;
  if (timed_out) {
    if (timeouts_.size() >= kMaxTimeoutsKept) timeouts_.pop_front();
    timeouts_.emplace_back(now, session);
  }
}

int DnsUpstream::MassTimeoutSessions() {
  absl::MutexLock lock(&mu_);
  TrimLocked(absl::Now());
  int64_t lookups = 0;
  for (const auto& [second, count] : lookups_per_second_) lookups += count;
  if (lookups == 0 ||
      static_cast<double>(timeouts_.size()) < options_.mass_timeout_share * lookups) {
    return 0;
  }
  absl::flat_hash_set<uint64_t> sessions;
  for (const auto& [at, session] : timeouts_) sessions.insert(session);
  const int distinct = static_cast<int>(sessions.size());
  return distinct >= options_.mass_min_sessions ? distinct : 0;
}

int DnsUpstream::probes() const {
  absl::MutexLock lock(&mu_);
  return probes_;
}

}  // namespace mtasts::net
