#include "engine/check_run.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checks/findings/finding.h"
#include "checks/findings/lookup_verdict.h"
#include "checks/scoring/aggregator.h"
#include "google/protobuf/util/time_util.h"

namespace mtasts::engine {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Duration ToProto(absl::Duration d) {
  return TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(d));
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  return TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

}  // namespace

namespace {

// Locks the run only on its reactor thread, so the caller's thread never
// holds (and so never drops) the last reference.
class WeakRunHandle : public RunHandle {
 public:
  WeakRunHandle(net::Reactor* reactor, std::weak_ptr<CheckRun> run)
      : reactor_(reactor), run_(std::move(run)) {}
  void Cancel() override { CheckRun::CancelWeak(reactor_, run_); }

 private:
  net::Reactor* const reactor_;
  const std::weak_ptr<CheckRun> run_;
};

}  // namespace

std::shared_ptr<RunHandle> CheckRun::Start(net::Reactor* reactor, RunParams params,
                                           Engine::ReportCallback done) {
  // Before the run can deliver, so the observer sees start before finish.
  if (params.observer != nullptr) params.observer->OnRunStarted();
  auto run = std::make_shared<CheckRun>(reactor, std::move(params), std::move(done));
  run->self_ = run;
  std::weak_ptr<CheckRun> weak = run;
  reactor->Post([run = std::move(run)] { run->StartOnReactor(); });
  return std::make_shared<WeakRunHandle>(reactor, std::move(weak));
}

CheckRun::CheckRun(net::Reactor* reactor, RunParams params, Engine::ReportCallback done)
    : reactor_(reactor), params_(std::move(params)), done_(std::move(done)) {}

void CheckRun::CancelWeak(net::Reactor* reactor, std::weak_ptr<CheckRun> run) {
  reactor->Post([run = std::move(run)] {
    if (auto locked = run.lock()) locked->CancelOnReactor();
  });
}

void CheckRun::CancelOnReactor() {
  if (finished_) return;
  finished_ = true;
  if (dns_) dns_->Cancel();
  policy_fetcher_.reset();
  CancelUnfinishedChecks();
  Deliver(absl::CancelledError("check cancelled by the caller"));
}

void CheckRun::StartOnReactor() {
  if (finished_) return;
  started_at_ = absl::Now();
  report_.set_domain(params_.ascii_domain);
  report_.set_unicode_domain(params_.unicode_domain);
  *report_.mutable_checked_at() = ToProto(started_at_);

  // The deadline bounds the wait for the pacer and the overload resends.
  auto dns = net::DnsSession::Create(reactor_, *params_.dns, params_.deadline);
  if (!dns.ok()) {
    finished_ = true;
    Deliver(absl::InternalError(absl::StrCat("DNS session: ", dns.status().message())));
    return;
  }
  dns_ = *std::move(dns);

  const auto& requested = params_.options.checks();
  for (const auto& check : *params_.checks) {
    Slot slot;
    slot.check = check.get();
    slot.selected = requested.empty() ||
                    std::find(requested.begin(), requested.end(), check->name()) !=
                        requested.end();
    // Fast mode: checks that connect to the MX hosts stay out.
    if (params_.options.skip_mx_probe() && check->probes_mx_hosts()) slot.selected = false;
    slots_.push_back(std::move(slot));
  }

  std::weak_ptr<CheckRun> weak = weak_from_this();
  deadline_timer_.RunAt(params_.deadline, [weak] {
    if (auto run = weak.lock()) run->OnDeadline();
  });

  // The policy is shared too: fetched once, from every address, when a
  // selected check needs it.
  bool need_policy = false;
  for (const Slot& slot : slots_) {
    for (checks::Input input : slot.check->inputs()) {
      need_policy |= slot.selected && input == checks::Input::kPolicy;
    }
  }
  if (need_policy) {
    policy_fetcher_ = std::make_unique<checks::PolicyFetcher>(*this);
    policy_fetcher_->Start([this](checks::PolicyFetch fetch) { OnPolicyFetched(std::move(fetch)); });
  } else {
    policy_ready_ = true;
  }

  // The MX set is shared: resolved once, offered to every check that needs it,
  // and always part of the evidence.
  mx_ = std::make_unique<checks::MxSetResolver>(
      *this, params_.max_mx_hosts,
      [this](v1::Finding finding) { *report_.add_domain_findings() = std::move(finding); });
  mx_->Start([this] { OnMxProgress(); });
  StartReadyChecks();
}

