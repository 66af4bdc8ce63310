#include "net/dns_upstream.h"

#include <utility>

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

int DnsUpstream::probes() const {
  absl::MutexLock lock(&mu_);
  return probes_;
}

}  // namespace mtasts::net
