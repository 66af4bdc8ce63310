#include "checks/scoring/aggregator.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
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

bool HasAnyFinding(const DomainReport& report, v1::FindingCode code) {
  for (const v1::Finding& f : report.domain_findings()) {
    if (f.code() == code) return true;
  }
  for (const CheckResult& c : report.checks()) {
    if (HasFinding(&c, code)) return true;
  }
  return false;
}

// Null MX and nothing published: a domain that accepts no mail has nothing
// for MTA-STS to protect, so we suggest nothing rather than busywork. When
// something is published, we suggest mode none so it can be withdrawn cleanly
// (RFC 8461 §8.3).
bool NothingToSuggest(const DomainReport& report, MtaStsState state) {
  return report.evidence().mx_kind() == v1::MX_KIND_NULL &&
         state == v1::MTA_STS_STATE_ABSENT;
}

absl::string_view ModeName(v1::PolicyMode mode) {
  switch (mode) {
    case v1::POLICY_MODE_ENFORCE: return "enforce";
    case v1::POLICY_MODE_TESTING: return "testing";
    case v1::POLICY_MODE_NONE: return "none";
    default: return "";
  }
}

struct Suggestions {
  std::string policy;
  std::string txt;
  std::vector<std::string> notes;
};

// A policy as its lines: mode, mx patterns in order, max_age.
struct PolicyLines {
  v1::PolicyMode mode = v1::POLICY_MODE_UNSPECIFIED;
  std::vector<std::string> mx;
  int64_t max_age = 0;
};

// "v=STSv1; id=<checked_at as YYYYMMDDHHMMSS UTC>", or "" without a time.
// A fresh id: senders refetch the policy only when the id changes (RFC 8461
// §3.1), so a new policy under an old id would leave cached copies in force.
std::string FreshTxt(const DomainReport& report) {
  if (!report.has_checked_at()) return "";
  const absl::Time at = absl::FromUnixSeconds(report.checked_at().seconds());
  std::string id = absl::FormatTime("%Y%m%d%H%M%S", at, absl::UTCTimeZone());
  // Re-checked within the second the current id was minted by us: still fresh.
  if (id == report.evidence().sts_id()) id += "1";
  return absl::StrCat("v=STSv1; id=", id);
}

