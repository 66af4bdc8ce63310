#include "checks/scoring/weights.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mtasts::checks::scoring {

absl::StatusOr<Weights> Weights::Create(
    const std::vector<CheckWeight>& defaults,
    const google::protobuf::Map<std::string, int32_t>& configured) {
  Weights weights;
  for (const CheckWeight& w : defaults) {
    if (w.check.empty() || w.points < 0 || weights.points_.count(w.check) > 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "check \"", w.check, "\" is registered twice, without a name or with negative points"));
    }
    weights.order_.push_back(w.check);
    weights.points_.emplace(w.check, w.points);
  }
  // Sorted, so the first error named is the same on every start.
  std::map<std::string, int32_t> sorted(configured.begin(), configured.end());
  for (const auto& [check, points] : sorted) {
    auto it = weights.points_.find(check);
    if (it == weights.points_.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "weights: unknown check \"", check, "\"; known checks: ",
          absl::StrJoin(weights.order_, ", ")));
    }
    if (points < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "weights[\"", check, "\"] is ", points,
          "; a weight must be positive, or 0 for the default (", it->second,
          "). To leave a check out of the score, don't run it"));
    }
    if (points > 0) it->second = points;
  }
  return weights;
}

int Weights::PointsFor(std::string_view check) const {
  auto it = points_.find(check);
  return it == points_.end() ? 0 : it->second;
}

}  // namespace mtasts::checks::scoring
