// The mx_tls check: STARTTLS on every address (IPv4 and IPv6) of every MX
// host, validated as RFC 8461 §4.2 asks of senders. Needs the MX set with
// its addresses and the fetched policy (for the mode, which sets the
// severities); the judging is the pure JudgeMxTls (mx_tls_judge.h).
//
// Each address passes the address guard (refusals are findings, never
// connections), then is probed through the check's ProbeCache: one probe
// per (host, address, port) shared by every run in flight, reused for
// ProbeSettings::mx_probe_cache_ttl. At most kMaxProbesPerDomain probes of
// one run wait at once, at most kMaxAddressesPerHost addresses per host are
// probed.
//
// Lifetime: the check is engine-owned and shared by every reactor thread;
// each Run keeps its own state, which stops (leaving the cache's waiter
// lists) when its results are in, at the run's deadline, or when the run
// is gone (cancelled: CheckContext::lifetime() expired), whichever is first.
#ifndef MTASTS_CHECKS_MX_TLS_MX_TLS_CHECK_H_
#define MTASTS_CHECKS_MX_TLS_MX_TLS_CHECK_H_

#include "checks/check.h"
#include "checks/mx_tls/mx_tls_judge.h"
#include "checks/mx_tls/probe_cache.h"

namespace mtasts::checks {

class MxTlsCheck : public Check {
 public:
  static constexpr int kMaxProbesPerDomain = 8;
  static constexpr int kMaxAddressesPerHost = 8;

  MxTlsCheck() : cache_(ProbeCache::Options{}) {}
  std::string_view name() const override { return "mx_tls"; }
  int default_weight() const override { return 10; }
  const FindingTable& findings() const override { return MxTlsFindings(); }
  std::vector<Input> inputs() const override {
    return {Input::kMxAddresses, Input::kPolicy};
  }
  // Port 25 connections: the request's fast mode leaves this check out.
  bool probes_mx_hosts() const override { return true; }
  void Run(CheckContext& ctx, DoneCallback done) override;

  const ProbeCache& cache() const { return cache_; }
  CacheCounters cache_counters() const override {
    const ProbeCache::Stats stats = cache_.stats();
    return {stats.cache_hits, stats.joined, stats.probes_started};
  }

 private:
  ProbeCache cache_;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_MX_TLS_MX_TLS_CHECK_H_
