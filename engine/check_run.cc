#include "engine/check_run.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checks/dnssec/dane.h"
#include "checks/findings_table.h"
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

v1::DnsOutcome ToProto(net::DnsOutcome outcome) {
  switch (outcome) {
    case net::DnsOutcome::kAnswer: return v1::DNS_OUTCOME_ANSWER;
    case net::DnsOutcome::kNxDomain: return v1::DNS_OUTCOME_NXDOMAIN;
    case net::DnsOutcome::kNoData: return v1::DNS_OUTCOME_NODATA;
    case net::DnsOutcome::kServFail: return v1::DNS_OUTCOME_SERVFAIL;
    case net::DnsOutcome::kRefused: return v1::DNS_OUTCOME_REFUSED;
    case net::DnsOutcome::kTimeout: return v1::DNS_OUTCOME_TIMEOUT;
    case net::DnsOutcome::kUnreachable: return v1::DNS_OUTCOME_RESOLVER_UNREACHABLE;
    case net::DnsOutcome::kError:
    case net::DnsOutcome::kCancelled: return v1::DNS_OUTCOME_ERROR;
  }
  return v1::DNS_OUTCOME_ERROR;
}

bool IsVerdictStatus(v1::CheckStatus status) {
  return status == v1::CHECK_STATUS_PASS || status == v1::CHECK_STATUS_WARN ||
         status == v1::CHECK_STATUS_FAIL;
}

// Most severe first, so readers and the aggregator see what matters on top.
void SortFindings(std::vector<v1::Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(),
                   [](const v1::Finding& a, const v1::Finding& b) {
                     return a.severity() > b.severity();
                   });
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
  Deliver(absl::CancelledError("check cancelled by the caller"));
}

