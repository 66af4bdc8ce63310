// The client's fleet summary (built from the events of a spread fleet) must
// say what the server's would for the same entries: same counts, grades,
// states, histogram, mean and slowest domains (ties in arrival order). Both
// take them from fleet::SummaryCounts; if the server's summary gains a count
// of its own, this test is where the client is found wanting.
#include "clients/cpp/fleet_summary.h"

#include <string>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "server/fleet_summary.h"

namespace mtasts::client {
namespace {

using google::protobuf::util::TimeUtil;

TEST(FleetSummaryTest, SameAsTheServersForTheSameEntries) {
  absl::BitGen gen(std::seed_seq{42});
  for (int entries : {0, 1, 9, 10, 11, 500}) {
    FleetSummaryBuilder client;
    server::FleetSummaryBuilder server;
    for (int i = 0; i < entries; ++i) {
      server.AddReceived();
      v1::FleetEvent event;
      if (absl::Uniform(gen, 0, 10) == 0) {
        event.mutable_error()->set_tag(absl::StrCat("e", i));
        event.mutable_error()->set_code(3);
        server.AddError();
      } else {
        v1::FleetResult* result = event.mutable_result();
        result->set_tag(absl::StrCat("t", i));
        v1::DomainReport* report = result->mutable_report();
        report->set_domain(absl::StrCat("d", i, ".example"));
        report->set_score(absl::Uniform(gen, -5, 106));  // beyond 0..100: clamped
        report->set_grade(static_cast<v1::Grade>(absl::Uniform(gen, 1, 7)));
        report->set_state(static_cast<v1::MtaStsState>(absl::Uniform(gen, 1, 7)));
        // Few distinct durations, so ties are common.
        *report->mutable_duration() =
            TimeUtil::MillisecondsToDuration(absl::Uniform(gen, 0, 5) * 100);
        server.AddReport(result->tag(), *report);
      }
      client.Add(event);
    }
    v1::FleetEvent summary_event;  // not an entry: ignored
    summary_event.mutable_summary()->set_received(99);
    client.Add(summary_event);
    const v1::FleetSummary ours = client.Build(absl::Seconds(3));
    const v1::FleetSummary theirs = server.Build(absl::Seconds(3));
    std::string diff;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&diff);
    EXPECT_TRUE(differ.Compare(ours, theirs)) << entries << " entries: " << diff;
    EXPECT_EQ(ours.received(), entries);
  }
}

}  // namespace
}  // namespace mtasts::client
