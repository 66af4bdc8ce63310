#include "checks/mx_match/mx_match_judge.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "checks/common/mx_pattern.h"
#include "checks/common/policy.h"
#include "checks/findings/finding.h"
#include "checks/findings/report_text.h"

namespace mtasts::checks {
namespace {

struct HostResult {
  std::string name;   // normalised: what patterns are matched against
  std::string shown;  // the same, safe for the report (SanitizeForReport)
  uint16_t preference = 0;
  std::string matched;  // the pattern, as written; "" when none
};

// The pattern covering `host`: an exact one first, else the first wildcard.
const std::string* FindMatch(const std::vector<std::string>& patterns,
                             absl::string_view host) {
  const std::string* wildcard = nullptr;
  for (const std::string& p : patterns) {
    if (!MxPatternMatches(p, host)) continue;
    if (!absl::StartsWith(p, "*.")) return &p;
    if (wildcard == nullptr) wildcard = &p;
  }
  return wildcard;
}

// Why `host` escaped a pattern that was probably meant to cover it, or "".
std::string NearMissHint(const std::vector<std::string>& patterns,
                         absl::string_view host) {
  for (const std::string& p : patterns) {
    const std::string pattern = NormalizeMxName(p);
    if (absl::StartsWith(pattern, "*.") && pattern.size() > 2) {
      const absl::string_view parent = absl::string_view(pattern).substr(2);
      if (host == parent) {
        return absl::StrCat(
            " A wildcard never covers its parent: ", QuoteForDetail(p),
            " does not match ", QuoteForDetail(host),
            " itself, which needs its own mx line.");
      }
      if (absl::EndsWith(host, absl::StrCat(".", parent))) {
        return absl::StrCat(
            " A wildcard stands for exactly one label: ", QuoteForDetail(p),
            " does not match ", QuoteForDetail(host), ".");
      }
    }
    const MxPatternCheck check = CheckMxPattern(p);
    if (check.defect == MxPatternDefect::kWildcard ||
        check.defect == MxPatternDefect::kNonAscii) {
      return absl::StrCat(" The pattern ", QuoteForDetail(p),
                          " is not valid (it ", check.problem,
                          ") and matches nothing.");
    }
  }
  return "";
}

v1::Severity UnmatchedSeverity(v1::PolicyMode mode) {
  switch (mode) {
    case v1::POLICY_MODE_ENFORCE:
      return v1::SEVERITY_CRITICAL;
    case v1::POLICY_MODE_TESTING:
      return v1::SEVERITY_HIGH;
    default:
      return v1::SEVERITY_LOW;
  }
}


std::string Plural(size_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}


// Sets matched_pattern of each host in evidence->mx_hosts: the entry that
// was there under the same name (compared normalised), else a new one.
// `hosts` are distinct, so entries created here are never looked up again
// (two distinct names may read the same once sanitised for the report).
void RecordInEvidence(const std::vector<HostResult>& hosts,
                      v1::Evidence* evidence) {
  absl::flat_hash_map<std::string, int> existing;
  for (int i = 0; i < evidence->mx_hosts_size(); ++i) {
    existing.emplace(NormalizeMxName(evidence->mx_hosts(i).name()), i);
  }
  for (const HostResult& h : hosts) {
    v1::MxHost* entry = nullptr;
    auto it = existing.find(h.name);
    if (it != existing.end()) {
      entry = evidence->mutable_mx_hosts(it->second);
    } else {
      entry = evidence->add_mx_hosts();
      entry->set_name(h.shown);
      entry->set_preference(h.preference);
    }
    entry->set_matched_pattern(SanitizeForReport(h.matched));
  }
}

}  // namespace

CheckVerdict JudgeMxMatch(const std::vector<std::string>& patterns,
                          v1::PolicyMode mode, const MxHostSet& mx,
                          v1::Evidence* evidence) {
  v1::Evidence scratch;
  if (evidence == nullptr) evidence = &scratch;
  CheckVerdict verdict;
  std::vector<v1::Finding> findings;
  const std::string domain = NormalizeMxName(mx.domain);
  // Names as they may appear in details, subjects and summaries.
  const std::string shown_domain = SanitizeForReport(domain);
  auto add = [&](v1::FindingCode code, v1::Severity severity,
                 std::string detail, std::string subject) {
    findings.push_back(
        MxMatchFindings().Make(code, severity, std::move(detail), std::move(subject)));
  };
  auto finish = [&](v1::CheckStatus status, double fraction,
                    std::string summary) {
    SortMostSevereFirst(findings);
    verdict.status = status;
    verdict.fraction = fraction;
    verdict.findings = std::move(findings);
    verdict.summary = std::move(summary);
    return std::move(verdict);
  };

  // The MX hosts, each once; an empty name is a null MX given as a host.
  std::vector<HostResult> hosts;
  bool null_mx = mx.null_mx;
  {
    absl::flat_hash_set<std::string> seen;
    for (const net::MxRecord& record : mx.hosts) {
      std::string name = NormalizeMxName(record.host);
      if (name.empty()) {
        null_mx = true;
        continue;
      }
      if (!seen.insert(name).second) continue;
      std::string shown = SanitizeForReport(name);
      hosts.push_back(
          {std::move(name), std::move(shown), record.preference, ""});
    }
  }
  const std::string quoted_domain =
      domain.empty() ? std::string("the domain") : shown_domain;

  if (mode == v1::POLICY_MODE_UNSPECIFIED) {
    RecordInEvidence(hosts, evidence);
    return finish(v1::CHECK_STATUS_SKIPPED, 0,
                  absl::StrCat("No valid MTA-STS policy for ", quoted_domain,
                               ", so there are no mx patterns to match its MX "
                               "hosts against."));
  }
  if (hosts.empty() && null_mx) {
    add(v1::MX_MATCH_NULL_MX, v1::SEVERITY_INFO,
        patterns.empty()
            ? absl::StrCat(quoted_domain, " publishes a null MX (\"0 .\")")
            : absl::StrCat(
                  quoted_domain,
                  " publishes a null MX (\"0 .\"), so the policy's ",
                  Plural(patterns.size(), "mx pattern has", "mx patterns have"),
                  " nothing to cover"),
        shown_domain);
    return finish(v1::CHECK_STATUS_SKIPPED, 0,
                  absl::StrCat(quoted_domain,
                               " publishes a null MX and accepts no mail, so "
                               "there are no MX hosts to match."));
  }
  if (mode == v1::POLICY_MODE_NONE && patterns.empty()) {
    RecordInEvidence(hosts, evidence);
    add(v1::MX_MATCH_NO_PATTERNS, v1::SEVERITY_INFO,
        absl::StrCat("The policy of ", quoted_domain,
                     " is in mode none and lists no mx patterns"),
        shown_domain);
    return finish(v1::CHECK_STATUS_SKIPPED, 0,
                  absl::StrCat("The policy of ", quoted_domain,
                               " is in mode none without mx patterns, so "
                               "there is nothing to match."));
  }

  // No MX records: senders deliver to the domain itself (RFC 5321 §5.1).
  const bool implicit = hosts.empty();
  if (implicit) {
    if (domain.empty()) {
      return finish(v1::CHECK_STATUS_SKIPPED, 0,
                    "No MX hosts and no domain name to match against the "
                    "policy's mx patterns.");
    }
    hosts.push_back({domain, shown_domain, 0, ""});
    add(v1::MX_MATCH_IMPLICIT_MX, v1::SEVERITY_INFO,
        absl::StrCat(shown_domain, " has no MX records, so ", shown_domain,
                     " itself is the mail host senders match against the "
                     "policy"),
        shown_domain);
  }

  std::vector<const HostResult*> unmatched;
  size_t covered = 0;
  for (HostResult& h : hosts) {
    const std::string* match = FindMatch(patterns, h.name);
    if (match != nullptr) {
      h.matched = *match;
      ++covered;
    } else {
      unmatched.push_back(&h);
    }
  }
  if (!implicit) RecordInEvidence(hosts, evidence);

  // Patterns that cover no host, each once.
  std::vector<std::string> stale;
  {
    absl::flat_hash_set<std::string> seen;
    for (const std::string& p : patterns) {
      if (!seen.insert(NormalizeMxName(p)).second) continue;
      const bool used = std::any_of(
          hosts.begin(), hosts.end(),
          [&p](const HostResult& h) { return MxPatternMatches(p, h.name); });
      if (used) continue;
      const MxPatternCheck check = CheckMxPattern(p);
      stale.push_back(check.defect == MxPatternDefect::kNone
                          ? QuoteForDetail(p)
                          : absl::StrCat(QuoteForDetail(p),
                                         " (not a valid "
                                         "pattern: it ",
                                         check.problem, ")"));
    }
  }

  const std::vector<absl::string_view> pattern_views(patterns.begin(),
                                                     patterns.end());
  const std::string pattern_list =
      patterns.empty() ? std::string("the policy lists no mx patterns")
                       : absl::StrCat("the policy's patterns are ",
                                      QuoteListForDetail(pattern_views));
  const v1::Severity unmatched_severity = UnmatchedSeverity(mode);
  const bool none_covered = covered == 0;
  for (size_t i = 0; i < unmatched.size(); ++i) {
    if (i == kMaxUnmatchedHostFindings) {
      add(v1::MX_MATCH_HOST_UNMATCHED, unmatched_severity,
          absl::StrCat(unmatched.size() - kMaxUnmatchedHostFindings,
                       " more MX hosts match no mx pattern either"),
          shown_domain);
      break;
    }
    const HostResult& h = *unmatched[i];
    std::string detail =
        implicit ? absl::StrCat("The implicit MX host ", h.shown,
                                " matches no mx pattern (", pattern_list, ")")
                 : absl::StrCat("The MX host ", h.shown, " (preference ",
                                h.preference, ") matches no mx pattern (",
                                pattern_list, ")");
    switch (mode) {
      case v1::POLICY_MODE_ENFORCE:
        absl::StrAppend(&detail,
                        none_covered
                            ? ". No MX host matches, so compliant senders "
                              "deliver no mail to the domain: they hold it and "
                              "finally bounce it."
                            : ". Compliant senders skip it and deliver only to "
                              "the MX hosts that match.");
        break;
      case v1::POLICY_MODE_TESTING:
        absl::StrAppend(&detail,
                        ". In mode testing senders still deliver to it but "
                        "report a failure; under enforce they would not "
                        "deliver to it.");
        break;
      default:
        absl::StrAppend(&detail,
                        ". In mode none this has no effect, but under testing "
                        "or enforce it would.");
        break;
    }
    absl::StrAppend(&detail, NearMissHint(patterns, h.name));
    add(v1::MX_MATCH_HOST_UNMATCHED, unmatched_severity, std::move(detail),
        h.shown);
  }
  if (!stale.empty()) {
    std::string list;
    for (size_t i = 0; i < stale.size() && i < 5; ++i) {
      absl::StrAppend(&list, i == 0 ? "" : ", ", stale[i]);
    }
    if (stale.size() > 5)
      absl::StrAppend(&list, " and ", stale.size() - 5, " more");
    add(v1::MX_MATCH_STALE_PATTERN, v1::SEVERITY_LOW,
        absl::StrCat(stale.size() == 1 ? "The pattern " : "The patterns ", list,
                     stale.size() == 1 ? " matches " : " match ",
                     "none of the MX hosts of ", quoted_domain),
        shown_domain);
  }
  if (unmatched.empty()) {
    std::string list;
    for (size_t i = 0; i < hosts.size() && i < 5; ++i) {
      absl::StrAppend(&list, i == 0 ? "" : ", ", hosts[i].shown, " by ",
                      QuoteForDetail(hosts[i].matched));
    }
    if (hosts.size() > 5)
      absl::StrAppend(&list, " and ", hosts.size() - 5, " more");
    add(v1::MX_MATCH_ALL_COVERED, v1::SEVERITY_INFO,
        absl::StrCat(implicit            ? "The implicit MX host is matched: "
                     : hosts.size() == 1 ? "The MX host is matched: "
                                         : "Every MX host is matched: ",
                     list),
        shown_domain);
  }

  const double fraction =
      static_cast<double>(covered) / static_cast<double>(hosts.size());
  const size_t n = hosts.size();
  if (unmatched.empty()) {
    std::string all =
        implicit
            ? absl::StrCat("The implicit MX host ", shown_domain, " matches")
        : n == 1
            ? absl::StrCat("The one MX host of ", quoted_domain, " matches")
            : absl::StrCat("All ", n, " MX hosts of ", quoted_domain, " match");
    if (stale.empty()) {
      return finish(v1::CHECK_STATUS_PASS, 1,
                    absl::StrCat(all, " the policy's mx patterns."));
    }
    return finish(
        v1::CHECK_STATUS_WARN, 1,
        absl::StrCat(all, " the policy's mx patterns, but ",
                     Plural(stale.size(), "pattern matches", "patterns match"),
                     " no MX host."));
  }
  const bool one = unmatched.size() == 1;
  std::string which =
      implicit ? absl::StrCat("The implicit MX host ", shown_domain,
                              " matches no mx pattern")
      : n == 1 ? absl::StrCat("The one MX host of ", quoted_domain,
                              " matches no mx pattern")
      : none_covered
          ? absl::StrCat("None of the ", n, " MX hosts of ", quoted_domain,
                         " matches an mx pattern")
          : absl::StrCat(unmatched.size(), " of the ", n, " MX hosts of ",
                         quoted_domain, one ? " matches" : " match",
                         " no mx pattern");
  switch (mode) {
    case v1::POLICY_MODE_ENFORCE:
      return finish(
          v1::CHECK_STATUS_FAIL, fraction,
          absl::StrCat(which,
                       ", so under mode enforce compliant senders will "
                       "not deliver ",
                       none_covered ? "the domain's mail."
                       : one        ? "to it."
                                    : "to them."));
    case v1::POLICY_MODE_TESTING:
      return finish(v1::CHECK_STATUS_WARN, fraction,
                    absl::StrCat(which,
                                 ", so in mode testing senders report "
                                 "failures, and under enforce they would not "
                                 "deliver there."));
    default:
      return finish(
          v1::CHECK_STATUS_WARN, fraction,
          absl::StrCat(which, ", which has no effect in mode ", PolicyModeName(mode),
                       " but would under testing or enforce."));
  }
}

}  // namespace mtasts::checks
