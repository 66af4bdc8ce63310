#include "net/http_response.h"

#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mtasts::net {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::Pair;
using State = HttpResponseParser::State;
using Error = HttpResponseParser::Error;
using Framing = HttpResponseParser::Framing;

MATCHER_P2(HasStatus, code, substring, "") {
  if (arg.code() == code && absl::StrContains(arg.message(), substring)) {
    return true;
  }
  *result_listener << "status " << arg;
  return false;
}

const char* StateName(State s) {
  switch (s) {
    case State::kNeedMore: return "kNeedMore";
    case State::kComplete: return "kComplete";
    case State::kError: return "kError";
    case State::kBodyTooLarge: return "kBodyTooLarge";
  }
  return "?";
}

// Everything a caller can observe, as one string, so that two parsers fed
// the same bytes differently can be compared in one assertion.
std::string Describe(const HttpResponseParser& p) {
  std::vector<std::string> headers;
  for (const HttpHeader& h : p.headers()) {
    headers.push_back(absl::StrCat(h.name, "=", h.value));
  }
  return absl::StrCat(
      "state=", StateName(p.state()), " kind=", static_cast<int>(p.error_kind()),
      " error=", p.error(), " complete=", p.headers_complete(),
      " status=", p.status_code(), " reason=", p.reason(),
      " minor=", p.http_minor_version(), " headers=[",
      absl::StrJoin(headers, "|"), "] framing=", static_cast<int>(p.framing()),
      " cl=", p.content_length().value_or(-1), " interim=",
      p.interim_responses(), " body=", p.body(),
      " received=", p.body_bytes_received(), " excess=", p.excess_bytes(),
      " warnings=[", absl::StrJoin(p.warnings(), "|"), "]");
}

// Feeds `input` whole, then reports EOF when `close` is set.
std::string ParseWhole(absl::string_view input, bool close,
                       HttpLimits limits = HttpLimits()) {
  HttpResponseParser p(limits);
  p.Feed(input);
  if (close) p.FinishOnClose();
  return Describe(p);
}

// ---------------------------------------------------------------------------
// Responses we accept.

struct GoodCase {
  std::string name;
  std::string input;
  bool close;  // the server closes the connection after `input`
  int status;
  std::string body;
  Framing framing;
  std::vector<std::pair<std::string, std::string>> headers = {};
};
void PrintTo(const GoodCase& c, std::ostream* os) { *os << c.name; }

class GoodResponseTest : public ::testing::TestWithParam<GoodCase> {};

