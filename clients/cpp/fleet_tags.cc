#include "clients/cpp/fleet_tags.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace mtasts::client::fleet_tags {

int64_t EntryIndex(const std::string& tag) {
  const size_t colon = tag.find(':');
  int64_t n = -1;
  if (colon == std::string::npos || colon == 0 || !absl::SimpleAtoi(tag.substr(0, colon), &n)) {
    return -1;
  }
  return n;
}

std::string CallerTag(const std::string& tag) { return tag.substr(tag.find(':') + 1); }

// The groups of the streams' own summaries, as one (docs/api.md, "Several
// replicas"): counts of the same key added, the most severe outcome kept,
// examples (caller tags) up to 3, largest first, 20 per kind. Streams that
// ended without a summary (a killed or draining backend) add none: their
// entries are in the counts but not in the groups.
void MergeGroupings(const std::vector<v1::FleetSummary>& from, v1::FleetSummary* into) {
  std::map<int, v1::FleetGrouping> kinds;
  std::map<std::pair<int, std::string>, v1::FleetGroup> groups;
  for (const v1::FleetSummary& s : from) {
    for (const v1::FleetGrouping& g : s.groupings()) {
      v1::FleetGrouping& k = kinds[g.kind()];
      k.set_kind(g.kind());
      k.set_keys_tracked(std::max(k.keys_tracked(), g.keys_tracked()));
      k.set_keys_not_sent(k.keys_not_sent() + g.keys_not_sent());
      k.set_untracked(k.untracked() + g.untracked());
      for (const v1::FleetGroup& group : g.groups()) {
        v1::FleetGroup& m = groups[{g.kind(), group.key()}];
        if (m.key().empty()) {
          m = group;
          m.clear_examples();
        } else {
          m.set_count(m.count() + group.count());
          if (group.severity() > m.severity()) {
            m.set_severity(group.severity());
            m.set_outcome(group.outcome());
            m.set_outcome_count(group.outcome_count());
          } else if (group.outcome() == m.outcome()) {
            m.set_outcome_count(m.outcome_count() + group.outcome_count());
          }
        }
        for (const auto& e : group.examples()) {
          if (m.examples_size() >= 3) break;
          auto* added = m.add_examples();
          *added = e;
          added->set_tag(CallerTag(e.tag()));
        }
      }
    }
  }
  for (auto& [key, group] : groups) *kinds[key.first].add_groups() = std::move(group);
  for (auto& [kind, grouping] : kinds) {
    auto* g = grouping.mutable_groups();
    std::stable_sort(g->begin(), g->end(), [](const v1::FleetGroup& a, const v1::FleetGroup& b) {
      if (a.count() != b.count()) return a.count() > b.count();
      if (a.severity() != b.severity()) return a.severity() > b.severity();
      return a.key() < b.key();
    });
    while (g->size() > 20) {
      g->RemoveLast();
      grouping.set_keys_not_sent(grouping.keys_not_sent() + 1);
    }
    *into->add_groupings() = std::move(grouping);
  }
}

// The server names an entry it could not read by its position in the stream
// ("entry 7 (tag \"12:cust\"): ..."); on a spread fleet that is the
// position in one stream of several, so it becomes the entry's position in
// the caller's fleet, counting from 1, and the caller's tag.
std::string FleetPositionMessage(const std::string& message, int64_t index) {
  absl::string_view rest = message;
  if (!absl::ConsumePrefix(&rest, "entry ")) return message;
  size_t digits = 0;
  while (digits < rest.size() && absl::ascii_isdigit(rest[digits])) ++digits;
  if (digits == 0) return message;
  rest.remove_prefix(digits);
  std::string out = absl::StrCat("entry ", index + 1);
  const std::string ours = absl::StrCat(" (tag \"", index, ":");
  if (absl::ConsumePrefix(&rest, ours)) absl::StrAppend(&out, " (tag \"");
  absl::StrAppend(&out, rest);
  return out;
}

}  // namespace mtasts::client::fleet_tags