// What the domain should publish, changing only what the findings ask for:
// the served mode is kept (a suggestion never weakens a policy), the served
// mx patterns that match an MX host are kept as written, hosts no pattern
// matches are added by exact name (a wildcard would also cover hosts the
// domain never chose), stale patterns dropped, an enforce max_age under a
// day raised. Nothing is suggested when that equals the served policy; the
// notes say why each line changed, or why there is no suggestion.
Suggestions Suggest(const DomainReport& report, MtaStsState state) {
  Suggestions out;
  const std::string d = DomainOrPlaceholder(report);
  const v1::Evidence& ev = report.evidence();
  if (NothingToSuggest(report, state)) {
    out.notes.push_back(absl::StrCat(
        d, " publishes a null MX and no MTA-STS: it accepts no mail, so there "
        "is nothing to publish."));
    return out;
  }
  if (HasFinding(Find(report, "txt"), v1::TXT_NAME_TOO_LONG)) {
    out.notes.push_back(absl::StrCat(
        "_mta-sts.", d, " would be longer than DNS allows, so no MTA-STS "
        "policy can be published for ", d, "."));
    return out;
  }
  std::vector<std::string> hosts;
  absl::flat_hash_set<std::string> seen;
  for (const v1::MxHost& mx : ev.mx_hosts()) {
    std::string host = NormalizeHost(mx.name());
    if (!host.empty() && seen.insert(host).second) hosts.push_back(std::move(host));
  }
  const bool null_mx = ev.mx_kind() == v1::MX_KIND_NULL;
  if (!null_mx && hosts.empty() && ev.mx_kind() != v1::MX_KIND_NONE) {
    out.notes.push_back(absl::StrCat("The MX hosts of ", d,
                                     " could not be determined, so no policy "
                                     "can be suggested."));
    return out;
  }

  const v1::PolicyEvidence& served = ev.policy();
  const bool served_valid = served.valid() && served.mode() != v1::POLICY_MODE_UNSPECIFIED;
  const bool served_any = served.http_status() == 200 && !served.body().empty();
  PolicyLines want;
  std::vector<std::string> line_notes;
  const auto note = [&](std::string n) { line_notes.push_back(std::move(n)); };

  if (null_mx || hosts.empty()) {
    // No mail host to name: mode none is the only policy valid without mx
    // lines (RFC 8461 §3.2), and the clean way to withdraw (§8.3).
    want.mode = v1::POLICY_MODE_NONE;
    want.max_age = served_valid && served.max_age() > 0 ? served.max_age() : kTestingMaxAge;
    if (served.mode() != v1::POLICY_MODE_NONE || !served_valid) {
      note(absl::StrCat("mode: none: ", d,
                        null_mx ? " publishes a null MX and accepts no mail"
                                : " has no MX hosts to list",
                        "; mode none withdraws MTA-STS cleanly (RFC 8461 §8.3)."));
    }
  } else {
    // The mode as served (parsed even from an invalid policy), else testing.
    want.mode = served.mode() != v1::POLICY_MODE_UNSPECIFIED ? served.mode()
                                                             : v1::POLICY_MODE_TESTING;
    if (want.mode != served.mode()) {
      note("mode: testing: senders report TLS problems but still deliver; move "
           "to enforce once the reports show no failures.");
    }
    const bool matched_known = HasVerdict(StatusOf(report, "mx_match"));
    if (served_valid && !matched_known) {
      // Nothing says which patterns work: keep them as served.
      want.mx.assign(served.mx().begin(), served.mx().end());
    } else if (served_valid) {
      absl::flat_hash_set<std::string> used;
      std::vector<std::string> unmatched;
      for (const v1::MxHost& mx : ev.mx_hosts()) {
        if (mx.matched_pattern().empty()) {
          std::string host = NormalizeHost(mx.name());
          if (std::find(unmatched.begin(), unmatched.end(), host) == unmatched.end()) {
            unmatched.push_back(std::move(host));
          }
        } else {
          used.insert(mx.matched_pattern());
        }
      }
      for (const std::string& p : served.mx()) {
        if (used.contains(p)) {
          if (std::find(want.mx.begin(), want.mx.end(), p) == want.mx.end()) want.mx.push_back(p);
        } else {
          note(absl::StrCat("`mx: ", p, "` removed: it matches no MX host of ", d, "."));
        }
      }
      for (const std::string& h : unmatched) {
        want.mx.push_back(h);
        note(absl::StrCat("`mx: ", h, "` added: the MX host ", h,
                          " matches no pattern of the served policy, so senders "
                          "applying it refuse that host."));
      }
    } else {
      want.mx = hosts;
      note(absl::StrCat("mx: one line per MX host of ", d,
                        ", each by its exact name (a wildcard would also cover "
                        "hosts you never chose)."));
    }
    if (want.mode == v1::POLICY_MODE_ENFORCE) {
      want.max_age = served_valid && served.max_age() >= 86400 ? served.max_age() : kEnforceMaxAge;
    } else {
      want.max_age = served_valid && served.max_age() > 0 ? served.max_age() : kTestingMaxAge;
    }
    if (served_valid && want.max_age != served.max_age()) {
      note(absl::StrCat("max_age: ", want.max_age, " (was ", served.max_age(),
                        "): under a day, senders' cached protection lapses "
                        "quickly; a week is common."));
    } else if (!served_valid) {
      note(absl::StrCat("max_age: ", want.max_age,
                        want.mode == v1::POLICY_MODE_ENFORCE
                            ? ": a week; senders keep the policy that long."
                            : ": a day, short while you are still changing the policy."));
    }
  }

  const bool same = served_valid && served.mode() == want.mode &&
                    served.max_age() == want.max_age &&
                    std::equal(served.mx().begin(), served.mx().end(), want.mx.begin(),
                               want.mx.end());
  const CheckStatus txt = StatusOf(report, "txt");
  // A TXT record senders cannot use (missing, invalid, several) needs
  // replacing even when the policy is right.
  const bool txt_broken = txt == v1::CHECK_STATUS_FAIL || txt == v1::CHECK_STATUS_WARN;
  if (same) {
    if (txt_broken) {
      const bool keep_id = txt == v1::CHECK_STATUS_WARN && !ev.sts_id().empty();
      out.txt = keep_id ? absl::StrCat("v=STSv1; id=", ev.sts_id()) : FreshTxt(report);
      out.notes.push_back(absl::StrCat(
          "The policy served at https://mta-sts.", d,
          "/.well-known/mta-sts.txt already is what we would suggest; only the "
          "TXT record at _mta-sts.", d, " needs ",
          keep_id ? "rewriting (same id, as the policy is unchanged)." : "publishing."));
    } else {
      out.notes.push_back(absl::StrCat(
          "The policy served at https://mta-sts.", d,
          "/.well-known/mta-sts.txt and the TXT record at _mta-sts.", d,
          " already are what we would suggest: nothing to publish."));
    }
    return out;
  }

  out.policy = absl::StrCat("version: STSv1\nmode: ", ModeName(want.mode), "\n");
  for (const std::string& m : want.mx) absl::StrAppend(&out.policy, "mx: ", m, "\n");
  absl::StrAppend(&out.policy, "max_age: ", want.max_age, "\n");
  out.txt = FreshTxt(report);
  if (!served_valid) {
    out.notes.push_back(
        served_any ? "The served policy is not valid (see policy_content): this "
                     "one keeps its mode where it could be read."
                   : absl::StrCat("No policy is served: publish this one at https://mta-sts.",
                                  d, "/.well-known/mta-sts.txt."));
  }
  for (std::string& n : line_notes) out.notes.push_back(std::move(n));
  out.notes.push_back(absl::StrCat(
      "The TXT record gets a new id so that senders fetch the new policy."));
  return out;
}

