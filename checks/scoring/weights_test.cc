#include "checks/scoring/weights.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/config.pb.h"

namespace mtasts::checks::scoring {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<CheckWeight> kDefaults = {{"txt", 15}, {"policy_content", 35}, {"dnssec", 5}};

google::protobuf::Map<std::string, int32_t> Config(
    std::vector<std::pair<std::string, int32_t>> entries) {
  google::protobuf::Map<std::string, int32_t> map;
  for (auto& [k, v] : entries) map[k] = v;
  return map;
}

TEST(WeightsTest, EmptyConfigKeepsDefaultsInOrder) {
  absl::StatusOr<Weights> w = Weights::Create(kDefaults, Config({}));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->PointsFor("txt"), 15);
  EXPECT_EQ(w->PointsFor("policy_content"), 35);
  EXPECT_EQ(w->PointsFor("dnssec"), 5);
  EXPECT_THAT(w->check_order(), ElementsAre("txt", "policy_content", "dnssec"));
}

TEST(WeightsTest, UnknownCheckHasNoPoints) {
  absl::StatusOr<Weights> w = Weights::Create(kDefaults, Config({}));
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->PointsFor(""), 0);
  EXPECT_EQ(w->PointsFor("TXT"), 0);  // names are case-sensitive
  EXPECT_EQ(w->PointsFor("dane"), 0);
}

TEST(WeightsTest, ConfiguredValuesOverrideZeroKeepsDefault) {
  absl::StatusOr<Weights> w =
      Weights::Create(kDefaults, Config({{"policy_content", 40}, {"dnssec", 0}}));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->PointsFor("policy_content"), 40);
  EXPECT_EQ(w->PointsFor("dnssec"), 5);
  EXPECT_EQ(w->PointsFor("txt"), 15);
}

TEST(WeightsTest, UnknownConfiguredNameIsRefusedWithTheKnownOnes) {
  absl::StatusOr<Weights> w = Weights::Create(kDefaults, Config({{"mx_tsl", 10}}));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(w.status().message(), HasSubstr("unknown check \"mx_tsl\""));
  EXPECT_THAT(w.status().message(), HasSubstr("known checks: txt, policy_content, dnssec"));
}

TEST(WeightsTest, NegativeValueIsRefused) {
  absl::StatusOr<Weights> w = Weights::Create(kDefaults, Config({{"txt", -1}}));
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(w.status().message(), HasSubstr("weights[\"txt\"] is -1"));
  EXPECT_THAT(w.status().message(), HasSubstr("default (15)"));
}

TEST(WeightsTest, DuplicateOrNamelessDefaultIsRefused) {
  EXPECT_FALSE(Weights::Create({{"txt", 1}, {"txt", 2}}, Config({})).ok());
  EXPECT_FALSE(Weights::Create({{"", 1}}, Config({})).ok());
  EXPECT_FALSE(Weights::Create({{"txt", -1}}, Config({})).ok());
}

}  // namespace
}  // namespace mtasts::checks::scoring
