// What the policy findings' details say: the line, the value and the cause
// of each defect, in words a domain owner can act on.

#include "checks/common/policy.h"
#include "checks/policy_content/policy_judge.h"

#include <cstddef>
#include <string>

#include "checks/policy_content/policy_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"

namespace mtasts::checks {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using policy_test_util::FindingWith;
using policy_test_util::Lf;
using policy_test_util::With;
using policy_test_util::WithMaxAge;

// --- What the details say ---

TEST(PolicyDetailTest, DuplicateSaysFirstWinsAndWhatOthersSee) {
  const ParsedPolicy p =
      ParsePolicy(Lf({"version: STSv1", "mode: testing", "mx: mail.example.com",
                      "max_age: 86400", "mode: enforce"}));
  const v1::Finding& f = FindingWith(p.findings, v1::POLICY_DUPLICATE_FIELD);
  EXPECT_EQ(f.severity(), v1::SEVERITY_MEDIUM);
  EXPECT_THAT(f.detail(),
              AllOf(HasSubstr("mode appears 2 times (lines 2, 5)"),
                    HasSubstr("the first, \"testing\", is in force"),
                    HasSubstr("tools that keep the last value see "
                              "\"enforce\""),
                    HasSubstr("many tools")));
  const ParsedPolicy same = ParsePolicy(With("version: STSv1"));
  EXPECT_EQ(FindingWith(same.findings, v1::POLICY_DUPLICATE_FIELD).severity(),
            v1::SEVERITY_LOW);
}

TEST(PolicyDetailTest, MxMissingIsCriticalUnderEnforceOnly) {
  const ParsedPolicy enforce =
      ParsePolicy(Lf({"version: STSv1", "mode: enforce", "max_age: 604800"}));
  EXPECT_EQ(FindingWith(enforce.findings, v1::POLICY_MX_MISSING).severity(),
            v1::SEVERITY_CRITICAL);
  const ParsedPolicy testing =
      ParsePolicy(Lf({"version: STSv1", "mode: testing", "max_age: 86400"}));
  EXPECT_EQ(FindingWith(testing.findings, v1::POLICY_MX_MISSING).severity(),
            v1::SEVERITY_HIGH);
}

TEST(PolicyDetailTest, MiscasedModeValueSaysCaseSensitive) {
  const ParsedPolicy p =
      ParsePolicy(policy_test_util::WithMode("Enforce", "604800"));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_MODE_INVALID).detail(),
              AllOf(HasSubstr("Line 2: the mode is \"Enforce\""),
                    HasSubstr("case-sensitive: write \"enforce\"")));
  const ParsedPolicy report =
      ParsePolicy(policy_test_util::WithMode("report", "86400"));
  EXPECT_THAT(FindingWith(report.findings, v1::POLICY_MODE_INVALID).detail(),
              HasSubstr("early drafts"));
}

TEST(PolicyDetailTest, MiscasedFieldNameIsNamedInTheMissingFinding) {
  const ParsedPolicy p =
      ParsePolicy(Lf({"version: STSv1", "Mode: enforce", "mx: mail.example.com",
                      "max-age: 604800"}));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_MODE_MISSING).detail(),
              HasSubstr("\"Mode\" on line 2 does not count"));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_MAX_AGE_MISSING).detail(),
              HasSubstr("\"max-age\" on line 4 does not count"));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_UNKNOWN_FIELD).detail(),
              AllOf(HasSubstr("\"Mode\", \"max-age\""),
                    HasSubstr("\"Mode\" is not \"mode\"")));
  EXPECT_THAT(p.unknown_fields, ::testing::ElementsAre("Mode", "max-age"));
}

TEST(PolicyDetailTest, MaxAgeProblemsAreNamed) {
  auto detail = [](const std::string& value) {
    return FindingWith(ParsePolicy(WithMaxAge(value)).findings,
                       v1::POLICY_MAX_AGE_INVALID)
        .detail();
  };
  EXPECT_THAT(detail("1e6"), HasSubstr("\"1e6\" uses exponent notation"));
  EXPECT_THAT(detail("00000604800"), HasSubstr("has 11 digits"));
  EXPECT_THAT(detail("-1"), HasSubstr("is negative"));
  EXPECT_THAT(detail("7d"), HasSubstr("a unit"));
  EXPECT_THAT(detail("86400.0"), HasSubstr("decimal point"));
  EXPECT_THAT(detail("86,400"), HasSubstr("digit separators"));
  EXPECT_THAT(detail("week"), HasSubstr("is not a number"));
  EXPECT_THAT(FindingWith(ParsePolicy(WithMaxAge("31557601")).findings,
                          v1::POLICY_MAX_AGE_TOO_LARGE)
                  .detail(),
              AllOf(HasSubstr("31557601 (about 365.25 days)"),
                    HasSubstr("limit of 31557600"), HasSubstr("erratum 7282")));
}

