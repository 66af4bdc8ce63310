#include "checks/mx_match/mx_pattern.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "checks/findings_table.h"

namespace mtasts::checks {
namespace {

// RFC 1035 §2.3.4: labels of at most 63 octets, names of at most 255 octets
// on the wire, which is 253 characters in text without the trailing dot.
constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxNameLength = 253;

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsLdh(char c) { return IsAlpha(c) || IsDigit(c) || c == '-'; }

absl::string_view WithoutTrailingDot(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// Lower case, without a trailing dot: how names are compared and reported.
std::string Normalize(absl::string_view name) {
  return absl::AsciiStrToLower(WithoutTrailingDot(name));
}

const char* Ordinal(size_t n) {
  static const char* const kOrdinals[] = {"first",   "second", "third",
                                          "fourth",  "fifth",  "sixth",
                                          "seventh", "eighth", "ninth"};
  return n >= 1 && n <= 9 ? kOrdinals[n - 1] : nullptr;
}

std::string LabelPosition(size_t n) {  // 1-based
  const char* word = Ordinal(n);
  return word != nullptr ? absl::StrCat("its ", word, " label")
                         : absl::StrCat("label ", n);
}

std::string DescribeChar(char ch) {
  if (ch == ' ') return "a space";
  if (ch == '\t') return "a tab";
  if (ch == '_') return "an underscore";
  const unsigned char c = static_cast<unsigned char>(ch);
  if (c < 0x20 || c >= 0x7f) {
    return absl::StrCat("the byte 0x", absl::Hex(c, absl::kZeroPad2));
  }
  return absl::StrCat("\"", std::string(1, ch), "\"");
}

// "192.0.2.25": four labels of one to three digits, each at most 255.
bool IsDottedQuad(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    if (p.empty() || p.size() > 3) return false;
    int value = 0;
    for (char c : p) {
      if (!IsDigit(c)) return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
  }
  return true;
}

// "2001:db8::25", "::ffff:192.0.2.1": hex digits, ":" and "." with at least
// two colons.
bool LooksLikeIpv6(absl::string_view s) {
  if (std::count(s.begin(), s.end(), ':') < 2) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsHexDigit(c) || c == ':' || c == '.';
  });
}

// "" when `name` is a host name in LDH labels (RFC 5321 §4.1.2 Domain, RFC
// 1035 lengths), else what is wrong with it.
std::string DomainProblem(absl::string_view name) {
  if (name.empty()) return "has nothing after \"*.\"";
  if (name.size() > kMaxNameLength) {
    return absl::StrCat("is ", name.size(),
                        " characters long; a host name has "
                        "at most ",
                        kMaxNameLength);
  }
  if (name.front() == '.') return "begins with a dot";
  std::vector<absl::string_view> labels = absl::StrSplit(name, '.');
  for (size_t i = 0; i < labels.size(); ++i) {
    absl::string_view label = labels[i];
    if (label.empty()) return "has an empty label (two dots in a row)";
    if (label.size() > kMaxLabelLength) {
      return absl::StrCat("has a label of ", label.size(),
                          " characters; at most ", kMaxLabelLength,
                          " are allowed");
    }
    for (char c : label) {
      if (!IsLdh(c)) {
        return absl::StrCat("contains ", DescribeChar(c),
                            "; host names hold only letters, digits, hyphens "
                            "and dots");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return absl::StrCat(LabelPosition(i + 1),
                          " begins or ends with a hyphen");
    }
  }
  return "";
}

MxPatternCheck Defect(MxPatternDefect defect, std::string problem,
                      bool grammatical = false) {
  MxPatternCheck check;
  check.defect = defect;
  check.grammatical = grammatical;
  check.problem = std::move(problem);
  return check;
}

}  // namespace

MxPatternCheck CheckMxPattern(absl::string_view pattern) {
  using D = MxPatternDefect;
  if (pattern.empty()) return Defect(D::kEmpty, "is empty");
  for (char c : pattern) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return Defect(D::kNonAscii,
                    "contains non-ASCII characters; internationalised names "
                    "must be written as A-labels (\"xn--...\")");
    }
  }
  // Several names on one line, a URL: not one host name at all.
  if (pattern.find_first_of(" \t") != absl::string_view::npos) {
    return Defect(D::kSyntax,
                  "holds several words separated by whitespace; write one "
                  "host name per mx line");
  }
  if (pattern.find(',') != absl::string_view::npos ||
      pattern.find(';') != absl::string_view::npos) {
    return Defect(D::kSyntax, "holds a list; write one host name per mx line");
  }
  if (absl::StrContains(pattern, "://") ||
      pattern.find('/') != absl::string_view::npos) {
    return Defect(D::kSyntax, "is a URL or path, not a host name");
  }
  if (pattern.front() == '[' && pattern.back() == ']') {
    return Defect(D::kIpLiteral, "is an IP address literal, not a host name");
  }
  if (LooksLikeIpv6(pattern)) {
    return Defect(D::kIpLiteral, "is an IPv6 address, not a host name");
  }
  if (IsDottedQuad(WithoutTrailingDot(pattern))) {
    // Digits-only labels are valid in a Domain, so the grammar accepts it
    // (without a trailing dot).
    return Defect(D::kIpLiteral,
                  "is an IPv4 address, which no MX host name matches",
                  /*grammatical=*/pattern.back() != '.');
  }

  // RFC 8461 §3.2: sts-policy-mx-value = ["*."] Domain.
  absl::string_view domain = pattern;
  const size_t stars = std::count(pattern.begin(), pattern.end(), '*');
  if (stars > 0) {
    if (pattern == "*" || pattern == "*.") {
      return Defect(D::kWildcard,
                    "is a wildcard with no name under it; a wildcard stands "
                    "for one label under a name, as in \"*.example.com\"");
    }
    if (stars > 1) {
      return Defect(D::kWildcard,
                    absl::StrCat("has ", stars,
                                 " \"*\"; only one, as the whole first label, "
                                 "is allowed (it stands for exactly one "
                                 "label)"));
    }
    const size_t star = pattern.find('*');
    const size_t first_dot = pattern.find('.');
    if (star > first_dot) {
      const size_t label =
          1 + std::count(pattern.begin(), pattern.begin() + star, '.');
      return Defect(D::kWildcard,
                    absl::StrCat("has \"*\" in ", LabelPosition(label),
                                 "; only the whole first label may be \"*\""));
    }
    if (!absl::StartsWith(pattern, "*.")) {
      return Defect(D::kWildcard,
                    "has \"*\" joined to other characters in its first label; "
                    "only a whole first label \"*.\" is allowed");
    }
    domain = pattern.substr(2);
  }
  if (!domain.empty() && domain.back() == '.') {
    absl::string_view bare = domain.substr(0, domain.size() - 1);
    if (bare.empty()) return Defect(D::kSyntax, "is only a dot");
    if (DomainProblem(bare).empty()) {
      return Defect(D::kTrailingDot,
                    "ends with a dot; write the name without it");
    }
  }
  std::string problem = DomainProblem(domain);
  if (!problem.empty()) return Defect(D::kSyntax, std::move(problem));
  return MxPatternCheck{};
}