void CheckRun::StartOnReactor() {
  if (finished_) return;
  started_at_ = absl::Now();
  report_.set_domain(params_.ascii_domain);
  report_.set_unicode_domain(params_.unicode_domain);
  *report_.mutable_checked_at() = ToProto(started_at_);

  auto dns = net::DnsSession::Create(reactor_, *params_.dns);
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
    // Fast mode: the port 25 probe is the one check a request can switch off.
    if (params_.options.skip_mx_probe() && check->name() == "mx_tls") slot.selected = false;
    slots_.push_back(std::move(slot));
  }

  std::weak_ptr<CheckRun> weak = weak_from_this();
  deadline_timer_ = reactor_->RunAt(params_.deadline, [weak] {
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
  dns_->Query(params_.ascii_domain, net::RrType::kMx,
              [this](net::DnsResult result) { OnMxLookup(std::move(result)); });
  StartReadyChecks();
}

void CheckRun::RecordLookup(const net::DnsResult& result) {
  v1::DnsLookup* lookup = report_.mutable_evidence()->add_dns_lookups();
  lookup->set_name(result.name);
  lookup->set_type(net::RrTypeName(result.type));
  lookup->set_outcome(ToProto(result.outcome));
  for (const auto& alias : result.cname_chain) lookup->add_cname_chain(alias);
  lookup->set_used_tcp(result.used_tcp);
  lookup->set_detail(result.detail);
}

void CheckRun::OnMxLookup(net::DnsResult result) {
  RecordLookup(result);
  v1::Evidence& ev = evidence();
  auto add_domain_finding = [this](v1::Finding finding) {
    *report_.add_domain_findings() = std::move(finding);
  };
  switch (result.outcome) {
    case net::DnsOutcome::kAnswer: {
      std::vector<net::MxRecord> hosts;
      for (const auto& mx : result.mx) {
        // RFC 7505: a null MX is the single record "0 ."; its host is empty.
        if (mx.host.empty()) {
          mx_set_.null_mx = true;
          continue;
        }
        hosts.push_back(mx);
      }
      std::sort(hosts.begin(), hosts.end(), [](const auto& a, const auto& b) {
        return a.preference != b.preference ? a.preference < b.preference : a.host < b.host;
      });
      hosts.erase(std::unique(hosts.begin(), hosts.end()), hosts.end());
      if (static_cast<int>(hosts.size()) > params_.max_mx_hosts) {
        hosts.resize(params_.max_mx_hosts);
      }
      mx_set_.hosts = hosts;
      if (mx_set_.null_mx && !hosts.empty()) {
        add_domain_finding(checks::MakeFinding(
            v1::MX_NULL_MIXED,
            absl::StrCat("The MX set holds a null MX (\"0 .\") and ", hosts.size(),
                         " other host(s).")));
        ev.set_mx_kind(v1::MX_KIND_HOSTS);
      } else if (mx_set_.null_mx) {
        add_domain_finding(checks::MakeFinding(
            v1::MX_NULL, absl::StrCat(params_.ascii_domain,
                                      " publishes a null MX (\"0 .\"): it accepts no mail.")));
        ev.set_mx_kind(v1::MX_KIND_NULL);
      } else {
        ev.set_mx_kind(v1::MX_KIND_HOSTS);
      }
      break;
    }
    case net::DnsOutcome::kNoData:
      ev.set_mx_kind(v1::MX_KIND_NONE);
      add_domain_finding(checks::MakeFinding(
          v1::MX_NONE, absl::StrCat(params_.ascii_domain,
                                    " has no MX records; senders deliver to its own address "
                                    "(implicit MX, RFC 5321 §5.1).")));
      break;
    case net::DnsOutcome::kUnreachable:
      add_domain_finding(checks::MakeFinding(
          v1::RESOLVER_UNREACHABLE,
          absl::StrCat("The MX lookup for ", params_.ascii_domain, " could not be made: ",
                       result.detail, ".")));
      break;
    case net::DnsOutcome::kNxDomain:
      add_domain_finding(checks::MakeFinding(
          v1::DOMAIN_NOT_FOUND,
          absl::StrCat("The MX lookup for ", params_.ascii_domain,
                       " returned NXDOMAIN: the domain does not exist.")));
      break;
    default:
      add_domain_finding(checks::MakeFinding(
          v1::MX_LOOKUP_FAILED,
          absl::StrCat("The MX lookup for ", params_.ascii_domain, " failed: ",
                       net::DnsOutcomeName(result.outcome),
                       result.detail.empty() ? "" : absl::StrCat(" (", result.detail, ")"),
                       ".")));
      break;
  }
  mx_set_.lookup = std::move(result);
  mx_set_.addresses.resize(mx_set_.hosts.size());

  for (size_t i = 0; i < mx_set_.hosts.size(); ++i) {
    v1::MxHost* host = ev.add_mx_hosts();
    host->set_name(mx_set_.hosts[i].host);
    host->set_preference(mx_set_.hosts[i].preference);
    for (net::RrType type : {net::RrType::kA, net::RrType::kAaaa}) {
      ++address_lookups_pending_;
      dns_->Query(mx_set_.hosts[i].host, type, [this, i](net::DnsResult r) {
        OnMxHostAddresses(i, std::move(r));
      });
    }
  }
  mx_ready_ = true;
  StartReadyChecks();
  MaybeFinish();
}

void CheckRun::OnMxHostAddresses(size_t host_index, net::DnsResult result) {
  --address_lookups_pending_;
  RecordLookup(result);
  checks::MxSet::HostAddresses& lookups = mx_set_.addresses[host_index];
  (result.type == net::RrType::kAaaa ? lookups.aaaa : lookups.a) = result;
  v1::MxHost* host = evidence().mutable_mx_hosts(static_cast<int>(host_index));
  for (const auto& address : result.addresses) host->add_addresses(address);
  // The A and AAAA lookups see the same alias; record it once.
  if (!result.cname_chain.empty() && host->cname_chain().empty()) {
    for (const auto& alias : result.cname_chain) host->add_cname_chain(alias);
    *report_.add_domain_findings() = checks::MakeFinding(
        v1::MX_TARGET_IS_CNAME,
        absl::StrCat("MX host ", host->name(), " is an alias for ",
                     absl::StrJoin(result.cname_chain, " -> "), "."),
        host->name());
  }
  if (address_lookups_pending_ == 0) StartReadyChecks();
  MaybeFinish();
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
      if (input == checks::Input::kMxSet && !mx_ready_) ready = false;
      if (input == checks::Input::kPolicy && !policy_ready_) ready = false;
      if (input == checks::Input::kMxAddresses && (!mx_ready_ || address_lookups_pending_ > 0)) {
        ready = false;
      }
    }
    if (!ready) continue;
    slot.started = true;
    slot.started_at = absl::Now();
    std::weak_ptr<CheckRun> weak = weak_from_this();
    slot.check->Run(*this, [weak, i](checks::CheckVerdict verdict) {
      if (auto run = weak.lock()) run->OnCheckDone(i, std::move(verdict));
    });
  }
}

