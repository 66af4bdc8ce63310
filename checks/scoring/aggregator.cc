#include "checks/scoring/aggregator.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "checks/policy_fetch/policy_fetch_findings.h"
#include "checks/verdict.h"

namespace mtasts::checks::scoring {
namespace {

using v1::CheckResult;
using v1::CheckStatus;
using v1::DomainReport;
using v1::MtaStsState;

// Sort key of the report's domain_findings: before every check.
constexpr int kDomainOrder = -1;

// RFC 8461 §3.2 recommends a max_age of weeks for a policy in force; a day
// keeps testing and none easy to change.
constexpr int kEnforceMaxAge = 604800;
constexpr int kTestingMaxAge = 86400;

bool Works(CheckStatus s) {
  return s == v1::CHECK_STATUS_PASS || s == v1::CHECK_STATUS_WARN;
}

// Position of `check` in `order`; order.size() for a name not in it.
int OrderOf(const std::vector<std::string>& order, std::string_view check) {
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] == check) return static_cast<int>(i);
  }
  return static_cast<int>(order.size());
}

// Position of the check named `name` in the (normalised) report; after
// every check when absent.
int OrderInReport(const DomainReport& report, std::string_view name) {
  for (int i = 0; i < report.checks_size(); ++i) {
    if (report.checks(i).check() == name) return i;
  }
  return report.checks_size();
}

const CheckResult* Find(const DomainReport& report, std::string_view name) {
  for (const CheckResult& c : report.checks()) {
    if (c.check() == name) return &c;
  }
  return nullptr;
}

// A check absent from the report counts as not run.
CheckStatus StatusOf(const DomainReport& report, std::string_view name) {
  const CheckResult* c = Find(report, name);
  return c == nullptr ? v1::CHECK_STATUS_NOT_RUN : c->status();
}

bool HasFinding(const CheckResult* check, v1::FindingCode code) {
  if (check == nullptr) return false;
  for (const v1::Finding& f : check->findings()) {
    if (f.code() == code) return true;
  }
  return false;
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

absl::string_view GradeLetter(v1::Grade g) {
  switch (g) {
    case v1::GRADE_A: return "A";
    case v1::GRADE_B: return "B";
    case v1::GRADE_C: return "C";
    case v1::GRADE_D: return "D";
    default: return "F";
  }
}

absl::string_view SeverityWord(v1::Severity s) {
  switch (s) {
    case v1::SEVERITY_CRITICAL: return "critical";
    case v1::SEVERITY_HIGH: return "high";
    case v1::SEVERITY_MEDIUM: return "medium";
    case v1::SEVERITY_LOW: return "low";
    default: return "information";
  }
}

// "a", "a and b", "a, b and c".
std::string JoinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "";
  if (names.size() == 1) return names[0];
  std::vector<std::string> head(names.begin(), names.end() - 1);
  return absl::StrCat(absl::StrJoin(head, ", "), " and ", names.back());
}

std::vector<std::string> NamesWith(const DomainReport& report,
                                   CheckStatus status) {
  std::vector<std::string> names;
  for (const CheckResult& c : report.checks()) {
    if (c.status() == status) names.push_back(c.check());
  }
  return names;
}

// How the summary names the domain: "bücher.example (xn--bcher-kva.example)".
std::string DisplayName(const DomainReport& report) {
  if (report.domain().empty()) return "This domain";
  if (!report.unicode_domain().empty() &&
      report.unicode_domain() != report.domain()) {
    return absl::StrCat(report.unicode_domain(), " (", report.domain(), ")");
  }
  return report.domain();
}

std::string DomainOrPlaceholder(const DomainReport& report) {
  return report.domain().empty() ? "<domain>" : report.domain();
}

