// The HTTP response parser on responses it accepts: framing by
// Content-Length, chunks or close, and the status line and header fields.

#include "net/http_response.h"

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/http_response_test_util.h"

namespace mtasts::net {
namespace {

using Framing = HttpResponseParser::Framing;

struct GoodCase {
  std::string name;
  std::string input;
  int status;
  std::string body;
  Framing framing;  // kUntilClose: the server closes the connection after it
  std::vector<std::pair<std::string, std::string>> headers = {};
};
void PrintTo(const GoodCase& c, std::ostream* os) { *os << c.name; }

class GoodResponseTest : public ::testing::TestWithParam<GoodCase> {};

TEST_P(GoodResponseTest, Parses) {
  const GoodCase& c = GetParam();
  HttpResponseParser p;
  State s = p.Feed(c.input);
  if (c.framing == Framing::kUntilClose) {
    EXPECT_EQ(s, State::kNeedMore) << p.error();
    s = p.FinishOnClose();
  }
  ASSERT_EQ(s, State::kComplete) << p.error();
  EXPECT_THAT(p.error(), ::testing::IsEmpty());
  EXPECT_EQ(p.error_kind(), Error::kNone);
  EXPECT_TRUE(p.headers_complete());
  EXPECT_EQ(p.status_code(), c.status);
  EXPECT_EQ(p.body(), c.body);
  EXPECT_EQ(p.body_bytes_received(), c.body.size());
  EXPECT_EQ(static_cast<int>(p.framing()), static_cast<int>(c.framing));
  for (const auto& [name, value] : c.headers) {
    EXPECT_THAT(p.Header(name), ::testing::Optional(absl::string_view(value)))
        << name;
  }
}

const GoodCase kGoodCases[] = {
    {"ContentLength",
     kOk + "Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", 200,
     "hello", Framing::kContentLength, {{"content-type", "text/plain"}}},
    {"ContentLengthLeadingZeros", kOk + "Content-Length: 007\r\n\r\nabcdefg",
     200, "abcdefg", Framing::kContentLength},
    {"ContentLengthZero", kOk + "Content-Length: 0\r\n\r\n", 200, "",
     Framing::kContentLength},
    {"BareLf", "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", 200, "hi",
     Framing::kContentLength},
    {"Http10UntilClose",
     "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
     "version: STSv1\r\nmode: enforce\r\n",
     200, "version: STSv1\r\nmode: enforce\r\n", Framing::kUntilClose},
    {"UntilCloseEmpty", kOk + "\r\n", 200, "", Framing::kUntilClose},
    {"Chunked", kChunkedHead + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 200,
     "hello world", Framing::kChunked},
    {"ChunkedExtensionsHexCaseLeadingZeros",
     kChunkedHead + "0000A;name=value;quoted=\"a b\"\r\n0123456789\r\n"
                    "1 ; ext\r\n!\r\n000;last\r\n\r\n",
     200, "0123456789!", Framing::kChunked},
    {"ChunkedTrailersSkipped",
     kChunkedHead + "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n", 200,
     "abc", Framing::kChunked},
    {"ChunkedCaseInsensitive",
     kOk + "transfer-encoding:  Chunked \r\n\r\n1\r\nx\r\n0\r\n\r\n", 200, "x",
     Framing::kChunked},
    {"ChunkedWinsOverContentLength",
     kOk + "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
           "2\r\nok\r\n0\r\n\r\n",
     200, "ok", Framing::kChunked},
    {"ChunkedIgnoresInvalidContentLength",
     kOk + "Content-Length: nope\r\nContent-Length: 7\r\n"
           "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
     200, "ok", Framing::kChunked},
    {"NoContentIgnoresLength",
     "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", 204, "",
     Framing::kNoBody},
    {"NotModified",
     "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 304, "",
     Framing::kNoBody},
    {"ContinueThenFinal",
     "HTTP/1.1 100 Continue\r\n\r\n" + kOk + "Content-Length: 1\r\n\r\nx", 200,
     "x", Framing::kContentLength},
    {"EarlyHintsHeadersDropped",
     "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
     "HTTP/1.1 100 Continue\r\n\r\n"
     "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
     404, "", Framing::kContentLength},
    {"NoReason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 200, "",
     Framing::kContentLength},
    {"EmptyReason", "HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n", 500, "",
     Framing::kContentLength},
    {"Redirect",
     "HTTP/1.1 301 Moved Permanently\r\n"
     "Location: https://www.example.com/.well-known/mta-sts.txt\r\n"
     "Content-Length: 0\r\n\r\n",
     301, "", Framing::kContentLength,
     {{"LOCATION", "https://www.example.com/.well-known/mta-sts.txt"}}},
    {"ValuesTrimmedInnerSpaceKept",
     kOk + "X-A: \t a  b \t\r\nX-Empty:\r\nX-Colon: a:b: c\r\n"
           "Content-Length: 0\r\n\r\n",
     200, "", Framing::kContentLength,
     {{"x-a", "a  b"}, {"X-EMPTY", ""}, {"x-colon", "a:b: c"}}},
    {"ObsTextInValueAndReason",
     "HTTP/1.1 403 Verboten \xc3\xa4\r\nX-U: caf\xc3\xa9\r\n"
     "Content-Length: 0\r\n\r\n",
     403, "", Framing::kContentLength, {{"x-u", "caf\xc3\xa9"}}},
    {"BotProtectionPage",
     "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; charset=UTF-8\r\n"
     "Content-Length: 26\r\n\r\n<html>Just a moment</html>",
     403, "<html>Just a moment</html>", Framing::kContentLength,
     {{"content-type", "text/html; charset=UTF-8"}}},
};
INSTANTIATE_TEST_SUITE_P(Cases, GoodResponseTest,
                         ::testing::ValuesIn(kGoodCases));

TEST(HttpResponseTest, StatusLineFields) {
  HttpResponseParser p;
  ASSERT_EQ(p.Feed("HTTP/1.0 404 Not  Found \r\nContent-Length: 0\r\n\r\n"),
            State::kComplete);
  EXPECT_EQ(p.http_minor_version(), 0);
  EXPECT_EQ(p.status_code(), 404);
  EXPECT_EQ(p.reason(), "Not  Found ");
  EXPECT_EQ(p.interim_responses(), 0);
}

TEST(HttpResponseTest, HeadersKeepOrderAndRepeats) {
  HttpResponseParser p;
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Other: z\r\n"
                   "set-cookie: b=2\r\nContent-Length: 0\r\n\r\n"),
            State::kComplete);
  EXPECT_THAT(p.HeaderValues("SET-COOKIE"),
              ::testing::ElementsAre("a=1", "b=2"));
  EXPECT_THAT(p.Header("Set-Cookie"),
              ::testing::Optional(absl::string_view("a=1")));
  EXPECT_EQ(p.Header("content-type"), std::nullopt);
  EXPECT_EQ(p.Location(), std::nullopt);
  ASSERT_EQ(p.headers().size(), 4u);
  EXPECT_EQ(p.headers()[2].name, "set-cookie");  // case kept as received
  EXPECT_EQ(p.content_length(), std::optional<uint64_t>(0));
}

