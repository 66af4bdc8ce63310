// FleetSummaryBuilder: the arithmetic of a StreamFleet's closing summary
// (counts, grades and states, score distribution, mean, slowest domains, and
// the domains grouped by what they share), kept apart from the reactor so it
// can be tested without gRPC. The counts are fleet::SummaryCounts, which the
// C++ client's summary of a spread fleet uses too; the groupings are the
// server's own.
//
// Grouping keeps memory bounded on a stream of millions of domains whose MX
// host names and rua URIs are chosen by remote DNS: at most kMaxKeys
// distinct keys per kind (later keys are counted as "untracked"), keys cut to
// kMaxKeyOctets, kExamples examples per key with tags cut to kMaxTagOctets,
// kMaxOutcomes outcomes per key cut to kMaxOutcomeOctets. Worst case, estimated
// 4 kinds x 4096 keys x ~1.5 KB, some 25 MB per stream; typical fleets share
// few hosts and use a small fraction of that.
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

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fleet/summary_counts.h"
#include "mtasts/v1/report.pb.h"
#include "mtasts/v1/service.pb.h"

namespace mtasts::server {

class FleetSummaryBuilder {
 public:
  // How many of the slowest domains the summary names.
  static constexpr size_t kSlowest = fleet::SummaryCounts::kSlowest;
  // Grouping limits (see the top of this file and docs/api.md).
  static constexpr size_t kMaxKeys = 4096;        // distinct keys tracked per kind
  static constexpr size_t kGroupsSent = 20;       // groups per kind in the summary
  static constexpr size_t kExamples = 3;          // example domains per group
  static constexpr size_t kMaxKeyOctets = 255;    // a key is cut to this
  static constexpr size_t kMaxTagOctets = 64;     // an example's tag is cut to this
  static constexpr size_t kMaxOutcomes = 4;       // distinct outcomes kept per key
  static constexpr size_t kMaxOutcomeOctets = 120;  // an outcome is cut to this

  FleetSummaryBuilder() = default;

  void AddReceived() { ++received_; }
  void AddError() { counts_.AddError(); }
  // Counts a report's grade, state and score, keeps it among the slowest if
  // its duration is (on equal durations the earlier report stays ahead), and
  // adds the domain to the groups of every key its report has.
  void AddReport(const std::string& tag, const v1::DomainReport& report);

  int received() const { return received_; }
  int reported() const { return counts_.reported(); }
  int errors() const { return counts_.errors(); }

  // The summary of everything added so far, with `elapsed` as its duration.
  // Grades and states come in enum order, only those seen; the histogram
  // always has 10 buckets ([10*i, 10*i+9], the last also holding 100, scores
  // outside 0..100 clamped to the end buckets); the mean is 0 without reports.
  // Groupings come in kind order, only kinds with a key; in each, at most
  // kGroupsSent groups, most domains first, then most severe, then by key.
  v1::FleetSummary Build(absl::Duration elapsed) const;

 private:
  int received_ = 0;
  fleet::SummaryCounts counts_;  // shared with the C++ client's summary

  // What one domain saw at a key, and in how many domains.
  struct Outcome {
    std::string text;
    v1::Severity severity = v1::SEVERITY_UNSPECIFIED;
    int count = 0;
  };
  struct Group {
    int count = 0;
    v1::FindingCode code = v1::FINDING_CODE_UNSPECIFIED;
    v1::Severity severity = v1::SEVERITY_UNSPECIFIED;  // finding codes: most severe seen
    std::vector<Outcome> outcomes;                     // at most kMaxOutcomes
    std::vector<v1::FleetGroupExample> examples;       // smallest first, at most kExamples
  };
  struct Kind {
    absl::flat_hash_map<std::string, Group> groups;  // at most kMaxKeys
    int untracked = 0;
  };
  // One domain's entry at `key` (already bounded and distinct within the
  // report). Severity for finding codes; outcome text and severity otherwise.
  void AddToGroup(v1::FleetGroupKind kind, const std::string& key, v1::FindingCode code,
                  v1::Severity severity, absl::string_view outcome,
                  const v1::DomainReport& report, absl::string_view tag);
  void AddGroups(const std::string& tag, const v1::DomainReport& report);

  std::array<Kind, v1::FleetGroupKind_ARRAYSIZE> kinds_;
};

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_FLEET_SUMMARY_H_