std::string StateSentence(const DomainReport& report, MtaStsState state) {
  const std::string d = DisplayName(report);
  const std::string ascii = DomainOrPlaceholder(report);
  switch (state) {
    case v1::MTA_STS_STATE_ENFORCED:
      return absl::StrCat(d, " enforces MTA-STS: compliant senders deliver its "
                          "mail only over TLS, to a listed MX host with a "
                          "valid certificate.");
    case v1::MTA_STS_STATE_TESTING:
      return absl::StrCat(d, " publishes MTA-STS in testing mode: senders "
                          "report TLS problems but still deliver without TLS, "
                          "so mail is not yet protected.");
    case v1::MTA_STS_STATE_DISABLED:
      return absl::StrCat(d, " publishes an MTA-STS policy in mode none, which "
                          "switches MTA-STS off: mail gets no protection from it.");
    case v1::MTA_STS_STATE_ABSENT:
      if (report.evidence().mx_kind() == v1::MX_KIND_NULL) {
        return absl::StrCat(d, " does not publish MTA-STS, and needs none: its "
                            "null MX record says it accepts no mail.");
      }
      return absl::StrCat(d, " does not publish MTA-STS (no v=STSv1 TXT record "
                          "at _mta-sts.", ascii, "), so sending servers deliver "
                          "its mail without requiring TLS.");
    case v1::MTA_STS_STATE_BROKEN: {
      std::vector<std::string> failed;
      for (std::string_view n : {"txt", "policy_fetch", "policy_content"}) {
        if (StatusOf(report, n) == v1::CHECK_STATUS_FAIL) failed.emplace_back(n);
      }
      return absl::StrCat("The MTA-STS setup of ", d, " is broken: senders "
                          "cannot use what is published (", JoinNames(failed),
                          " failed), so it gives mail no protection.");
    }
    default:
      break;
  }
  // UNDETERMINED.
  const CheckStatus txt = StatusOf(report, "txt");
  if (Works(txt)) {
    const bool policy_tried =
        StatusOf(report, "policy_fetch") != v1::CHECK_STATUS_NOT_RUN ||
        StatusOf(report, "policy_content") != v1::CHECK_STATUS_NOT_RUN;
    return absl::StrCat(d, " publishes a valid MTA-STS TXT record, but its "
                        "policy ", policy_tried ? "could not be checked" :
                        "was not checked in this run",
                        ", so its mode (enforce, testing or none) is unknown.");
  }
  return absl::StrCat("The MTA-STS state of ", d, " is unknown: its _mta-sts "
                      "TXT record ", txt == v1::CHECK_STATUS_INCONCLUSIVE ?
                      "could not be checked." : "was not checked in this run.");
}

// "It scores 62/100 (grade C): txt passed; policy_fetch failed."
std::string ResultsSentence(const DomainReport& report) {
  std::vector<std::string> parts;
  if (auto n = NamesWith(report, v1::CHECK_STATUS_PASS); !n.empty()) {
    parts.push_back(absl::StrCat(JoinNames(n), " passed"));
  }
  if (auto n = NamesWith(report, v1::CHECK_STATUS_WARN); !n.empty()) {
    parts.push_back(absl::StrCat(JoinNames(n), " passed with warnings"));
  }
  if (auto n = NamesWith(report, v1::CHECK_STATUS_FAIL); !n.empty()) {
    parts.push_back(absl::StrCat(JoinNames(n), " failed"));
  }
  return absl::StrCat("It scores ", report.score(), "/100 (grade ",
                      GradeLetter(report.grade()), "): ",
                      absl::StrJoin(parts, "; "), ".");
}

// The most severe finding (MEDIUM or above) about the domain as a whole or of
// a check that WARNed or FAILed; empty when none, or when it only repeats the
// state sentence. Ties go to the domain, then to the earlier check.
std::string WorstProblemSentence(const DomainReport& report, MtaStsState state) {
  const v1::Finding* worst = nullptr;
  std::string where;
  const auto consider = [&](const v1::Finding& f, absl::string_view place) {
    if (f.severity() < v1::SEVERITY_MEDIUM || f.title().empty()) return;
    if (worst == nullptr || f.severity() > worst->severity()) {
      worst = &f;
      where = std::string(place);
    }
  };
  for (const v1::Finding& f : report.domain_findings()) consider(f, "domain-wide");
  for (const CheckResult& c : report.checks()) {
    if (c.status() != v1::CHECK_STATUS_WARN &&
        c.status() != v1::CHECK_STATUS_FAIL) {
      continue;
    }
    for (const v1::Finding& f : c.findings()) consider(f, absl::StrCat("in ", c.check()));
  }
  if (worst == nullptr) return "";
  if (state == v1::MTA_STS_STATE_ABSENT && worst->code() == v1::TXT_MISSING) {
    return "";
  }
  absl::string_view title = absl::StripAsciiWhitespace(worst->title());
  absl::ConsumeSuffix(&title, ".");
  return absl::StrCat("The most serious problem (", SeverityWord(worst->severity()),
                      ", ", where, "): ", title, ".");
}

