// The policy judge over the RFC 8461 §3.2 case table (policy_rfc_cases.cc):
// each body parses as the row says and is judged with the status, points,
// findings and evidence that follow from it.

#include "checks/common/policy.h"
#include "checks/policy_content/policy_judge.h"

#include <cstddef>
#include <map>
#include <string>

#include "checks/policy_content/policy_rfc_cases.h"
#include "checks/policy_content/policy_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks {
namespace {

using ::testing::HasSubstr;
using policy_test_util::Describe;
using policy_test_util::Names;
using policy_test_util::PolicyCase;
using policy_test_util::RfcPolicyCases;
using policy_test_util::kEnforce;
using policy_test_util::kUrl;

// Points per docs/design.md §5.3, out of 35.
double ExpectedFraction(const PolicyCase& c) {
  if (!c.valid) return 0;
  switch (c.mode) {
    case v1::POLICY_MODE_ENFORCE:
      return (30.0 + (c.max_age >= 86400 ? 5 : 0)) / 35.0;
    case v1::POLICY_MODE_TESTING:
      return 15.0 / 35.0;
    default:
      return 0;
  }
}

// The status of each valid enforce row with a max_age of a day or more:
// PASS when nothing in it is a defect (no finding of LOW or worse), WARN
// otherwise. Other rows: FAIL when invalid, else WARN.
v1::CheckStatus LongEnforceStatus(const std::string& name) {
  constexpr v1::CheckStatus kPass = v1::CHECK_STATUS_PASS;
  constexpr v1::CheckStatus kWarn = v1::CHECK_STATUS_WARN;
  static const auto* const kStatus = new std::map<std::string, v1::CheckStatus>{
      // Nothing but POLICY_VALID and INFO findings (unknown fields).
      {"RfcExampleCrlf", kPass},
      {"RfcExampleLf", kPass},
      {"MixedCrlfAndLf", kPass},
      {"NoTrailingNewline", kPass},
      {"NoTrailingNewlineAfterMx", kPass},
      {"FieldsInAnyOrder", kPass},
      {"NoSpaceAfterColon", kPass},
      {"TabsAfterColon", kPass},
      {"TrailingWhitespace", kPass},
      {"BlankLinesBetweenFields", kPass},
      {"TrailingBlankLines", kPass},
      {"LeadingBlankLine", kPass},
      {"MaxAgeAtLimit", kPass},
      {"MaxAgeLeadingZerosTenDigits", kPass},
      {"EnforceMaxAgeOneDay", kPass},
      {"WildcardPattern", kPass},
      {"IdnALabelPattern", kPass},
      {"UpperCaseMxPattern", kPass},
      {"ManyMxLines", kPass},
      {"RepeatedMxValue", kPass},
      {"UnknownField", kPass},
      {"ExtensionValueWithColons", kPass},
      {"ExtensionValueUtf8", kPass},
      {"ExtensionValueWithSpaces", kPass},
      {"ExtensionNamePunctuation", kPass},
      {"PaddedToExactlyTheLimit", kPass},
      // A MEDIUM finding: duplicated field, IP literal among the mx.
      {"DuplicatedVersionSameValue", kWarn},
      {"DuplicatedVersionSecondInvalid", kWarn},
      {"MxIpv4AddressBesideHostName", kWarn},
  };
  auto it = kStatus->find(name);
  if (it == kStatus->end()) {
    ADD_FAILURE() << "state the expected status of " << name;
    return v1::CHECK_STATUS_UNSPECIFIED;
  }
  return it->second;
}

class PolicyTest : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(PolicyTest, Parses) {
  const PolicyCase& c = GetParam();
  const ParsedPolicy p = ParsePolicy(c.body);
  EXPECT_EQ(p.valid, c.valid) << Describe(p.findings);
  EXPECT_EQ(v1::PolicyMode_Name(p.mode), v1::PolicyMode_Name(c.mode));
  EXPECT_EQ(p.max_age, c.max_age);
  EXPECT_EQ(p.mx, c.mx);
  EXPECT_EQ(Names(p.findings), Names(c.codes)) << Describe(p.findings);
  // POLICY_VALID exactly when valid.
  EXPECT_EQ(Names(p.findings).count("POLICY_VALID") == 1, p.valid);
  for (size_t i = 0; i < p.findings.size(); ++i) {
    const v1::Finding& f = p.findings[i];
    EXPECT_NE(f.severity(), v1::SEVERITY_UNSPECIFIED);
    EXPECT_FALSE(f.title().empty());
    EXPECT_FALSE(f.detail().empty());
    EXPECT_EQ(f.subject(), "");
    if (i > 0) {
      EXPECT_GE(p.findings[i - 1].severity(), f.severity());
    }
  }
  // Bounded: a handful of findings whatever the body.
  EXPECT_LE(p.findings.size(), 20u);
}

TEST_P(PolicyTest, Judges) {
  const PolicyCase& c = GetParam();
  v1::PolicyEvidence evidence;
  evidence.set_url("kept");
  evidence.set_http_status(200);
  evidence.add_mx("stale");
  evidence.set_max_age(1);
  const CheckVerdict v = JudgePolicyContent(c.body, kUrl, &evidence);

  if (!c.valid) {
    EXPECT_EQ(v1::CheckStatus_Name(v.status), "CHECK_STATUS_FAIL");
  } else if (c.mode == kEnforce && c.max_age >= 86400) {
    EXPECT_EQ(v1::CheckStatus_Name(v.status),
              v1::CheckStatus_Name(LongEnforceStatus(c.name)))
        << Describe(v.findings);
  } else {
    EXPECT_EQ(v1::CheckStatus_Name(v.status), "CHECK_STATUS_WARN");
  }
  EXPECT_DOUBLE_EQ(v.fraction, ExpectedFraction(c));
  EXPECT_EQ(Names(v.findings), Names(c.codes));
  for (const v1::Finding& f : v.findings) EXPECT_EQ(f.subject(), kUrl);

  ASSERT_FALSE(v.summary.empty());
  EXPECT_EQ(v.summary.back(), '.');
  EXPECT_EQ(v.summary.find(". "), std::string::npos) << v.summary;
  EXPECT_THAT(v.summary, HasSubstr(kUrl));

  EXPECT_EQ(evidence.valid(), c.valid);
  EXPECT_EQ(evidence.mode(), c.mode);
  EXPECT_EQ(evidence.max_age(), c.max_age < 0 ? 0 : c.max_age);
  EXPECT_EQ(evidence.mx_size(), static_cast<int>(c.mx.size()));
  EXPECT_EQ(evidence.url(), "kept");
  EXPECT_EQ(evidence.http_status(), 200);
  EXPECT_LE(evidence.body().size(), 4 * kMaxPolicyBodyBytes);

  // The report stays a valid proto3 message (UTF-8 everywhere).
  v1::DomainReport report;
  *report.mutable_evidence()->mutable_policy() = evidence;
  v1::CheckResult* result = report.add_checks();
  for (const v1::Finding& f : v.findings) *result->add_findings() = f;
  result->set_summary(v.summary);
  std::string wire;
  ASSERT_TRUE(report.SerializeToString(&wire));
  v1::DomainReport back;
  EXPECT_TRUE(back.ParseFromString(wire));
}

INSTANTIATE_TEST_SUITE_P(Rfc8461, PolicyTest,
                         ::testing::ValuesIn(RfcPolicyCases()),
                         [](const ::testing::TestParamInfo<PolicyCase>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace mtasts::checks