// ---- Recommendations ----

// One finding's contribution to an action.
struct Contribution {
  v1::Severity severity;
  int order;         // kDomainOrder, or the check's position in the report
  std::string key;   // contributions with the same key are one action
  std::string text;  // the action, in full
  v1::FindingCode code;
  std::string host;  // MX host the action concerns ("" when none)
};

bool IsLookupFailure(v1::FindingCode code) {
  switch (code) {
    case v1::MX_LOOKUP_FAILED:
    case v1::TXT_LOOKUP_FAILED:
    case v1::TLSRPT_LOOKUP_FAILED:
    case v1::POLICY_HOST_LOOKUP_FAILED:
    case v1::DNSSEC_LOOKUP_FAILED:
      return true;
    default:
      return false;
  }
}

// The texts of the actions that no single finding row can say well, because
// they depend on the state, on other findings or on the suggestions.
class ActionTexts {
 public:
  ActionTexts(const DomainReport& report, MtaStsState state)
      : report_(report), state_(state), d_(DomainOrPlaceholder(report)) {
    const v1::Evidence& ev = report.evidence();
    null_mx_ = ev.mx_kind() == v1::MX_KIND_NULL;
    const CheckStatus fetch = StatusOf(report, "policy_fetch");
    policy_served_ = Works(fetch) && ev.policy().valid();
    deploying_ = state == v1::MTA_STS_STATE_ABSENT && !null_mx_ &&
                 HasFinding(Find(report, "txt"), v1::TXT_MISSING);
    bogus_ = HasAnyFinding(report, v1::DNSSEC_BOGUS);
    for (const v1::Finding& f : report.domain_findings()) NoteLookupFailure(f);
    for (const CheckResult& c : report.checks()) {
      for (const v1::Finding& f : c.findings()) NoteLookupFailure(f);
    }
    // The defects that make the served policy invalid, when a policy is
    // suggested in its place.
    if (const CheckResult* content = Find(report, "policy_content");
        !deploying_ && content != nullptr && content->status() == v1::CHECK_STATUS_FAIL &&
        !report.suggested_policy().empty()) {
      for (const v1::Finding& f : content->findings()) {
        absl::string_view trimmed = absl::StripAsciiWhitespace(f.title());
        absl::ConsumeSuffix(&trimmed, ".");
        std::string title(trimmed);
        if (f.severity() >= v1::SEVERITY_HIGH && !title.empty() &&
            std::find(invalid_policy_.begin(), invalid_policy_.end(), title) ==
                invalid_policy_.end()) {
          invalid_policy_.push_back(std::move(title));
        }
      }
    }
    // The txt finding that POLICY_WITHOUT_TXT's fix is part of.
    if (const CheckResult* txt = Find(report, "txt");
        txt != nullptr && txt->status() == v1::CHECK_STATUS_FAIL) {
      for (const v1::Finding& f : txt->findings()) {
        const std::string text(absl::StripAsciiWhitespace(f.recommendation()));
        if (f.severity() >= v1::SEVERITY_LOW && !text.empty()) {
          txt_fix_ = text;
          break;
        }
      }
    }
  }

