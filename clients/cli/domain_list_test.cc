#include "clients/cli/domain_list.h"

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace mtasts::cli {
namespace {

TEST(DomainListTest, DomainAloneIsTaggedWithLineNumber) {
  auto entry = ParseDomainListLine("example.com", 7);
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->domain, "example.com");
  EXPECT_EQ((*entry)->tag, "7");
}

TEST(DomainListTest, SecondColumnIsTag) {
  auto entry = ParseDomainListLine("  example.com \t acme-17  ", 2);
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->domain, "example.com");
  EXPECT_EQ((*entry)->tag, "acme-17");
}

TEST(DomainListTest, BlankAndCommentLinesAreSkipped) {
  for (const char* line : {"", "   ", "\t\r", "# header", "   # indented"}) {
    auto entry = ParseDomainListLine(line, 3);
    ASSERT_TRUE(entry.ok()) << line;
    EXPECT_FALSE(entry->has_value()) << line;
  }
}

TEST(DomainListTest, TrailingCommentAndCrlfAreDropped) {
  auto entry = ParseDomainListLine("example.org acme # renewed\r", 4);
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->domain, "example.org");
  EXPECT_EQ((*entry)->tag, "acme");
}

TEST(DomainListTest, ByteOrderMarkOnFirstLineIsDropped) {
  auto entry = ParseDomainListLine(
      "\xEF\xBB\xBF"
      "example.com",
      1);
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->domain, "example.com");
}

TEST(DomainListTest, UnicodeDomainPassesThroughForTheServer) {
  auto entry = ParseDomainListLine("bücher.example", 5);
  ASSERT_TRUE(entry.ok());
  ASSERT_TRUE(entry->has_value());
  EXPECT_EQ((*entry)->domain, "bücher.example");
}

TEST(DomainListTest, ThreeColumnsAreInvalidArgument) {
  auto entry = ParseDomainListLine("example.com acme extra", 9);
  EXPECT_EQ(entry.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(entry.status().message().find("3 columns"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace mtasts::cli