void CheckRun::RecordLookup(const net::DnsResult& result) {
  v1::DnsLookup* lookup = report_.mutable_evidence()->add_dns_lookups();
  lookup->set_name(result.name);
  lookup->set_type(net::RrTypeName(result.type));
  lookup->set_outcome(checks::ToProtoOutcome(result.outcome));
  for (const auto& alias : result.cname_chain) lookup->add_cname_chain(alias);
  lookup->set_used_tcp(result.used_tcp);
  lookup->set_detail(result.detail);
}

void CheckRun::OnMxProgress() {
  StartReadyChecks();
  MaybeFinish();
}

void CheckRun::OnCancel(absl::AnyInvocable<void()> on_cancel) {
  if (finished_ || running_slot_ < 0) return;  // nothing left to cancel
  slots_[static_cast<size_t>(running_slot_)].on_cancel.push_back(std::move(on_cancel));
}

void CheckRun::CancelUnfinishedChecks() {
  for (Slot& slot : slots_) {
    if (!slot.started || slot.finished) continue;
    auto callbacks = std::move(slot.on_cancel);
    slot.on_cancel.clear();
    for (auto& callback : callbacks) callback();
  }
}

void CheckRun::OnPolicyFetched(checks::PolicyFetch fetch) {
  policy_ = std::move(fetch);
  policy_ready_ = true;
  StartReadyChecks();
  MaybeFinish();
}

void CheckRun::StartReadyChecks() {
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& slot = slots_[i];
    if (!slot.selected || slot.started || finished_) continue;
    bool ready = true;
    for (checks::Input input : slot.check->inputs()) {
      if (input == checks::Input::kMxSet && !mx_->mx_set_ready()) ready = false;
      if (input == checks::Input::kPolicy && !policy_ready_) ready = false;
      if (input == checks::Input::kMxAddresses && !mx_->addresses_ready()) ready = false;
    }
    if (!ready) continue;
    slot.started = true;
    slot.started_at = absl::Now();
    std::weak_ptr<CheckRun> weak = weak_from_this();
    running_slot_ = static_cast<int>(i);
    slot.check->Run(*this, [weak, i](checks::CheckVerdict verdict) {
      if (auto run = weak.lock()) run->OnCheckDone(i, std::move(verdict));
    });
    running_slot_ = -1;
  }
}

void CheckRun::OnCheckDone(size_t index, checks::CheckVerdict verdict) {
  Slot& slot = slots_[index];
  if (finished_ || slot.finished) return;
  slot.finished = true;
  slot.duration = absl::Now() - slot.started_at;
  slot.verdict = std::move(verdict);
  slot.on_cancel.clear();
  MaybeFinish();
}

void CheckRun::MaybeFinish() {
  if (finished_ || !mx_->addresses_ready()) return;
  for (const Slot& slot : slots_) {
    if (slot.selected && !slot.finished) return;
  }
  Finish();
}

void CheckRun::OnDeadline() {
  if (finished_) return;
  CancelUnfinishedChecks();
  const absl::Time now = absl::Now();
  for (Slot& slot : slots_) {
    if (!slot.selected || slot.finished) continue;
    slot.finished = true;
    slot.duration = slot.started ? now - slot.started_at : absl::ZeroDuration();
    slot.verdict = checks::CheckVerdict{};
    slot.verdict.status = v1::CHECK_STATUS_INCONCLUSIVE;
    slot.verdict.summary = "Did not finish before the deadline; left out of the score.";
    slot.verdict.findings.push_back(checks::EngineFindings().Make(
        v1::CHECK_TIMED_OUT,
        absl::StrCat("The ", std::string(slot.check->name()), " check ",
                     slot.started      ? "was still waiting for answers"
                     : !policy_ready_ ? "was still waiting for the policy fetch"
                                      : "was still waiting for the MX lookup",
                     " when the ", absl::FormatDuration(params_.deadline - started_at_),
                     " deadline for this domain expired.")));
  }
  mx_->GiveUp(params_.deadline - started_at_);
  dns_->Cancel();
  policy_fetcher_.reset();  // closes its connections
  Finish();
}

