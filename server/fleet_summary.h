// FleetSummaryBuilder: the arithmetic of a StreamFleet's closing summary
// (counts, grades and states, score distribution, mean, slowest domains),
// kept apart from the reactor so it can be tested without gRPC.
//
//   FleetSummaryBuilder b;
//   b.AddReceived();                 // each entry read
//   b.AddReport("tag-1", report);    // each entry answered with a report
//   b.AddError();                    // each entry answered with an error
//   v1::FleetSummary s = b.Build(elapsed);
//
// Pure and not thread-safe: the fleet reactor calls it under its own mutex.
#ifndef MTASTS_SERVER_FLEET_SUMMARY_H_
#define MTASTS_SERVER_FLEET_SUMMARY_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "mtasts/v1/report.pb.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts::server {

class FleetSummaryBuilder {
 public:
  // How many of the slowest domains the summary names.
  static constexpr size_t kSlowest = 10;

  FleetSummaryBuilder() = default;

  void AddReceived() { ++received_; }
  void AddError() { ++errors_; }
  // Counts a report's grade, state and score, and keeps it among the slowest
  // if its duration is; on equal durations the earlier report stays ahead.
  void AddReport(const std::string& tag, const v1::DomainReport& report);

  int received() const { return received_; }
  int reported() const { return reported_; }
  int errors() const { return errors_; }

  // The summary of everything added so far, with `elapsed` as its duration.
  // Grades and states come in enum order, only those seen; the histogram
  // always has 10 buckets ([10*i, 10*i+9], the last also holding 100, scores
  // outside 0..100 clamped to the end buckets); the mean is 0 without reports.
  v1::FleetSummary Build(absl::Duration elapsed) const;

 private:
  int received_ = 0;
  int reported_ = 0;
  int errors_ = 0;
  std::map<v1::Grade, int> by_grade_;
  std::map<v1::MtaStsState, int> by_state_;
  int histogram_[10] = {};
  double score_sum_ = 0;
  std::vector<v1::DomainDuration> slowest_;  // slowest first, at most kSlowest
};

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_FLEET_SUMMARY_H_
