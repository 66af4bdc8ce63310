// Points per check (docs/design.md §5.1): each registered check's default
// weight, overridden by the configuration's `weights` map, keyed by check
// name:
//
//   // weights { key: "policy_content" value: 40 }
//   absl::StatusOr<Weights> w = Weights::Create(
//       {{"txt", 15}, {"policy_content", 35}}, config.weights());
//   w->PointsFor("policy_content");  // 40
//
// Pure values and functions: no I/O, safe to use from any thread.
#ifndef MTASTS_CHECKS_SCORING_WEIGHTS_H_
#define MTASTS_CHECKS_SCORING_WEIGHTS_H_

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/map.h"

namespace mtasts::checks::scoring {

// A check's name and its default points.
struct CheckWeight {
  std::string check;
  int points = 0;
};

class Weights {
 public:
  // `defaults`: every registered check, in report order. `configured`: the
  // configuration's map (check name -> points; 0 keeps the default).
  // Errors: INVALID_ARGUMENT naming the entry for a name that is not a
  // registered check (listing the known ones), a negative value, a duplicate
  // or empty check name in `defaults`.
  static absl::StatusOr<Weights> Create(
      const std::vector<CheckWeight>& defaults,
      const google::protobuf::Map<std::string, int32_t>& configured);

  // The points of the check named `check`; 0 for an unknown name.
  int PointsFor(std::string_view check) const;
  // The check names, in report order.
  const std::vector<std::string>& check_order() const { return order_; }

 private:
  std::vector<std::string> order_;
  std::map<std::string, int, std::less<>> points_;
};

}  // namespace mtasts::checks::scoring

#endif  // MTASTS_CHECKS_SCORING_WEIGHTS_H_