  // The action for `f` found in `check` ("" for a domain finding), as a
  // (key, text) pair; nullopt when it calls for none.
  std::optional<std::pair<std::string, std::string>> For(const v1::Finding& f,
                                                          absl::string_view check) const {
    const v1::FindingCode code = f.code();
    // A domain that accepts no mail needs neither MTA-STS nor TLS reports.
    if (null_mx_ && (code == v1::TXT_MISSING || code == v1::TLSRPT_MISSING)) return std::nullopt;
    if (null_mx_ && state_ != v1::MTA_STS_STATE_ABSENT &&
        (code == v1::MX_NULL || code == v1::MX_MATCH_NULL_MX || code == v1::POLICY_NONE_MODE)) {
      return Keyed("withdraw", Withdraw());
    }
    if (deploying_ && (code == v1::TXT_MISSING || code == v1::POLICY_WITHOUT_TXT ||
                       ((check == "policy_fetch" || check == "policy_content") &&
                        !policy_served_))) {
      if (f.severity() < v1::SEVERITY_LOW && code != v1::TXT_MISSING) return std::nullopt;
      return Keyed("deploy", Deploy());
    }
    if (code == v1::POLICY_WITHOUT_TXT && !txt_fix_.empty()) return Keyed(txt_fix_, txt_fix_);
    // Every defect that makes the served policy invalid is fixed by the one
    // file suggested in its place.
    if (check == "policy_content" && !invalid_policy_.empty() && f.severity() >= v1::SEVERITY_HIGH) {
      return Keyed("fix-policy", FixPolicy());
    }
    if (IsLookupFailure(code)) {
      if (bogus_) return Keyed("dnssec-bogus", BogusText());
      return Keyed("dns", DnsText());
    }
    if (code == v1::DNSSEC_BOGUS) return Keyed("dnssec-bogus", BogusText());
    if (code == v1::POLICY_TESTING_MODE && state_ == v1::MTA_STS_STATE_TESTING) {
      return Keyed("enforce", absl::StrCat(
          "Once TLS reports show no failures for a few weeks, switch the policy "
          "to `mode: enforce` with `max_age: ", kEnforceMaxAge,
          "` and publish a new id at _mta-sts.", d_,
          " so senders fetch it; until then senders still deliver without TLS."));
    }
    if (code == v1::POLICY_NONE_MODE && state_ == v1::MTA_STS_STATE_DISABLED) {
      return Keyed("none",
                   "Mode none switches MTA-STS off. If you are withdrawing it, keep "
                   "this policy and its TXT record for at least the previous "
                   "policy's max_age before removing them (RFC 8461 §8.3); "
                   "otherwise publish `mode: testing` under a new id.");
    }
    if (code == v1::TLSRPT_MISSING) {
      return Keyed("tlsrpt", absl::StrCat(
          "Publish a TLS-RPT record, `_smtp._tls.", d_,
          ". 3600 IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@", d_,
          "\"` with a mailbox you read: senders' TLS reports are the only way "
          "you learn which deliveries fail", 
          state_ == v1::MTA_STS_STATE_TESTING ? " or would fail under enforce." : "."));
    }
    if (f.severity() < v1::SEVERITY_LOW) return std::nullopt;
    std::string text(absl::StripAsciiWhitespace(f.recommendation()));
    if (text.empty()) return std::nullopt;
    return Keyed(text, text);
  }

