#include "tools/findings_doc.h"

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>
#include <algorithm>

#include "checks/registry.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace mtasts::tools {
using checks::FindingInfo;
using checks::FindingTable;
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

// Every row of the built-in server's tables, in enum order.
std::vector<const FindingInfo*> AllRows() {
  static const auto* const kChecks = new auto(checks::BuiltinChecks());
  std::vector<const FindingInfo*> rows;
  for (const FindingTable* table : checks::FindingTablesOf(*kChecks)) {
    for (const FindingInfo& info : table->rows()) rows.push_back(&info);
  }
  std::sort(rows.begin(), rows.end(),
            [](const FindingInfo* a, const FindingInfo* b) { return a->code < b->code; });
  return rows;
}

TEST(FindingTablesTest, EveryEnumValueHasExactlyOneRow) {
  const google::protobuf::EnumDescriptor* codes = v1::FindingCode_descriptor();
  const std::vector<const FindingInfo*> rows = AllRows();
  for (int i = 0; i < codes->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = codes->value(i);
    int entries = 0;
    for (const FindingInfo* info : rows) {
      if (info->code == value->number()) ++entries;
    }
    EXPECT_EQ(entries, value->number() == v1::FINDING_CODE_UNSPECIFIED ? 0 : 1) << value->name();
  }
  // No row for a number the enum does not have.
  EXPECT_EQ(rows.size(), codes->value_count() - 1);
}

TEST(FindingTablesTest, EachTableIsInEnumOrderAndNamesOneGroup) {
  const auto checks = checks::BuiltinChecks();
  for (const FindingTable* table : checks::FindingTablesOf(checks)) {
    SCOPED_TRACE(table->heading());
    ASSERT_FALSE(table->rows().empty());
    for (size_t i = 0; i < table->rows().size(); ++i) {
      EXPECT_STREQ(table->rows()[i].check, table->rows()[0].check);
      if (i > 0) EXPECT_LT(table->rows()[i - 1].code, table->rows()[i].code);
    }
  }
  // A check's rows carry its name, so the index column names the check.
  for (const auto& check : checks) {
    EXPECT_EQ(std::string(check->findings().rows()[0].check), std::string(check->name()));
  }
}

TEST(FindingTablesTest, EveryRowIsComplete) {
  for (const FindingInfo* row : AllRows()) {
    const FindingInfo& info = *row;
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

std::string Render() {
  const auto checks = checks::BuiltinChecks();
  return RenderFindingsMarkdown(checks::FindingTablesOf(checks));
}

TEST(FindingsDocTest, MarkdownListsEveryCodeUnderItsTablesHeading) {
  const std::string md = Render();
  for (const FindingInfo* info : AllRows()) {
    EXPECT_THAT(md, HasSubstr("### " + v1::FindingCode_Name(info->code) + "\n"));
  }
  const auto checks = checks::BuiltinChecks();
  for (const FindingTable* table : checks::FindingTablesOf(checks)) {
    EXPECT_THAT(md, HasSubstr(std::string("\n## ") + table->heading() + "\n"));
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

TEST(FindingsDocTest, DocIsUpToDate) {
  const std::string doc = ReadDoc();
  const std::string want = Render();
  // Compare without printing both (they are long): first difference only.
  size_t i = 0;
  while (i < doc.size() && i < want.size() && doc[i] == want[i]) ++i;
  EXPECT_TRUE(doc == want)
      << "docs/findings.md is out of date with the finding rows "
         "(first difference at byte "
      << i << ", near \"" << want.substr(i > 40 ? i - 40 : 0, 80)
      << "\"). Regenerate it with:\n"
         "  bazel run //tools:gen_findings_doc > docs/findings.md";
}

}  // namespace
}  // namespace mtasts::tools
