#include "fleet/summary_counts.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "google/protobuf/util/time_util.h"

namespace mtasts::fleet {
namespace {

using google::protobuf::util::TimeUtil;

int64_t Nanos(const v1::DomainDuration& d) {
  return TimeUtil::DurationToNanoseconds(d.duration());
}

}  // namespace

void SummaryCounts::AddReport(const std::string& tag, const v1::DomainReport& report) {
  ++reported_;
  ++by_grade_[report.grade()];
  ++by_state_[report.state()];
  ++histogram_[std::clamp(report.score() / 10, 0, 9)];
  score_sum_ += report.score();

  // After every entry at least as slow, so ties keep their arrival order.
  // Compared before anything is copied: most entries are not among them.
  const int64_t nanos = TimeUtil::DurationToNanoseconds(report.duration());
  auto at = std::upper_bound(
      slowest_.begin(), slowest_.end(), nanos,
      [](int64_t n, const v1::DomainDuration& b) { return n > Nanos(b); });
  if (at - slowest_.begin() >= static_cast<std::ptrdiff_t>(kSlowest)) return;
  v1::DomainDuration slow;
  slow.set_domain(report.domain());
  slow.set_tag(tag);
  *slow.mutable_duration() = report.duration();
  slowest_.insert(at, std::move(slow));
  if (slowest_.size() > kSlowest) slowest_.pop_back();
}

void SummaryCounts::WriteTo(absl::Duration elapsed, v1::FleetSummary* summary) const {
  summary->set_reported(reported_);
  summary->set_errors(errors_);
  for (const auto& [grade, count] : by_grade_) {
    v1::GradeCount* c = summary->add_by_grade();
    c->set_grade(grade);
    c->set_count(count);
  }
  for (const auto& [state, count] : by_state_) {
    v1::StateCount* c = summary->add_by_state();
    c->set_state(state);
    c->set_count(count);
  }
  for (int count : histogram_) summary->add_score_histogram(count);
  summary->set_mean_score(reported_ > 0 ? score_sum_ / reported_ : 0);
  for (const auto& slow : slowest_) *summary->add_slowest() = slow;
  *summary->mutable_duration() =
      TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(elapsed));
}

}  // namespace mtasts::fleet
