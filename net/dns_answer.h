// The parts of DNS wire and name handling the resolver does itself (c-ares
// parses record contents): name normalisation and limits, and the answer
// section walk that follows CNAME chains. Pure; internal to dns_resolver.
#ifndef MTASTS_NET_DNS_ANSWER_H_
#define MTASTS_NET_DNS_ANSWER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mtasts::net {

inline constexpr int kDnsHeaderSize = 12;  // RFC 1035 §4.1.1

// Lower case, without the trailing dot of an absolute name.
std::string NormalizeName(absl::string_view name);

// RFC 1035 §2.3.4 limits (253 bytes, labels of 1..63 bytes), with a message
// naming the problem; INVALID_ARGUMENT.
absl::Status ValidateName(absl::string_view name);

// One answer-section record, as far as chain following needs it.
struct AnswerRr {
  std::string owner;   // lower case, no trailing dot
  uint16_t type = 0;
  uint32_t ttl = 0;    // RFC 2181 §8: a TTL with the top bit set reads as 0
  std::string target;  // CNAME only, lower case
};

// The name at `at` in the message `abuf` (compression followed), lower
// case, into `out` (may be null); `enclen` gets its encoded length.
bool ExpandName(const unsigned char* at, const unsigned char* abuf, int alen,
                std::string* out, long* enclen);

// The class-IN records of the answer section of `abuf`. DATA_LOSS for a
// message that ends early or holds a bad name.
absl::StatusOr<std::vector<AnswerRr>> WalkAnswer(const unsigned char* abuf, int alen);

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_ANSWER_H_
