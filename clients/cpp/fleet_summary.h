// The summary of a fleet spread over several backends, built on the client
// from the events it passes on (each entry exactly once), because no single
// server saw the whole fleet and a stream that failed sends no summary.
// The counts are fleet::SummaryCounts, the server's own (server/fleet_summary
// uses it too): a fleet sent over one stream gets the same counts, grades,
// states, histogram, mean and slowest domains either way; fleet_summary_test
// holds the two side by side. What is the client's own: it reads events, and
// `received` is the entries answered.
//
// Pure and not thread-safe.
#ifndef MTASTS_CLIENTS_CPP_FLEET_SUMMARY_H_
#define MTASTS_CLIENTS_CPP_FLEET_SUMMARY_H_

#include <cstddef>

#include "absl/time/time.h"
#include "fleet/summary_counts.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts::client {

class FleetSummaryBuilder {
 public:
  // How many of the slowest domains the summary names.
  static constexpr size_t kSlowest = fleet::SummaryCounts::kSlowest;

  // Counts one answered entry: a result (grade, state, score, duration) or
  // an error. Every other event kind is ignored. Results are counted in the
  // order given: on equal durations the earlier one stays ahead.
  void Add(const v1::FleetEvent& event);

  // Everything added so far, with `elapsed` as its duration. `received` is
  // the number of entries answered (reports plus errors).
  v1::FleetSummary Build(absl::Duration elapsed) const;

 private:
  fleet::SummaryCounts counts_;
};

}  // namespace mtasts::client

#endif  // MTASTS_CLIENTS_CPP_FLEET_SUMMARY_H_
