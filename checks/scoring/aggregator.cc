#include "checks/scoring/aggregator.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "checks/policy_fetch/policy_fetch_findings.h"
#include "checks/scoring/recommendations.h"
#include "checks/scoring/report_reading.h"
#include "checks/scoring/suggestions.h"
#include "checks/scoring/summary.h"
#include "checks/verdict.h"

namespace mtasts::checks::scoring {
namespace {

using v1::CheckResult;
using v1::CheckStatus;
using v1::DomainReport;
using v1::MtaStsState;
using internal::DomainOrPlaceholder;
using internal::Find;
using internal::HasFinding;
using internal::StatusOf;
using internal::Works;

// Position of `check` in `order`; order.size() for a name not in it.
int OrderOf(const std::vector<std::string>& order, std::string_view check) {
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] == check) return static_cast<int>(i);
  }
  return static_cast<int>(order.size());
}

// Canonical order, every known check present, no points without a verdict.
void NormalizeChecks(DomainReport* report, const std::vector<std::string>& order) {
  const int num_checks = static_cast<int>(order.size());
  std::vector<std::optional<CheckResult>> known(order.size());
  std::vector<CheckResult> unknown;  // unknown names and duplicates, in order
  for (CheckResult& c : *report->mutable_checks()) {
    const int i = OrderOf(order, c.check());
    if (i < num_checks && !known[i].has_value()) {
      known[i] = std::move(c);
    } else {
      unknown.push_back(std::move(c));
    }
  }
  report->clear_checks();
  for (int i = 0; i < num_checks; ++i) {
    CheckResult* c = report->add_checks();
    if (known[i].has_value()) {
      *c = std::move(*known[i]);
    } else {
      c->set_check(order[i]);
      c->set_status(v1::CHECK_STATUS_NOT_RUN);
      c->set_summary("Not run: not requested, or not available in this server version.");
    }
  }
  for (CheckResult& c : unknown) *report->add_checks() = std::move(c);

  for (CheckResult& c : *report->mutable_checks()) {
    // UNSPECIFIED is never valid on a finished report; it means nobody ran it.
    if (c.status() == v1::CHECK_STATUS_UNSPECIFIED) {
      c.set_status(v1::CHECK_STATUS_NOT_RUN);
    }
    if (!HasVerdict(c.status())) {
      c.set_points_earned(0);
      c.set_points_possible(0);
    }
  }
}

// Returns the score, or nullopt when no check has a verdict (0 possible).
std::optional<int> ComputeScore(const DomainReport& report) {
  double earned = 0;
  double possible = 0;
  for (const CheckResult& c : report.checks()) {
    if (!HasVerdict(c.status())) continue;
    const double p = std::max(0.0, c.points_possible());
    possible += p;
    earned += std::clamp(c.points_earned(), 0.0, p);
  }
  if (possible <= 0) return std::nullopt;
  // Round half up. Points are fraction × weight in binary floating point, so
  // an exact x.5 may arrive as x.4999999999; the epsilon restores it.
  const double exact = earned * 100.0 / possible;
  const int score = static_cast<int>(std::floor(exact + 0.5 + 1e-9));
  return std::clamp(score, 0, 100);
}

// Finding texts say "<domain>" where the checked domain goes (that is how
// docs/findings.md shows them); a report names the domain itself.
void NameTheDomain(DomainReport* report) {
  if (report->domain().empty()) return;
  const std::vector<std::pair<absl::string_view, absl::string_view>> names = {
      {"<domain>", report->domain()}};
  const auto fix = [&](v1::Finding& f) {
    absl::StrReplaceAll(names, f.mutable_title());
    absl::StrReplaceAll(names, f.mutable_detail());
    absl::StrReplaceAll(names, f.mutable_recommendation());
  };
  for (v1::Finding& f : *report->mutable_domain_findings()) fix(f);
  for (CheckResult& c : *report->mutable_checks()) {
    for (v1::Finding& f : *c.mutable_findings()) fix(f);
  }
}

}  // namespace

v1::Grade GradeForScore(int score) {
  if (score >= 90) return v1::GRADE_A;
  if (score >= 75) return v1::GRADE_B;
  if (score >= 60) return v1::GRADE_C;
  if (score >= 40) return v1::GRADE_D;
  return v1::GRADE_F;
}

