// What Client::Fleet (fleet.cc) does to the tags and summaries a spread
// fleet's streams carry. On the wire every entry's tag is "<n>:<caller's
// tag>", n the client's own sequence number, so that an event names its
// entry whatever stream it came on.
#ifndef MTASTS_CLIENTS_CPP_FLEET_TAGS_H_
#define MTASTS_CLIENTS_CPP_FLEET_TAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "mtasts/v1/service.pb.h"

namespace mtasts::client::fleet_tags {

// "<n>:<caller's tag>" -> n; -1 when the tag is not one of ours.
int64_t EntryIndex(const std::string& tag);

// "<n>:<caller's tag>" -> the caller's tag.
std::string CallerTag(const std::string& tag);

// The groups of the streams' own summaries, as one (docs/api.md, "Several
// replicas"), into `into`; examples carry the caller's tags.
void MergeGroupings(const std::vector<v1::FleetSummary>& from, v1::FleetSummary* into);

// The server's "entry 7 (tag \"12:cust\"): ..." as the entry's position in
// the caller's fleet (entry `index` + 1) with the caller's tag.
std::string FleetPositionMessage(const std::string& message, int64_t index);

}  // namespace mtasts::client::fleet_tags

#endif  // MTASTS_CLIENTS_CPP_FLEET_TAGS_H_