 private:
  static std::pair<std::string, std::string> Keyed(std::string key, std::string text) {
    return {std::move(key), std::move(text)};
  }

  void NoteLookupFailure(const v1::Finding& f) {
    if (!IsLookupFailure(f.code())) return;
    std::string name = f.subject().empty() ? d_ : f.subject();
    if (std::find(failed_names_.begin(), failed_names_.end(), name) == failed_names_.end()) {
      failed_names_.push_back(std::move(name));
    }
  }

  std::string Deploy() const {
    const std::string url = absl::StrCat("https://mta-sts.", d_, "/.well-known/mta-sts.txt");
    if (policy_served_) {
      return absl::StrCat("Publish the suggested TXT record at _mta-sts.", d_,
                          ": senders look it up before they fetch the policy "
                          "already served at ", url, ", and without it they never do.");
    }
    return absl::StrCat(
        "To deploy MTA-STS, publish ",
        report_.suggested_policy().empty() ? "a policy listing your MX hosts"
                                           : "the suggested policy",
        " at ", url, " (with a valid certificate for mta-sts.", d_,
        "), then the suggested TXT record at _mta-sts.", d_,
        "; start in mode testing and switch to enforce once TLS reports show "
        "no failures.");
  }

  std::string FixPolicy() const {
    std::vector<std::string> lower;
    for (const std::string& t : invalid_policy_) {
      std::string l = t;
      if (l.size() > 1 && absl::ascii_isupper(l[0]) && !absl::ascii_isupper(l[1])) {
        l[0] = absl::ascii_tolower(l[0]);
      }
      lower.push_back(std::move(l));
    }
    return absl::StrCat("Replace the policy at https://mta-sts.", d_,
                        "/.well-known/mta-sts.txt with the suggested policy, which fixes "
                        "what makes it invalid (", absl::StrJoin(lower, "; "),
                        "), and publish the suggested TXT record so that senders fetch it.");
  }

  std::string Withdraw() const {
    if (report_.suggested_policy().empty()) {
      return "The domain publishes a null MX and accepts no mail, so MTA-STS "
             "protects nothing here: keep the mode none policy for at least the "
             "previous policy's max_age, then remove the TXT record and the "
             "policy (RFC 8461 §8.3).";
    }
    return "The domain publishes a null MX and accepts no mail, so MTA-STS "
           "protects nothing here: to withdraw it, serve a mode none policy (as "
           "suggested) under a new id, wait for the previous policy's max_age, "
           "then remove the TXT record and the policy (RFC 8461 §8.3).";
  }

  std::string BogusText() const {
    return absl::StrCat(
        "Fix the DNSSEC signatures of ", d_,
        ": validating resolvers answer SERVFAIL for names that fail validation"
        , failed_names_.empty() ? "" : absl::StrCat(" (", JoinNames(failed_names_), ")"),
        ". Re-sign the zone and make sure signatures are refreshed before they "
        "expire; if you changed DNS hosts or keys, make the DS record at the "
        "registrar match the zone's current key.");
  }

  std::string DnsText() const {
    return absl::StrCat(
        "Make sure every authoritative name server of ", d_,
        " answers, with the record or a proper NXDOMAIN or empty answer, for ",
        JoinNames(failed_names_),
        " (`dig +trace` follows the delegation); with DNSSEC, check the "
        "signatures and the DS record at the registrar.");
  }

  const DomainReport& report_;
  MtaStsState state_;
  std::string d_;
  bool null_mx_ = false;
  bool policy_served_ = false;
  bool deploying_ = false;
  bool bogus_ = false;
  std::vector<std::string> failed_names_;
  std::vector<std::string> invalid_policy_;  // titles of its defects
  std::string txt_fix_;
};

