// DNS message plumbing for the stream transports (DNS over TLS, RFC 7858;
// DNS over HTTPS, RFC 8484) and the local forwarder in front of them
// (net/dns_stream_transport.h). Pure functions on hostile bytes: nothing
// here trusts a length it has not checked.
//
// Hand-written on purpose: c-ares and libunbound parse whole answers, but
// the forwarder needs only the header, the question and the EDNS0 payload
// size, and must relay every other byte untouched.
#ifndef MTASTS_NET_DNS_STREAM_WIRE_H_
#define MTASTS_NET_DNS_STREAM_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace mtasts::net {

inline constexpr size_t kDnsHeaderBytes = 12;
// A DNS message over TCP, TLS or HTTPS is at most this long (the 2-byte
// length prefix of RFC 1035 §4.2.2; RFC 8484 §6 keeps the same bound).
inline constexpr size_t kMaxDnsMessageBytes = 65535;

// The 2-byte length framing of DNS over TCP and TLS (RFC 1035 §4.2.2,
// RFC 7858 §3.3): bytes in, whole messages out.
class DnsStreamFramer {
 public:
  // Appends received bytes.
  void Append(absl::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  // The next whole message, or nullopt until one is complete. A zero length
  // is returned as an empty message (the caller rejects it as too short).
  std::optional<std::string> Next();
  // Bytes received and not yet returned (at most one partial message plus
  // what arrived with it).
  size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::string buffer_;
  size_t consumed_ = 0;
};

// `message` with its 2-byte length prefix. Longer than kMaxDnsMessageBytes
// cannot be framed: callers check first.
std::string FrameDnsMessage(absl::string_view message);

// The message ID (0 when shorter than a header).
uint16_t DnsMessageId(absl::string_view message);
// Overwrites the ID of a message of at least kDnsHeaderBytes.
void SetDnsMessageId(std::string* message, uint16_t id);

// What the forwarder needs of a query: checked header and one question.
struct DnsQueryShape {
  uint16_t id = 0;
  // Question section bytes (name, type, class), name lower-cased, for
  // matching the answer's question.
  std::string question;
  // The same bytes as the client sent them (case kept).
  std::string raw_question;
  // The UDP payload size the client accepts: 512, or its EDNS0 OPT size
  // (RFC 6891 §6.2.5: values below 512 mean 512).
  size_t udp_limit = 512;
};

// Parses a query: at least a header, QR clear, opcode QUERY, exactly one
// question with a well-formed name (uncompressed, labels <= 63, name <= 255).
// nullopt for anything else.
std::optional<DnsQueryShape> ParseDnsQuery(absl::string_view message);

// True when `answer` is a response (QR set) whose single question equals
// `question` (names compared without case, as DNS names are).
bool AnswerMatchesQuestion(absl::string_view answer, absl::string_view question);

// For a UDP client whose limit the answer exceeds: the header (ID, flags
// with TC set, rcode kept) and the question, no records (RFC 2181 §9: the
// client retries over TCP).
std::string TruncatedAnswer(absl::string_view answer, absl::string_view question);

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_STREAM_WIRE_H_