TEST_P(GoodResponseTest, Parses) {
  const GoodCase& c = GetParam();
  HttpResponseParser p;
  State s = p.Feed(c.input);
  if (c.close) {
    EXPECT_EQ(s, State::kNeedMore) << p.error();
    s = p.FinishOnClose();
  }
  ASSERT_EQ(s, State::kComplete) << p.error();
  EXPECT_THAT(p.error(), IsEmpty());
  EXPECT_EQ(p.error_kind(), Error::kNone);
  EXPECT_TRUE(p.headers_complete());
  EXPECT_EQ(p.status_code(), c.status);
  EXPECT_EQ(p.body(), c.body);
  EXPECT_EQ(p.body_bytes_received(), c.body.size());
  EXPECT_EQ(static_cast<int>(p.framing()), static_cast<int>(c.framing));
  for (const auto& [name, value] : c.headers) {
    EXPECT_THAT(p.Header(name), Optional(absl::string_view(value))) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, GoodResponseTest,
    ::testing::Values(
        GoodCase{"ContentLength",
                 "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                 "Content-Length: 5\r\n\r\nhello",
                 false, 200, "hello", Framing::kContentLength,
                 {{"content-type", "text/plain"}}},
        GoodCase{"ContentLengthLeadingZeros",
                 "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\nabcdefg", false,
                 200, "abcdefg", Framing::kContentLength},
        GoodCase{"ContentLengthZero",
                 "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, 200, "",
                 Framing::kContentLength},
        GoodCase{"BareLf",
                 "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", false, 200, "hi",
                 Framing::kContentLength},
        GoodCase{"Http10UntilClose",
                 "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n"
                 "version: STSv1\r\nmode: enforce\r\n",
                 true, 200, "version: STSv1\r\nmode: enforce\r\n",
                 Framing::kUntilClose},
        GoodCase{"UntilCloseEmpty", "HTTP/1.1 200 OK\r\n\r\n", true, 200, "",
                 Framing::kUntilClose},
        GoodCase{"Chunked",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
                 false, 200, "hello world", Framing::kChunked},
        GoodCase{"ChunkedExtensionsHexCaseLeadingZeros",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "0000A;name=value;quoted=\"a b\"\r\n0123456789\r\n"
                 "1 ; ext\r\n!\r\n000;last\r\n\r\n",
                 false, 200, "0123456789!", Framing::kChunked},
        GoodCase{"ChunkedTrailersSkipped",
                 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "3\r\nabc\r\n0\r\nExpires: never\r\nX-Sum: 1\r\n\r\n",
                 false, 200, "abc", Framing::kChunked},
        GoodCase{"ChunkedCaseInsensitive",
                 "HTTP/1.1 200 OK\r\ntransfer-encoding:  Chunked \r\n\r\n"
                 "1\r\nx\r\n0\r\n\r\n",
                 false, 200, "x", Framing::kChunked},
        GoodCase{"ChunkedWinsOverContentLength",
                 "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
                 false, 200, "ok", Framing::kChunked},
        GoodCase{"ChunkedIgnoresInvalidContentLength",
                 "HTTP/1.1 200 OK\r\nContent-Length: nope\r\n"
                 "Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "2\r\nok\r\n0\r\n\r\n",
                 false, 200, "ok", Framing::kChunked},
        GoodCase{"NoContentIgnoresLength",
                 "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", false,
                 204, "", Framing::kNoBody},
        GoodCase{"NotModified",
                 "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n"
                 "\r\n",
                 false, 304, "", Framing::kNoBody},
        GoodCase{"ContinueThenFinal",
                 "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                 "Content-Length: 1\r\n\r\nx",
                 false, 200, "x", Framing::kContentLength},
        GoodCase{"EarlyHintsHeadersDropped",
                 "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"
                 "HTTP/1.1 100 Continue\r\n\r\n"
                 "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
                 false, 404, "", Framing::kContentLength},
        GoodCase{"NoReason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false,
                 200, "", Framing::kContentLength},
        GoodCase{"EmptyReason", "HTTP/1.1 500 \r\nContent-Length: 0\r\n\r\n",
                 false, 500, "", Framing::kContentLength},
        GoodCase{"Redirect",
                 "HTTP/1.1 301 Moved Permanently\r\n"
                 "Location: https://www.example.com/.well-known/mta-sts.txt\r\n"
                 "Content-Length: 0\r\n\r\n",
                 false, 301, "", Framing::kContentLength,
                 {{"LOCATION",
                   "https://www.example.com/.well-known/mta-sts.txt"}}},
        GoodCase{"ValuesTrimmedInnerSpaceKept",
                 "HTTP/1.1 200 OK\r\nX-A: \t a  b \t\r\nX-Empty:\r\n"
                 "X-Colon: a:b: c\r\nContent-Length: 0\r\n\r\n",
                 false, 200, "", Framing::kContentLength,
                 {{"x-a", "a  b"}, {"X-EMPTY", ""}, {"x-colon", "a:b: c"}}},
        GoodCase{"ObsTextInValueAndReason",
                 "HTTP/1.1 403 Verboten \xc3\xa4\r\nX-U: caf\xc3\xa9\r\n"
                 "Content-Length: 0\r\n\r\n",
                 false, 403, "", Framing::kContentLength,
                 {{"x-u", "caf\xc3\xa9"}}},
        GoodCase{"BotProtectionPage",
                 "HTTP/1.1 403 Forbidden\r\nContent-Type: text/html; "
                 "charset=UTF-8\r\nContent-Length: 26\r\n\r\n"
                 "<html>Just a moment</html>",
                 false, 403, "<html>Just a moment</html>",
                 Framing::kContentLength,
                 {{"content-type", "text/html; charset=UTF-8"}}}));

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
  EXPECT_THAT(p.HeaderValues("SET-COOKIE"), ElementsAre("a=1", "b=2"));
  EXPECT_THAT(p.Header("Set-Cookie"), Optional(absl::string_view("a=1")));
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
              ElementsAre(HasSubstr("bare LF"),
                          HasSubstr("Content-Length is ignored")));
  HttpResponseParser clean;
  clean.Feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_THAT(clean.warnings(), IsEmpty());
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

// ---------------------------------------------------------------------------
// Responses we refuse, each with its exact diagnosis.

