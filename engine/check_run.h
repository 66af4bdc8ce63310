// CheckRun: one domain's checks, on one reactor thread.
//
// The run resolves the shared inputs (the MX set, once), starts each selected
// check as soon as the inputs it declared are ready, and lets them run
// concurrently. It finishes when every check has reported and the MX host
// addresses for the evidence are in, or when the deadline hits: then checks
// still running report INCONCLUSIVE with a CHECK_TIMED_OUT finding. Cancel()
// stops all of its DNS queries at once (one c-ares channel per run), those
// still waiting for the server-wide DNS pacer included.
//
// Lifetime: owned by shared_ptr; the reactor keeps it alive while it runs and
// drops it after delivering the report. Everything but the factory and
// Cancel() runs on the run's reactor thread.
#ifndef MTASTS_ENGINE_CHECK_RUN_H_
#define MTASTS_ENGINE_CHECK_RUN_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "checks/check.h"
#include "checks/inputs/mx_set_resolver.h"
#include "checks/inputs/policy_fetcher.h"
#include "checks/scoring/weights.h"
#include "engine/engine.h"
#include "mtasts/v1/report.pb.h"
#include "mtasts/v1/service.pb.h"
#include "net/dns_resolver.h"
#include "net/lifetime.h"
#include "net/reactor.h"

namespace mtasts::engine {

struct RunParams {
  std::string ascii_domain;
  std::string unicode_domain;
  v1::CheckOptions options;
  absl::Time deadline;
  const std::vector<std::unique_ptr<checks::Check>>* checks;  // engine-owned
  const checks::scoring::Weights* weights;                     // engine-owned
  const net::DnsOptions* dns;                                 // engine-owned
  int max_mx_hosts = checks::kDefaultMaxMxHosts;
  const net::AddressGuard* guard = nullptr;     // engine-owned
  const net::TlsClientContext* tls = nullptr;   // engine-owned
  const checks::ProbeSettings* probe = nullptr;  // engine-owned
  EngineObserver* observer = nullptr;            // engine owner's; may be null
  const v1::ResolverVantage* resolver = nullptr;                 // engine-owned
  const std::function<std::string()>* resolver_error = nullptr;  // engine-owned
};

class CheckRun : public checks::CheckContext, public std::enable_shared_from_this<CheckRun> {
 public:
  // Creates the run and posts its start to `reactor`. Thread-safe. The handle
  // holds the run only weakly: the run (and its c-ares channel) must die on
  // its reactor thread, never where a caller drops its handle.
  static std::shared_ptr<RunHandle> Start(net::Reactor* reactor, RunParams params,
                                          Engine::ReportCallback done);

  // Cancels `run` if it still exists. Thread-safe; a no-op once it delivered.
  static void CancelWeak(net::Reactor* reactor, std::weak_ptr<CheckRun> run);

  // CheckContext.
  const std::string& domain() const override { return params_.ascii_domain; }
  const v1::CheckOptions& options() const override { return params_.options; }
  net::Reactor& reactor() override { return *reactor_; }
  net::DnsSession& dns() override { return *dns_; }
  const checks::MxSet& mx_set() const override { return mx_->mx_set(); }
  v1::Evidence& evidence() override { return *report_.mutable_evidence(); }
  void RecordLookup(const net::DnsResult& result) override;
  absl::Time deadline() const override { return params_.deadline; }
  const net::AddressGuard& address_guard() const override { return *params_.guard; }
  const net::TlsClientContext& tls_context() const override { return *params_.tls; }
  const checks::ProbeSettings& settings() const override { return *params_.probe; }
  const checks::PolicyFetch& policy() const override { return policy_; }
  std::weak_ptr<const void> lifetime() const override { return weak_from_this(); }
  void OnCancel(absl::AnyInvocable<void()> on_cancel) override;

  CheckRun(net::Reactor* reactor, RunParams params, Engine::ReportCallback done);

 private:
  struct Slot {
    checks::Check* check = nullptr;
    bool selected = false;  // requested and runnable
    bool started = false;
    bool finished = false;
    absl::Time started_at;
    checks::CheckVerdict verdict;
    absl::Duration duration;
    // OnCancel callbacks of the check, run if the run ends before it reports.
    std::vector<absl::AnyInvocable<void()>> on_cancel;
  };

  void StartOnReactor();
  void OnMxProgress();
  void OnPolicyFetched(checks::PolicyFetch fetch);
  void StartReadyChecks();
  void OnCheckDone(size_t slot, checks::CheckVerdict verdict);
  void MaybeFinish();
  void OnDeadline();
  void CancelOnReactor();
  // Runs the OnCancel callbacks of every check that has not reported.
  void CancelUnfinishedChecks();
  void Finish();
  void Deliver(absl::StatusOr<v1::DomainReport> result);
  v1::CheckResult ResultFor(const std::string& name) const;

  net::Reactor* const reactor_;
  RunParams params_;
  Engine::ReportCallback done_;
  std::unique_ptr<net::DnsSession> dns_;
  v1::DomainReport report_;
  std::vector<Slot> slots_;
  // The MX set and its hosts' addresses, resolved once for every check.
  std::unique_ptr<checks::MxSetResolver> mx_;
  // The policy fetch, started at once when a selected check needs it.
  std::unique_ptr<checks::PolicyFetcher> policy_fetcher_;
  checks::PolicyFetch policy_;
  bool policy_ready_ = false;
  bool finished_ = false;  // no further state changes; delivery is under way
  // The slot whose Run is executing, for OnCancel; -1 outside Run.
  int running_slot_ = -1;
  net::ReactorTimer deadline_timer_{reactor_};
  absl::Time started_at_;
  std::shared_ptr<CheckRun> self_;  // keeps the run alive until delivery
};

}  // namespace mtasts::engine

#endif  // MTASTS_ENGINE_CHECK_RUN_H_
