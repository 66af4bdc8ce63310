// Parsing the MTA-STS policy file (RFC 8461 §3.2), the body of
// https://mta-sts.<domain>/.well-known/mta-sts.txt, as senders read it. Used
// by the policy fetch (parsed once per run), policy_content, mx_match and
// mx_tls. Pure: no I/O, no clock, deterministic, safe on hostile input.
//
//   ParsedPolicy p = ParsePolicy("version: STSv1\r\n"
//                                "mode: enforce\n"
//                                "mx: mail.example.com\n"
//                                "mx: *.example.net\n"
//                                "max_age: 604800\n");
//   // p.valid, p.mode == POLICY_MODE_ENFORCE, p.max_age == 604800,
//   // p.mx == {"mail.example.com", "*.example.net"}, findings: POLICY_VALID.
//
// What it decides, to the letter of §3.2 and its errata (docs/design.md §6.5):
//  - Lines end in LF or CRLF, mixed freely (erratum 6253); the last line
//    needs no terminator; blank lines are tolerated (the ABNF's
//    0*(sts-policy-mx ...) alternative matches an empty field). A line is
//    `name ":" *WSP value *WSP`: nothing before the name, no whitespace
//    before ":", names as sts-policy-ext-name, no control characters,
//    valid UTF-8. A bare CR is not a line end.
//  - version (exactly "STSv1"), mode (exactly "enforce", "testing" or
//    "none") and max_age (1 to 10 digits, at most 31557600: erratum 7282)
//    are required; mx (["*."] Domain in A-labels) is required unless the mode
//    is none. Fields come in any order. A repeated version, mode or max_age
//    keeps its FIRST value (many tools keep the last; the finding says so).
//    Unknown fields are ignored and noted; their values may contain ":".
//  - Bodies over kMaxPolicyBodyBytes are invalid without being parsed. A body
//    that is an HTML page, empty, or begins with a byte order mark is named as
//    such.
//  - Choices to revisit in a valid policy are findings too: mode testing or
//    none (with the staged-rollout advice), max_age below a day in enforce,
//    max_age beyond a week in testing.
#ifndef MTASTS_CHECKS_COMMON_POLICY_H_
#define MTASTS_CHECKS_COMMON_POLICY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "checks/verdict.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"
#include "checks/findings/finding.h"

namespace mtasts::checks {

// The rows of the policy file's codes (POLICY_* of the parser and of
// policy_content), in policy_findings.cc.
const FindingTable& PolicyFindings();

// docs/design.md §7.2: a policy body is at most 64 KiB (senders bound it as well). A
// longer body is judged invalid unread (a real policy is a few hundred bytes).
inline constexpr size_t kMaxPolicyBodyBytes = 65536;
// RFC 8461 §3.2: max_age is at most 31557600 seconds (about one year).
inline constexpr int64_t kMaxPolicyMaxAge = 31557600;
// Below this, an enforce policy's cached protection lapses within a day
// (policy_content's 5 extra points).
inline constexpr int64_t kMinEnforceMaxAge = 86400;
// Above this, a testing policy is cached longer than testing needs.
inline constexpr int64_t kMaxTestingMaxAge = 604800;
// Syntax problems reported one by one; the rest are counted in one more.
inline constexpr int kMaxPolicySyntaxFindings = 8;

struct ParsedPolicy {
  // Senders that follow §3.2 to the letter accept the policy.
  bool valid = false;
  // The first mode field's value; UNSPECIFIED when absent or not one of the
  // three (even if a later mode field is valid: the first one counts).
  v1::PolicyMode mode = v1::POLICY_MODE_UNSPECIFIED;
  // The first max_age field's value when it is 1 to 10 digits (also when it is
  // above kMaxPolicyMaxAge, which makes the policy invalid); -1 when absent or
  // not digits.
  int64_t max_age = -1;
  // Every mx value in file order, as written (surrounding whitespace
  // removed), valid or not.
  std::vector<std::string> mx;
  // Names of unknown (extension) fields, each once, in file order.
  std::vector<std::string> unknown_fields;
  // Every defect and every choice to revisit, with POLICY_VALID when valid;
  // most severe first; subject empty (the judge sets it).
  std::vector<v1::Finding> findings;
};

// Parses a policy body. Fields are read leniently where a lenient sender
// would (leading whitespace, whitespace before ":", a byte order mark), so the
// result shows what such a sender sees, but `valid` is the strict verdict.
ParsedPolicy ParsePolicy(absl::string_view body);

// "604800 (7 days)", "3600 (1 hour)", "31557600 (365.25 days)".
std::string SecondsInWords(int64_t seconds);

// "enforce", "testing", "none"; "unknown" for anything else.
const char* PolicyModeName(v1::PolicyMode mode);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_COMMON_POLICY_H_
