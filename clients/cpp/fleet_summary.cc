#include "clients/cpp/fleet_summary.h"

namespace mtasts::client {

void FleetSummaryBuilder::Add(const v1::FleetEvent& event) {
  if (event.has_error()) {
    counts_.AddError();
  } else if (event.has_result()) {
    counts_.AddReport(event.result().tag(), event.result().report());
  }
}

v1::FleetSummary FleetSummaryBuilder::Build(absl::Duration elapsed) const {
  v1::FleetSummary summary;
  summary.set_received(counts_.reported() + counts_.errors());
  counts_.WriteTo(elapsed, &summary);
  return summary;
}

}  // namespace mtasts::client