TEST(PolicyDetailTest, MxDefectsNameValueLineAndProblem) {
  auto detail = [](const std::string& mx, v1::FindingCode code) {
    return FindingWith(ParsePolicy(policy_test_util::WithMx(mx)).findings, code)
        .detail();
  };
  EXPECT_THAT(detail("mail.*.example.com", v1::POLICY_MX_WILDCARD_INVALID),
              AllOf(HasSubstr("Line 3: the mx value \"mail.*.example.com\""),
                    HasSubstr("its second label")));
  EXPECT_THAT(detail("*.*.example.com", v1::POLICY_MX_WILDCARD_INVALID),
              HasSubstr("has 2 \"*\""));
  EXPECT_THAT(detail("mail.example.com.", v1::POLICY_MX_TRAILING_DOT),
              HasSubstr("ends with a dot"));
  EXPECT_THAT(
      detail("b\xc3\xbc"
             "cher.example",
             v1::POLICY_MX_ULABEL),
      AllOf(HasSubstr("\"b\\xc3\\xbccher.example\""), HasSubstr("A-labels")));
  EXPECT_THAT(detail("2001:db8::25", v1::POLICY_MX_IP_LITERAL),
              HasSubstr("IPv6 address"));
  EXPECT_THAT(detail("a.example.com b.example.com", v1::POLICY_MX_INVALID),
              HasSubstr("one host name per mx line"));
  EXPECT_THAT(detail("", v1::POLICY_MX_INVALID), HasSubstr("is empty"));
}

TEST(PolicyDetailTest, HtmlPageIsRecognisedWithItsTitle) {
  const ParsedPolicy p = ParsePolicy(
      "<!DOCTYPE html><html><head><title> Just a moment... </title>");
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_NOT_A_POLICY).detail(),
              AllOf(HasSubstr("begins with \"<!DOCTYPE html>"),
                    HasSubstr("titled \"Just a moment...\""),
                    HasSubstr("browser check")));
  const ParsedPolicy big = ParsePolicy("<html>" + std::string(70000, ' '));
  EXPECT_THAT(FindingWith(big.findings, v1::POLICY_TOO_LARGE).detail(),
              HasSubstr("begins like an HTML page"));
}

TEST(PolicyDetailTest, SyntaxProblemsSayLineAndCause) {
  auto detail = [](const std::string& body) {
    return FindingWith(ParsePolicy(body).findings, v1::POLICY_SYNTAX_ERROR)
        .detail();
  };
  EXPECT_THAT(detail(With("  foo: bar")),
              AllOf(HasSubstr("Line 4"), HasSubstr("begins with whitespace")));
  EXPECT_THAT(detail(With("mode=enforce")),
              HasSubstr("uses \"=\" where \":\" belongs"));
  EXPECT_THAT(detail("v=STSv1; id=1;\n"),
              HasSubstr("belongs in DNS, not in the policy file"));
  EXPECT_THAT(detail(With("foo: a\rb")),
              AllOf(HasSubstr("carriage return"), HasSubstr("position 7")));
  EXPECT_THAT(detail("version: STSv1\rmode: enforce\r"),
              HasSubstr("classic Mac OS"));
  EXPECT_THAT(detail(With("note: a\tb")), HasSubstr("tab inside its value"));
}

TEST(PolicyDetailTest, SyntaxProblemsAreBounded) {
  std::string body = WithMaxAge("604800");
  for (int i = 0; i < 5000; ++i) body += "garbage\n";
  const ParsedPolicy p = ParsePolicy(body);
  EXPECT_FALSE(p.valid);
  EXPECT_EQ(p.findings.size(),
            static_cast<size_t>(kMaxPolicySyntaxFindings) + 1);
  EXPECT_THAT(p.findings.back().detail(),
              HasSubstr("4992 more lines do not follow the syntax"));
}

TEST(PolicyDetailTest, SpaceBeforeColonListsTheLines) {
  const ParsedPolicy p =
      ParsePolicy(Lf({"version : STSv1", "mode\t: enforce",
                      "mx: mail.example.com", "max_age : 604800"}));
  EXPECT_THAT(
      FindingWith(p.findings, v1::POLICY_SPACE_BEFORE_COLON).detail(),
      AllOf(HasSubstr("Lines 1, 2, 4"), HasSubstr("\"mode\\x09: enforce\""),
            HasSubstr("have whitespace before \":\"")));
}

TEST(PolicyDetailTest, ValidFindingSummarisesThePolicy) {
  const ParsedPolicy p =
      ParsePolicy(Lf({"version: STSv1", "mode: enforce", "mx: mail.example.com",
                      "mx: *.example.net", "max_age: 1209600"}));
  EXPECT_THAT(FindingWith(p.findings, v1::POLICY_VALID).detail(),
              HasSubstr("mode enforce, with max_age 1209600 (14 days) and mx "
                        "\"mail.example.com\", \"*.example.net\""));
  EXPECT_THAT(p.unknown_fields, ::testing::IsEmpty());
}

TEST(PolicyDetailTest, InvalidPolicyGetsNoModeAdvice) {
  // Fix the defect first: testing-mode advice on an invalid policy is noise.
  const ParsedPolicy p = ParsePolicy(
      Lf({"version: STSv1", "mode: testing", "mx: mail.example.com."}));
  EXPECT_THAT(policy_test_util::Names(p.findings),
              ::testing::Not(::testing::Contains("POLICY_TESTING_MODE")));
}

}  // namespace
}  // namespace mtasts::checks
