// DnsUpstream: what every DNS session of a server shares about its upstream
// resolver: the pacer (dns_pacer.h) and whether the resolver itself answers.
//
// Telling our overload from the domain's: when a lookup times out, the
// session asks the same resolver for the root's NS records (". NS"), which
// any working recursive resolver answers from its cache (it primes them at
// start, RFC 8109) and any forwarder passes on. No answer to that either:
// our own resolver is overloaded or cut off, and the lookup says nothing
// about the domain (DnsOutcome::kResolverOverloaded). An answer: the
// resolver works, so the timeout is at the domain's name servers.
//
// One probe at a time per server, its verdict reused by every session for
// `health_window`: under load thousands of lookups time out within seconds,
// and they must not add thousands of probes.
//
// A resolver dropping part of its load still answers some questions, the
// probe among them. So, besides the probe, the upstream keeps a server-wide
// window of lookup outcomes: timeouts in many unrelated runs at once
// (at least `mass_min_sessions` distinct sessions, and at least
// `mass_timeout_share` of the lookups finished in `mass_window`) are our own
// load too, whatever the probe said. A genuinely dead zone is one run's
// timeouts; it stays that domain's finding.
//
//   UpstreamHealth known;
//   switch (upstream->AskHealth(reactor, on_health, &known)) {
//     case DnsUpstream::Ask::kKnown: use(known); break;
//     case DnsUpstream::Ask::kProbe: probe, then upstream->ProbeDone(h); break;
//     case DnsUpstream::Ask::kWaiting: break;  // on_health runs later
//   }
//
// Thread-safety: every method is thread-safe; callbacks run on the reactor
// given with them, never inside these calls.
#ifndef MTASTS_NET_DNS_UPSTREAM_H_
#define MTASTS_NET_DNS_UPSTREAM_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "net/dns_pacer.h"
#include "net/reactor.h"

namespace mtasts::net {

enum class UpstreamHealth {
  kUnknown,    // the probe was abandoned (its session ended): ask again
  kAnswering,  // the resolver answered ". NS"
  kSilent,     // it did not (timeout, SERVFAIL, unreachable)
};

struct DnsUpstreamOptions {
  int max_outstanding = kDefaultDnsMaxOutstanding;
  // How long a probe's verdict is reused. Short: overload comes and goes
  // within seconds, and a verdict must describe the moment of the timeout.
  absl::Duration health_window = absl::Seconds(2);
  absl::Duration mass_window = absl::Seconds(10);
  int mass_min_sessions = 8;
  double mass_timeout_share = 0.2;
};

class DnsUpstream {
 public:
  using HealthCallback = absl::AnyInvocable<void(UpstreamHealth)>;
  enum class Ask { kKnown, kProbe, kWaiting };

  explicit DnsUpstream(const DnsUpstreamOptions& options)
      : options_(options), pacer_(DnsPacer::Create(options.max_outstanding)) {}

  DnsPacer& pacer() { return *pacer_; }

  // kKnown: a verdict younger than health_window is in *known; `on_health`
  // is dropped. Otherwise `on_health` runs on `reactor` with the next probe's
  // verdict, and kProbe means no probe is in flight: the caller must send
  // one and report it with ProbeDone.
  Ask AskHealth(Reactor* reactor, HealthCallback on_health, UpstreamHealth* known);

  // The probe's verdict (kUnknown when the prober gave up): stored (unless
  // kUnknown) and sent to every waiter.
  void ProbeDone(UpstreamHealth health);

  // Probes sent so far (tests, metrics).
  int probes() const;

  // A lookup of session `session` finished (`timed_out`: every try timed
  // out; counted once per round of tries).
  void NoteLookup(uint64_t session, bool timed_out);
  // Timeouts in the window from at least mass_min_sessions sessions, making
  // up at least mass_timeout_share of the lookups: how many sessions, or 0
  // when the window does not look like our own overload.
  int MassTimeoutSessions();

 private:
  const DnsUpstreamOptions options_;
  const std::shared_ptr<DnsPacer> pacer_;
  mutable absl::Mutex mu_;
  UpstreamHealth last_ ABSL_GUARDED_BY(mu_) = UpstreamHealth::kUnknown;
  absl::Time last_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  bool probing_ ABSL_GUARDED_BY(mu_) = false;
  int probes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::pair<Reactor*, HealthCallback>> waiters_ ABSL_GUARDED_BY(mu_);

  // The window: timeouts by session (bounded), and lookups per second.
  void TrimLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::deque<std::pair<absl::Time, uint64_t>> timeouts_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<int64_t, int64_t>> lookups_per_second_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_UPSTREAM_H_
