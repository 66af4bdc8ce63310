#include "checks/scoring/weights.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/config.pb.h"

namespace mtasts::checks::scoring {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(WeightsTest, DefaultsMatchDesignAndSumTo100) {
  const Weights w;
  struct Case {
    std::string_view check;
    int points;
  };
  const std::vector<Case> cases = {
      {"txt", 15},    {"policy_fetch", 15}, {"policy_content", 35},
      {"mx_match", 10}, {"mx_tls", 10},     {"tls_rpt", 10},
      {"dnssec", 5}};
  int sum = 0;
  for (const Case& c : cases) {
    EXPECT_EQ(w.PointsFor(c.check), c.points) << c.check;
    sum += w.PointsFor(c.check);
  }
  EXPECT_EQ(sum, 100);
}

TEST(WeightsTest, UnknownCheckHasNoPoints) {
  const Weights w;
  EXPECT_EQ(w.PointsFor(""), 0);
  EXPECT_EQ(w.PointsFor("TXT"), 0);  // names are case-sensitive
  EXPECT_EQ(w.PointsFor("dane"), 0);
}

TEST(WeightsTest, AllCheckNamesInReportOrder) {
  EXPECT_THAT(AllCheckNames(),
              ElementsAre("txt", "policy_fetch", "policy_content", "mx_match",
                          "mx_tls", "tls_rpt", "dnssec"));
}

TEST(WeightsTest, CheckIndex) {
  for (size_t i = 0; i < AllCheckNames().size(); ++i) {
    EXPECT_EQ(CheckIndex(AllCheckNames()[i]), static_cast<int>(i));
  }
  EXPECT_EQ(CheckIndex("nope"), std::nullopt);
}

TEST(WeightsFromConfigTest, EmptyConfigKeepsDefaults) {
  absl::StatusOr<Weights> w = WeightsFromConfig(v1::ScoringWeights());
  ASSERT_TRUE(w.ok()) << w.status();
  for (std::string_view name : AllCheckNames()) {
    EXPECT_EQ(w->PointsFor(name), Weights().PointsFor(name)) << name;
  }
}

TEST(WeightsFromConfigTest, NonZeroFieldsOverrideEachCheck) {
  v1::ScoringWeights config;
  config.set_txt(1);
  config.set_policy_fetch(2);
  config.set_policy_content(3);
  config.set_mx_match(4);
  config.set_mx_tls(5);
  config.set_tls_rpt(6);
  config.set_dnssec(7);
  absl::StatusOr<Weights> w = WeightsFromConfig(config);
  ASSERT_TRUE(w.ok()) << w.status();
  for (size_t i = 0; i < AllCheckNames().size(); ++i) {
    EXPECT_EQ(w->PointsFor(AllCheckNames()[i]), static_cast<int>(i) + 1)
        << AllCheckNames()[i];
  }
}

TEST(WeightsFromConfigTest, PartialOverride) {
  v1::ScoringWeights config;
  config.set_policy_content(40);
  config.set_tls_rpt(5);
  absl::StatusOr<Weights> w = WeightsFromConfig(config);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->policy_content, 40);
  EXPECT_EQ(w->tls_rpt, 5);
  EXPECT_EQ(w->txt, 15);
  EXPECT_EQ(w->dnssec, 5);
}

TEST(WeightsFromConfigTest, NegativeIsInvalidArgumentNamingTheField) {
  struct Case {
    void (v1::ScoringWeights::*set)(int32_t);
    std::string field;
  };
  const std::vector<Case> cases = {
      {&v1::ScoringWeights::set_txt, "weights.txt"},
      {&v1::ScoringWeights::set_policy_fetch, "weights.policy_fetch"},
      {&v1::ScoringWeights::set_policy_content, "weights.policy_content"},
      {&v1::ScoringWeights::set_mx_match, "weights.mx_match"},
      {&v1::ScoringWeights::set_mx_tls, "weights.mx_tls"},
      {&v1::ScoringWeights::set_tls_rpt, "weights.tls_rpt"},
      {&v1::ScoringWeights::set_dnssec, "weights.dnssec"},
  };
  for (const Case& c : cases) {
    v1::ScoringWeights config;
    (config.*c.set)(-3);
    absl::StatusOr<Weights> w = WeightsFromConfig(config);
    ASSERT_FALSE(w.ok()) << c.field;
    EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(w.status().message()),
                HasSubstr(c.field + " is -3"));
  }
}

}  // namespace
}  // namespace mtasts::checks::scoring
