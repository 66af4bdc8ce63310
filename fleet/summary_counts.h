// SummaryCounts: the counts of a fleet summary that follow from the answered
// entries alone (reported, errors, grades, states, score histogram, mean,
// slowest domains), shared by the server's summary of one stream
// (server/fleet_summary, which adds `received` and the groupings) and the C++
// client's summary of a fleet spread over several backends
// (clients/cpp/fleet_summary), so the two cannot drift apart.
//
//   SummaryCounts c;
//   c.AddReport("tag-1", report);  // each entry answered with a report
//   c.AddError();                  // each entry answered with an error
//   v1::FleetSummary s;
//   c.WriteTo(elapsed, &s);
//
// Pure and not thread-safe.
#ifndef MTASTS_FLEET_SUMMARY_COUNTS_H_
#define MTASTS_FLEET_SUMMARY_COUNTS_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "mtasts/v1/report.pb.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts::fleet {

class SummaryCounts {
 public:
  // How many of the slowest domains the summary names.
  static constexpr size_t kSlowest = 10;

  // Counts a report's grade, state and score, and keeps it among the slowest
  // if its duration is (on equal durations the earlier report stays ahead).
  void AddReport(const std::string& tag, const v1::DomainReport& report);
  void AddError() { ++errors_; }

  int reported() const { return reported_; }
  int errors() const { return errors_; }

  // Sets the summary's reported, errors, by_grade, by_state,
  // score_histogram, mean_score, slowest and duration (`elapsed`). Grades and
  // states come in enum order, only those seen; the histogram always has 10
  // buckets ([10*i, 10*i+9], the last also holding 100, scores outside
  // 0..100 clamped to the end buckets); the mean is 0 without reports.
  void WriteTo(absl::Duration elapsed, v1::FleetSummary* summary) const;

 private:
  int reported_ = 0;
  int errors_ = 0;
  std::map<v1::Grade, int> by_grade_;
  std::map<v1::MtaStsState, int> by_state_;
  int histogram_[10] = {};
  double score_sum_ = 0;
  std::vector<v1::DomainDuration> slowest_;  // slowest first, at most kSlowest
};

}  // namespace mtasts::fleet

#endif  // MTASTS_FLEET_SUMMARY_COUNTS_H_
