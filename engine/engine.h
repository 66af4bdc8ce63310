// Engine: runs domain checks on a fixed pool of reactor threads.
//
// One CheckRun per domain (check_run.h). The engine owns the reactors, the
// registered checks and the scoring weights; the server asks it to start runs
// and gets each report through a callback.
//
//   auto engine = Engine::Create(options);
//   auto handle = (*engine)->Start(domain, request_options, deadline,
//       [](absl::StatusOr<v1::DomainReport> report) { ... });  // reactor thread
//   handle->Cancel();  // any thread: stops the run's network work
#ifndef MTASTS_ENGINE_ENGINE_H_
#define MTASTS_ENGINE_ENGINE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checks/check.h"
#include "checks/inputs/mx_set_resolver.h"
#include "checks/probe_settings.h"
#include "checks/scoring/weights.h"
#include "engine/observer.h"
#include "google/protobuf/map.h"
#include "mtasts/v1/report.pb.h"
#include "mtasts/v1/service.pb.h"
#include "net/address_guard.h"
#include "net/dns_resolver.h"
#include "net/reactor.h"
#include "net/tls_stream.h"

namespace mtasts::engine {

struct EngineOptions {
  int reactor_threads = 2;
  // DnsOptions::upstream is the engine's own: every run shares one.
  net::DnsOptions dns;
  // Bound on DNS queries outstanding at the resolver, all runs together
  // (limits.dns_max_outstanding).
  int dns_max_outstanding = net::kDefaultDnsMaxOutstanding;
  // Configured points per check name (ServerConfig.weights); absent or 0:
  // the check's default_weight().
  google::protobuf::Map<std::string, int32_t> weights;
  int max_mx_hosts = checks::kDefaultMaxMxHosts;
  // Address guard allowlist (--allow_targets): CIDRs, comma-separated.
  std::string allow_targets;
  // Trust store for the checks' TLS validation (--ca_file); empty: the system's.
  std::string ca_file;
  // Known intermediate CAs (--ca_intermediates_file), never trusted: they let
  // a report say "the server left out its intermediate" rather than "unknown
  // issuer". Empty: no such distinction.
  std::string ca_intermediates_file;
  // Ports, names, limits for the checks' network work.
  checks::ProbeSettings probe;
  // The checks to run, in report order; empty: checks::BuiltinChecks().
  std::vector<std::unique_ptr<checks::Check>> checks;
  // The checker's resolver as every report names it (DomainReport.resolver).
  // Transport empty: "udp" with dns.servers.
  v1::ResolverVantage resolver;
  // tls and https: the transport's current failure, or "" (thread-safe; read
  // as each report is finished). Unset: none.
  std::function<std::string()> resolver_error;
  // Told about every run (metrics); not owned, must outlive the engine.
  // Null: nobody is told.
  EngineObserver* observer = nullptr;
};

// Counters of the MX probe cache (checks' caches shared across runs).
struct ProbeCacheCounters {
  int64_t hits = 0;    // answered from a finished probe
  int64_t joined = 0;  // joined a probe already under way
  int64_t misses = 0;  // started a probe of their own
};

// Cancels a run from any thread. Cancelling a finished run does nothing.
class RunHandle {
 public:
  virtual ~RunHandle() = default;
  virtual void Cancel() = 0;
};

class Engine {
 public:
  // Called exactly once on a reactor thread: the report, or CANCELLED after
  // Cancel(), or INTERNAL when the run could not start (DNS channel creation).
  using ReportCallback = absl::AnyInvocable<void(absl::StatusOr<v1::DomainReport>)>;

  // Errors: INVALID_ARGUMENT naming the option ("--allow_targets: ...",
  // "--ca_file: ...", "weights: unknown check ...") for a bad allowlist,
  // trust store or weight, or a setting a check refuses (ValidateSettings).
  static absl::StatusOr<std::unique_ptr<Engine>> Create(EngineOptions options);
  // Stops the reactors; runs still in flight are dropped without callbacks, so
  // callers stop starting runs and wait for their callbacks first.
  ~Engine();

  // Names of the registered checks, in report order.
  const std::vector<std::string>& RegisteredChecks() const { return weights_.check_order(); }
  // Points of each registered check, after the configuration.
  const checks::scoring::Weights& weights() const { return weights_; }

  // Starts checking `ascii_domain` (already normalized: A-labels, lower case,
  // no trailing dot). Unfinished checks report INCONCLUSIVE at `deadline`.
  // Thread-safe. Unknown names in options.checks must have been rejected by
  // the caller (ValidateOptions).
  std::shared_ptr<RunHandle> Start(std::string ascii_domain, std::string unicode_domain,
                                   v1::CheckOptions options, absl::Time deadline,
                                   ReportCallback done);

  // Totals of the checks' probe caches since start. Thread-safe.
  ProbeCacheCounters probe_cache_counters() const;

  // INVALID_ARGUMENT naming the first unknown check in options.checks.
  absl::Status ValidateOptions(const v1::CheckOptions& options) const;

 private:
  Engine(EngineOptions options, checks::scoring::Weights weights,
         std::unique_ptr<net::ReactorPool> pool, net::AddressGuard guard,
         std::unique_ptr<net::TlsClientContext> tls);

  EngineOptions options_;
  const checks::scoring::Weights weights_;
  // Built once from the flags, shared read-only by every run.
  const net::AddressGuard guard_;
  const std::unique_ptr<net::TlsClientContext> tls_;
  std::unique_ptr<net::ReactorPool> pool_;
};

}  // namespace mtasts::engine

#endif  // MTASTS_ENGINE_ENGINE_H_
