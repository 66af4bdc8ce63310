// The check plugin contract.
//
// A check establishes one thing a sending MTA relies on (docs/design.md §1.2).
// It declares the shared inputs it needs; the CheckRun (engine/) starts it
// once they are ready, on the run's reactor thread, and the check reports
// exactly once through `done`. Checks ask net/ for what they need (through
// the CheckContext), and leave parsing and judging to pure functions in their
// own folder. Everything the rest of the service knows about a check comes
// from this interface: its name, points, finding rows, settings validation
// and report annotation.
//
//   class TlsRptCheck : public Check {
//    public:
//     std::string_view name() const override { return "tls_rpt"; }
//     int default_weight() const override { return 10; }
//     const FindingTable& findings() const override { return TlsRptFindings(); }
//     void Run(CheckContext& ctx, DoneCallback done) override {
//       ctx.dns().Query("_smtp._tls." + ctx.domain(), net::RrType::kTxt,
//                       [done = std::move(done)](net::DnsResult r) mutable {
//                         done(JudgeTlsRptLookup(r));
//                       });
//     }
//   };
//
// Adding a check is one folder under checks/ (the plugin, its judge and its
// finding rows) plus one line in checks/registry.cc; its finding codes go in
// proto/mtasts/v1/findings.proto.
#ifndef MTASTS_CHECKS_CHECK_H_
#define MTASTS_CHECKS_CHECK_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "absl/status/status.h"
#include "checks/findings/finding.h"
#include "checks/inputs/run_inputs.h"
#include "checks/probe_settings.h"
#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "mtasts/v1/service.pb.h"
#include "net/address_guard.h"
#include "net/dns_resolver.h"
#include "net/reactor.h"
#include "net/tls_stream.h"

namespace mtasts::checks {

// Lookups shared by several checks within one run, made once.
enum class Input {
  kMxSet,   // the domain's MX records (MxSet, checks/inputs/run_inputs.h)
  kPolicy,  // the policy file, fetched from every address of mta-sts.<domain>
  kMxAddresses,  // the MX set with each host's A and AAAA lookups done
};

// Everything a check may use during a run. Owned by the CheckRun; valid until
// the check calls `done` (or the run is cancelled). Reactor thread only.
class CheckContext {
 public:
  virtual ~CheckContext() = default;
  // The domain, A-label form, lower case, no trailing dot.
  virtual const std::string& domain() const = 0;
  virtual const v1::CheckOptions& options() const = 0;
  virtual net::Reactor& reactor() = 0;
  // DNS for this run; cancelled with the run.
  virtual net::DnsSession& dns() = 0;
  // Shared inputs; valid once the check has been started (its inputs are ready).
  virtual const MxSet& mx_set() const = 0;
  // The report's evidence; a check writes its own part only.
  virtual v1::Evidence& evidence() = 0;
  // Records a DNS lookup in the evidence (dns_lookups).
  virtual void RecordLookup(const net::DnsResult& result) = 0;
  // When the run gives up.
  virtual absl::Time deadline() const = 0;
  // Every outbound connection asks this first (docs/design.md §7.1).
  virtual const net::AddressGuard& address_guard() const = 0;
  // Trust store for certificate validation (--ca_file or the system's).
  virtual const net::TlsClientContext& tls_context() const = 0;
  // Ports, names, limits and caches' lifetimes (ProbeSettings).
  virtual const ProbeSettings& settings() const = 0;
  // The fetched policy; valid once a check that declared Input::kPolicy has
  // been started.
  virtual const PolicyFetch& policy() const = 0;
  // Expires when the run ends (report delivered or run cancelled). A check
  // whose work does not go through dns() (its own resolver or sockets) holds
  // it in its callbacks and drops late results once it has expired.
  virtual std::weak_ptr<const void> lifetime() const = 0;
  // Runs `on_cancel` once, on the reactor thread, when the run ends before
  // this check reported (deadline or caller's cancellation), so a check with
  // its own sockets or timers can release them at once. Not called when the
  // run finishes normally.
  virtual void OnCancel(absl::AnyInvocable<void()> on_cancel) = 0;
};

// A check's cache shared across runs (the MX probe cache), for metrics.
struct CacheCounters {
  int64_t hits = 0;    // answered from a finished result
  int64_t joined = 0;  // joined work already under way
  int64_t misses = 0;  // started work of their own
};

class Check {
 public:
  using DoneCallback = absl::AnyInvocable<void(CheckVerdict)>;
  virtual ~Check() = default;
  // Stable name used in reports, options and configuration ("txt", ...).
  virtual std::string_view name() const = 0;
  // Points a full pass earns unless the configuration's weights say
  // otherwise (docs/design.md §5.1).
  virtual int default_weight() const = 0;
  // The rows of every finding code this check emits (docs/findings.md).
  virtual const FindingTable& findings() const = 0;
  // Shared inputs that must be ready before Run.
  virtual std::vector<Input> inputs() const { return {}; }
  // Whether the request's fast mode (CheckOptions.skip_mx_probe) leaves this
  // check out: it opens connections to the MX hosts.
  virtual bool probes_mx_hosts() const { return false; }
  // Checks the server's settings once, at start-up: a setting this check
  // cannot work with stops the server (INVALID_ARGUMENT naming the flag)
  // instead of making every report INCONCLUSIVE.
  virtual absl::Status ValidateSettings(const ProbeSettings& settings) const {
    return absl::OkStatus();
  }
  // Called once per run after every check reported and before scoring, for
  // conclusions that need other checks' results (DANE needs mx_tls's
  // certificates). Must not change other checks' statuses. Any thread.
  virtual void AnnotateReport(v1::DomainReport* report) const {}
  // Totals of the check's cache across runs since start; zero without one.
  // Thread-safe.
  virtual CacheCounters cache_counters() const { return {}; }
  // Starts the check. `done` is called exactly once, on the reactor thread,
  // unless the run is cancelled first (then the check must simply stop: its
  // DNS queries are cancelled by the run and their callbacks never arrive).
  // Never call `done` inside Run for work that went to the network; calling it
  // inline for a purely local verdict is allowed.
  virtual void Run(CheckContext& ctx, DoneCallback done) = 0;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_CHECK_H_