struct BadCase {
  std::string name;
  std::string input;
  bool close;
  Error kind;
  std::string message;  // the whole error() unless `substring`
  bool substring = false;
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class BadResponseTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadResponseTest, IsRefusedWithItsCause) {
  const BadCase& c = GetParam();
  HttpResponseParser p;
  p.Feed(c.input);
  if (c.close) p.FinishOnClose();
  EXPECT_EQ(p.state(), c.kind == Error::kBodyTooLarge ? State::kBodyTooLarge
                                                      : State::kError);
  EXPECT_EQ(static_cast<int>(p.error_kind()), static_cast<int>(c.kind));
  if (c.substring) {
    EXPECT_THAT(p.error(), HasSubstr(c.message));
  } else {
    EXPECT_EQ(p.error(), c.message);
  }
}

const std::string kOk = "HTTP/1.1 200 OK\r\n";
const std::string kChunkedHead =
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

INSTANTIATE_TEST_SUITE_P(
    StatusLine, BadResponseTest,
    ::testing::Values(
        BadCase{"SmtpBanner", "220 mail.example.com ESMTP Postfix\r\n", false,
                Error::kMalformed,
                "not an HTTP response: it begins with \"220 "
                "mail.example.com ESMTP Postf\""},
        BadCase{"ShortNotHttpAtClose", "SSH", true, Error::kMalformed,
                "not an HTTP response: it begins with \"SSH\""},
        BadCase{"EmptyFirstLine", "\r\nHTTP/1.1 200 OK\r\n", false,
                Error::kMalformed, "not an HTTP response: it begins with \"\""},
        BadCase{"LowercaseName", "http/1.1 200 OK\r\n", false,
                Error::kMalformed,
                "not an HTTP response: it begins with \"http/1.1 200 OK\""},
        BadCase{"PrefixOfHttpOnly", "HTT\r\n", false, Error::kMalformed,
                "not an HTTP response: it begins with \"HTT\""},
        BadCase{"Http2", "HTTP/2.0 200 OK\r\n", false, Error::kMalformed,
                "unsupported HTTP version \"HTTP/2.0\" (only HTTP/1.0 and "
                "HTTP/1.1)"},
        BadCase{"Http12", "HTTP/1.2 200 OK\r\n", false, Error::kMalformed,
                "unsupported HTTP version \"HTTP/1.2\" (only HTTP/1.0 and "
                "HTTP/1.1)"},
        BadCase{"VersionWithoutMinor", "HTTP/2 200 OK\r\n", false,
                Error::kMalformed,
                "malformed HTTP version in the status line \"HTTP/2 200 OK\""},
        BadCase{"NoSpaceAfterVersion", "HTTP/1.10 200 OK\r\n", false,
                Error::kMalformed,
                "malformed status line \"HTTP/1.10 200 OK\": no space after "
                "the HTTP version"},
        BadCase{"TwoDigitCode", "HTTP/1.1 20 OK\r\n", false, Error::kMalformed,
                "malformed status line \"HTTP/1.1 20 OK\": the status code is "
                "not three digits"},
        BadCase{"FourDigitCode", "HTTP/1.1 2000 OK\r\n", false,
                Error::kMalformed, "the status code is not three digits", true},
        BadCase{"DoubleSpace", "HTTP/1.1  200 OK\r\n", false,
                Error::kMalformed, "the status code is not three digits", true},
        BadCase{"NoCode", "HTTP/1.1\r\n", false, Error::kMalformed,
                "the status code is not three digits", true},
        BadCase{"Code600", "HTTP/1.1 600 Nope\r\n", false, Error::kMalformed,
                "status code 600 is outside 100-599"},
        BadCase{"Code099", "HTTP/1.1 099 Nope\r\n", false, Error::kMalformed,
                "status code 099 is outside 100-599"},
        BadCase{"ControlInReason", "HTTP/1.1 200 O\x01K\r\n", false,
                Error::kMalformed,
                "control character 0x01 in the reason phrase of the status "
                "line \"HTTP/1.1 200 O\\x01K\""},
        BadCase{"SwitchingProtocols",
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
                false, Error::kMalformed,
                "unexpected 101 Switching Protocols: the server wants to "
                "change protocols, which a GET never asks for"}));

