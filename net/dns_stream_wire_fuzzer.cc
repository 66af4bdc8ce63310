// Fuzzes what the DoT/DoH forwarder does with hostile bytes: the 2-byte
// length framing of a resolver's stream, the parse of a local client's
// query, and the pairing of an answer with a question (then truncation).
// First byte picks the mode; the rest is the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "net/dns_stream_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const absl::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  using namespace mtasts::net;
  switch (data[0] % 3) {
    case 0: {
      if (auto q = ParseDnsQuery(in)) {
        if (q->udp_limit < 512 || q->udp_limit > 65535) __builtin_trap();
        std::string t = TruncatedAnswer(std::string(12, '\0'), q->raw_question);
        if (t.size() != 12 + q->raw_question.size()) __builtin_trap();
      }
      break;
    }
    case 1: {
      // A query (length-prefixed) followed by an answer to match against it.
      if (in.size() < 2) return 0;
      const size_t qlen = (static_cast<uint8_t>(in[0]) << 8) | static_cast<uint8_t>(in[1]);
      if (in.size() < 2 + qlen) return 0;
      auto q = ParseDnsQuery(in.substr(2, qlen));
      if (!q) return 0;
      const absl::string_view answer = in.substr(2 + qlen);
      if (AnswerMatchesQuestion(answer, q->question)) {
        std::string a(answer);
        SetDnsMessageId(&a, q->id);
        if (DnsMessageId(a) != q->id) __builtin_trap();
        TruncatedAnswer(a, q->raw_question);
      }
      break;
    }
    case 2: {
      // The stream fed in uneven pieces; every message returned is whole.
      DnsStreamFramer framer;
      size_t pos = 0, step = 1;
      size_t total = 0;
      while (pos < in.size()) {
        const size_t n = std::min(step, in.size() - pos);
        framer.Append(in.substr(pos, n));
        pos += n;
        step = step * 3 + 1;
        while (auto m = framer.Next()) total += m->size() + 2;
      }
      if (total + framer.buffered() != in.size()) __builtin_trap();
      break;
    }
  }
  return 0;
}
