// The HTTP response parser on responses it refuses (status line, header
// fields, chunked framing, truncation), each with its exact diagnosis.

#include "net/http_response.h"

#include <ostream>
#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/http_response_test_util.h"

namespace mtasts::net {
namespace {

struct BadCase {
  std::string name;
  std::string input;
  bool close;
  Error kind;
  std::string message;  // the whole error() unless `substring`
  bool substring = false;
};
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

// Refused as malformed as soon as it is read, no close needed.
BadCase Malformed(std::string name, std::string input, std::string message,
                  bool substring = false) {
  return BadCase{std::move(name),   std::move(input),   false,
                 Error::kMalformed, std::move(message), substring};
}

// Cut short: refused as truncated when the connection closes.
BadCase Truncated(std::string name, std::string input, std::string message) {
  return BadCase{std::move(name), std::move(input), true, Error::kTruncated,
                 std::move(message)};
}

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
    EXPECT_THAT(p.error(), ::testing::HasSubstr(c.message));
  } else {
    EXPECT_EQ(p.error(), c.message);
  }
}

INSTANTIATE_TEST_SUITE_P(
    StatusLine, BadResponseTest,
    ::testing::Values(
        Malformed("SmtpBanner", "220 mail.example.com ESMTP Postfix\r\n",
                  "not an HTTP response: it begins with \"220 mail.example.com "
                  "ESMTP Postf\""),
        BadCase{"ShortNotHttpAtClose", "SSH", true, Error::kMalformed,
                "not an HTTP response: it begins with \"SSH\""},
        Malformed("EmptyFirstLine", "\r\nHTTP/1.1 200 OK\r\n",
                  "not an HTTP response: it begins with \"\""),
        Malformed("LowercaseName", "http/1.1 200 OK\r\n",
                  "not an HTTP response: it begins with \"http/1.1 200 OK\""),
        Malformed("PrefixOfHttpOnly", "HTT\r\n",
                  "not an HTTP response: it begins with \"HTT\""),
        Malformed("Http2", "HTTP/2.0 200 OK\r\n",
                  "unsupported HTTP version \"HTTP/2.0\" (only HTTP/1.0 and "
                  "HTTP/1.1)"),
        Malformed("Http12", "HTTP/1.2 200 OK\r\n",
                  "unsupported HTTP version \"HTTP/1.2\" (only HTTP/1.0 and "
                  "HTTP/1.1)"),
        Malformed(
            "VersionWithoutMinor", "HTTP/2 200 OK\r\n",
            "malformed HTTP version in the status line \"HTTP/2 200 OK\""),
        Malformed("NoSpaceAfterVersion", "HTTP/1.10 200 OK\r\n",
                  "malformed status line \"HTTP/1.10 200 OK\": no space after "
                  "the HTTP version"),
        Malformed("TwoDigitCode", "HTTP/1.1 20 OK\r\n",
                  "malformed status line \"HTTP/1.1 20 OK\": the status code "
                  "is not three digits"),
        Malformed("FourDigitCode", "HTTP/1.1 2000 OK\r\n",
                  "the status code is not three digits", true),
        Malformed("DoubleSpace", "HTTP/1.1  200 OK\r\n",
                  "the status code is not three digits", true),
        Malformed("NoCode", "HTTP/1.1\r\n",
                  "the status code is not three digits", true),
        Malformed("Code600", "HTTP/1.1 600 Nope\r\n",
                  "status code 600 is outside 100-599"),
        Malformed("Code099", "HTTP/1.1 099 Nope\r\n",
                  "status code 099 is outside 100-599"),
        Malformed("ControlInReason", "HTTP/1.1 200 O\x01K\r\n",
                  "control character 0x01 in the reason phrase of the status "
                  "line \"HTTP/1.1 200 O\\x01K\""),
        Malformed("SwitchingProtocols",
                  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
                  "unexpected 101 Switching Protocols: the server wants to "
                  "change protocols, which a GET never asks for")));

