// The dnssec check: are the domain's MX and _mta-sts answers DNSSEC-validated
// (SECURE / INSECURE / BOGUS), validated by us from a trust anchor; plus the
// addresses of mta-sts.<domain> and of each MX host, and DANE TLSA records at
// _25._tcp.<mx host> as information. Judging is the pure JudgeDnssec
// (dnssec_judge.h); DANE certificate matching happens after every check ran
// (AnnotateDane in dane.h), since it needs mx_tls's certificates.
//
// Validators: one net::DnssecValidator per reactor thread, created on first
// use from ProbeSettings (trust_anchor_file, dnssec_forwarder) and kept for
// the check's lifetime (their caches are shared by every run on that thread).
// Before the first lookups, and again after a while, the root's DNSKEY is
// resolved as a probe: when the validator reaches nothing (no route to the
// root servers, forwarder down) or the trust anchor does not match, runs are
// INCONCLUSIVE at once for a short time instead of each waiting for timeouts.
// That memory is per process and per (trust anchor, forwarder): it is about
// the checker's vantage point, which every instance with those settings shares.
//
// Lifetime: engine-owned, shared by all reactor threads; destroy it after the
// reactors it ran on are stopped (the engine does: its pool goes first).
#ifndef MTASTS_CHECKS_DNSSEC_DNSSEC_CHECK_H_
#define MTASTS_CHECKS_DNSSEC_DNSSEC_CHECK_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "checks/check.h"
#include "checks/dnssec/dnssec_findings.h"
#include "net/dns_upstream.h"
#include "net/dnssec_validator.h"

namespace mtasts::checks {

// The trust anchor file and forwarder of `settings` as the check will need
// them, for reporting a bad --trust_anchor_file / --dnssec_forwarder at server
// start rather than in every report. INVALID_ARGUMENT naming the problem.
absl::Status ValidateDnssecSettings(const ProbeSettings& settings);

class DnssecCheck : public Check {
 public:
  struct Options {
    // Per-lookup timeout (capped by what is left of the run).
    absl::Duration query_timeout = absl::Seconds(5);
    // The root DNSKEY probe: its timeout, how long a success and a failure
    // are remembered.
    absl::Duration probe_timeout = absl::Milliseconds(1500);
    absl::Duration probe_ok_ttl = absl::Minutes(10);
    absl::Duration probe_failed_ttl = absl::Seconds(30);
    // MX hosts whose addresses and TLSA records are looked up.
    int max_mx_hosts = 8;
    // Validated lookups each reactor's validator has outstanding at once;
    // more wait in line (DnssecOptions::max_outstanding).
    int max_outstanding = 256;
  };
  DnssecCheck() : DnssecCheck(Options{}) {}
  explicit DnssecCheck(Options options) : options_(options) {}
  ~DnssecCheck() override;

  std::string_view name() const override { return "dnssec"; }
  int default_weight() const override { return 5; }
  const FindingTable& findings() const override { return DnssecFindings(); }
  std::vector<Input> inputs() const override { return {Input::kMxSet}; }
  // An unreadable trust anchor or a bad forwarder stops the server at start.
  absl::Status ValidateSettings(const ProbeSettings& settings) const override {
    return ValidateDnssecSettings(settings);
  }
  // DANE (RFC 7672) needs both dnssec's TLSA records and mx_tls's
  // certificates: matched once both checks reported.
  void AnnotateReport(v1::DomainReport* report) const override;
  void Run(CheckContext& ctx, DoneCallback done) override;

 private:
  struct RunState;

  // The calling reactor's validator, created on first use; the error of its
  // creation otherwise. Reactor thread only.
  absl::StatusOr<net::DnssecValidator*> ValidatorFor(CheckContext& ctx);
  void StartLookups(std::shared_ptr<RunState> state);
  void Finish(std::shared_ptr<RunState> state);

  const Options options_;
  // Timeouts of validated lookups across all runs (DnsUpstream's window; its
  // pacer is not used): timeouts in many runs at once are our own overload.
  net::DnsUpstream timeouts_{net::DnsUpstreamOptions{}};
  std::atomic<uint64_t> next_run_id_{1};
  absl::Mutex mu_;
  absl::flat_hash_map<net::Reactor*, std::unique_ptr<net::DnssecValidator>> validators_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_DNSSEC_DNSSEC_CHECK_H_
