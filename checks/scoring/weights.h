// Points per check (DESIGN.md §4) and the canonical order of the checks.
//
// The defaults add up to 100. A server configuration may change any of them:
//
//   absl::StatusOr<Weights> w = WeightsFromConfig(config.weights());
//   if (!w.ok()) return w.status();           // a negative weight
//   double possible = w->PointsFor("mx_tls");  // 10 unless configured
//
// Pure values and functions: no I/O, safe to use from any thread.
#ifndef MTASTS_CHECKS_SCORING_WEIGHTS_H_
#define MTASTS_CHECKS_SCORING_WEIGHTS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "mtasts/v1/config.pb.h"

namespace mtasts::checks::scoring {

// Points each check can earn when it reaches a verdict.
struct Weights {
  int txt = 15;
  int policy_fetch = 15;
  int policy_content = 35;
  int mx_match = 10;
  int mx_tls = 10;
  int tls_rpt = 10;
  int dnssec = 5;

  // The points of the check named `check` ("txt", ...); 0 for an unknown name.
  int PointsFor(std::string_view check) const;
};

// The defaults overridden by every non-zero field of `config`.
// Errors: INVALID_ARGUMENT naming the field ("weights.mx_tls") when a value
// is negative.
absl::StatusOr<Weights> WeightsFromConfig(const v1::ScoringWeights& config);

// The seven check names in report order: txt, policy_fetch, policy_content,
// mx_match, mx_tls, tls_rpt, dnssec. Static, never destroyed. std::string
// rather than a view: Debian's Abseil is built with its own absl::string_view
// (ABSL_OPTION_USE_STD_STRING_VIEW 0), and StrCat/StrJoin accept std::string
// but not std::string_view.
const std::vector<std::string>& AllCheckNames();

// Position of `check` in AllCheckNames(); nullopt for an unknown name.
std::optional<int> CheckIndex(std::string_view check);

}  // namespace mtasts::checks::scoring

#endif  // MTASTS_CHECKS_SCORING_WEIGHTS_H_
