// The HTTP response parser's size limits (head, trailers, body), at and one
// past each boundary.

#include "net/http_response.h"

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/http_response_test_util.h"

namespace mtasts::net {
namespace {

using ::testing::HasSubstr;

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

}  // namespace
}  // namespace mtasts::net
