// The policy judge's status, points and summary per mode and max_age, and
// the evidence it keeps of the body.

#include "checks/common/policy.h"
#include "checks/policy_content/policy_judge.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "checks/policy_content/policy_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks {
namespace {

using ::testing::HasSubstr;
using policy_test_util::FindingWith;
using policy_test_util::WithMode;
using policy_test_util::kUrl;

// --- Scoring and status ---

TEST(PolicyJudgeTest, EnforceWithLongMaxAgeEarnsEverything) {
  const CheckVerdict v =
      JudgePolicyContent(policy_test_util::WithMaxAge("604800"), kUrl, nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_PASS);
  EXPECT_EQ(v.fraction, 1);
  EXPECT_EQ(v.summary,
            absl::StrCat("The policy at ", kUrl,
                         " is valid and in mode enforce, with max_age 604800 "
                         "(7 days) and 1 mx pattern."));
}

TEST(PolicyJudgeTest, EnforceWithShortMaxAgeMissesTheBonus) {
  const CheckVerdict v =
      JudgePolicyContent(policy_test_util::WithMaxAge("3600"), kUrl, nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_DOUBLE_EQ(v.fraction * 35, 30);
  EXPECT_THAT(v.summary, HasSubstr("under a day"));
  EXPECT_THAT(FindingWith(v.findings, v1::POLICY_MAX_AGE_SHORT).detail(),
              HasSubstr("3600 (1 hour)"));
}

TEST(PolicyJudgeTest, TestingEarnsFifteenOfThirtyFive) {
  const CheckVerdict v =
      JudgePolicyContent(WithMode("testing", "86400"), kUrl, nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_DOUBLE_EQ(v.fraction * 35, 15);
  EXPECT_THAT(v.summary, HasSubstr("mode testing"));
  // The staged rollout advice.
  const v1::Finding& f = FindingWith(v.findings, v1::POLICY_TESTING_MODE);
  EXPECT_THAT(f.recommendation(), ::testing::AllOf(HasSubstr("max_age: 86400"),
                                                   HasSubstr("mode: enforce"),
                                                   HasSubstr("604800")));
}

TEST(PolicyJudgeTest, NoneIsValidButEarnsNothing) {
  const CheckVerdict v = JudgePolicyContent(
      policy_test_util::Lf({"version: STSv1", "mode: none", "max_age: 86400"}),
      kUrl, nullptr);
  // WARN, not FAIL: the policy works as published (the report's state is
  // DISABLED, not BROKEN).
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_EQ(v.fraction, 0);
  EXPECT_THAT(v.summary, HasSubstr("switches MTA-STS off"));
}

TEST(PolicyJudgeTest, DefectInValidEnforcePolicyWarnsWithFullPoints) {
  const CheckVerdict v = JudgePolicyContent(
      policy_test_util::With("mode: testing"), kUrl, nullptr);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_WARN);
  EXPECT_EQ(v.fraction, 1);
  EXPECT_THAT(v.summary, HasSubstr("defects worth fixing"));
}

TEST(PolicyJudgeTest, InvalidSummarySaysWhyAndWhatSendersDo) {
  const CheckVerdict v =
      JudgePolicyContent(WithMode("Enforce", "604800"), kUrl, nullptr);
  EXPECT_EQ(v.summary,
            absl::StrCat("The policy at ", kUrl,
                         " is invalid (the mode is not enforce, testing or "
                         "none), so senders ignore it and, unless they cached "
                         "an earlier valid policy, deliver without MTA-STS."));
  const CheckVerdict several =
      JudgePolicyContent("hello: world\n", "", nullptr);
  EXPECT_THAT(several.summary,
              ::testing::AllOf(HasSubstr("The policy is invalid ("),
                               HasSubstr("and 2 more problems")));
}

// --- Evidence ---

TEST(PolicyEvidenceTest, KeepsTheBodyWithItsLineEnds) {
  v1::PolicyEvidence evidence;
  const std::string body = policy_test_util::Crlf(
      {"version: STSv1", "mode: enforce", "mx: mail.example.com",
       "mx: *.example.net", "max_age: 604800"});
  JudgePolicyContent(body, kUrl, &evidence);
  EXPECT_EQ(evidence.body(), body);
  EXPECT_TRUE(evidence.valid());
  EXPECT_EQ(evidence.mode(), v1::POLICY_MODE_ENFORCE);
  EXPECT_EQ(evidence.max_age(), 604800);
  EXPECT_THAT(evidence.mx(),
              ::testing::ElementsAre("mail.example.com", "*.example.net"));
}

TEST(PolicyEvidenceTest, EscapesBytesThatAreNotUtf8OrAreControls) {
  v1::PolicyEvidence evidence;
  const std::string body = std::string("mx: caf\xc3\xa9\ncomment: \xe9\n") +
                           "note: a" + '\0' + "b\r\nend\r";
  JudgePolicyContent(body, kUrl, &evidence);
  // Valid UTF-8 and line ends kept as they came; the rest escaped.
  EXPECT_EQ(evidence.body(),
            "mx: caf\xc3\xa9\ncomment: \\xe9\nnote: a\\x00b\r\nend\r");
  ASSERT_EQ(evidence.mx_size(), 1);
  EXPECT_EQ(evidence.mx(0), "caf\xc3\xa9");
}

TEST(PolicyEvidenceTest, KeepsAtMostTheBodyLimit) {
  v1::PolicyEvidence evidence;
  const std::string body = policy_test_util::Padded(kMaxPolicyBodyBytes + 1000);
  const CheckVerdict v = JudgePolicyContent(body, kUrl, &evidence);
  EXPECT_EQ(v.status, v1::CHECK_STATUS_FAIL);
  EXPECT_EQ(evidence.body().size(), kMaxPolicyBodyBytes);
  EXPECT_FALSE(evidence.valid());
  EXPECT_EQ(evidence.mode(), v1::POLICY_MODE_UNSPECIFIED);
  EXPECT_THAT(FindingWith(v.findings, v1::POLICY_TOO_LARGE).detail(),
              HasSubstr("66536 bytes"));
}

TEST(PolicyEvidenceTest, ParsedOverloadMatchesBodyOverload) {
  const std::string body = WithMode("testing", "31557600");
  v1::PolicyEvidence a, b;
  const CheckVerdict va = JudgePolicyContent(body, kUrl, &a);
  const CheckVerdict vb = JudgePolicyContent(ParsePolicy(body), body, kUrl, &b);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  EXPECT_EQ(va.summary, vb.summary);
  EXPECT_EQ(va.fraction, vb.fraction);
  EXPECT_EQ(policy_test_util::Names(va.findings),
            policy_test_util::Names(vb.findings));
}

}  // namespace
}  // namespace mtasts::checks
