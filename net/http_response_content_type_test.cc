// ParseContentType: the media type, charset and parameters of a
// Content-Type field, and the values it rejects.

#include "net/http_response.h"

#include <optional>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::net {
namespace {

MATCHER_P2(HasStatus, code, substring, "") {
  if (arg.code() == code && absl::StrContains(arg.message(), substring)) {
    return true;
  }
  *result_listener << "status " << arg;
  return false;
}

struct ContentTypeCase {
  std::string value;
  std::string media_type;
  std::optional<std::string> charset;
};
void PrintTo(const ContentTypeCase& c, std::ostream* os) { *os << c.value; }

class ContentTypeTest : public ::testing::TestWithParam<ContentTypeCase> {};

TEST_P(ContentTypeTest, Parses) {
  absl::StatusOr<ContentType> ct = ParseContentType(GetParam().value);
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_EQ(ct->media_type, GetParam().media_type);
  EXPECT_EQ(ct->charset, GetParam().charset);
}

const ContentTypeCase kContentTypeCases[] = {
    {"text/plain", "text/plain", std::nullopt},
    {"TEXT/Plain; Charset=UTF-8", "text/plain", "utf-8"},
    {"text/plain; charset=\"us-ascii\"", "text/plain", "us-ascii"},
    {"text/plain;charset=utf-8;format=flowed", "text/plain", "utf-8"},
    {" text/plain ;\tcharset=utf-8 ", "text/plain", "utf-8"},
    {"text/plain;", "text/plain", std::nullopt},
    {"text/plain;;charset=utf-8", "text/plain", "utf-8"},
    {"text/html; charset=ISO-8859-1", "text/html", "iso-8859-1"},
    {"text/plain; charset=\"utf\\-8\"", "text/plain", "utf-8"},
    {"text/plain; charset=\"\"", "text/plain", ""},
    {"application/octet-stream", "application/octet-stream", std::nullopt},
};
INSTANTIATE_TEST_SUITE_P(Cases, ContentTypeTest,
                         ::testing::ValuesIn(kContentTypeCases));

TEST(ContentTypeParametersTest, KeepsEveryParameter) {
  absl::StatusOr<ContentType> ct =
      ParseContentType("text/plain; Format=Flowed; charset=\"a;b\"");
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_THAT(ct->parameters, ::testing::ElementsAre(
                                  ::testing::Pair("format", "Flowed"),
                                  ::testing::Pair("charset", "a;b")));
}

struct BadContentTypeCase {
  std::string value;
  std::string message;
};
void PrintTo(const BadContentTypeCase& c, std::ostream* os) { *os << c.value; }

class BadContentTypeTest
    : public ::testing::TestWithParam<BadContentTypeCase> {};

TEST_P(BadContentTypeTest, IsRejected) {
  EXPECT_THAT(ParseContentType(GetParam().value).status(),
              HasStatus(absl::StatusCode::kInvalidArgument,
                        GetParam().message));
}

const BadContentTypeCase kBadContentTypeCases[] = {
    {"", "empty Content-Type"},
    {" \t", "empty Content-Type"},
    {"text", "Content-Type \"text\": no \"/subtype\""},
    {"text/", "empty subtype"},
    {"/plain", "no media type"},
    {"text /plain", "no \"/subtype\" after the type"},
    {"text/plain charset=utf-8", "unexpected 'c' at offset 11"},
    {"text/plain, text/html", "unexpected ','"},
    {"text/plain; charset", "parameter \"charset\" has no \"=value\""},
    {"text/plain; charset = utf-8", "parameter \"charset\" has no \"=value\""},
    {"text/plain; charset=", "parameter \"charset\" has an empty value"},
    {"text/plain; charset=\"utf-8",
     "unterminated quoted value of parameter \"charset\""},
    {"text/plain; charset=utf-8; CHARSET=latin1", "charset given twice"},
    {"text/plain; =utf-8", "unexpected '='"},
    {"text/plain; charset=\"a\x01\"",
     "control character 0x01 in the value of parameter \"charset\""},
};
INSTANTIATE_TEST_SUITE_P(Cases, BadContentTypeTest,
                         ::testing::ValuesIn(kBadContentTypeCases));

}  // namespace
}  // namespace mtasts::net