INSTANTIATE_TEST_SUITE_P(
    Headers, BadResponseTest,
    ::testing::Values(
        BadCase{"ObsFold", kOk + "X-A: 1\r\n  continued\r\n\r\n", false,
                Error::kMalformed,
                "header line 3 begins with whitespace: obsolete line folding "
                "is not accepted (RFC 9112 §5.2)"},
        BadCase{"WhitespaceBeforeFirstHeader", kOk + "\tX-A: 1\r\n\r\n", false,
                Error::kMalformed,
                "header line 2 begins with whitespace", true},
        BadCase{"SpaceBeforeColon", kOk + "Content-Length : 5\r\n\r\nhello",
                false, Error::kMalformed,
                "whitespace between the field name \"Content-Length\" and the "
                "colon in header line 2 (RFC 9112 §5.1)"},
        BadCase{"NoColon", kOk + "Content-Length 5\r\n\r\n", false,
                Error::kMalformed,
                "malformed header line 2 \"Content-Length 5\": no colon"},
        BadCase{"EmptyName", kOk + ": value\r\n\r\n", false, Error::kMalformed,
                "malformed header line 2 \": value\": empty field name"},
        BadCase{"SpaceInName", kOk + "Content Type: text/plain\r\n\r\n", false,
                Error::kMalformed,
                "invalid character 0x20 in the field name \"Content Type\" in "
                "header line 2"},
        BadCase{"NulInValue", kOk + std::string("X-A: a\0b\r\n\r\n", 12), false,
                Error::kMalformed,
                "control character 0x00 in the value of \"X-A\" in header "
                "line 2"},
        BadCase{"BareCrInValue", kOk + "X-A: a\rb\r\n\r\n", false,
                Error::kMalformed,
                "control character 0x0d in the value of \"X-A\"", true},
        BadCase{"DuplicateContentLength",
                kOk + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
                false, Error::kMalformed,
                "duplicate Content-Length \"5\" (given 2 times)"},
        BadCase{"ContentLengthList", kOk + "Content-Length: 5, 5\r\n\r\nhello",
                false, Error::kMalformed,
                "duplicate Content-Length \"5\" (given 2 times)"},
        BadCase{"ConflictingContentLength",
                kOk + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
                false, Error::kMalformed,
                "conflicting Content-Length values \"5\" and \"6\""},
        BadCase{"ContentLengthNotANumber", kOk + "Content-Length: abc\r\n\r\n",
                false, Error::kMalformed, "invalid Content-Length \"abc\""},
        BadCase{"ContentLengthNegative", kOk + "Content-Length: -1\r\n\r\n",
                false, Error::kMalformed, "invalid Content-Length \"-1\""},
        BadCase{"ContentLengthPlus", kOk + "Content-Length: +5\r\n\r\nhello",
                false, Error::kMalformed, "invalid Content-Length \"+5\""},
        BadCase{"ContentLengthEmpty", kOk + "Content-Length:\r\n\r\n", false,
                Error::kMalformed, "invalid Content-Length \"\""},
        BadCase{"ContentLengthOverflow",
                kOk + "Content-Length: 99999999999999999999\r\n\r\n", false,
                Error::kMalformed,
                "invalid Content-Length \"99999999999999999999\""},
        BadCase{"ContentLengthFloat", kOk + "Content-Length: 1e3\r\n\r\n",
                false, Error::kMalformed, "invalid Content-Length \"1e3\""},
        BadCase{"TransferEncodingGzip",
                kOk + "Transfer-Encoding: gzip, chunked\r\n\r\n", false,
                Error::kMalformed,
                "unsupported Transfer-Encoding \"gzip, chunked\": only chunked "
                "is accepted"},
        BadCase{"TransferEncodingChunkedTwice",
                kOk + "Transfer-Encoding: chunked\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n",
                false, Error::kMalformed,
                "unsupported Transfer-Encoding \"chunked, chunked\": only "
                "chunked is accepted"},
        BadCase{"TransferEncodingIdentity",
                kOk + "Transfer-Encoding: identity\r\n\r\n", false,
                Error::kMalformed,
                "unsupported Transfer-Encoding \"identity\"", true},
        BadCase{"TransferEncodingEmpty", kOk + "Transfer-Encoding:\r\n\r\n",
                false, Error::kMalformed,
                "unsupported Transfer-Encoding \"\": only chunked is "
                "accepted"}));

