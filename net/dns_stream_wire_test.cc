#include "net/dns_stream_wire.h"

#include <string>

#include "gtest/gtest.h"

namespace mtasts::net {
namespace {

std::string Name(const std::string& dotted) {
  std::string out;
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    out.push_back(static_cast<char>(dot - start));
    out += dotted.substr(start, dot - start);
    start = dot + 1;
  }
  out.push_back('\0');
  return out;
}

std::string Header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
                   uint16_t ar) {
  std::string h;
  for (uint16_t v : {id, flags, qd, an, ns, ar}) {
    h.push_back(static_cast<char>(v >> 8));
    h.push_back(static_cast<char>(v & 0xff));
  }
  return h;
}

const std::string kQuestion = Name("_mta-sts.Example.COM") + std::string("\x00\x10\x00\x01", 4);

std::string Query(uint16_t id, int edns_size = -1) {
  std::string q = Header(id, 0x0100, 1, 0, 0, edns_size >= 0 ? 1 : 0) + kQuestion;
  if (edns_size >= 0) {
    q += std::string("\x00\x00\x29", 3);
    q.push_back(static_cast<char>(edns_size >> 8));
    q.push_back(static_cast<char>(edns_size & 0xff));
    q += std::string(6, '\0');
  }
  return q;
}

TEST(DnsStreamWire, ParsesQueryQuestionAndEdnsSize) {
  auto q = ParseDnsQuery(Query(0xbeef));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->id, 0xbeef);
  EXPECT_EQ(q->udp_limit, 512u);
  EXPECT_EQ(q->raw_question, kQuestion);
  EXPECT_EQ(q->question.substr(1, 8), "_mta-sts");
  EXPECT_NE(q->question, kQuestion);  // lower-cased
  EXPECT_EQ(ParseDnsQuery(Query(1, 1232))->udp_limit, 1232u);
  EXPECT_EQ(ParseDnsQuery(Query(1, 100))->udp_limit, 512u);  // RFC 6891: below 512 is 512
}

TEST(DnsStreamWire, RefusesWhatIsNotAQuery) {
  EXPECT_FALSE(ParseDnsQuery("").has_value());
  EXPECT_FALSE(ParseDnsQuery(std::string(11, '\0')).has_value());
  EXPECT_FALSE(ParseDnsQuery(Header(1, 0x8180, 1, 0, 0, 0) + kQuestion).has_value());  // response
  EXPECT_FALSE(ParseDnsQuery(Header(1, 0x2800, 1, 0, 0, 0) + kQuestion).has_value());  // UPDATE
  EXPECT_FALSE(ParseDnsQuery(Header(1, 0x0100, 2, 0, 0, 0) + kQuestion + kQuestion).has_value());
  EXPECT_FALSE(ParseDnsQuery(Header(1, 0x0100, 1, 0, 0, 0) + kQuestion.substr(0, 5)).has_value());
  // A compression pointer in a question.
  EXPECT_FALSE(ParseDnsQuery(Header(1, 0x0100, 1, 0, 0, 0) + "\xc0\x0c\x00\x10\x00\x01").has_value());
  // A label over 63 bytes.
  EXPECT_FALSE(ParseDnsQuery(Header(1, 0x0100, 1, 0, 0, 0) + std::string(1, 64) +
                             std::string(64, 'a') + std::string("\0\0\x10\0\x01", 5))
                   .has_value());
  EXPECT_FALSE(ParseDnsQuery(Header(1, 0x0100, 1, 0, 0, 0) + std::string(70000, 'a')).has_value());
}

TEST(DnsStreamWire, AnswerMustBeAResponseToTheSameQuestion) {
  const std::string q = ParseDnsQuery(Query(7))->question;
  std::string lower = kQuestion;
  for (char& c : lower) c = static_cast<char>(tolower(c));
  EXPECT_TRUE(AnswerMatchesQuestion(Header(7, 0x8180, 1, 0, 0, 0) + lower, q));
  EXPECT_TRUE(AnswerMatchesQuestion(Header(7, 0x8180, 1, 0, 0, 0) + kQuestion, q));
  EXPECT_FALSE(AnswerMatchesQuestion(Header(7, 0x0100, 1, 0, 0, 0) + kQuestion, q));  // a query
  EXPECT_FALSE(AnswerMatchesQuestion(
      Header(7, 0x8180, 1, 0, 0, 0) + Name("other.example.com") + "\x00\x10\x00\x01", q));
  EXPECT_FALSE(AnswerMatchesQuestion(
      Header(7, 0x8180, 1, 0, 0, 0) + Name("_mta-sts.example.com") + std::string("\x00\x01\x00\x01", 4), q));
  EXPECT_FALSE(AnswerMatchesQuestion(Header(7, 0x8180, 0, 0, 0, 0), q));
  EXPECT_FALSE(AnswerMatchesQuestion("\x00\x07", q));
}

TEST(DnsStreamWire, IdsAndTruncation) {
  std::string m = Query(1);
  SetDnsMessageId(&m, 0xa55a);
  EXPECT_EQ(DnsMessageId(m), 0xa55a);
  EXPECT_EQ(DnsMessageId("x"), 0);
  const std::string answer = Header(9, 0x8183, 1, 5, 0, 0) + kQuestion + std::string(600, 'r');
  const std::string t = TruncatedAnswer(answer, kQuestion);
  EXPECT_EQ(t, Header(9, 0x8183 | 0x0200, 1, 0, 0, 0) + kQuestion);  // TC set, rcode kept
}

TEST(DnsStreamWire, FramerReturnsWholeMessagesAcrossPieces) {
  DnsStreamFramer f;
  const std::string a = FrameDnsMessage("hello"), b = FrameDnsMessage(std::string(300, 'x'));
  const std::string stream = a + b + FrameDnsMessage("");
  f.Append(stream.substr(0, 1));
  EXPECT_FALSE(f.Next().has_value());
  f.Append(stream.substr(1, 10));
  EXPECT_EQ(f.Next().value(), "hello");
  EXPECT_FALSE(f.Next().has_value());
  f.Append(stream.substr(11));
  EXPECT_EQ(f.Next().value(), std::string(300, 'x'));
  EXPECT_EQ(f.Next().value(), "");  // zero length: an empty message (callers refuse it)
  EXPECT_FALSE(f.Next().has_value());
  EXPECT_EQ(f.buffered(), 0u);
  // The largest frame the prefix allows.
  f.Append(FrameDnsMessage(std::string(65535, 'm')));
  EXPECT_EQ(f.Next()->size(), 65535u);
}

}  // namespace
}  // namespace mtasts::net
