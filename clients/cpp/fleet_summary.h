// The summary of a fleet spread over several backends, built on the client
// from the events it passes on (each entry exactly once), because no single
// server saw the whole fleet and a stream that failed sends no summary.
// Same arithmetic as the server's own (server/fleet_summary): a fleet sent
// over one stream gets the same counts, grades, states, histogram, mean and
// slowest domains either way; client_test holds the two side by side.
//
// Pure and not thread-safe.
#ifndef MTASTS_CLIENTS_CPP_FLEET_SUMMARY_H_
#define MTASTS_CLIENTS_CPP_FLEET_SUMMARY_H_

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "mtasts/v1/report.pb.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts::client {

class FleetSummaryBuilder {
 public:
  // How many of the slowest domains the summary names.
  static constexpr size_t kSlowest = 10;

  // Counts one answered entry: a result (grade, state, score, duration) or
  // an error. Every other event kind is ignored. Results are counted in the
  // order given: on equal durations the earlier one stays ahead.
  void Add(const v1::FleetEvent& event);

  // Everything added so far, with `elapsed` as its duration. `received` is
  // the number of entries answered (reports plus errors).
  v1::FleetSummary Build(absl::Duration elapsed) const;

 private:
  int reported_ = 0;
  int errors_ = 0;
  std::map<v1::Grade, int> by_grade_;
  std::map<v1::MtaStsState, int> by_state_;
  int histogram_[10] = {};
  double score_sum_ = 0;
  std::vector<v1::DomainDuration> slowest_;  // slowest first, at most kSlowest
};

}  // namespace mtasts::client

#endif  // MTASTS_CLIENTS_CPP_FLEET_SUMMARY_H_
