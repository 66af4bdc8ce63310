#include "net/dns_answer.h"

#include <arpa/nameser.h>
#include <ares.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mtasts::net {
namespace {

constexpr size_t kMaxNameLength = 253;  // RFC 1035 §2.3.4, text form
constexpr size_t kMaxLabelLength = 63;

// RFC 2181 §8: a TTL with the top bit set is treated as zero.
uint32_t SaneTtl(uint32_t ttl) { return (ttl & 0x80000000u) != 0 ? 0 : ttl; }

}  // namespace

std::string NormalizeName(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return absl::AsciiStrToLower(name);
}

// c-ares would refuse some of these itself, but with a bare ARES_EBADNAME.
absl::Status ValidateName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("empty domain name");
  if (name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("domain name longer than ", kMaxNameLength, " bytes"));
  }
  for (absl::string_view label : absl::StrSplit(name, '.')) {
    if (label.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("empty label in \"", name, "\""));
    }
    if (label.size() > kMaxLabelLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("label longer than ", kMaxLabelLength, " bytes in \"", name, "\""));
    }
  }
  return absl::OkStatus();
}

bool ExpandName(const unsigned char* at, const unsigned char* abuf, int alen,
                std::string* out, long* enclen) {
  char* name = nullptr;
  if (ares_expand_name(at, abuf, alen, &name, enclen) != ARES_SUCCESS) return false;
  if (out != nullptr) *out = absl::AsciiStrToLower(name);
  ares_free_string(name);
  return true;
}

// Walks the answer section of `abuf`. c-ares' ares_parse_*_reply functions hide
// the CNAME records (and their TTLs) and none of them detects a CNAME loop, so
// the chain is read here; record contents still come from c-ares' parsers.
// Bounded by the buffer: every record consumes at least 11 bytes.
absl::StatusOr<std::vector<AnswerRr>> WalkAnswer(const unsigned char* abuf, int alen) {
  if (abuf == nullptr || alen < kDnsHeaderSize) {
    return absl::DataLossError("answer shorter than a DNS header");
  }
  auto u16 = [abuf](long at) { return static_cast<uint16_t>(abuf[at] << 8 | abuf[at + 1]); };
  const int qdcount = u16(4);
  const int ancount = u16(6);
  long pos = kDnsHeaderSize;
  for (int i = 0; i < qdcount; ++i) {
    long enclen = 0;
    if (!ExpandName(abuf + pos, abuf, alen, nullptr, &enclen)) {
      return absl::DataLossError("bad name in question section");
    }
    pos += enclen + 4;
    if (pos > alen) return absl::DataLossError("question section truncated");
  }
  std::vector<AnswerRr> rrs;
  for (int i = 0; i < ancount; ++i) {
    AnswerRr rr;
    long enclen = 0;
    if (pos >= alen || !ExpandName(abuf + pos, abuf, alen, &rr.owner, &enclen)) {
      return absl::DataLossError("bad owner name in answer section");
    }
    pos += enclen;
    if (pos + 10 > alen) return absl::DataLossError("answer record truncated");
    rr.type = u16(pos);
    const uint16_t rr_class = u16(pos + 2);
    rr.ttl = SaneTtl(static_cast<uint32_t>(u16(pos + 4)) << 16 | u16(pos + 6));
    const long rdlength = u16(pos + 8);
    pos += 10;
    if (pos + rdlength > alen) return absl::DataLossError("answer RDATA truncated");
    if (rr_class == ns_c_in) {
      if (rr.type == ns_t_cname) {
        long target_len = 0;
        if (!ExpandName(abuf + pos, abuf, alen, &rr.target, &target_len) ||
            target_len > rdlength) {
          return absl::DataLossError("bad CNAME target");
        }
      }
      rrs.push_back(std::move(rr));
    }
    pos += rdlength;
  }
  return rrs;
}

}  // namespace mtasts::net
