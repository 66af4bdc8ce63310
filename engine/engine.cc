#include "engine/engine.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checks/dnssec/dnssec_check.h"
#include "checks/registry.h"
#include "engine/check_run.h"

namespace mtasts::engine {

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(EngineOptions options) {
  if (options.reactor_threads < 1) {
    return absl::InvalidArgumentError("reactor_threads must be at least 1");
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
  // A trust anchor that cannot be read is a start-up error, not a silent
  // INCONCLUSIVE in every report.
  if (absl::Status dnssec = checks::ValidateDnssecSettings(options.probe); !dnssec.ok()) {
    return dnssec;
  }
  auto pool = net::ReactorPool::Create(options.reactor_threads);
  if (!pool.ok()) return pool.status();
  if (options.checks.empty()) options.checks = checks::BuiltinChecks();
  return std::unique_ptr<Engine>(new Engine(std::move(options), *std::move(pool),
                                            *std::move(guard), *std::move(tls)));
}

Engine::Engine(EngineOptions options, std::unique_ptr<net::ReactorPool> pool,
               net::AddressGuard guard, std::unique_ptr<net::TlsClientContext> tls)
    : options_(std::move(options)),
      guard_(std::move(guard)),
      tls_(std::move(tls)),
      pool_(std::move(pool)) {}

Engine::~Engine() = default;

std::vector<std::string> Engine::RegisteredChecks() const {
  std::vector<std::string> names;
  for (const auto& check : options_.checks) names.emplace_back(check->name());
  return names;
}

absl::Status Engine::ValidateOptions(const v1::CheckOptions& options) const {
  const auto& known = checks::scoring::AllCheckNames();
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
  params.weights = &options_.weights;
  params.dns = &options_.dns;
  params.max_mx_hosts = options_.max_mx_hosts;
  params.guard = &guard_;
  params.tls = tls_.get();
  params.probe = &options_.probe;
  return CheckRun::Start(pool_->Next(), std::move(params), std::move(done));
}

}  // namespace mtasts::engine