std::string NotRunSentence(const DomainReport& report) {
  std::vector<std::string> not_run = NamesWith(report, v1::CHECK_STATUS_NOT_RUN);
  if (not_run.empty()) return "";
  if (static_cast<int>(not_run.size()) == report.checks_size()) {
    return absl::StrCat("None of the checks (", JoinNames(not_run),
                        ") was run.");
  }
  return absl::StrCat("This is a partial report: ", JoinNames(not_run),
                      not_run.size() == 1 ? " was" : " were",
                      " not run, so the score says nothing about ",
                      not_run.size() == 1 ? "it." : "them.");
}

std::string LeftOutSentence(const DomainReport& report) {
  std::vector<std::string> parts;
  std::vector<std::string> inconclusive =
      NamesWith(report, v1::CHECK_STATUS_INCONCLUSIVE);
  if (!inconclusive.empty()) {
    parts.push_back(absl::StrCat(
        JoinNames(inconclusive), inconclusive.size() == 1 ? " was" : " were",
        " inconclusive (the checker could not tell from its vantage point or "
        "in the time it had)"));
  }
  std::vector<std::string> skipped = NamesWith(report, v1::CHECK_STATUS_SKIPPED);
  if (!skipped.empty()) {
    parts.push_back(absl::StrCat(JoinNames(skipped),
                                 " did not apply to this domain"));
  }
  if (parts.empty()) return "";
  return absl::StrCat("Left out of the score: ", absl::StrJoin(parts, "; "), ".");
}

// 2 to 5 sentences: state; score and results (or that nothing could be
// judged); the worst problem; checks not run; checks left out of the score.
std::string Summary(const DomainReport& report, MtaStsState state,
                    bool judged) {
  std::vector<std::string> sentences = {StateSentence(report, state)};
  if (judged) {
    sentences.push_back(ResultsSentence(report));
  } else {
    sentences.push_back(
        "Nothing could be judged: no check reached a verdict, so the score of "
        "0 (grade F) says nothing about the domain.");
  }
  for (std::string s : {WorstProblemSentence(report, state),
                        NotRunSentence(report), LeftOutSentence(report)}) {
    if (!s.empty()) sentences.push_back(std::move(s));
  }
  return absl::StrJoin(sentences, " ");
}

// Lower case, no trailing dot, as mx lines and pattern matching want them.
std::string NormalizeHost(absl::string_view host) {
  host = absl::StripAsciiWhitespace(host);
  absl::ConsumeSuffix(&host, ".");
  return absl::AsciiStrToLower(host);
}

// Null MX and nothing published: a domain that accepts no mail has nothing
// for MTA-STS to protect, so we suggest nothing rather than busywork. When
// something is published, we suggest mode none so it can be withdrawn cleanly
// (RFC 8461 §8.3).
bool NothingToSuggest(const DomainReport& report, MtaStsState state) {
  return report.evidence().mx_kind() == v1::MX_KIND_NULL &&
         state == v1::MTA_STS_STATE_ABSENT;
}

