// What the aggregator's parts read from a report: a check by name, its
// status and findings, and the names a text uses for the domain and hosts.
// Internal to //checks/scoring:aggregator.
#ifndef MTASTS_CHECKS_SCORING_REPORT_READING_H_
#define MTASTS_CHECKS_SCORING_REPORT_READING_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::scoring::internal {

// The report types every part of the aggregator reads.
using v1::CheckResult;
using v1::CheckStatus;
using v1::DomainReport;
using v1::MtaStsState;

// RFC 8461 §3.2 recommends a max_age of weeks for a policy in force; a day
// keeps testing and none easy to change.
inline constexpr int kEnforceMaxAge = 604800;
inline constexpr int kTestingMaxAge = 86400;

// PASS or WARN: the check found what it looked for usable.
bool Works(v1::CheckStatus s);

// The check named `name`, or null when the report has none.
const v1::CheckResult* Find(const v1::DomainReport& report, std::string_view name);

// A check absent from the report counts as not run.
v1::CheckStatus StatusOf(const v1::DomainReport& report, std::string_view name);

// Whether `check` (may be null) reported `code`.
bool HasFinding(const v1::CheckResult* check, v1::FindingCode code);

// Whether the domain or any check reported `code`.
bool HasAnyFinding(const v1::DomainReport& report, v1::FindingCode code);

// "a", "a and b", "a, b and c".
std::string JoinNames(const std::vector<std::string>& names);

// How the summary names the domain: "bücher.example (xn--bcher-kva.example)".
std::string DisplayName(const v1::DomainReport& report);

// The domain in ASCII, or "<domain>" when the report has none.
std::string DomainOrPlaceholder(const v1::DomainReport& report);

// Lower case, no trailing dot, as mx lines and pattern matching want them.
std::string NormalizeHost(absl::string_view host);

// "enforce", "testing", "none"; "" for an unknown mode.
absl::string_view ModeName(v1::PolicyMode mode);

}  // namespace mtasts::checks::scoring::internal

#endif  // MTASTS_CHECKS_SCORING_REPORT_READING_H_