v1::CheckResult CheckRun::ResultFor(const std::string& name) const {
  v1::CheckResult result;
  result.set_check(name);
  const Slot* slot = nullptr;
  for (const Slot& s : slots_) {
    if (s.check->name() == name) slot = &s;
  }
  if (slot == nullptr) {
    result.set_status(v1::CHECK_STATUS_NOT_RUN);
    result.set_summary("Not available in this server version.");
    return result;
  }
  if (!slot->selected) {
    result.set_status(v1::CHECK_STATUS_NOT_RUN);
    result.set_summary(slot->check->probes_mx_hosts() && params_.options.skip_mx_probe()
                           ? "Not run: the request asked for fast mode (no port 25 probe)."
                           : "Not run: not among the checks requested.");
    return result;
  }
  const checks::CheckVerdict& verdict = slot->verdict;
  result.set_status(verdict.status);
  result.set_summary(verdict.summary);
  *result.mutable_duration() = ToProto(slot->duration);
  if (checks::HasVerdict(verdict.status)) {
    const double points = params_.weights->PointsFor(name);
    const double fraction = std::clamp(verdict.fraction, 0.0, 1.0);
    result.set_points_possible(points);
    result.set_points_earned(points * fraction);
  }
  std::vector<v1::Finding> findings = verdict.findings;
  checks::SortMostSevereFirst(findings);
  for (auto& finding : findings) *result.add_findings() = std::move(finding);
  return result;
}

void CheckRun::Finish() {
  if (finished_) return;
  finished_ = true;
  deadline_timer_.Cancel();
  for (const std::string& name : params_.weights->check_order()) {
    *report_.add_checks() = ResultFor(name);
  }
  std::vector<v1::Finding> domain_findings(report_.domain_findings().begin(),
                                           report_.domain_findings().end());
  checks::SortMostSevereFirst(domain_findings);
  report_.clear_domain_findings();
  for (auto& finding : domain_findings) *report_.add_domain_findings() = std::move(finding);
  *report_.mutable_duration() = ToProto(absl::Now() - started_at_);
  if (params_.resolver != nullptr) *report_.mutable_resolver() = *params_.resolver;
  if (params_.resolver_error != nullptr && *params_.resolver_error) {
    report_.mutable_resolver()->set_transport_error((*params_.resolver_error)());
  }
  // Who answered this run's lookups, attributed per answer by the session.
  if (dns_ != nullptr) {
    for (const std::string& server : dns_->AnsweredBy()) {
      report_.mutable_resolver()->add_answered_by(server);
    }
  }
  // Conclusions that need several checks' results (DANE: dnssec's TLSA
  // records and mx_tls's certificates).
  for (const auto& check : *params_.checks) check->AnnotateReport(&report_);
  checks::scoring::Aggregate(&report_, params_.weights->check_order());
  // Delivered from a fresh reaction: Finish can run inside a c-ares callback,
  // and the run (with its c-ares channel) may be destroyed right after delivery.
  reactor_->Post([self = shared_from_this()]() mutable {
    self->Deliver(std::move(self->report_));
  });
}

void CheckRun::Deliver(absl::StatusOr<v1::DomainReport> result) {
  if (!done_) return;
  deadline_timer_.Cancel();
  auto done = std::move(done_);
  std::shared_ptr<CheckRun> keep = std::move(self_);  // released when this returns
  if (params_.observer != nullptr) params_.observer->OnRunFinished(result);
  if (done) done(std::move(result));
}

}  // namespace mtasts::engine