INSTANTIATE_TEST_SUITE_P(
    Chunked, BadResponseTest,
    ::testing::Values(
        BadCase{"SizeNotHex", kChunkedHead + "zz\r\n", false, Error::kMalformed,
                "invalid chunk size line \"zz\" after 0 bytes of body"},
        BadCase{"SizeEmpty", kChunkedHead + "\r\n", false, Error::kMalformed,
                "invalid chunk size line \"\" after 0 bytes of body"},
        BadCase{"SizeNegative", kChunkedHead + "-1\r\n", false,
                Error::kMalformed, "invalid chunk size line \"-1\"", true},
        BadCase{"SizeHexPrefix", kChunkedHead + "0x5\r\nhello\r\n0\r\n\r\n",
                false, Error::kMalformed, "invalid chunk size line \"0x5\"",
                true},
        BadCase{"SizeTrailingJunk", kChunkedHead + "5 x\r\nhello\r\n", false,
                Error::kMalformed, "invalid chunk size line \"5 x\"", true},
        BadCase{"SizeSeventeenDigits",
                kChunkedHead + "00000000000000001\r\nx\r\n", false,
                Error::kMalformed,
                "chunk size \"00000000000000001\" has more than 16 hex digits "
                "after 0 bytes of body"},
        BadCase{"DataLongerThanSize",
                kChunkedHead + "3\r\nabc\r\n3\r\ndefg\r\n0\r\n\r\n", false,
                Error::kMalformed,
                "a chunk of 3 bytes is not followed by CRLF (more data than "
                "its size line says) after 6 bytes of body"},
        BadCase{"CrWithoutLfAfterData", kChunkedHead + "1\r\na\rb", false,
                Error::kMalformed, "a chunk of 1 bytes is not followed by CRLF",
                true},
        BadCase{"ControlInExtension", kChunkedHead + "1;a=\x7f\r\nx\r\n", false,
                Error::kMalformed,
                "control character 0x7f in a chunk extension after 0 bytes of "
                "body"},
        BadCase{"SizeLineTooLong",
                kChunkedHead + "1;" + std::string(5000, 'e') + "\r\n", false,
                Error::kMalformed, "chunk size line exceeds 4096 bytes"},
        BadCase{"TrailerWithoutColon",
                kChunkedHead + "1\r\nx\r\n0\r\nnot a field\r\n\r\n", false,
                Error::kMalformed,
                "malformed trailer line 1 \"not a field\": no colon"},
        BadCase{"TrailerObsFold",
                kChunkedHead + "0\r\nX-A: 1\r\n folded\r\n\r\n", false,
                Error::kMalformed,
                "trailer line 2 begins with whitespace", true}));

INSTANTIATE_TEST_SUITE_P(
    Truncated, BadResponseTest,
    ::testing::Values(
        BadCase{"NothingAtAll", "", true, Error::kTruncated,
                "connection closed before any response bytes arrived"},
        BadCase{"InStatusLine", "HTTP/1.1 20", true, Error::kTruncated,
                "connection closed in the response headers after 11 bytes"},
        BadCase{"InHeaders", kOk + "Content-Length: 5\r\n", true,
                Error::kTruncated,
                "connection closed in the response headers after 36 bytes"},
        BadCase{"AfterInterimResponse", "HTTP/1.1 100 Continue\r\n\r\n", true,
                Error::kTruncated,
                "connection closed in the response headers after 25 bytes"},
        BadCase{"InContentLengthBody",
                kOk + "Content-Length: 10\r\n\r\nabc", true, Error::kTruncated,
                "connection closed after 3 of 10 body bytes (Content-Length)"},
        BadCase{"InChunkData", kChunkedHead + "5\r\nhel", true,
                Error::kTruncated,
                "connection closed in the chunked body after 3 bytes of body "
                "(no final zero-size chunk)"},
        BadCase{"BeforeLastChunk", kChunkedHead + "5\r\nhello\r\n", true,
                Error::kTruncated,
                "connection closed in the chunked body after 5 bytes of body "
                "(no final zero-size chunk)"},
        BadCase{"InTrailers", kChunkedHead + "0\r\nX-A: 1\r\n", true,
                Error::kTruncated,
                "connection closed in the chunked trailer section"}));

// ---------------------------------------------------------------------------
// Limits, at and one past each boundary.

// A head of exactly `size` bytes: status line, one padding field, CRLF.
std::string HeadOfSize(size_t size, absl::string_view framing_field) {
  std::string head = "HTTP/1.1 200 OK\r\n" + std::string(framing_field);
  const size_t fixed = head.size() + std::string("X-Pad: \r\n\r\n").size();
  head += "X-Pad: " + std::string(size - fixed, 'p') + "\r\n\r\n";
  EXPECT_EQ(head.size(), size);
  return head;
}