MtaStsState StateOf(const DomainReport& report) {
  const CheckResult* txt = Find(report, "txt");
  // A name too long for _mta-sts: no sender can find a policy either, so
  // none applies (RFC 8461 §3.1): absent, not broken.
  if (HasFinding(txt, v1::TXT_MISSING) || HasFinding(txt, v1::TXT_NAME_TOO_LONG)) {
    return v1::MTA_STS_STATE_ABSENT;
  }
  const CheckStatus txt_status = StatusOf(report, "txt");
  if (txt_status == v1::CHECK_STATUS_FAIL ||
      StatusOf(report, "policy_fetch") == v1::CHECK_STATUS_FAIL ||
      StatusOf(report, "policy_content") == v1::CHECK_STATUS_FAIL) {
    return v1::MTA_STS_STATE_BROKEN;
  }
  const v1::PolicyEvidence& policy = report.evidence().policy();
  if (Works(txt_status) && Works(StatusOf(report, "policy_content")) &&
      policy.valid()) {
    switch (policy.mode()) {
      case v1::POLICY_MODE_ENFORCE: return v1::MTA_STS_STATE_ENFORCED;
      case v1::POLICY_MODE_TESTING: return v1::MTA_STS_STATE_TESTING;
      case v1::POLICY_MODE_NONE: return v1::MTA_STS_STATE_DISABLED;
      default: break;  // a "valid" policy without a mode: not trusted
    }
  }
  return v1::MTA_STS_STATE_UNDETERMINED;
}

// A policy that no valid TXT record announces is never fetched by senders
// (RFC 8461 §3.3): it protects nothing, so its content and MX coverage earn
// nothing, and a domain finding says why.
//
// Likewise a policy served with a Content-Type other than text/plain: strict
// senders reject it, so a report must not grade its content as protection.
void DiscountPolicyNotInForce(DomainReport* report) {
  const CheckStatus txt = StatusOf(*report, "txt");
  const CheckStatus fetch = StatusOf(*report, "policy_fetch");
  std::string why;
  if (txt == v1::CHECK_STATUS_FAIL &&
      (fetch == v1::CHECK_STATUS_PASS || fetch == v1::CHECK_STATUS_WARN)) {
    const std::string domain = DomainOrPlaceholder(*report);
    *report->add_domain_findings() = PolicyFetchFindings().Make(
        v1::POLICY_WITHOUT_TXT,
        absl::StrCat("https://mta-sts.", domain,
                     "/.well-known/mta-sts.txt serves a policy, but _mta-sts.", domain,
                     " has no valid v=STSv1 record."),
        domain);
    why = " Not in force: without a valid TXT record senders never fetch this policy.";
  } else if (HasFinding(Find(*report, "policy_fetch"), v1::POLICY_CONTENT_TYPE_WRONG)) {
    why = " Not in force for strict senders: they reject a policy that is not served as "
          "text/plain.";
  } else {
    return;
  }
  for (CheckResult& c : *report->mutable_checks()) {
    if ((c.check() == "policy_content" || c.check() == "mx_match") && c.points_earned() > 0) {
      c.set_points_earned(0);
      // The policy may be fine as written; what it earns is not.
      if (c.status() == v1::CHECK_STATUS_PASS) c.set_status(v1::CHECK_STATUS_WARN);
      c.set_summary(absl::StrCat(c.summary(), why));
    }
  }
}

// A CRITICAL finding means mail from compliant senders fails (an MX host
// they refuse, an enforce policy they cannot apply): whatever else is right,
// that is not a C or better.
constexpr int kScoreCapWithCritical = 59;

bool HasCritical(const DomainReport& report) {
  for (const auto& f : report.domain_findings()) {
    if (f.severity() == v1::SEVERITY_CRITICAL) return true;
  }
  for (const auto& c : report.checks()) {
    for (const auto& f : c.findings()) {
      if (f.severity() == v1::SEVERITY_CRITICAL) return true;
    }
  }
  return false;
}

void Aggregate(DomainReport* report, const std::vector<std::string>& check_order) {
  NormalizeChecks(report, check_order);
  DiscountPolicyNotInForce(report);
  NameTheDomain(report);
  std::optional<int> score = ComputeScore(*report);
  const bool capped = score.has_value() && *score > kScoreCapWithCritical && HasCritical(*report);
  if (capped) score = kScoreCapWithCritical;
  report->set_score(score.value_or(0));
  report->set_grade(GradeForScore(report->score()));
  const MtaStsState state = StateOf(*report);
  report->set_state(state);
  std::string summary = internal::Summary(*report, state, score.has_value());
  if (capped) {
    absl::StrAppend(&summary, " The score is capped at ", kScoreCapWithCritical,
                    " while a critical problem stands.");
  }
  report->set_summary(std::move(summary));
  internal::Suggestions suggestions = internal::Suggest(*report, state);
  report->set_suggested_policy(std::move(suggestions.policy));
  report->set_suggested_txt(std::move(suggestions.txt));
  report->clear_suggestion_notes();
  for (std::string& n : suggestions.notes) report->add_suggestion_notes(std::move(n));
  report->clear_actions();
  report->clear_recommendations();
  for (v1::Recommendation& r : internal::Actions(*report, state)) {
    report->add_recommendations(r.action());
    *report->add_actions() = std::move(r);
  }
  report->clear_good_practice();
  for (std::string& g : internal::GoodPractice(*report, state)) report->add_good_practice(std::move(g));
}

}  // namespace mtasts::checks::scoring
