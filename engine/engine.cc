#include "engine/engine.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checks/findings/lookup_verdict.h"
#include "checks/registry.h"
#include "engine/check_run.h"

namespace mtasts::engine {

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(EngineOptions options) {
  if (options.reactor_threads < 1) {
    return absl::InvalidArgumentError("reactor_threads must be at least 1");
  }
  if (options.resolver.transport().empty()) {
    options.resolver.set_transport("udp");
    for (const net::DnsServer& s : options.dns.servers) {
      options.resolver.add_servers(absl::StrContains(s.host, ':')
                                       ? absl::StrCat("[", s.host, "]:", s.port)
                                       : absl::StrCat(s.host, ":", s.port));
    }
  }
  auto guard = net::AddressGuard::Create(options.allow_targets);
  if (!guard.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--allow_targets: ", guard.status().message()));
  }
  net::TlsClientOptions tls_options;
  tls_options.ca_file = options.ca_file;
  tls_options.intermediates_file = options.ca_intermediates_file;
  auto tls = net::TlsClientContext::Create(tls_options);
  if (!tls.ok()) {
    return absl::Status(
        tls.status().code(),
        absl::StrCat(options.ca_intermediates_file.empty() ? "--ca_file: "
                                                           : "--ca_file/--ca_intermediates_file: ",
                     tls.status().message()));
  }
  if (options.dns_max_outstanding < 1) {
    return absl::InvalidArgumentError("dns_max_outstanding must be at least 1");
  }
  // One pacer and health probe for the whole server: the bound is about the
  // resolver's load, which every run adds to.
  net::DnsUpstreamOptions upstream;
  upstream.max_outstanding = options.dns_max_outstanding;
  options.dns.upstream = std::make_shared<net::DnsUpstream>(upstream);
  if (EngineObserver* observer = options.observer; observer != nullptr) {
    options.dns.on_question_finished = [observer](const net::DnsQueryStats& stats) {
      observer->OnDnsQuery(DnsQueryEvent{checks::ToProtoOutcome(stats.outcome), stats.attempts,
                                         stats.attempt_timeouts, stats.used_tcp});
    };
  }
  if (options.checks.empty()) options.checks = checks::BuiltinChecks();
  std::vector<checks::scoring::CheckWeight> defaults;
  for (const auto& check : options.checks) {
    defaults.push_back({std::string(check->name()), check->default_weight()});
    // A setting a check cannot work with (an unreadable trust anchor, say) is
    // a start-up error, not a silent INCONCLUSIVE in every report.
    if (absl::Status status = check->ValidateSettings(options.probe); !status.ok()) {
      return status;
    }
  }
  auto weights = checks::scoring::Weights::Create(defaults, options.weights);
  if (!weights.ok()) return weights.status();
  auto pool = net::ReactorPool::Create(options.reactor_threads);
  if (!pool.ok()) return pool.status();
  return std::unique_ptr<Engine>(new Engine(std::move(options), *std::move(weights),
                                            *std::move(pool), *std::move(guard),
                                            *std::move(tls)));
}

Engine::Engine(EngineOptions options, checks::scoring::Weights weights,
               std::unique_ptr<net::ReactorPool> pool, net::AddressGuard guard,
               std::unique_ptr<net::TlsClientContext> tls)
    : options_(std::move(options)),
      weights_(std::move(weights)),
      guard_(std::move(guard)),
      tls_(std::move(tls)),
      pool_(std::move(pool)) {}

Engine::~Engine() = default;

ProbeCacheCounters Engine::probe_cache_counters() const {
  ProbeCacheCounters total;
  for (const auto& check : options_.checks) {
    const checks::CacheCounters counters = check->cache_counters();
    total.hits += counters.hits;
    total.joined += counters.joined;
    total.misses += counters.misses;
  }
  return total;
}

absl::Status Engine::ValidateOptions(const v1::CheckOptions& options) const {
  const std::vector<std::string>& known = RegisteredChecks();
  for (const std::string& name : options.checks()) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown check \"", name, "\" in options.checks; known checks: ",
          absl::StrJoin(known, ", ")));
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<RunHandle> Engine::Start(std::string ascii_domain, std::string unicode_domain,
                                         v1::CheckOptions options, absl::Time deadline,
                                         ReportCallback done) {
  RunParams params;
  params.ascii_domain = std::move(ascii_domain);
  params.unicode_domain = std::move(unicode_domain);
  params.options = std::move(options);
  params.deadline = deadline;
  params.checks = &options_.checks;
  params.weights = &weights_;
  params.dns = &options_.dns;
  params.max_mx_hosts = options_.max_mx_hosts;
  params.guard = &guard_;
  params.tls = tls_.get();
  params.probe = &options_.probe;
  params.observer = options_.observer;
  params.resolver = &options_.resolver;
  params.resolver_error = &options_.resolver_error;
  return CheckRun::Start(pool_->Next(), std::move(params), std::move(done));
}

}  // namespace mtasts::engine