TEST(HttpLimitsTest, HeadersAtTheLimitPass) {
  const std::string head = HeadOfSize(16384, "Content-Length: 0\r\n");
  HttpResponseParser p;
  EXPECT_EQ(p.Feed(head), State::kComplete) << p.error();
  // Byte by byte too.
  HttpResponseParser q;
  for (char c : head) q.Feed(absl::string_view(&c, 1));
  EXPECT_EQ(q.state(), State::kComplete) << q.error();
}

TEST(HttpLimitsTest, HeadersOverTheLimitFail) {
  const std::string head = HeadOfSize(16385, "Content-Length: 0\r\n");
  HttpResponseParser p;
  EXPECT_EQ(p.Feed(head), State::kError);
  EXPECT_EQ(p.error(), "headers exceed 16384 bytes");
  EXPECT_EQ(p.error_kind(), Error::kHeadersTooLarge);
  HttpResponseParser q;
  for (char c : head) q.Feed(absl::string_view(&c, 1));
  EXPECT_EQ(q.error(), "headers exceed 16384 bytes");
  // A server that never ends a header line is caught at the limit as well.
  HttpResponseParser r;
  r.Feed(kOk + "X-Slow: ");
  for (int i = 0; i < 20000 && r.state() == State::kNeedMore; ++i) r.Feed("a");
  EXPECT_EQ(r.error(), "headers exceed 16384 bytes");
}

TEST(HttpLimitsTest, InterimHeadsCountTowardsTheLimit) {
  HttpLimits limits;
  limits.max_header_bytes = 64;
  HttpResponseParser p(limits);
  p.Feed("HTTP/1.1 100 Continue\r\n\r\n");  // 25 bytes
  p.Feed("HTTP/1.1 100 Continue\r\n\r\n");  // 50 bytes
  EXPECT_EQ(p.Feed("HTTP/1.1 100 Continue\r\n\r\n"), State::kError);
  EXPECT_EQ(p.error(), "headers exceed 64 bytes");
}

TEST(HttpLimitsTest, TrailersHaveTheirOwnLimit) {
  HttpLimits limits;
  limits.max_header_bytes = 100;
  HttpResponseParser p(limits);
  p.Feed(kChunkedHead + "0\r\n");
  EXPECT_EQ(p.Feed("X-T: " + std::string(200, 't') + "\r\n\r\n"),
            State::kError);
  EXPECT_EQ(p.error(), "trailers exceed 100 bytes");
  EXPECT_EQ(p.error_kind(), Error::kHeadersTooLarge);
}

TEST(HttpLimitsTest, BodyAtTheLimitPasses) {
  const std::string body(65536, 'b');
  HttpResponseParser by_length;
  EXPECT_EQ(by_length.Feed(kOk + "Content-Length: 65536\r\n\r\n" + body),
            State::kComplete);
  EXPECT_EQ(by_length.body().size(), 65536u);

  HttpResponseParser until_close;
  until_close.Feed(kOk + "\r\n" + body);
  EXPECT_EQ(until_close.FinishOnClose(), State::kComplete);
  EXPECT_EQ(until_close.body().size(), 65536u);

  HttpResponseParser chunked;
  EXPECT_EQ(chunked.Feed(kChunkedHead + "8000\r\n" + body.substr(0, 32768) +
                         "\r\n8000\r\n" + body.substr(0, 32768) +
                         "\r\n0\r\n\r\n"),
            State::kComplete);
  EXPECT_EQ(chunked.body().size(), 65536u);
}

TEST(HttpLimitsTest, ContentLengthOverTheLimitFailsAtTheHeaders) {
  HttpResponseParser p;
  EXPECT_EQ(p.Feed(kOk + "Content-Length: 65537\r\n\r\nabc"),
            State::kBodyTooLarge);
  EXPECT_EQ(p.error(), "body exceeds 65536 bytes (Content-Length: 65537)");
  EXPECT_EQ(p.error_kind(), Error::kBodyTooLarge);
  EXPECT_EQ(p.content_length(), std::optional<uint64_t>(65537));
  EXPECT_TRUE(p.headers_complete());
  EXPECT_EQ(p.status_code(), 200);
}

