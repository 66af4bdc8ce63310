// The HTTP response parser on responses it refuses (status line, header
// fields, chunked framing, truncation), each with its exact diagnosis.

#include "net/http_response.h"

#include <ostream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/http_response_test_util.h"

namespace mtasts::net {
namespace {

using ::testing::HasSubstr;
using State = HttpResponseParser::State;
using Error = HttpResponseParser::Error;

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

}  // namespace
}  // namespace mtasts::net
