// StreamFleet end to end: thousands of domains through one stream against the
// fake DNS server, each answered once, with the fleet limit observed at the
// DNS server; and a stream with no entries.
#include <algorithm>
#include <cstdint>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/client_context.h"
#include "gtest/gtest.h"
#include "tests/integration/fleet_lab.h"
#include "tests/integration/test_lab.h"

namespace mtasts::testing {
namespace {

TEST_F(FleetTest, EveryDomainAnsweredOnceInCompletionOrderWithinTheLimit) {
  grpc::ClientContext context;
  auto stream = lab_->stub().StreamFleet(&context);
  std::thread writer([&] {
    for (int i = 0; i < kDomains; ++i) {
      v1::FleetRequest request;
      request.set_domain(FleetDomain(i));
      request.set_tag(absl::StrCat("tag-", i));
      // The zone above scripts DNS only: the checks that need no web or mail
      // server, so every domain's outcome (and score) is known.
      request.mutable_options()->add_checks("txt");
      request.mutable_options()->add_checks("tls_rpt");
      if (!stream->Write(request)) break;
      // A bad entry every 100 domains: an error event, and the stream goes on.
      if (i % 100 == 50) {
        v1::FleetRequest bad;
        bad.set_domain(absl::StrCat("https://bad", i, ".example/"));
        bad.set_tag(absl::StrCat("bad-", i));
        if (!stream->Write(bad)) break;
      }
    }
    stream->WritesDone();
  });

  std::map<std::string, int> seen;  // tag -> times answered
  std::vector<int> order;
  std::vector<v1::FleetError> errors;
  v1::FleetSummary summary;
  int summaries = 0;
  v1::FleetEvent event;
  while (stream->Read(&event)) {
    if (event.has_result()) {
      const std::string& tag = event.result().tag();
      ++seen[tag];
      order.push_back(DomainIndex(event.result().report().domain()));
      EXPECT_EQ(tag, absl::StrCat("tag-", order.back()));
      EXPECT_EQ(event.result().report().evidence().sts_id(), absl::StrCat(order.back()));
    } else if (event.has_error()) {
      errors.push_back(event.error());
    } else if (event.has_summary()) {
      summary = event.summary();
      ++summaries;
    }
  }
  writer.join();
  grpc::Status status = stream->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();

  ASSERT_EQ(seen.size(), static_cast<size_t>(kDomains));
  for (const auto& [tag, count] : seen) EXPECT_EQ(count, 1) << tag;
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_NE(order, sorted) << "reports came back in input order despite random delays";

  ASSERT_EQ(errors.size(), static_cast<size_t>(kDomains / 100));
  for (const auto& e : errors) {
    EXPECT_EQ(e.code(), 3) << e.message();  // INVALID_ARGUMENT
    EXPECT_THAT(e.tag(), ::testing::StartsWith("bad-"));
    EXPECT_THAT(e.message(), ::testing::HasSubstr("URL"));
  }

  EXPECT_EQ(summaries, 1);
  EXPECT_EQ(summary.received(), kDomains + kDomains / 100);
  EXPECT_EQ(summary.reported(), kDomains);
  EXPECT_EQ(summary.errors(), kDomains / 100);
  ASSERT_EQ(summary.score_histogram_size(), 10);
  EXPECT_EQ(summary.score_histogram(9), kDomains);  // every domain scores 100
  EXPECT_DOUBLE_EQ(summary.mean_score(), 100);
  ASSERT_EQ(summary.by_grade_size(), 1);
  EXPECT_EQ(summary.by_grade(0).grade(), v1::GRADE_A);
  EXPECT_EQ(summary.by_grade(0).count(), kDomains);
  EXPECT_EQ(summary.slowest_size(), 10);

  // Observed at the DNS server: never more domains in flight than the limit,
  // and the limit was actually reached (so this assertion can fail).
  const int64_t max_in_flight = lab_->dns().server().max_outstanding();
  std::cout << "fleet: max domains in flight observed at the DNS server: " << max_in_flight
            << " (limit " << kLimit << ")\n";
  RecordProperty("max_in_flight_observed", static_cast<int>(max_in_flight));
  EXPECT_LE(max_in_flight, kLimit);
  EXPECT_GE(max_in_flight, kLimit * 3 / 4);
  EXPECT_EQ(lab_->server().service().InFlight(), 0);
}

TEST_F(FleetTest, EmptyStreamEndsWithAnEmptySummary) {
  grpc::ClientContext context;
  auto stream = lab_->stub().StreamFleet(&context);
  stream->WritesDone();
  v1::FleetEvent event;
  ASSERT_TRUE(stream->Read(&event));
  ASSERT_TRUE(event.has_summary());
  EXPECT_EQ(event.summary().received(), 0);
  EXPECT_EQ(event.summary().reported(), 0);
  EXPECT_FALSE(stream->Read(&event));
  EXPECT_TRUE(stream->Finish().ok());
}

}  // namespace
}  // namespace mtasts::testing