// Most severe first, then domain before checks, then report order; findings
// asking for the same change are one action listing all their codes.
std::vector<v1::Recommendation> Actions(const DomainReport& report, MtaStsState state) {
  const ActionTexts texts(report, state);
  std::vector<Contribution> all;
  const auto add = [&](const v1::Finding& f, int order, absl::string_view check) {
    auto action = texts.For(f, check);
    if (!action.has_value()) return;
    // An action about one MX host says which (mx_tls and DANE findings
    // name the host as their subject).
    std::string host;
    if (check == "mx_tls" || absl::StartsWith(v1::FindingCode_Name(f.code()), "DANE_")) {
      host = f.subject();
    }
    all.push_back({f.severity(), order, std::move(action->first), std::move(action->second),
                   f.code(), std::move(host)});
  };
  for (const v1::Finding& f : report.domain_findings()) add(f, kDomainOrder, "");
  for (int i = 0; i < report.checks_size(); ++i) {
    // A check without a verdict says something about the checker's vantage
    // or deadline, not a change the domain should make.
    if (!HasVerdict(report.checks(i).status())) continue;
    for (const v1::Finding& f : report.checks(i).findings()) add(f, i, report.checks(i).check());
  }
  std::stable_sort(all.begin(), all.end(), [](const Contribution& a, const Contribution& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.order < b.order;
  });
  std::vector<v1::Recommendation> out;
  std::vector<std::vector<std::string>> hosts;  // per action
  absl::flat_hash_map<std::string, size_t> by_key;
  for (Contribution& c : all) {
    auto [it, inserted] = by_key.try_emplace(c.key, out.size());
    if (inserted) {
      v1::Recommendation& r = out.emplace_back();
      r.set_action(std::move(c.text));
      r.set_priority(c.severity);
      hosts.emplace_back();
    }
    v1::Recommendation& r = out[it->second];
    if (std::find(r.resolves().begin(), r.resolves().end(), c.code) == r.resolves().end()) {
      r.add_resolves(c.code);
    }
    std::vector<std::string>& h = hosts[it->second];
    if (!c.host.empty() && std::find(h.begin(), h.end(), c.host) == h.end()) h.push_back(c.host);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (!hosts[i].empty()) {
      out[i].set_action(absl::StrCat("On ", JoinNames(hosts[i]), ": ", out[i].action()));
    }
  }
  return out;
}

// General good practice, each at most once and only where it applies; never
// a repeat of an action.
std::vector<std::string> GoodPractice(const DomainReport& report, MtaStsState state) {
  std::vector<std::string> out;
  const std::string d = DomainOrPlaceholder(report);
  const v1::Evidence& ev = report.evidence();
  const bool in_use = state == v1::MTA_STS_STATE_ENFORCED || state == v1::MTA_STS_STATE_TESTING;
  if (!in_use) return out;
  // A suggestion already comes with its new id.
  if (report.suggested_txt().empty()) {
    out.push_back(absl::StrCat("Change the id at _mta-sts.", d,
                               " with every edit of the policy, or senders keep "
                               "their cached copy until its max_age runs out."));
  }
  const bool exact_names =
      ev.policy().mx_size() > 0 &&
      std::none_of(ev.policy().mx().begin(), ev.policy().mx().end(),
                   [](const std::string& p) { return absl::StartsWith(p, "*."); });
  if (exact_names) {
    out.push_back(
        "Before you add or rename an MX host, add it to the policy (with a new "
        "id) and only then change the MX records: senders refuse MX hosts the "
        "policy does not list.");
  }
  if (state == v1::MTA_STS_STATE_ENFORCED && ev.tls_rpt().valid()) {
    out.push_back(absl::StrCat("Read the TLS reports sent to ", JoinNames(std::vector<std::string>(
                                                                  ev.tls_rpt().rua().begin(),
                                                                  ev.tls_rpt().rua().end())),
                               ": they show deliveries that fail."));
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
  NameTheDomain(report);
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
  Suggestions suggestions = Suggest(*report, state);
  report->set_suggested_policy(std::move(suggestions.policy));
  report->set_suggested_txt(std::move(suggestions.txt));
  report->clear_suggestion_notes();
  for (std::string& n : suggestions.notes) report->add_suggestion_notes(std::move(n));
  report->clear_actions();
  report->clear_recommendations();
  for (v1::Recommendation& r : Actions(*report, state)) {
    report->add_recommendations(r.action());
    *report->add_actions() = std::move(r);
  }
  report->clear_good_practice();
  for (std::string& g : GoodPractice(*report, state)) report->add_good_practice(std::move(g));
}

}  // namespace mtasts::checks::scoring