TEST(HttpLimitsTest, CloseDelimitedBodyOverTheLimitSaysHowMuchArrived) {
  HttpResponseParser p;
  p.Feed(kOk + "Content-Type: text/plain\r\n\r\n");
  EXPECT_EQ(p.Feed(std::string(60000, 'a')), State::kNeedMore);
  EXPECT_EQ(p.Feed(std::string(10000, 'b')), State::kBodyTooLarge);
  EXPECT_EQ(p.error(),
            "body exceeds 65536 bytes (70000 bytes received before stopping)");
  EXPECT_EQ(p.body_bytes_received(), 70000u);
  EXPECT_EQ(p.body().size(), 65536u);  // the first 64 KiB are kept
  EXPECT_EQ(p.body().back(), 'b');
  EXPECT_EQ(p.Feed("more"), State::kBodyTooLarge);
  EXPECT_EQ(p.FinishOnClose(), State::kBodyTooLarge);
}

TEST(HttpLimitsTest, ChunkOverTheLimitFailsAtItsSizeLine) {
  HttpResponseParser p;
  p.Feed(kChunkedHead + "10\r\n" + std::string(16, 'x') + "\r\n");
  EXPECT_EQ(p.Feed("fff1\r\n"), State::kBodyTooLarge);
  EXPECT_EQ(p.error(),
            "body exceeds 65536 bytes (a chunk of 65521 bytes after 16 bytes "
            "of body)");
  EXPECT_EQ(p.body(), std::string(16, 'x'));
  HttpResponseParser huge;
  EXPECT_EQ(huge.Feed(kChunkedHead + "ffffffffffffffff\r\n"),
            State::kBodyTooLarge);
  EXPECT_THAT(huge.error(), HasSubstr("a chunk of 18446744073709551615 bytes"));
}

TEST(HttpLimitsTest, CustomLimits) {
  HttpLimits limits;
  limits.max_body_bytes = 4;
  HttpResponseParser p(limits);
  EXPECT_EQ(p.Feed(kOk + "Content-Length: 5\r\n\r\n"), State::kBodyTooLarge);
  EXPECT_EQ(p.error(), "body exceeds 4 bytes (Content-Length: 5)");
}

// ---------------------------------------------------------------------------
// Incremental parsing: any split of the bytes gives the same result.

const char* const kSplitResponses[] = {
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 38\r\n\r\nversion: STSv1\r\nmode: enforce\r\nmx: a\r\n",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: "
    "chunked\r\n\r\n4;ext=\"q\"\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\n"
    "chunks.\r\n0\r\nX-Trailer: t\r\n\r\n",
    "HTTP/1.0 301 Moved\nLocation: https://example.net/\n\nmoved body",
    "HTTP/1.1 200 OK\r\nX-A: 1\r\n X-B: folded\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n",
    "SMTP 220 says hello, nothing like HTTP at all\r\n",
    // Not HTTP, with the line's end right at the quoted prefix's edge (a
    // fuzzer find: the quote once depended on where reads were split).
    "220 mx.example.com ES\rMTP ready\r\n",
    "0123456789abcdef0123456789abcdef\r\n",
    "0123456789abcdef0123456789abcde\r\n",
};

class SplitTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SplitTest, EverySplitPointGivesTheSameResult) {
  const std::string input = GetParam();
  for (bool close : {false, true}) {
    const std::string whole = ParseWhole(input, close);
    for (size_t i = 0; i <= input.size(); ++i) {
      HttpResponseParser p;
      p.Feed(absl::string_view(input).substr(0, i));
      p.Feed(absl::string_view(input).substr(i));
      if (close) p.FinishOnClose();
      ASSERT_EQ(Describe(p), whole) << "split at " << i;
    }
  }
}

TEST_P(SplitTest, ByteByByteGivesTheSameResult) {
  const std::string input = GetParam();
  for (bool close : {false, true}) {
    HttpResponseParser p;
    for (char c : input) p.Feed(absl::string_view(&c, 1));
    if (close) p.FinishOnClose();
    EXPECT_EQ(Describe(p), ParseWhole(input, close));
  }
}

