// A CheckContext for testing one check on its own, without the engine: a
// real reactor thread and, when given servers, a real DnsSession (point it at
// tests/fakes/fake_dns_server), with the shared inputs (MX set, policy fetch)
// scripted by the test. It records what the check did (lookups recorded,
// dns() uses, OnCancel registrations, `done` calls) and lets the test play
// the run's end: fire the OnCancel callbacks (deadline or caller's cancel)
// and expire lifetime().
//
//   auto ctx = FakeCheckContext::Create("example.test", {{"127.0.0.1", dns->port()}});
//   TxtCheck check;
//   (*ctx)->Start(check);                       // Run on the reactor thread
//   std::optional<CheckVerdict> v = (*ctx)->WaitForDone(absl::Seconds(30));
//   EXPECT_EQ((*ctx)->done_calls(), 1);
//   v1::Evidence evidence = (*ctx)->EvidenceCopy();
//
// Set-up (mutable_*, Set*) happens on the test thread before Start. After
// Start the check runs on the reactor thread; the test reads state through
// the accessors below, which synchronize with it. Destruction cancels the DNS
// session and stops the reactor (OnCancel callbacks are not run, lifetime()
// expires): checks whose state outlives that must have stopped first.
#ifndef MTASTS_CHECKS_TESTING_FAKE_CHECK_CONTEXT_H_
#define MTASTS_CHECKS_TESTING_FAKE_CHECK_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "checks/check.h"

namespace mtasts::checks::testing {

class FakeCheckContext : public CheckContext {
 public:
  // A context for `domain` with its own reactor thread. `dns_servers` empty:
  // dns() still works but points at a closed loopback port, so a check that
  // should not query shows up in dns_uses() rather than on the network.
  static absl::StatusOr<std::unique_ptr<FakeCheckContext>> Create(
      std::string domain, std::vector<net::DnsServer> dns_servers = {});
  ~FakeCheckContext() override;

  FakeCheckContext(const FakeCheckContext&) = delete;
  FakeCheckContext& operator=(const FakeCheckContext&) = delete;

  // --- Set-up, test thread, before Start. ---
  MxSet& mutable_mx_set() { return mx_set_; }
  PolicyFetch& mutable_policy() { return policy_; }
  v1::CheckOptions& mutable_options() { return options_; }
  ProbeSettings& mutable_settings() { return settings_; }
  v1::Evidence& mutable_evidence() { return evidence_; }
  void set_deadline(absl::Time deadline) { deadline_ = deadline; }
  // --allow_targets for address_guard() (default: no allowlist).
  absl::Status SetAllowTargets(const std::string& cidrs);
  // Trust store for tls_context() (default: the system's).
  absl::Status SetCaFile(const std::string& ca_file);

  // --- Driving the check. ---
  // Calls check.Run(*this, done) on the reactor thread and returns once Run
  // returned. `check` must outlive the check's work. `after_run`, when set,
  // runs on the reactor thread right after Run, in the same turn of the loop
  // (before anything Run posted), e.g. to end the run at that point.
  void Start(Check& check, absl::AnyInvocable<void()> after_run = nullptr);
  // Waits for the first `done` call; nullopt on timeout.
  std::optional<CheckVerdict> WaitForDone(absl::Duration timeout);
  // Plays the run ending before the check reported (deadline or caller's
  // cancel), in the engine's order: runs the OnCancel callbacks, then cancels
  // the DNS session. Returns once done. Any thread.
  void FireOnCancel();
  // Expires lifetime() (the run is gone). Any thread.
  void ExpireLifetime();
  // FireOnCancel then ExpireLifetime.
  void CancelRun();
  // Runs `fn` on the reactor thread and waits for it.
  void RunOnReactor(absl::AnyInvocable<void()> fn);

  // --- What the check did; test thread, any time. ---
  int done_calls() const;
  // `done` calls after FireOnCancel / ExpireLifetime: a contract violation.
  int done_calls_after_cancel() const;
  int dns_uses() const;
  // OnCancel registrations accepted (made inside Run, before any end).
  int on_cancel_registered() const;
  // Registrations the engine would ignore (outside Run or after the end).
  int on_cancel_ignored() const;
  std::vector<net::DnsResult> recorded_lookups() const;
  v1::Evidence EvidenceCopy();  // read on the reactor thread
  // Calls from a thread other than the reactor's (a contract violation).
  int off_thread_calls() const;

  // --- CheckContext. ---
  const std::string& domain() const override { return domain_; }
  const v1::CheckOptions& options() const override { return options_; }
  net::Reactor& reactor() override { return *reactor_; }
  net::DnsSession& dns() override;
  const MxSet& mx_set() const override { return mx_set_; }
  v1::Evidence& evidence() override;
  void RecordLookup(const net::DnsResult& result) override;
  absl::Time deadline() const override { return deadline_; }
  const net::AddressGuard& address_guard() const override { return *guard_; }
  const net::TlsClientContext& tls_context() const override { return *tls_; }
  const ProbeSettings& settings() const override { return settings_; }
  const PolicyFetch& policy() const override { return policy_; }
  std::weak_ptr<const void> lifetime() const override;
  void OnCancel(absl::AnyInvocable<void()> on_cancel) override;

 private:
  FakeCheckContext(std::string domain, std::unique_ptr<net::Reactor> reactor);
  void NoteThread() const;

  const std::string domain_;
  std::unique_ptr<net::Reactor> reactor_;
  std::unique_ptr<net::DnsSession> dns_;  // created and destroyed on the reactor
  std::optional<net::AddressGuard> guard_;
  std::unique_ptr<net::TlsClientContext> tls_;
  MxSet mx_set_;
  PolicyFetch policy_;
  v1::CheckOptions options_;
  ProbeSettings settings_;
  v1::Evidence evidence_;  // reactor thread once started
  absl::Time deadline_ = absl::InfiniteFuture();
  bool in_run_ = false;    // reactor thread
  std::vector<absl::AnyInvocable<void()>> on_cancel_;  // reactor thread

  mutable absl::Mutex mu_;
  std::shared_ptr<const void> lifetime_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<CheckVerdict> verdict_ ABSL_GUARDED_BY(mu_);
  int done_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int done_after_cancel_ ABSL_GUARDED_BY(mu_) = 0;
  int dns_uses_ ABSL_GUARDED_BY(mu_) = 0;
  int on_cancel_registered_ ABSL_GUARDED_BY(mu_) = 0;
  int on_cancel_ignored_ ABSL_GUARDED_BY(mu_) = 0;
  mutable int off_thread_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<net::DnsResult> lookups_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mtasts::checks::testing

#endif  // MTASTS_CHECKS_TESTING_FAKE_CHECK_CONTEXT_H_