// The policy file to publish, or "" when it cannot be built (MX lookup not
// made or failed). Lines end in LF only: RFC 8461 §3.2's ABNF says CRLF, but
// erratum 6253 makes senders accept LF too, and LF is what administrators
// paste into files on a web server; a CRLF text would arrive mangled anyway.
std::string SuggestedPolicy(const DomainReport& report, MtaStsState state) {
  if (NothingToSuggest(report, state)) return "";
  const v1::Evidence& ev = report.evidence();
  std::vector<std::string> hosts;
  absl::flat_hash_set<std::string> seen;
  for (const v1::MxHost& mx : ev.mx_hosts()) {
    std::string host = NormalizeHost(mx.name());
    if (host.empty()) continue;
    if (seen.insert(host).second) hosts.push_back(std::move(host));
  }
  const bool null_mx = ev.mx_kind() == v1::MX_KIND_NULL;
  if (!null_mx && hosts.empty() && ev.mx_kind() != v1::MX_KIND_NONE) return "";

  // No mail host to name (null MX, or no MX records at all): mode none is the
  // only policy that is valid without mx lines (RFC 8461 §3.2).
  if (null_mx || hosts.empty()) {
    return absl::StrCat("version: STSv1\nmode: none\nmax_age: ", kTestingMaxAge,
                        "\n");
  }

  absl::string_view mode = "testing";
  if (ev.policy().valid()) {
    switch (ev.policy().mode()) {
      case v1::POLICY_MODE_ENFORCE: mode = "enforce"; break;
      case v1::POLICY_MODE_NONE: mode = "none"; break;
      default: break;  // testing, or no valid mode
    }
  }
  std::string policy = absl::StrCat("version: STSv1\nmode: ", mode, "\n");
  // Each host exactly, even when several share a parent below the registrable
  // domain: a "*." pattern would also cover hosts the domain never chose.
  for (const std::string& host : hosts) absl::StrAppend(&policy, "mx: ", host, "\n");
  absl::StrAppend(&policy, "max_age: ",
                  mode == "enforce" ? kEnforceMaxAge : kTestingMaxAge, "\n");
  return policy;
}

// "v=STSv1; id=<checked_at as YYYYMMDDHHMMSS UTC>", or "" without a time.
// Always a fresh id, never the current one: senders refetch the policy only
// when the id changes (RFC 8461 §3.1), so publishing the suggested policy
// under an old id would leave cached copies of the old policy in force.
std::string SuggestedTxt(const DomainReport& report, MtaStsState state) {
  if (NothingToSuggest(report, state) || !report.has_checked_at()) return "";
  const absl::Time at = absl::FromUnixSeconds(report.checked_at().seconds());
  std::string id = absl::FormatTime("%Y%m%d%H%M%S", at, absl::UTCTimeZone());
  // Re-checked within the second the current id was minted by us: still fresh.
  if (id == report.evidence().sts_id()) id += "1";
  return absl::StrCat("v=STSv1; id=", id);
}

struct Recommendation {
  v1::Severity severity;
  int check_order;
  std::string text;
};

// Actions that no single finding carries: they follow from the state.
void AddStructural(const DomainReport& report, MtaStsState state,
                   std::vector<Recommendation>* out) {
  const std::string d = DomainOrPlaceholder(report);
  const v1::Evidence& ev = report.evidence();
  const bool null_mx = ev.mx_kind() == v1::MX_KIND_NULL;
  // Publishing advice is moot where no _mta-sts record can exist.
  const bool can_publish = !HasFinding(Find(report, "txt"), v1::TXT_NAME_TOO_LONG);
  if (state == v1::MTA_STS_STATE_ABSENT && !null_mx && can_publish) {
    out->push_back(
        {v1::SEVERITY_MEDIUM, OrderInReport(report, "txt"),
         absl::StrCat(
             "To deploy MTA-STS, first publish ",
             report.suggested_policy().empty()
                 ? "a policy listing your MX hosts"
                 : "the suggested policy",
             " at https://mta-sts.", d,
             "/.well-known/mta-sts.txt (served with a valid certificate for "
             "mta-sts.", d, "), then the TXT record at _mta-sts.", d,
             "; start in testing mode and switch to enforce once TLS reports "
             "show no failures.")});
  }
  if (null_mx && state != v1::MTA_STS_STATE_ABSENT) {
    out->push_back(
        {v1::SEVERITY_LOW, OrderInReport(report, "policy_content"),
         "The domain publishes a null MX and accepts no mail, so MTA-STS "
         "protects nothing here: to withdraw it, serve a mode none policy (as "
         "suggested) under a new id, wait for the previous policy's max_age, "
         "then remove the TXT record and the policy (RFC 8461 §8.3)."});
  }
  if (state == v1::MTA_STS_STATE_TESTING) {
    out->push_back(
        {v1::SEVERITY_MEDIUM, OrderInReport(report, "policy_content"),
         absl::StrCat("Once TLS reports show no failures for a few weeks, "
                      "switch the policy to mode: enforce with max_age: ",
                      kEnforceMaxAge, " and publish a new id at _mta-sts.", d,
                      " so senders fetch it; until then senders still deliver "
                      "without TLS.")});
  }
  if (state == v1::MTA_STS_STATE_DISABLED && !null_mx) {
    out->push_back(
        {v1::SEVERITY_LOW, OrderInReport(report, "policy_content"),
         "Mode none switches MTA-STS off. If you are withdrawing it, keep this "
         "policy and its TXT record for at least the previous policy's max_age "
         "before removing them (RFC 8461 §8.3); otherwise publish mode testing "
         "or enforce with a new id."});
  }
  const bool sts_in_use = state == v1::MTA_STS_STATE_ENFORCED ||
                          state == v1::MTA_STS_STATE_TESTING;
  if (sts_in_use && HasVerdict(StatusOf(report, "tls_rpt")) &&
      !ev.tls_rpt().valid()) {
    const bool testing = state == v1::MTA_STS_STATE_TESTING;
    out->push_back(
        {testing ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM, OrderInReport(report, "tls_rpt"),
         absl::StrCat("Publish a TLS-RPT record at _smtp._tls.", d,
                      " (for example \"v=TLSRPTv1; rua=mailto:tls-reports@", d,
                      "\"): in ", testing ? "testing" : "enforce",
                      " mode, senders' TLS reports are the only way you learn "
                      "which deliveries ",
                      testing ? "would fail under enforce." : "fail.")});
  }
}