INSTANTIATE_TEST_SUITE_P(
    Headers, BadResponseTest,
    ::testing::Values(
        Malformed("ObsFold", kOk + "X-A: 1\r\n  continued\r\n\r\n",
                  "header line 3 begins with whitespace: obsolete line folding "
                  "is not accepted (RFC 9112 §5.2)"),
        Malformed("WhitespaceBeforeFirstHeader", kOk + "\tX-A: 1\r\n\r\n",
                  "header line 2 begins with whitespace", true),
        Malformed("SpaceBeforeColon", kOk + "Content-Length : 5\r\n\r\nhello",
                  "whitespace between the field name \"Content-Length\" and "
                  "the colon in header line 2 (RFC 9112 §5.1)"),
        Malformed("NoColon", kOk + "Content-Length 5\r\n\r\n",
                  "malformed header line 2 \"Content-Length 5\": no colon"),
        Malformed("EmptyName", kOk + ": value\r\n\r\n",
                  "malformed header line 2 \": value\": empty field name"),
        Malformed("SpaceInName", kOk + "Content Type: text/plain\r\n\r\n",
                  "invalid character 0x20 in the field name \"Content Type\" "
                  "in header line 2"),
        Malformed(
            "NulInValue", kOk + std::string("X-A: a\0b\r\n\r\n", 12),
            "control character 0x00 in the value of \"X-A\" in header line 2"),
        Malformed("BareCrInValue", kOk + "X-A: a\rb\r\n\r\n",
                  "control character 0x0d in the value of \"X-A\"", true),
        Malformed("DuplicateContentLength",
                  kOk + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
                  "duplicate Content-Length \"5\" (given 2 times)"),
        Malformed("ContentLengthList",
                  kOk + "Content-Length: 5, 5\r\n\r\nhello",
                  "duplicate Content-Length \"5\" (given 2 times)"),
        Malformed("ConflictingContentLength",
                  kOk + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
                  "conflicting Content-Length values \"5\" and \"6\""),
        Malformed("ContentLengthNotANumber",
                  kOk + "Content-Length: abc\r\n\r\n",
                  "invalid Content-Length \"abc\""),
        Malformed("ContentLengthNegative", kOk + "Content-Length: -1\r\n\r\n",
                  "invalid Content-Length \"-1\""),
        Malformed("ContentLengthPlus", kOk + "Content-Length: +5\r\n\r\nhello",
                  "invalid Content-Length \"+5\""),
        Malformed("ContentLengthEmpty", kOk + "Content-Length:\r\n\r\n",
                  "invalid Content-Length \"\""),
        Malformed("ContentLengthOverflow",
                  kOk + "Content-Length: 99999999999999999999\r\n\r\n",
                  "invalid Content-Length \"99999999999999999999\""),
        Malformed("ContentLengthFloat", kOk + "Content-Length: 1e3\r\n\r\n",
                  "invalid Content-Length \"1e3\""),
        Malformed("TransferEncodingGzip",
                  kOk + "Transfer-Encoding: gzip, chunked\r\n\r\n",
                  "unsupported Transfer-Encoding \"gzip, chunked\": only "
                  "chunked is accepted"),
        Malformed("TransferEncodingChunkedTwice",
                  kOk + "Transfer-Encoding: chunked\r\nTransfer-Encoding: "
                        "chunked\r\n\r\n",
                  "unsupported Transfer-Encoding \"chunked, chunked\": only "
                  "chunked is accepted"),
        Malformed("TransferEncodingIdentity",
                  kOk + "Transfer-Encoding: identity\r\n\r\n",
                  "unsupported Transfer-Encoding \"identity\"", true),
        Malformed(
            "TransferEncodingEmpty", kOk + "Transfer-Encoding:\r\n\r\n",
            "unsupported Transfer-Encoding \"\": only chunked is accepted")));

INSTANTIATE_TEST_SUITE_P(
    Chunked, BadResponseTest,
    ::testing::Values(
        Malformed("SizeNotHex", kChunkedHead + "zz\r\n",
                  "invalid chunk size line \"zz\" after 0 bytes of body"),
        Malformed("SizeEmpty", kChunkedHead + "\r\n",
                  "invalid chunk size line \"\" after 0 bytes of body"),
        Malformed("SizeNegative", kChunkedHead + "-1\r\n",
                  "invalid chunk size line \"-1\"", true),
        Malformed("SizeHexPrefix", kChunkedHead + "0x5\r\nhello\r\n0\r\n\r\n",
                  "invalid chunk size line \"0x5\"", true),
        Malformed("SizeTrailingJunk", kChunkedHead + "5 x\r\nhello\r\n",
                  "invalid chunk size line \"5 x\"", true),
        Malformed("SizeSeventeenDigits",
                  kChunkedHead + "00000000000000001\r\nx\r\n",
                  "chunk size \"00000000000000001\" has more than 16 hex "
                  "digits after 0 bytes of body"),
        Malformed("DataLongerThanSize",
                  kChunkedHead + "3\r\nabc\r\n3\r\ndefg\r\n0\r\n\r\n",
                  "a chunk of 3 bytes is not followed by CRLF (more data than "
                  "its size line says) after 6 bytes of body"),
        Malformed("CrWithoutLfAfterData", kChunkedHead + "1\r\na\rb",
                  "a chunk of 1 bytes is not followed by CRLF", true),
        Malformed("ControlInExtension", kChunkedHead + "1;a=\x7f\r\nx\r\n",
                  "control character 0x7f in a chunk extension after 0 bytes "
                  "of body"),
        Malformed("SizeLineTooLong",
                  kChunkedHead + "1;" + std::string(5000, 'e') + "\r\n",
                  "chunk size line exceeds 4096 bytes"),
        Malformed("TrailerWithoutColon",
                  kChunkedHead + "1\r\nx\r\n0\r\nnot a field\r\n\r\n",
                  "malformed trailer line 1 \"not a field\": no colon"),
        Malformed("TrailerObsFold",
                  kChunkedHead + "0\r\nX-A: 1\r\n folded\r\n\r\n",
                  "trailer line 2 begins with whitespace", true)));

INSTANTIATE_TEST_SUITE_P(
    Truncated, BadResponseTest,
    ::testing::Values(
        Truncated("NothingAtAll", "",
                  "connection closed before any response bytes arrived"),
        Truncated("InStatusLine", "HTTP/1.1 20",
                  "connection closed in the response headers after 11 bytes"),
        Truncated("InHeaders", kOk + "Content-Length: 5\r\n",
                  "connection closed in the response headers after 36 bytes"),
        Truncated("AfterInterimResponse", "HTTP/1.1 100 Continue\r\n\r\n",
                  "connection closed in the response headers after 25 bytes"),
        Truncated(
            "InContentLengthBody", kOk + "Content-Length: 10\r\n\r\nabc",
            "connection closed after 3 of 10 body bytes (Content-Length)"),
        Truncated("InChunkData", kChunkedHead + "5\r\nhel",
                  "connection closed in the chunked body after 3 bytes of body "
                  "(no final zero-size chunk)"),
        Truncated("BeforeLastChunk", kChunkedHead + "5\r\nhello\r\n",
                  "connection closed in the chunked body after 5 bytes of body "
                  "(no final zero-size chunk)"),
        Truncated("InTrailers", kChunkedHead + "0\r\nX-A: 1\r\n",
                  "connection closed in the chunked trailer section")));

}  // namespace
}  // namespace mtasts::net
