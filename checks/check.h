// The check plugin contract.
//
// A check establishes one thing a sending MTA relies on (DESIGN.md §1). It
// declares the shared inputs it needs; the CheckRun (engine/) starts it once
// they are ready, on the run's reactor thread, and the check reports exactly
// once through `done`. Checks ask net/ for what they need (through the
// CheckContext), and leave parsing and judging to pure functions in their own
// folder.
//
//   class TxtCheck : public Check {
//     std::string_view name() const override { return "txt"; }
//     void Run(CheckContext& ctx, DoneCallback done) override {
//       ctx.dns().Query("_mta-sts." + ctx.domain(), net::RrType::kTxt,
//                       [&ctx, done = std::move(done)](net::DnsResult r) mutable {
//                         done(JudgeStsLookup(r, ctx.evidence()));
//                       });
//     }
//   };
//
// Adding a check is one folder under checks/ plus one line in registry.cc.
#ifndef MTASTS_CHECKS_CHECK_H_
#define MTASTS_CHECKS_CHECK_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
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
  kMxSet,  // the domain's MX records (MxSet below)
};

// The domain's MX set, as resolved once per run.
struct MxSet {
  net::DnsResult lookup;              // the raw MX lookup
  std::vector<net::MxRecord> hosts;   // sorted by preference, then name; no null MX
  bool null_mx = false;               // RFC 7505 "0 ." present
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
  // Every outbound connection asks this first (DESIGN.md §6).
  virtual const net::AddressGuard& address_guard() const = 0;
  // Trust store for certificate validation (--ca_file or the system's).
  virtual const net::TlsClientContext& tls_context() const = 0;
};

class Check {
 public:
  using DoneCallback = absl::AnyInvocable<void(CheckVerdict)>;
  virtual ~Check() = default;
  // Stable name used in reports, options and configuration ("txt", ...).
  virtual std::string_view name() const = 0;
  // Shared inputs that must be ready before Run.
  virtual std::vector<Input> inputs() const { return {}; }
  // Starts the check. `done` is called exactly once, on the reactor thread,
  // unless the run is cancelled first (then the check must simply stop: its
  // DNS queries are cancelled by the run and their callbacks never arrive).
  // Never call `done` inside Run for work that went to the network; calling it
  // inline for a purely local verdict is allowed.
  virtual void Run(CheckContext& ctx, DoneCallback done) = 0;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_CHECK_H_