// Severity desc, then check order, then the order found; each text once.
std::vector<std::string> Recommendations(const DomainReport& report,
                                         MtaStsState state) {
  // A domain that accepts no mail needs neither MTA-STS nor TLS reports, so
  // advice to publish them would be noise.
  const bool null_mx = report.evidence().mx_kind() == v1::MX_KIND_NULL;
  std::vector<Recommendation> all;
  const auto add = [&](const v1::Finding& f, int order) {
    if (null_mx &&
        (f.code() == v1::TXT_MISSING || f.code() == v1::TLSRPT_MISSING)) {
      return;
    }
    absl::string_view text = absl::StripAsciiWhitespace(f.recommendation());
    if (!text.empty()) all.push_back({f.severity(), order, std::string(text)});
  };
  // Domain-wide findings (the domain's existence, its MX set) come before the
  // checks' at equal severity: every check stands on them.
  for (const v1::Finding& f : report.domain_findings()) add(f, kDomainOrder);
  for (int i = 0; i < report.checks_size(); ++i) {
    for (const v1::Finding& f : report.checks(i).findings()) add(f, i);
  }
  AddStructural(report, state, &all);
  std::stable_sort(all.begin(), all.end(),
                   [](const Recommendation& a, const Recommendation& b) {
                     if (a.severity != b.severity) return a.severity > b.severity;
                     return a.check_order < b.check_order;
                   });
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> seen;
  for (Recommendation& r : all) {
    if (seen.insert(r.text).second) out.push_back(std::move(r.text));
  }
  return out;
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
  std::optional<int> score = ComputeScore(*report);
  const bool capped = score.has_value() && *score > kScoreCapWithCritical && HasCritical(*report);
  if (capped) score = kScoreCapWithCritical;
  report->set_score(score.value_or(0));
  report->set_grade(GradeForScore(report->score()));
  const MtaStsState state = StateOf(*report);
  report->set_state(state);
  std::string summary = Summary(*report, state, score.has_value());
  if (capped) {
    absl::StrAppend(&summary, " The score is capped at ", kScoreCapWithCritical,
                    " while a critical problem stands.");
  }
  report->set_summary(std::move(summary));
  report->set_suggested_policy(SuggestedPolicy(*report, state));
  report->set_suggested_txt(SuggestedTxt(*report, state));
  report->clear_recommendations();
  for (std::string& r : Recommendations(*report, state)) {
    report->add_recommendations(std::move(r));
  }
}

}  // namespace mtasts::checks::scoring