bool MxPatternMatches(absl::string_view pattern, absl::string_view host) {
  pattern = WithoutTrailingDot(pattern);
  host = WithoutTrailingDot(host);
  if (pattern.empty() || host.empty()) return false;
  if (absl::StartsWith(pattern, "*.")) {
    // RFC 8461 §4.1: "*." stands for exactly one leftmost label.
    const absl::string_view parent = pattern.substr(2);
    if (parent.empty() || parent.find('*') != absl::string_view::npos) {
      return false;
    }
    if (host.size() < parent.size() + 2) return false;  // "x." + parent
    const absl::string_view tail = host.substr(host.size() - parent.size());
    if (!absl::EqualsIgnoreCase(tail, parent)) return false;
    const absl::string_view label =
        host.substr(0, host.size() - parent.size() - 1);
    if (host[label.size()] != '.') return false;
    return !label.empty() && label.find('.') == absl::string_view::npos;
  }
  if (pattern.find('*') != absl::string_view::npos) return false;
  return absl::EqualsIgnoreCase(pattern, host);
}

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
    const std::string pattern = Normalize(p);
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

const char* ModeName(v1::PolicyMode mode) {
  switch (mode) {
    case v1::POLICY_MODE_ENFORCE:
      return "enforce";
    case v1::POLICY_MODE_TESTING:
      return "testing";
    case v1::POLICY_MODE_NONE:
      return "none";
    default:
      return "unknown";
  }
}

std::string Plural(size_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

void SortMostSevereFirst(std::vector<v1::Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(),
                   [](const v1::Finding& a, const v1::Finding& b) {
                     return a.severity() > b.severity();
                   });
}

// Sets matched_pattern of each host in evidence->mx_hosts: the entry that
// was there under the same name (compared normalised), else a new one.
// `hosts` are distinct, so entries created here are never looked up again
// (two distinct names may read the same once sanitised for the report).
void RecordInEvidence(const std::vector<HostResult>& hosts,
                      v1::Evidence* evidence) {
  absl::flat_hash_map<std::string, int> existing;
  for (int i = 0; i < evidence->mx_hosts_size(); ++i) {
    existing.emplace(Normalize(evidence->mx_hosts(i).name()), i);
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
  const std::string domain = Normalize(mx.domain);
  // Names as they may appear in details, subjects and summaries.
  const std::string shown_domain = SanitizeForReport(domain);
  auto add = [&](v1::FindingCode code, v1::Severity severity,
                 std::string detail, std::string subject) {
    findings.push_back(
        MakeFinding(code, severity, std::move(detail), std::move(subject)));
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
      std::string name = Normalize(record.host);
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
      if (!seen.insert(Normalize(p)).second) continue;
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
          absl::StrCat(which, ", which has no effect in mode ", ModeName(mode),
                       " but would under testing or enforce."));
  }
}

}  // namespace mtasts::checks