void CheckRun::OnCheckDone(size_t index, checks::CheckVerdict verdict) {
  Slot& slot = slots_[index];
  if (finished_ || slot.finished) return;
  slot.finished = true;
  slot.duration = absl::Now() - slot.started_at;
  slot.verdict = std::move(verdict);
  MaybeFinish();
}

void CheckRun::MaybeFinish() {
  if (finished_ || !mx_ready_ || address_lookups_pending_ > 0) return;
  for (const Slot& slot : slots_) {
    if (slot.selected && !slot.finished) return;
  }
  Finish();
}

void CheckRun::OnDeadline() {
  deadline_timer_ = 0;
  if (finished_) return;
  const absl::Time now = absl::Now();
  for (Slot& slot : slots_) {
    if (!slot.selected || slot.finished) continue;
    slot.finished = true;
    slot.duration = slot.started ? now - slot.started_at : absl::ZeroDuration();
    slot.verdict = checks::CheckVerdict{};
    slot.verdict.status = v1::CHECK_STATUS_INCONCLUSIVE;
    slot.verdict.summary = "Did not finish before the deadline; left out of the score.";
    slot.verdict.findings.push_back(checks::MakeFinding(
        v1::CHECK_TIMED_OUT,
        absl::StrCat("The ", std::string(slot.check->name()), " check ",
                     slot.started      ? "was still waiting for answers"
                     : !policy_ready_ ? "was still waiting for the policy fetch"
                                      : "was still waiting for the MX lookup",
                     " when the ", absl::FormatDuration(params_.deadline - started_at_),
                     " deadline for this domain expired.")));
  }
  if (!mx_ready_) {
    mx_ready_ = true;
    *report_.add_domain_findings() = checks::MakeFinding(
        v1::MX_LOOKUP_FAILED, "The MX lookup did not finish before the deadline.");
  }
  dns_->Cancel();
  policy_fetcher_.reset();  // closes its connections
  address_lookups_pending_ = 0;
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
    result.set_summary(name == "mx_tls" && params_.options.skip_mx_probe()
                           ? "Not run: the request asked for fast mode (no port 25 probe)."
                           : "Not run: not among the checks requested.");
    return result;
  }
  const checks::CheckVerdict& verdict = slot->verdict;
  result.set_status(verdict.status);
  result.set_summary(verdict.summary);
  *result.mutable_duration() = ToProto(slot->duration);
  if (IsVerdictStatus(verdict.status)) {
    const double points = params_.weights->PointsFor(name);
    const double fraction = std::clamp(verdict.fraction, 0.0, 1.0);
    result.set_points_possible(points);
    result.set_points_earned(points * fraction);
  }
  std::vector<v1::Finding> findings = verdict.findings;
  SortFindings(findings);
  for (auto& finding : findings) *result.add_findings() = std::move(finding);
  return result;
}

void CheckRun::Finish() {
  if (finished_) return;
  finished_ = true;
  if (deadline_timer_ != 0) reactor_->CancelTimer(deadline_timer_);
  deadline_timer_ = 0;
  for (const std::string& name : checks::scoring::AllCheckNames()) {
    *report_.add_checks() = ResultFor(name);
  }
  std::vector<v1::Finding> domain_findings(report_.domain_findings().begin(),
                                           report_.domain_findings().end());
  SortFindings(domain_findings);
  report_.clear_domain_findings();
  for (auto& finding : domain_findings) *report_.add_domain_findings() = std::move(finding);
  *report_.mutable_duration() = ToProto(absl::Now() - started_at_);
  // DANE needs both dnssec's TLSA records and mx_tls's certificates.
  checks::AnnotateDane(&report_);
  checks::scoring::Aggregate(&report_);
  // Delivered from a fresh reaction: Finish can run inside a c-ares callback,
  // and the run (with its c-ares channel) may be destroyed right after delivery.
  reactor_->Post([self = shared_from_this()]() mutable {
    self->Deliver(std::move(self->report_));
  });
}

void CheckRun::Deliver(absl::StatusOr<v1::DomainReport> result) {
  if (!done_) return;
  if (deadline_timer_ != 0) reactor_->CancelTimer(deadline_timer_);
  deadline_timer_ = 0;
  auto done = std::move(done_);
  std::shared_ptr<CheckRun> keep = std::move(self_);  // released when this returns
  if (done) done(std::move(result));
}

}  // namespace mtasts::engine