TEST(HttpResponseTest, InterimResponsesCounted) {
  HttpResponseParser p;
  ASSERT_EQ(p.Feed("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                   "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                   "Content-Length: 0\r\n\r\n"),
            State::kComplete);
  EXPECT_EQ(p.interim_responses(), 2);
  EXPECT_EQ(p.status_code(), 200);
  EXPECT_EQ(p.reason(), "OK");
  EXPECT_EQ(p.Header("link"), std::nullopt);  // the interim head's fields
  EXPECT_EQ(p.headers().size(), 1u);
}

TEST(HttpResponseTest, WarningsForBareLfAndIgnoredContentLength) {
  HttpResponseParser p;
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\nContent-Length: 3\r\n"
                   "Transfer-Encoding: chunked\n\n1\nx\n0\n\n"),
            State::kComplete);
  EXPECT_EQ(p.body(), "x");
  EXPECT_THAT(p.warnings(),
              ::testing::ElementsAre(
                  ::testing::HasSubstr("bare LF"),
                  ::testing::HasSubstr("Content-Length is ignored")));
  HttpResponseParser clean;
  clean.Feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(clean.warnings(), ::testing::IsEmpty());
}

TEST(HttpResponseTest, BytesAfterTheResponseAreCounted) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"),
            State::kComplete);
  EXPECT_EQ(p.Feed("MORE"), State::kComplete);
  EXPECT_EQ(p.FinishOnClose(), State::kComplete);
  EXPECT_EQ(p.body(), "ok");
  EXPECT_EQ(p.excess_bytes(), 9u);
}

TEST(HttpResponseTest, NothingChangesAfterAnError) {
  HttpResponseParser p;
  ASSERT_EQ(p.Feed("HTTP/1.1 200 OK\r\n Folded: x\r\n"), State::kError);
  const std::string before = Describe(p);
  EXPECT_EQ(p.Feed("Content-Length: 0\r\n\r\n"), State::kError);
  EXPECT_EQ(p.FinishOnClose(), State::kError);
  EXPECT_EQ(Describe(p), before);
}

TEST(HttpResponseTest, NeedsMoreUntilTheEnd) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed(""), State::kNeedMore);
  EXPECT_EQ(p.Feed("HTTP/1.1 200 OK\r\n"), State::kNeedMore);
  EXPECT_FALSE(p.headers_complete());
  EXPECT_EQ(p.Feed("Content-Length: 3\r\n\r\n"), State::kNeedMore);
  EXPECT_TRUE(p.headers_complete());
  EXPECT_EQ(p.status_code(), 200);
  EXPECT_EQ(p.Feed("ab"), State::kNeedMore);
  EXPECT_EQ(p.Feed("c"), State::kComplete);
}

}  // namespace
}  // namespace mtasts::net
