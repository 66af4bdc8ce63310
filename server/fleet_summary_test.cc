#include "server/fleet_summary.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace mtasts::server {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

v1::DomainReport Report(const std::string& domain, int score, v1::Grade grade,
                        v1::MtaStsState state, absl::Duration took = absl::Milliseconds(1)) {
  v1::DomainReport r;
  r.set_domain(domain);
  r.set_score(score);
  r.set_grade(grade);
  r.set_state(state);
  *r.mutable_duration() = TimeUtil::NanosecondsToDuration(absl::ToInt64Nanoseconds(took));
  return r;
}

std::vector<std::string> SlowestDomains(const v1::FleetSummary& s) {
  std::vector<std::string> out;
  for (const auto& d : s.slowest()) out.push_back(d.domain());
  return out;
}

TEST(FleetSummaryTest, EmptyStreamHasZeroCountsTenEmptyBucketsAndMeanZero) {
  const v1::FleetSummary s = FleetSummaryBuilder().Build(absl::Milliseconds(1500));
  EXPECT_EQ(s.received(), 0);
  EXPECT_EQ(s.reported(), 0);
  EXPECT_EQ(s.errors(), 0);
  EXPECT_EQ(s.by_grade_size(), 0);
  EXPECT_EQ(s.by_state_size(), 0);
  EXPECT_THAT(s.score_histogram(), ElementsAre(0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(s.mean_score(), 0);
  EXPECT_EQ(s.slowest_size(), 0);
  EXPECT_EQ(TimeUtil::DurationToMilliseconds(s.duration()), 1500);
}

TEST(FleetSummaryTest, ReceivedReportedAndErrorsAreCountedSeparately) {
  FleetSummaryBuilder b;
  for (int i = 0; i < 5; ++i) b.AddReceived();
  b.AddError();
  b.AddError();
  b.AddReport("t", Report("a.example", 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED));
  EXPECT_EQ(b.received(), 5);
  EXPECT_EQ(b.errors(), 2);
  EXPECT_EQ(b.reported(), 1);
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  EXPECT_EQ(s.received(), 5);
  EXPECT_EQ(s.errors(), 2);
  EXPECT_EQ(s.reported(), 1);
}

TEST(FleetSummaryTest, GradesAndStatesAreCountedInEnumOrderOnlyWhenSeen) {
  FleetSummaryBuilder b;
  b.AddReport("", Report("f1", 10, v1::GRADE_F, v1::MTA_STS_STATE_BROKEN));
  b.AddReport("", Report("a1", 95, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED));
  b.AddReport("", Report("f2", 0, v1::GRADE_F, v1::MTA_STS_STATE_ABSENT));
  b.AddReport("", Report("c1", 65, v1::GRADE_C, v1::MTA_STS_STATE_BROKEN));
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  ASSERT_EQ(s.by_grade_size(), 3);
  EXPECT_EQ(s.by_grade(0).grade(), v1::GRADE_A);
  EXPECT_EQ(s.by_grade(0).count(), 1);
  EXPECT_EQ(s.by_grade(1).grade(), v1::GRADE_C);
  EXPECT_EQ(s.by_grade(1).count(), 1);
  EXPECT_EQ(s.by_grade(2).grade(), v1::GRADE_F);
  EXPECT_EQ(s.by_grade(2).count(), 2);
  ASSERT_EQ(s.by_state_size(), 3);
  EXPECT_EQ(s.by_state(0).state(), v1::MTA_STS_STATE_ENFORCED);
  EXPECT_EQ(s.by_state(0).count(), 1);
  EXPECT_EQ(s.by_state(1).state(), v1::MTA_STS_STATE_ABSENT);
  EXPECT_EQ(s.by_state(1).count(), 1);
  EXPECT_EQ(s.by_state(2).state(), v1::MTA_STS_STATE_BROKEN);
  EXPECT_EQ(s.by_state(2).count(), 2);
}

TEST(FleetSummaryTest, HistogramBucketsAreTensWithOneHundredInTheLast) {
  FleetSummaryBuilder b;
  // Bucket i holds [10i, 10i+9]; 100 goes to bucket 9; out-of-range scores
  // (never produced by scoring) are clamped rather than dropped.
  for (int score : {0, 9, 10, 19, 55, 89, 90, 99, 100, -7, 250}) {
    b.AddReport("", Report(absl::StrCat("s", score), score, v1::GRADE_F, v1::MTA_STS_STATE_ABSENT));
  }
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  EXPECT_THAT(s.score_histogram(), ElementsAre(3, 2, 0, 0, 0, 1, 0, 0, 1, 4));
}

TEST(FleetSummaryTest, MeanIsOverReportsOnlyNotErrors) {
  FleetSummaryBuilder b;
  b.AddError();
  b.AddReport("", Report("a", 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED));
  b.AddReport("", Report("b", 50, v1::GRADE_D, v1::MTA_STS_STATE_TESTING));
  b.AddReport("", Report("c", 25, v1::GRADE_F, v1::MTA_STS_STATE_BROKEN));
  EXPECT_DOUBLE_EQ(b.Build(absl::ZeroDuration()).mean_score(), 175.0 / 3);
}

TEST(FleetSummaryTest, SlowestKeepsTheTenSlowestSlowestFirstWithTheirTags) {
  FleetSummaryBuilder b;
  // Durations 1..12 ms in a scrambled order.
  for (int ms : {7, 3, 12, 1, 9, 5, 11, 2, 8, 4, 10, 6}) {
    b.AddReport(absl::StrCat("tag-", ms),
                Report(absl::StrCat("d", ms), 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED,
                       absl::Milliseconds(ms)));
  }
  const v1::FleetSummary s = b.Build(absl::ZeroDuration());
  EXPECT_THAT(SlowestDomains(s),
              ElementsAre("d12", "d11", "d10", "d9", "d8", "d7", "d6", "d5", "d4", "d3"));
  EXPECT_EQ(s.slowest(0).tag(), "tag-12");
  EXPECT_EQ(TimeUtil::DurationToMilliseconds(s.slowest(0).duration()), 12);
  EXPECT_EQ(TimeUtil::DurationToMilliseconds(s.slowest(9).duration()), 3);
}

TEST(FleetSummaryTest, EqualDurationsKeepTheirArrivalOrder) {
  FleetSummaryBuilder b;
  for (int i = 0; i < 12; ++i) {
    b.AddReport("", Report(absl::StrCat("d", i), 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED,
                           absl::Milliseconds(i == 5 ? 9 : 4)));
  }
  EXPECT_THAT(SlowestDomains(b.Build(absl::ZeroDuration())),
              ElementsAre("d5", "d0", "d1", "d2", "d3", "d4", "d6", "d7", "d8", "d9"));
}

// Against an independent oracle: a stable sort of everything, cut to ten.
TEST(FleetSummaryTest, SlowestMatchesAStableSortOfAllReports) {
  absl::BitGen gen(std::seed_seq{42});
  for (int round = 0; round < 50; ++round) {
    FleetSummaryBuilder b;
    std::vector<std::pair<int, std::string>> all;  // (ms, domain)
    const int n = absl::Uniform(gen, 0, 40);
    for (int i = 0; i < n; ++i) {
      const int ms = absl::Uniform(gen, 0, 8);  // many ties
      const std::string domain = absl::StrCat("r", round, "-", i);
      all.push_back({ms, domain});
      b.AddReport("", Report(domain, 100, v1::GRADE_A, v1::MTA_STS_STATE_ENFORCED,
                             absl::Milliseconds(ms)));
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    std::vector<std::string> want;
    for (size_t i = 0; i < all.size() && i < FleetSummaryBuilder::kSlowest; ++i) {
      want.push_back(all[i].second);
    }
    EXPECT_THAT(SlowestDomains(b.Build(absl::ZeroDuration())), ElementsAreArray(want))
        << "round " << round;
  }
}

}  // namespace
}  // namespace mtasts::server
