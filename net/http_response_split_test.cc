// The HTTP response parser fed incrementally: any split of the bytes gives
// the same result as feeding them whole.

#include "net/http_response.h"

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/http_response_test_util.h"

namespace mtasts::net {
namespace {

using ::testing::Optional;

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

}  // namespace
}  // namespace mtasts::net
