// MX patterns of an MTA-STS policy (RFC 8461 §3.2, §4.1): their syntax, how
// a sender matches them against MX host names, and the mx_match judge. Pure:
// no I/O, no clock, deterministic, safe on hostile input.
//
//   MxPatternMatches("*.example.com", "MX1.example.com.")   // true
//   MxPatternMatches("*.example.com", "example.com")        // false: parent
//   MxPatternMatches("*.example.com", "a.b.example.com")    // false: 2 labels
//   CheckMxPattern("mail.*.example.com").defect  // MxPatternDefect::kWildcard
//
//   MxHostSet mx{"example.com",
//                {{10, "mx1.example.com"}, {20, "mx2.example.net"}}};
//   CheckVerdict v = JudgeMxMatch({"*.example.com"}, v1::POLICY_MODE_ENFORCE,
//                                 mx, &evidence);
//   // v.status == FAIL, fraction 0.5: MX_MATCH_HOST_UNMATCHED (CRITICAL) for
//   // mx2.example.net; evidence.mx_hosts(0).matched_pattern() ==
//   // "*.example.com".
//
// What it decides, to the letter of §4.1 (and DESIGN.md §5):
//  - Host names and patterns compare case-insensitively, each without one
//    trailing dot. "*." is a wildcard only as the whole leftmost label and
//    stands for exactly one non-empty label: never the bare parent, never two
//    labels. Any other "*" matches nothing.
//  - An unmatched MX host is CRITICAL under enforce (compliant senders do not
//    deliver to it), HIGH under testing (they report it), LOW under none. A
//    pattern matching no MX host is LOW (stale). A null MX and an absent MX
//    set (the domain itself is the implicit MX) are explained.
//  - fraction = share of MX hosts covered (DESIGN.md §4, 10 points).
#ifndef MTASTS_CHECKS_MX_MATCH_MX_PATTERN_H_
#define MTASTS_CHECKS_MX_MATCH_MX_PATTERN_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"

namespace mtasts::checks {

// What is wrong with an mx value as a policy writes it (§3.2:
// sts-policy-mx-value = ["*."] Domain, in A-labels).
enum class MxPatternDefect {
  kNone,
  kEmpty,        // ""
  kNonAscii,     // a U-label or other non-ASCII bytes: "bücher.example"
  kIpLiteral,    // "192.0.2.25", "[192.0.2.25]", "2001:db8::25"
  kWildcard,     // "*" other than as the whole leftmost label: "*",
                 // "mail.*.example.com", "*example.com", "*.*.example.com"
  kTrailingDot,  // "mail.example.com."
  kSyntax,       // anything else that is not a host name: "_", "a..b",
                 // "-a.example", labels over 63, spaces, commas, URLs
};

struct MxPatternCheck {
  MxPatternDefect defect = MxPatternDefect::kNone;
  // Whether the value still matches the §3.2 grammar. True for kNone and for a
  // dotted-quad IPv4 address (digits are valid labels of a Domain); false for
  // every other defect, which makes the policy invalid.
  bool grammatical = true;
  // What is wrong in plain words, to follow the quoted value ("has \"*\" in
  // its second label; ..."); "" for kNone.
  std::string problem;
};

// Checks one mx value (surrounding whitespace already removed).
MxPatternCheck CheckMxPattern(absl::string_view pattern);

// RFC 8461 §4.1: whether an MX host name matches a policy pattern. Case-
// insensitive (ASCII), one trailing dot ignored on either side; "*." as the
// whole leftmost label matches exactly one non-empty label. Empty inputs and
// patterns with any other "*" match nothing.
bool MxPatternMatches(absl::string_view pattern, absl::string_view host);

// The domain's MX set, as the mx_match judge needs it.
struct MxHostSet {
  // The policy domain, A-label form, lower case: the subject of domain-wide
  // findings and, without MX records, the implicit MX host (RFC 5321 §5.1).
  std::string domain;
  // The MX hosts, in preference order; a null MX ("0 .") is not among them.
  std::vector<net::MxRecord> hosts;
  // A null MX (RFC 7505) was published (alone, or mixed with other hosts).
  bool null_mx = false;
};

// Bounds on work and report size for hostile inputs.
// Unmatched hosts reported one finding each; the rest are counted in one more.
inline constexpr size_t kMaxUnmatchedHostFindings = 16;

// Judges the MX hosts against the policy's mx patterns under `mode` (the
// valid policy's mode; POLICY_MODE_UNSPECIFIED when there is no valid policy,
// which gives SKIPPED). For each host of `mx` sets matched_pattern in
// evidence->mx_hosts, matched by name and created (name, preference) when
// absent; "" when no pattern matches. An exact pattern is preferred to a
// wildcard. `evidence` may be null. Findings about one host name it as their
// subject, the others mx.domain; most severe first. fraction is the share of
// hosts covered; status PASS (all covered, nothing stale), WARN (stale
// patterns, or unmatched hosts under testing or none), FAIL (unmatched hosts
// under enforce), SKIPPED (no policy, null MX, mode none without patterns).
CheckVerdict JudgeMxMatch(const std::vector<std::string>& patterns,
                          v1::PolicyMode mode, const MxHostSet& mx,
                          v1::Evidence* evidence);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_MX_MATCH_MX_PATTERN_H_
