// Reports as the engine writes them, for the aggregator's tests
// (aggregator_*_test.cc), and what every aggregated report must satisfy.
#ifndef MTASTS_CHECKS_SCORING_TEST_REPORTS_H_
#define MTASTS_CHECKS_SCORING_TEST_REPORTS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks::scoring {

// The built-in checks in report order.
extern const std::vector<std::string> kCheckOrder;
// Their default points.
int DefaultPoints(const std::string& check);

constexpr v1::CheckStatus kPass = v1::CHECK_STATUS_PASS;
constexpr v1::CheckStatus kWarn = v1::CHECK_STATUS_WARN;
constexpr v1::CheckStatus kFail = v1::CHECK_STATUS_FAIL;
constexpr v1::CheckStatus kInconclusive = v1::CHECK_STATUS_INCONCLUSIVE;
constexpr v1::CheckStatus kSkipped = v1::CHECK_STATUS_SKIPPED;
constexpr v1::CheckStatus kNotRun = v1::CHECK_STATUS_NOT_RUN;

v1::Finding MakeF(v1::FindingCode code, v1::Severity severity,
                  std::string title = "", std::string recommendation = "");

// A result as the engine would write it: possible = weight for a verdict.
v1::CheckResult MakeCheck(const std::string& name, v1::CheckStatus status,
                          double fraction = 1.0,
                          std::vector<v1::Finding> findings = {});

v1::DomainReport MakeReport(std::vector<v1::CheckResult> checks);

v1::CheckResult TxtMissing();

void SetPolicy(v1::DomainReport* r, v1::PolicyMode mode, bool valid = true);

void AddMx(v1::DomainReport* r, const std::string& name);

// A valid TXT, a valid policy in `mode`, everything else passing.
v1::DomainReport Published(v1::PolicyMode mode);

// A valid TXT and a valid policy as served, matched against `hosts` (each
// host matched by the pattern given, or by none when "").
v1::DomainReport Served(v1::PolicyMode mode, int64_t max_age, std::vector<std::string> patterns,
                        std::vector<std::pair<std::string, std::string>> hosts);

int CountSentences(const std::string& text);

// Each action's codes, in order.
std::vector<std::vector<v1::FindingCode>> Resolves(const v1::DomainReport& r);

// What every report must satisfy: recommendations mirror the actions, no
// two actions alike, each tied to findings of the report, most severe first,
// good practice distinct from the actions and each once.
void ExpectActionable(const v1::DomainReport& r);

}  // namespace mtasts::checks::scoring

#endif  // MTASTS_CHECKS_SCORING_TEST_REPORTS_H_
