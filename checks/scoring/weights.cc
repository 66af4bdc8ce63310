#include "checks/scoring/weights.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mtasts::checks::scoring {
namespace {

constexpr std::array<std::string_view, 7> kCheckNames = {
    "txt", "policy_fetch", "policy_content", "mx_match",
    "mx_tls", "tls_rpt", "dnssec"};

// Member pointers in kCheckNames order, so names and fields cannot drift apart.
constexpr std::array<int Weights::*, 7> kFields = {
    &Weights::txt,      &Weights::policy_fetch, &Weights::policy_content,
    &Weights::mx_match, &Weights::mx_tls,       &Weights::tls_rpt,
    &Weights::dnssec};

}  // namespace

int Weights::PointsFor(std::string_view check) const {
  std::optional<int> i = CheckIndex(check);
  return i.has_value() ? this->*kFields[*i] : 0;
}

absl::StatusOr<Weights> WeightsFromConfig(const v1::ScoringWeights& config) {
  const std::array<int, 7> configured = {
      config.txt(),      config.policy_fetch(), config.policy_content(),
      config.mx_match(), config.mx_tls(),       config.tls_rpt(),
      config.dnssec()};
  Weights weights;
  for (size_t i = 0; i < kCheckNames.size(); ++i) {
    if (configured[i] < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "weights.", absl::string_view(kCheckNames[i].data(), kCheckNames[i].size()),
          " is ", configured[i],
          "; a weight must be positive, or 0 for the default (",
          weights.*kFields[i], "). To leave a check out of the score, don't run it"));
    }
    if (configured[i] > 0) weights.*kFields[i] = configured[i];
  }
  return weights;
}

const std::vector<std::string>& AllCheckNames() {
  static const auto* names =
      new std::vector<std::string>(kCheckNames.begin(), kCheckNames.end());
  return *names;
}

std::optional<int> CheckIndex(std::string_view check) {
  for (size_t i = 0; i < kCheckNames.size(); ++i) {
    if (kCheckNames[i] == check) return static_cast<int>(i);
  }
  return std::nullopt;
}

}  // namespace mtasts::checks::scoring
