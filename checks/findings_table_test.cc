#include "checks/findings_table.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace mtasts::checks {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// RFC 8460 §4.3 result types: the only values tlsrpt_result_type may take.
const std::set<std::string> kRfc8460ResultTypes = {
    "starttls-not-supported", "certificate-host-mismatch",
    "certificate-expired",    "certificate-not-trusted",
    "validation-failure",     "tlsa-invalid",
    "dnssec-invalid",         "dane-required",
    "sts-policy-fetch-error", "sts-policy-invalid",
    "sts-webpki-invalid"};

TEST(FindingsTableTest, EveryEnumValueHasExactlyOneEntry) {
  const google::protobuf::EnumDescriptor* codes = v1::FindingCode_descriptor();
  for (int i = 0; i < codes->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = codes->value(i);
    int entries = 0;
    for (const FindingInfo& info : AllFindings()) {
      if (info.code == value->number()) ++entries;
    }
    if (value->number() == v1::FINDING_CODE_UNSPECIFIED) {
      EXPECT_EQ(entries, 0) << value->name();
    } else {
      EXPECT_EQ(entries, 1) << value->name();
      EXPECT_EQ(InfoFor(static_cast<v1::FindingCode>(value->number())).code,
                value->number())
          << value->name();
    }
  }
  // No entry for a number the enum does not have.
  EXPECT_EQ(AllFindings().size(), codes->value_count() - 1);
}

TEST(FindingsTableTest, EntriesAreInEnumOrder) {
  for (size_t i = 1; i < AllFindings().size(); ++i) {
    EXPECT_LT(AllFindings()[i - 1].code, AllFindings()[i].code)
        << v1::FindingCode_Name(AllFindings()[i].code);
  }
}

TEST(FindingsTableTest, EveryEntryIsComplete) {
  for (const FindingInfo& info : AllFindings()) {
    SCOPED_TRACE(v1::FindingCode_Name(info.code));
    EXPECT_NE(info.severity, v1::SEVERITY_UNSPECIFIED);
    ASSERT_NE(info.check, nullptr);
    EXPECT_STRNE(info.check, "");
    ASSERT_NE(info.title, nullptr);
    EXPECT_STRNE(info.title, "");
    // Titles are one line and fit a Markdown table cell.
    EXPECT_EQ(std::string(info.title).find_first_of("\n|"), std::string::npos);
    ASSERT_NE(info.explanation, nullptr);
    EXPECT_STRNE(info.explanation, "");
    EXPECT_EQ(std::string(info.explanation).back(), '.');
    ASSERT_NE(info.recommendation, nullptr);
    if (info.severity >= v1::SEVERITY_LOW) {
      EXPECT_STRNE(info.recommendation, "");
    }
    ASSERT_NE(info.tlsrpt_result_type, nullptr);
    if (*info.tlsrpt_result_type != '\0') {
      EXPECT_EQ(kRfc8460ResultTypes.count(info.tlsrpt_result_type), 1u)
          << info.tlsrpt_result_type;
    }
  }
}

TEST(FindingsTableTest, UnknownCodeGetsPlaceholder) {
  const FindingInfo& info = InfoFor(static_cast<v1::FindingCode>(99999));
  EXPECT_EQ(info.code, v1::FINDING_CODE_UNSPECIFIED);
  EXPECT_STRNE(info.title, "");
}

TEST(FindingsTableTest, MakeFindingFillsEveryField) {
  v1::Finding f = MakeFinding(v1::TXT_MISSING, "_mta-sts.example.com: NXDOMAIN",
                              "_mta-sts.example.com");
  EXPECT_EQ(f.code(), v1::TXT_MISSING);
  EXPECT_EQ(f.severity(), InfoFor(v1::TXT_MISSING).severity);
  EXPECT_EQ(f.title(), InfoFor(v1::TXT_MISSING).title);
  EXPECT_THAT(f.detail(), StartsWith("_mta-sts.example.com: NXDOMAIN. "));
  EXPECT_THAT(f.detail(), HasSubstr(InfoFor(v1::TXT_MISSING).explanation));
  EXPECT_EQ(f.recommendation(), InfoFor(v1::TXT_MISSING).recommendation);
  EXPECT_EQ(f.tlsrpt_result_type(), "");
  EXPECT_EQ(f.subject(), "_mta-sts.example.com");
}

TEST(FindingsTableTest, MakeFindingKeepsExplicitSeverityAndPunctuation) {
  v1::Finding f =
      MakeFinding(v1::TXT_IGNORED_RECORD, v1::SEVERITY_HIGH, "Observed this.");
  EXPECT_EQ(f.severity(), v1::SEVERITY_HIGH);
  EXPECT_THAT(f.detail(), StartsWith("Observed this. Senders"));
  EXPECT_EQ(f.subject(), "");
  // Without an observation the detail is the explanation alone.
  EXPECT_EQ(MakeFinding(v1::TXT_VALID, "").detail(),
            InfoFor(v1::TXT_VALID).explanation);
}

TEST(FindingsTableTest, MarkdownListsEveryCode) {
  const std::string md = RenderFindingsMarkdown();
  for (const FindingInfo& info : AllFindings()) {
    EXPECT_THAT(md, HasSubstr("### " + v1::FindingCode_Name(info.code) + "\n"));
  }
}

std::string ReadDoc() {
  // Tests run in the runfiles tree of the main repository.
  std::string path = "docs/findings.md";
  if (const char* srcdir = std::getenv("TEST_SRCDIR")) {
    const char* workspace = std::getenv("TEST_WORKSPACE");
    path = std::string(srcdir) + "/" + (workspace ? workspace : "mtasts") +
           "/docs/findings.md";
  }
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(FindingsTableTest, DocIsUpToDate) {
  const std::string doc = ReadDoc();
  const std::string want = RenderFindingsMarkdown();
  // Compare without printing both (they are long): first difference only.
  size_t i = 0;
  while (i < doc.size() && i < want.size() && doc[i] == want[i]) ++i;
  EXPECT_TRUE(doc == want)
      << "docs/findings.md is out of date with checks/findings_table.cc "
         "(first difference at byte "
      << i << ", near \"" << want.substr(i > 40 ? i - 40 : 0, 80)
      << "\"). Regenerate it with:\n"
         "  bazel run //tools:gen_findings_doc > docs/findings.md";
}

}  // namespace
}  // namespace mtasts::checks
