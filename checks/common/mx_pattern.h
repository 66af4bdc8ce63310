// MX patterns of an MTA-STS policy (RFC 8461 §3.2, §4.1): their syntax and
// how a sender matches them against MX host names. Used by the policy parser,
// mx_match and mx_tls. Pure:
// no I/O, no clock, deterministic, safe on hostile input.
//
//   MxPatternMatches("*.example.com", "MX1.example.com.")   // true
//   MxPatternMatches("*.example.com", "example.com")        // false: parent
//   MxPatternMatches("*.example.com", "a.b.example.com")    // false: 2 labels
//   CheckMxPattern("mail.*.example.com").defect  // MxPatternDefect::kWildcard
//
// What it decides, to the letter of §4.1 (and docs/design.md §6.6):
//  - Host names and patterns compare case-insensitively, each without one
//    trailing dot. "*." is a wildcard only as the whole leftmost label and
//    stands for exactly one non-empty label: never the bare parent, never two
//    labels. Any other "*" matches nothing.
#ifndef MTASTS_CHECKS_COMMON_MX_PATTERN_H_
#define MTASTS_CHECKS_COMMON_MX_PATTERN_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

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

// `name` lower case (ASCII), without one trailing dot: how MX host names
// and patterns are compared.
std::string NormalizeMxName(absl::string_view name);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_COMMON_MX_PATTERN_H_
