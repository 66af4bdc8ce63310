#include "checks/common/tag_value_record.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "checks/findings/finding.h"
#include "checks/txt/sts_record.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mtasts/v1/findings.pb.h"

namespace mtasts::checks {
namespace {

using ::testing::ElementsAre;
using ::testing::StartsWith;

// The txt check's grammar with words and bounds of neither RFC, so that
// nothing here leans on "STSv1" or "TLSRPTv1" being spelled into the module.
// The codes stay the txt check's: findings are made from its table.
TagValueGrammar TestGrammar() {
  TagValueGrammar g = kStsGrammar;
  g.version = "v=ABCv1";
  g.required_field = "key";
  g.required_role = "the key";
  g.reader = "readers";
  g.strict_reaction = "drop";
  g.whitespace_allowed = "\";\"";
  g.too_long_note = " (note)";
  g.not_first_note = ", late";
  g.max_record_bytes = 40;
  g.max_records_examined = 3;
  g.max_ext_name_length = 4;
  g.max_problems_per_record = 2;
  return g;
}
const TagValueGrammar kGrammar = TestGrammar();

std::vector<v1::FindingCode> Codes(FindingList findings) {
  std::vector<v1::FindingCode> codes;
  for (const v1::Finding& f : std::move(findings).Take()) {
    codes.push_back(f.code());
  }
  return codes;
}

// The details as the judge wrote them; the findings table appends its
// explanation after them, and sorts them most severe first.
std::vector<std::string> Details(FindingList findings) {
  std::vector<std::string> details;
  for (const v1::Finding& f : std::move(findings).Take()) {
    details.push_back(f.detail());
  }
  return details;
}

TEST(CharacterClassTest, FollowRfc5234CoreRules) {
  EXPECT_TRUE(IsWsp(' '));
  EXPECT_TRUE(IsWsp('\t'));
  EXPECT_FALSE(IsWsp('\n'));
  EXPECT_TRUE(IsAlnum('z'));
  EXPECT_TRUE(IsAlnum('Z'));
  EXPECT_TRUE(IsAlnum('0'));
  EXPECT_FALSE(IsAlnum('_'));
  EXPECT_FALSE(IsAlpha(static_cast<char>(0xe9)));
  EXPECT_TRUE(IsHexDigit('F'));
  EXPECT_FALSE(IsHexDigit('g'));
  EXPECT_EQ(TrimWsp(" \t a b\t "), "a b");
  EXPECT_EQ(DescribeChar(' '), "a space");
  EXPECT_EQ(DescribeChar('\t'), "the control character 0x09");
  EXPECT_EQ(DescribeChar(static_cast<char>(0xc3)), "the non-ASCII byte 0xc3");
  EXPECT_EQ(DescribeChar('x'), "\"x\"");
}

TEST(ExtensionTest, NameAndValueRules) {
  EXPECT_EQ(ExtNameProblem("a_.-", 4), "");
  EXPECT_EQ(ExtNameProblem("", 4), "the field name is empty");
  EXPECT_EQ(ExtNameProblem("_a", 4),
            "the name begins with \"_\" instead of a letter or digit");
  EXPECT_EQ(ExtNameProblem("abcde", 4),
            "the name is 5 characters long (at most 4)");
  EXPECT_EQ(ExtNameProblem("a+", 4), "the name contains \"+\"");
  EXPECT_EQ(ExtValueProblem("!:<>~"), "");
  EXPECT_EQ(ExtValueProblem(""), "the value is empty");
  EXPECT_EQ(ExtValueProblem("a=b"), "the value contains \"=\"");
  EXPECT_EQ(ExtValueProblem("a;b"), "the value contains \";\"");
  EXPECT_EQ(ExtValueProblem("a b"), "the value contains a space");
}

TEST(SelectTest, SortsRecordsAndNamesNearMisses) {
  const std::vector<std::string> records = {
      "v=ABCv1; key=1", "V=abcV1; key=2", "v = ABCv1", "x v=abcv1", "spf",
  };
  TagValueSelection s = SelectTagValueRecords(kGrammar, records);
  EXPECT_THAT(s.selected, ElementsAre("v=ABCv1; key=1"));
  EXPECT_EQ(s.total, 5u);
  // Records 4 and 5 lie beyond max_records_examined (3): counted, not shown.
  EXPECT_EQ(s.unexamined, 2u);
  EXPECT_THAT(s.shown,
              ElementsAre("v=ABCv1; key=1", "V=abcV1; key=2", "v = ABCv1"));
  ASSERT_EQ(s.near_misses.size(), 2u);
  EXPECT_EQ(s.near_misses[0].kind, NearMiss::kMiscased);
  EXPECT_EQ(s.near_misses[1].kind, NearMiss::kSpacedEquals);
  EXPECT_THAT(s.unrelated, ::testing::IsEmpty());

  FindingList findings(TxtFindings(), "example.com");
  ReportIgnoredRecords(kGrammar, s, v1::SEVERITY_LOW, findings);
  EXPECT_THAT(
      Details(std::move(findings)),
      ElementsAre(
          StartsWith(
              "The record \"V=abcV1; key=2\" begins with \"V=abcV1\", not "
              "\"v=ABCv1\", so readers ignore it"),
          StartsWith("The record \"v = ABCv1\" has whitespace around the \"=\" "
                     "of its version, so it does not begin with v=ABCv1 and "
                     "readers ignore it"),
          StartsWith("Ignored 2 TXT records not beginning with \"v=ABCv1;\" (2 "
                     "beyond the first 3 records not shown)")));
}

TEST(SelectTest, VersionLaterInTheRecord) {
  const std::vector<std::string> records = {"x v=abcv1", "unrelated"};
  TagValueSelection s = SelectTagValueRecords(kGrammar, records);
  ASSERT_EQ(s.near_misses.size(), 1u);
  EXPECT_EQ(s.near_misses[0].kind, NearMiss::kNotFirst);
  EXPECT_EQ(s.near_misses[0].position, 2u);
  EXPECT_THAT(s.unrelated, ElementsAre("unrelated"));

  FindingList findings(TxtFindings(), "example.com");
  ReportIgnoredRecords(kGrammar, s, v1::SEVERITY_HIGH, findings);
  ReportNoSingleRecord(kGrammar, s, "example.com", findings);
  EXPECT_THAT(
      Details(std::move(findings)),
      ElementsAre(StartsWith("The record \"x v=abcv1\" has v=ABCv1 at position "
                             "3, after \"x \", late, so readers ignore it"),
                  StartsWith("None of the 2 TXT records at example.com begins "
                             "with \"v=ABCv1;\""),
                  StartsWith("Ignored 1 TXT record not beginning with \"v=ABCv1;\": "
                             "\"unrelated\"")));
}

// RFC 8461 §3.1 / RFC 8460 §3: records that do not begin with the version
// and its ";" are discarded before counting. Another version is simply
// unrelated; this version without its ";" right after it is a near miss.
TEST(SelectTest, OnlyVersionAndSemicolonSelect) {
  const std::vector<std::string> records = {"v=ABCv1; key=1", "v=ABCv10; key=2",
                                            "v=ABCv1 ; key=3"};
  TagValueSelection s = SelectTagValueRecords(kGrammar, records);
  EXPECT_THAT(s.selected, ElementsAre("v=ABCv1; key=1"));
  EXPECT_THAT(s.unrelated, ElementsAre("v=ABCv10; key=2"));
  ASSERT_EQ(s.near_misses.size(), 1u);
  EXPECT_EQ(s.near_misses[0].kind, NearMiss::kSpaceBeforeSemicolon);

  FindingList findings(TxtFindings(), "example.com");
  ReportIgnoredRecords(kGrammar, s, v1::SEVERITY_LOW, findings);
  ReportNoSingleRecord(kGrammar, s, "example.com", findings);
  // One record counts: no "multiple records".
  EXPECT_THAT(Codes(std::move(findings)),
              ElementsAre(v1::TXT_VERSION_SPACE_BEFORE_SEMICOLON, v1::TXT_IGNORED_RECORD));
}

TEST(SelectTest, VersionWithoutItsSemicolon) {
  const std::vector<std::string> records = {"v=ABCv1", "v=ABCv1 key=1", "V=ABCV10; key=1"};
  TagValueSelection s = SelectTagValueRecords(kGrammar, records);
  EXPECT_THAT(s.selected, ::testing::IsEmpty());
  ASSERT_EQ(s.near_misses.size(), 2u);
  EXPECT_EQ(s.near_misses[0].kind, NearMiss::kNoSemicolon);
  EXPECT_EQ(s.near_misses[1].kind, NearMiss::kNoSemicolon);
  // Another version in another case is not this version miscased.
  EXPECT_THAT(s.unrelated, ElementsAre("V=ABCV10; key=1"));

  FindingList findings(TxtFindings(), "example.com");
  ReportIgnoredRecords(kGrammar, s, v1::SEVERITY_HIGH, findings);
  EXPECT_THAT(Details(std::move(findings)),
              ::testing::Contains(StartsWith("The record \"v=ABCv1 key=1\" does not begin with "
                                             "\"v=ABCv1;\" (a \";\" must follow the version "
                                             "directly), so readers ignore it")));
}

TEST(SelectTest, MultipleRecords) {
  const std::vector<std::string> records = {"v=ABCv1; key=1", "v=ABCv1; key=2"};
  TagValueSelection s = SelectTagValueRecords(kGrammar, records);
  FindingList findings(TxtFindings(), "example.com");
  ReportNoSingleRecord(kGrammar, s, "example.com", findings);
  EXPECT_THAT(Codes(std::move(findings)),
              ElementsAre(v1::TXT_MULTIPLE_RECORDS));
}

TEST(FieldsTest, YieldsFieldsAndCountsProblems) {
  FindingList findings(TxtFindings(), "example.com");
  TagValueFields fields(kGrammar, "v=ABCv1 ; a = b;;c;key=1;x=y; ", findings);
  ASSERT_TRUE(fields.started());
  std::vector<std::string> seen;
  TagValueField f;
  while (fields.Next(&f)) {
    seen.push_back(absl::StrCat(f.name, "|", f.value, "|", f.spaced_equals));
    if (f.name != "key") fields.Extension(f);
  }
  // "a = b" and "x=y" are extensions; ";;" and "c" are problems, and the
  // trailing whitespace after the last ";" is allowed (an empty last field).
  EXPECT_THAT(seen, ElementsAre("a|b|1", "key|1|0", "x|y|0"));
  EXPECT_FALSE(fields.ok());
  fields.ReportUnlisted();
  fields.ReportUnknown();
  EXPECT_THAT(Codes(std::move(findings)),
              ElementsAre(v1::TXT_SYNTAX_ERROR, v1::TXT_SYNTAX_ERROR,
                          v1::TXT_VERSION_SPACE_BEFORE_SEMICOLON,
                          v1::TXT_UNKNOWN_FIELD));
}

TEST(FieldsTest, ProblemsBeyondTheLimitAreCounted) {
  FindingList findings(TxtFindings(), "example.com");
  TagValueFields fields(kGrammar, "v=ABCv1;a;b;c;d ", findings);
  TagValueField f;
  while (fields.Next(&f)) {
  }
  fields.ReportUnlisted();
  // a, b, c and d have no "="; d also ends with whitespace: 5 problems, 2
  // listed.
  EXPECT_THAT(
      Details(std::move(findings)),
      ElementsAre(StartsWith("The field \"a\" has no \"=\""),
                  StartsWith("The field \"b\" has no \"=\""),
                  StartsWith("The record \"v=ABCv1;a;b;c;d \" has 3 more "
                             "problems, not listed one by one")));
}

TEST(FieldsTest, RejectsBeforeTheFields) {
  struct Case {
    std::string record;
    v1::FindingCode code;
  };
  for (const Case& c : std::vector<Case>{
           {"v=ABCv1", v1::TXT_ID_MISSING},
           {"v=ABCv1 x", v1::TXT_SYNTAX_ERROR},
           {"v=ABCv1x;key=1", v1::TXT_SYNTAX_ERROR},
           {"v=ABCv1;key=\x01", v1::TXT_SYNTAX_ERROR},
           {"v=ABCv1;key=" + std::string(40, 'a'), v1::TXT_SYNTAX_ERROR},
       }) {
    SCOPED_TRACE(c.record);
    FindingList findings(TxtFindings(), "example.com");
    TagValueFields fields(kGrammar, c.record, findings);
    EXPECT_FALSE(fields.started());
    EXPECT_FALSE(fields.ok());
    TagValueField f;
    EXPECT_FALSE(fields.Next(&f));
    EXPECT_THAT(Codes(std::move(findings)), ElementsAre(c.code));
  }
}

TEST(FieldsTest, RequiredFieldInAnotherCase) {
  FindingList findings(TxtFindings(), "example.com");
  TagValueFields fields(kGrammar, "v=ABCv1; KEY=1", findings);
  TagValueField f;
  while (fields.Next(&f)) fields.Extension(f);
  EXPECT_TRUE(fields.ok());
  fields.ReportUnknown();
  fields.ReportRequiredMissing();
  // Most severe first: the missing field before the unknown one.
  EXPECT_THAT(
      Details(std::move(findings)),
      ElementsAre(
          StartsWith("The record \"v=ABCv1; KEY=1\" has no key field; a "
                     "field spelled with other letter case does not "
                     "count"),
          StartsWith("The record \"v=ABCv1; KEY=1\" has the unknown "
                     "field \"KEY\" (field names are case-sensitive: "
                     "only \"key\" is the key)")));
}

}  // namespace
}  // namespace mtasts::checks
