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

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "checks/policy_content/policy.h"
#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "mtasts/v1/service.pb.h"
#include "net/address_guard.h"
#include "net/dns_resolver.h"
#include "net/https_get.h"
#include "net/reactor.h"
#include "net/smtp_starttls.h"
#include "net/tls_stream.h"

namespace mtasts::checks {

// Lookups shared by several checks within one run, made once.
enum class Input {
  kMxSet,   // the domain's MX records (MxSet below)
  kPolicy,  // the policy file, fetched from every address of mta-sts.<domain>
  kMxAddresses,  // the MX set with each host's A and AAAA lookups done
};

// How checks reach the network, from the server's flags; the same for every run.
struct ProbeSettings {
  // Ports: the standard ones in production; tests point them at fakes
  // (--https_port, --smtp_port).
  uint16_t https_port = 443;
  uint16_t smtp_port = 25;
  // The name we give in EHLO (--ehlo_name).
  std::string ehlo_name = "mtasts-checker.invalid";
  // An MX host's STARTTLS probe result is reused across runs for this long
  // (--mx_probe_cache_ttl).
  absl::Duration mx_probe_cache_ttl = absl::Minutes(5);
  // Addresses of mta-sts.<domain> fetched from (A and AAAA together); the
  // rest are listed as not contacted.
  int max_policy_addresses = 8;
  // Policy fetch limits (the deadline is set per run).
  net::HttpsLimits https;
  // MX STARTTLS probe timeouts and reply limits (mx_tls; the deadline is
  // set per probe).
  net::SmtpLimits smtp;
  // DNSSEC: trust anchor file (empty: Debian's dns-root-data root key) and an
  // optional forwarder (ip[:port]; empty: full recursion), validated locally
  // either way (--trust_anchor_file, --dnssec_forwarder).
  std::string trust_anchor_file;
  std::string dnssec_forwarder;
};

// One address of mta-sts.<domain> and what fetching the policy from it gave.
struct PolicyFetchAttempt {
  std::string address;
  // Refused by the address guard: never contacted; `result` is empty.
  net::GuardVerdict guard;
  // Not fetched because max_policy_addresses was reached.
  bool skipped = false;
  net::HttpsResult result;
  bool contacted() const { return guard.allowed && !skipped; }
};

// The policy as the run fetched it (Input::kPolicy), shared by policy_fetch,
// policy_content and mx_match.
struct PolicyFetch {
  std::string host;  // mta-sts.<domain>
  std::string url;   // https://mta-sts.<domain>/.well-known/mta-sts.txt
  net::DnsResult a_lookup;
  net::DnsResult aaaa_lookup;
  // IPv4 first, then IPv6, each in answer order.
  std::vector<PolicyFetchAttempt> attempts;
  // Index into attempts of the answer a sender most likely acts on: the
  // first HTTP 200; -1 when no address gave a 200.
  int chosen = -1;
  // The chosen body as senders parse it, parsed once for every check that
  // needs it; default (not valid, no mode) when nothing was chosen.
  ParsedPolicy parsed;
  const PolicyFetchAttempt* chosen_attempt() const {
    return chosen < 0 ? nullptr : &attempts[static_cast<size_t>(chosen)];
  }
};

// The domain's MX set, as resolved once per run.
struct MxSet {
  net::DnsResult lookup;              // the raw MX lookup
  std::vector<net::MxRecord> hosts;   // sorted by preference, then name; no null MX
  bool null_mx = false;               // RFC 7505 "0 ." present
  // Parallel to `hosts`, complete once Input::kMxAddresses is ready: each
  // host's A and AAAA lookups (addresses in answer order).
  struct HostAddresses {
    net::DnsResult a;
    net::DnsResult aaaa;
  };
  std::vector<HostAddresses> addresses;
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
  // Ports, names, limits and caches' lifetimes (ProbeSettings).
  virtual const ProbeSettings& settings() const = 0;
  // The fetched policy; valid once a check that declared Input::kPolicy has
  // been started.
  virtual const PolicyFetch& policy() const = 0;
  // Expires when the run ends (report delivered or run cancelled). A check
  // whose work does not go through dns() (its own resolver or sockets) holds
  // it in its callbacks and drops late results once it has expired.
  virtual std::weak_ptr<const void> lifetime() const = 0;
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
