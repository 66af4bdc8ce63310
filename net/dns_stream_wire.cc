#include "net/dns_stream_wire.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace mtasts::net {
namespace {

uint16_t Get16(absl::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) | static_cast<uint8_t>(b[at + 1]));
}

// Length of the uncompressed name at `at` (its bytes up to and including the
// root label), or 0 when malformed or compressed (queries never compress).
size_t NameLength(absl::string_view b, size_t at) {
  size_t pos = at;
  while (true) {
    if (pos >= b.size()) return 0;
    const uint8_t len = static_cast<uint8_t>(b[pos]);
    if (len == 0) {
      ++pos;
      break;
    }
    if (len > 63) return 0;  // compression pointer or reserved label type
    pos += 1 + len;
  }
  const size_t total = pos - at;
  return total > 255 ? 0 : total;
}

// The question section (one question) starting at the header's end, or
// empty when malformed.
absl::string_view QuestionOf(absl::string_view b) {
  if (b.size() < kDnsHeaderBytes) return {};
  const size_t name = NameLength(b, kDnsHeaderBytes);
  if (name == 0 || kDnsHeaderBytes + name + 4 > b.size()) return {};
  return b.substr(kDnsHeaderBytes, name + 4);
}

}  // namespace

std::optional<std::string> DnsStreamFramer::Next() {
  const size_t available = buffer_.size() - consumed_;
  if (available < 2) return std::nullopt;
  const size_t len = Get16(buffer_, consumed_);
  if (available < 2 + len) return std::nullopt;
  std::string message = buffer_.substr(consumed_ + 2, len);
  consumed_ += 2 + len;
  // Compact once the consumed prefix dominates, so the buffer stays bounded
  // by one partial message plus one read.
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  } else if (consumed_ > 65536) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
  return message;
}

std::string FrameDnsMessage(absl::string_view message) {
  std::string out;
  out.reserve(2 + message.size());
  out.push_back(static_cast<char>((message.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(message.size() & 0xff));
  out.append(message.data(), message.size());
  return out;
}

uint16_t DnsMessageId(absl::string_view message) {
  return message.size() < 2 ? 0 : Get16(message, 0);
}

void SetDnsMessageId(std::string* message, uint16_t id) {
  if (message->size() < 2) return;
  (*message)[0] = static_cast<char>(id >> 8);
  (*message)[1] = static_cast<char>(id & 0xff);
}

std::optional<DnsQueryShape> ParseDnsQuery(absl::string_view b) {
  if (b.size() < kDnsHeaderBytes || b.size() > kMaxDnsMessageBytes) return std::nullopt;
  const uint8_t flags = static_cast<uint8_t>(b[2]);
  if ((flags & 0x80) != 0) return std::nullopt;         // QR: a response
  if (((flags >> 3) & 0x0f) != 0) return std::nullopt;  // opcode other than QUERY
  if (Get16(b, 4) != 1) return std::nullopt;            // QDCOUNT
  const absl::string_view question = QuestionOf(b);
  if (question.empty()) return std::nullopt;
  DnsQueryShape shape;
  shape.id = Get16(b, 0);
  shape.raw_question = std::string(question);
  shape.question = absl::AsciiStrToLower(question.substr(0, question.size() - 4));
  shape.question.append(question.substr(question.size() - 4).data(), 4);

  // EDNS0: an OPT record (type 41) in the additional section, whose class
  // is the UDP payload size. Queries carry no answer or authority records;
  // one that does is relayed but keeps the classic 512-byte limit.
  if (Get16(b, 6) == 0 && Get16(b, 8) == 0) {
    size_t pos = kDnsHeaderBytes + question.size();
    const uint16_t arcount = Get16(b, 10);
    for (uint16_t i = 0; i < arcount && pos < b.size(); ++i) {
      size_t name = 0;
      if (static_cast<uint8_t>(b[pos]) == 0) {
        name = 1;
      } else {
        name = NameLength(b, pos);
        if (name == 0) break;
      }
      pos += name;
      if (pos + 10 > b.size()) break;
      const uint16_t type = Get16(b, pos);
      const uint16_t klass = Get16(b, pos + 2);
      const uint16_t rdlength = Get16(b, pos + 8);
      if (type == 41) {
        shape.udp_limit = klass < 512 ? 512 : klass;
        break;
      }
      pos += 10 + rdlength;
    }
  }
  return shape;
}

bool AnswerMatchesQuestion(absl::string_view answer, absl::string_view question) {
  if (answer.size() < kDnsHeaderBytes) return false;
  if ((static_cast<uint8_t>(answer[2]) & 0x80) == 0) return false;  // not a response
  if (Get16(answer, 4) != 1) return false;
  const absl::string_view got = QuestionOf(answer);
  if (got.size() != question.size()) return false;
  return absl::EqualsIgnoreCase(got.substr(0, got.size() - 4),
                                question.substr(0, question.size() - 4)) &&
         got.substr(got.size() - 4) == question.substr(question.size() - 4);
}

std::string TruncatedAnswer(absl::string_view answer, absl::string_view question) {
  std::string out(answer.substr(0, 4));
  out[2] = static_cast<char>(static_cast<uint8_t>(out[2]) | 0x02);  // TC
  out.append("\x00\x01\x00\x00\x00\x00\x00\x00", 8);
  out.append(question.data(), question.size());
  return out;
}

}  // namespace mtasts::net
