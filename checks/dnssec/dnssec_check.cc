#include "checks/dnssec/dnssec_check.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "checks/dnssec/dnssec_judge.h"
#include "checks/dnssec/dane.h"

namespace mtasts::checks {
namespace {

// Left for the run to assemble its report after the last validated answer.
constexpr absl::Duration kDeadlineMargin = absl::Milliseconds(300);

CheckVerdict Inconclusive(v1::FindingCode code, std::string detail, const std::string& subject) {
  CheckVerdict v;
  v.status = v1::CHECK_STATUS_INCONCLUSIVE;
  v.findings.push_back(DnssecFindings().Make(code, detail, subject));
  v.summary = absl::StrCat("DNSSEC could not be checked: ", detail);
  if (!v.summary.empty() && v.summary.back() != '.') v.summary += '.';
  return v;
}

enum class Health { kUnknown, kOk, kUnreachable, kBadAnchor };

// What the last root probe with given settings found, until when.
struct HealthMemo {
  absl::Mutex mu;
  struct Entry {
    Health health = Health::kUnknown;
    std::string detail;
    absl::Time until;
  };
  absl::flat_hash_map<std::string, Entry> entries ABSL_GUARDED_BY(mu);
};

HealthMemo& Memo() {
  static HealthMemo* memo = new HealthMemo();  // never destroyed: no exit-order issues
  return *memo;
}

std::string MemoKey(const ProbeSettings& s) {
  return absl::StrCat(s.trust_anchor_file, "\n", s.dnssec_forwarder);
}

}  // namespace

absl::Status ValidateDnssecSettings(const ProbeSettings& settings) {
  net::DnssecOptions o;
  o.trust_anchor_file = settings.trust_anchor_file;
  o.forwarder = settings.dnssec_forwarder;
  absl::Status s = net::DnssecValidator::ValidateOptions(o);
  if (s.ok()) return s;
  const bool forwarder = net::DnssecOptionFaultOf(s) == net::DnssecOptionFault::kForwarder;
  return absl::InvalidArgumentError(
      absl::StrCat(forwarder ? "--dnssec_forwarder: " : "--trust_anchor_file: ", s.message()));
}

struct DnssecCheck::RunState {
  CheckContext* ctx = nullptr;
  std::weak_ptr<const void> alive;  // the run; expired: drop everything
  DoneCallback done;
  net::DnssecValidator* validator = nullptr;
  absl::Time lookups_deadline;
  DnssecObservations obs;
  uint64_t run_id = 0;  // in timeouts_' window
  std::vector<net::DnssecValidator::QueryId> ids;
  int pending = 0;
  bool finished = false;
};

DnssecCheck::~DnssecCheck() {
  absl::MutexLock lock(&mu_);
  // The engine stops its reactors before destroying the checks.
  for (auto& [reactor, validator] : validators_) validator->ForgetReactor();
  validators_.clear();
}

absl::StatusOr<net::DnssecValidator*> DnssecCheck::ValidatorFor(CheckContext& ctx) {
  absl::MutexLock lock(&mu_);
  auto it = validators_.find(&ctx.reactor());
  if (it != validators_.end()) return it->second.get();
  const ProbeSettings& settings = ctx.settings();
  net::DnssecOptions o;
  o.trust_anchor_file = settings.trust_anchor_file;
  o.forwarder = settings.dnssec_forwarder;
  // A forwarder the operator chose may well be a local resolver; without
  // one, names pointing at loopback stay unreachable (libunbound's default).
  o.allow_localhost = !o.forwarder.empty();
  if (!o.forwarder.empty()) o.unblock_local_zones = {"test.", "example."};
  o.query_timeout = options_.query_timeout;
  o.max_outstanding = options_.max_outstanding;
  auto v = net::DnssecValidator::Create(&ctx.reactor(), o);
  if (!v.ok()) return v.status();
  net::DnssecValidator* raw = v->get();
  validators_[&ctx.reactor()] = *std::move(v);
  return raw;
}

void DnssecCheck::Run(CheckContext& ctx, DoneCallback done) {
  auto validator = ValidatorFor(ctx);
  if (!validator.ok()) {
    const bool anchor = net::DnssecOptionFaultOf(validator.status()) ==
                        net::DnssecOptionFault::kTrustAnchorFile;
    done(Inconclusive(anchor ? v1::DNSSEC_TRUST_ANCHOR_PROBLEM : v1::DNSSEC_VALIDATOR_UNAVAILABLE,
                      std::string(validator.status().message()), ctx.domain()));
    return;
  }
  auto state = std::make_shared<RunState>();
  state->ctx = &ctx;
  state->alive = ctx.lifetime();
  state->done = std::move(done);
  state->validator = *validator;
  const absl::Time now = absl::Now();
  state->lookups_deadline = ctx.deadline() - kDeadlineMargin;
  if (state->lookups_deadline <= now) {
    state->done(Inconclusive(v1::DNSSEC_LOOKUP_FAILED, "no time was left for the validated lookups",
                             ctx.domain()));
    return;
  }

  Health health = Health::kUnknown;
  std::string detail;
  const std::string key = MemoKey(ctx.settings());
  {
    HealthMemo& memo = Memo();
    absl::MutexLock lock(&memo.mu);
    auto it = memo.entries.find(key);
    if (it != memo.entries.end() && now < it->second.until) {
      health = it->second.health;
      detail = it->second.detail;
    }
  }
  switch (health) {
    case Health::kOk:
      StartLookups(std::move(state));
      return;
    case Health::kUnreachable:
      state->done(Inconclusive(v1::DNSSEC_VALIDATOR_UNAVAILABLE, detail, ctx.domain()));
      return;
    case Health::kBadAnchor:
      state->done(Inconclusive(v1::DNSSEC_TRUST_ANCHOR_PROBLEM, detail, ctx.domain()));
      return;
    case Health::kUnknown:
      break;
  }
  // The root's DNSKEY: cached for days once fetched, so cheap when the
  // validator works, and bounded by probe_timeout when it reaches nothing.
  const absl::Duration timeout = std::min(options_.probe_timeout, state->lookups_deadline - now);
  state->validator->Resolve(
      ".", net::kDnsTypeDnskey, timeout, [this, state, key](net::ValidatedResult r) {
        Health h = Health::kUnreachable;
        std::string why;
        if (r.outcome == net::DnsOutcome::kAnswer && r.security == net::DnssecSecurity::kSecure) {
          h = Health::kOk;
        } else if (r.security == net::DnssecSecurity::kBogus) {
          h = Health::kBadAnchor;
          why = absl::StrCat("the root's DNSKEY records do not validate against the trust anchor (",
                             r.why_bogus, ")");
        } else if (r.outcome == net::DnsOutcome::kError) {
          h = Health::kBadAnchor;
          why = r.detail;
        } else {
          why = absl::StrCat("the validator could not fetch the root's DNSKEY records: ",
                             net::DnsOutcomeName(r.outcome),
                             r.detail.empty() ? "" : absl::StrCat(" (", r.detail, ")"));
        }
        {
          HealthMemo& memo = Memo();
          absl::MutexLock lock(&memo.mu);
          memo.entries[key] = {h, why,
                               absl::Now() + (h == Health::kOk ? options_.probe_ok_ttl
                                                               : options_.probe_failed_ttl)};
        }
        if (state->alive.expired()) return;
        if (h == Health::kOk) {
          StartLookups(state);
        } else {
          state->done(Inconclusive(h == Health::kBadAnchor ? v1::DNSSEC_TRUST_ANCHOR_PROBLEM
                                                           : v1::DNSSEC_VALIDATOR_UNAVAILABLE,
                                   why, state->ctx->domain()));
        }
      });
}

void DnssecCheck::StartLookups(std::shared_ptr<RunState> state) {
  CheckContext& ctx = *state->ctx;
  DnssecObservations& obs = state->obs;
  const std::string& domain = ctx.domain();
  obs.domain = domain;
  obs.policy_host.resize(2);
  const auto& hosts = ctx.mx_set().hosts;
  const size_t n = std::min(hosts.size(), static_cast<size_t>(std::max(0, options_.max_mx_hosts)));
  obs.mx_hosts.resize(n);
  for (size_t i = 0; i < n; ++i) {
    obs.mx_hosts[i].host = hosts[i].host;
    obs.mx_hosts[i].addresses.resize(2);
  }
  // Every slot is sized above, so the pointers stay valid.
  std::vector<std::pair<net::ValidatedResult*, std::pair<std::string, uint16_t>>> lookups = {
      {&obs.mx, {domain, net::kDnsTypeMx}},
      {&obs.sts_txt, {"_mta-sts." + domain, net::kDnsTypeTxt}},
      {&obs.policy_host[0], {"mta-sts." + domain, net::kDnsTypeA}},
      {&obs.policy_host[1], {"mta-sts." + domain, net::kDnsTypeAaaa}},
  };
  for (auto& h : obs.mx_hosts) {
    lookups.push_back({&h.addresses[0], {h.host, net::kDnsTypeA}});
    lookups.push_back({&h.addresses[1], {h.host, net::kDnsTypeAaaa}});
    lookups.push_back({&h.tlsa, {"_25._tcp." + h.host, net::kDnsTypeTlsa}});
  }
  const absl::Duration timeout =
      std::min(options_.query_timeout, state->lookups_deadline - absl::Now());
  state->pending = static_cast<int>(lookups.size());
  state->run_id = next_run_id_.fetch_add(1);
  for (auto& [slot, query] : lookups) {
    state->ids.push_back(state->validator->Resolve(
        query.first, query.second, timeout,
        [this, state, slot = slot](net::ValidatedResult r) {
          if (state->finished || state->alive.expired()) return;
          timeouts_.NoteLookup(state->run_id, r.outcome == net::DnsOutcome::kTimeout);
          *slot = std::move(r);
          if (--state->pending == 0) Finish(state);
        }));
  }
}

void DnssecCheck::Finish(std::shared_ptr<RunState> state) {
  state->finished = true;
  for (auto id : state->ids) state->validator->Cancel(id);  // no-ops once delivered
  // Timeouts while the validated lookups of many other runs time out too are
  // our own load (validator or forwarder), not this domain's name servers;
  // one domain's dead servers are that run's timeouts alone.
  if (HasTimeout(state->obs)) MarkOwnOverload(timeouts_.MassTimeoutSessions(), &state->obs);
  CheckVerdict verdict = JudgeDnssec(state->obs, &state->ctx->evidence());
  state->done(std::move(verdict));
}

void DnssecCheck::AnnotateReport(v1::DomainReport* report) const { AnnotateDane(report); }

}  // namespace mtasts::checks