TEST_P(SplitTest, EveryPairOfSplitPointsGivesTheSameResult) {
  const std::string input = GetParam();
  const absl::string_view in(input);
  const std::string whole = ParseWhole(input, true);
  for (size_t i = 0; i <= in.size(); ++i) {
    for (size_t j = i; j <= in.size(); ++j) {
      HttpResponseParser p;
      p.Feed(in.substr(0, i));
      p.Feed(in.substr(i, j - i));
      p.Feed(in.substr(j));
      p.FinishOnClose();
      ASSERT_EQ(Describe(p), whole) << "split at " << i << " and " << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Responses, SplitTest,
                         ::testing::ValuesIn(kSplitResponses));

TEST(SplitResponsesTest, ParseAsExpected) {
  HttpResponseParser a;
  a.Feed(kSplitResponses[1]);
  EXPECT_EQ(a.state(), State::kComplete);
  EXPECT_EQ(a.body(), "wikipedia in\r\n\r\nchunks.");
  HttpResponseParser b;
  b.Feed(kSplitResponses[2]);
  EXPECT_EQ(b.FinishOnClose(), State::kComplete);
  EXPECT_THAT(b.Location(), Optional(absl::string_view("https://example.net/")));
  EXPECT_EQ(b.body(), "moved body");
  HttpResponseParser c;
  c.Feed(kSplitResponses[5]);
  EXPECT_EQ(c.error(),
            "not an HTTP response: it begins with \"SMTP 220 says hello, "
            "nothing lik\"");
}

// ---------------------------------------------------------------------------
// Content-Type.

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

INSTANTIATE_TEST_SUITE_P(
    Cases, ContentTypeTest,
    ::testing::Values(
        ContentTypeCase{"text/plain", "text/plain", std::nullopt},
        ContentTypeCase{"TEXT/Plain; Charset=UTF-8", "text/plain", "utf-8"},
        ContentTypeCase{"text/plain; charset=\"us-ascii\"", "text/plain",
                        "us-ascii"},
        ContentTypeCase{"text/plain;charset=utf-8;format=flowed", "text/plain",
                        "utf-8"},
        ContentTypeCase{" text/plain ;\tcharset=utf-8 ", "text/plain", "utf-8"},
        ContentTypeCase{"text/plain;", "text/plain", std::nullopt},
        ContentTypeCase{"text/plain;;charset=utf-8", "text/plain", "utf-8"},
        ContentTypeCase{"text/html; charset=ISO-8859-1", "text/html",
                        "iso-8859-1"},
        ContentTypeCase{"text/plain; charset=\"utf\\-8\"", "text/plain",
                        "utf-8"},
        ContentTypeCase{"text/plain; charset=\"\"", "text/plain", ""},
        ContentTypeCase{"application/octet-stream", "application/octet-stream",
                        std::nullopt}));

TEST(ContentTypeParametersTest, KeepsEveryParameter) {
  absl::StatusOr<ContentType> ct =
      ParseContentType("text/plain; Format=Flowed; charset=\"a;b\"");
  ASSERT_TRUE(ct.ok()) << ct.status();
  EXPECT_THAT(ct->parameters,
              ElementsAre(Pair("format", "Flowed"), Pair("charset", "a;b")));
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

INSTANTIATE_TEST_SUITE_P(
    Cases, BadContentTypeTest,
    ::testing::Values(
        BadContentTypeCase{"", "empty Content-Type"},
        BadContentTypeCase{" \t", "empty Content-Type"},
        BadContentTypeCase{"text", "Content-Type \"text\": no \"/subtype\""},
        BadContentTypeCase{"text/", "empty subtype"},
        BadContentTypeCase{"/plain", "no media type"},
        BadContentTypeCase{"text /plain", "no \"/subtype\" after the type"},
        BadContentTypeCase{"text/plain charset=utf-8",
                           "unexpected 'c' at offset 11"},
        BadContentTypeCase{"text/plain, text/html", "unexpected ','"},
        BadContentTypeCase{"text/plain; charset",
                           "parameter \"charset\" has no \"=value\""},
        BadContentTypeCase{"text/plain; charset = utf-8",
                           "parameter \"charset\" has no \"=value\""},
        BadContentTypeCase{"text/plain; charset=",
                           "parameter \"charset\" has an empty value"},
        BadContentTypeCase{"text/plain; charset=\"utf-8",
                           "unterminated quoted value of parameter "
                           "\"charset\""},
        BadContentTypeCase{"text/plain; charset=utf-8; CHARSET=latin1",
                           "charset given twice"},
        BadContentTypeCase{"text/plain; =utf-8", "unexpected '='"},
        BadContentTypeCase{"text/plain; charset=\"a\x01\"",
                           "control character 0x01 in the value of parameter "
                           "\"charset\""}));

}  // namespace
}  // namespace mtasts::net
