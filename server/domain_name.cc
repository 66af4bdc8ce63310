#include "server/domain_name.h"

#include <arpa/inet.h>
#include <idn2.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace mtasts::server {
namespace {

constexpr size_t kMaxNameOctets = 253;  // RFC 1035 §2.3.4, without the root dot
constexpr size_t kMaxLabelOctets = 63;  // RFC 1035 §2.3.4
// Longer input is rejected before any other work; no host name comes close.
constexpr size_t kMaxInputOctets = 1024;
// How much of the input an error message quotes.
constexpr size_t kMaxQuotedOctets = 80;
constexpr int kIdnFlags = IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT;

using IdnString = std::unique_ptr<char, decltype(&idn2_free)>;

// Length of the UTF-8 sequence at s[i] with its code point in *cp, or 0 when
// it is not valid UTF-8 (overlong forms, surrogates, beyond U+10FFFF).
size_t DecodeUtf8(absl::string_view s, size_t i, char32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char b0 = b(0);
  size_t n;
  char32_t min;
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  } else if ((b0 & 0xE0) == 0xC0) {
    n = 2, min = 0x80, *cp = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    n = 3, min = 0x800, *cp = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, *cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    *cp = (*cp << 6) | (b(k) & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF)) return 0;
  return n;
}

bool IsValidUtf8(absl::string_view s) {
  char32_t cp;
  for (size_t i = 0; i < s.size();) {
    const size_t n = DecodeUtf8(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

bool IsAscii(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// 1-based character (not octet) position of the byte at `offset`.
size_t CharPosition(absl::string_view s, size_t offset) {
  size_t chars = 1;
  for (size_t i = 0; i < offset && i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++chars;
  }
  return chars;
}

// The input as an error message shows it: quoted, escaped, valid UTF-8 (the
// message may travel in a proto string field), shortened when long.
std::string Quote(absl::string_view s) {
  absl::string_view shown = s;
  if (shown.size() > kMaxQuotedOctets) {
    size_t n = kMaxQuotedOctets;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
    shown = s.substr(0, n);
  }
  std::string q = IsValidUtf8(shown) ? absl::Utf8SafeCHexEscape(shown)
                                     : absl::CHexEscape(shown);
  if (shown.size() < s.size()) {
    return absl::StrCat("\"", q, "...\" (", s.size(), " octets)");
  }
  return absl::StrCat("\"", q, "\"");
}

absl::Status Invalid(absl::string_view input, absl::string_view what) {
  return absl::InvalidArgumentError(
      absl::StrCat("domain ", Quote(input), " ", what));
}

// Names of whitespace, for messages; nullptr when `cp` is not whitespace.
// Beyond ASCII: the spaces that copy and paste brings along.
const char* WhitespaceName(char32_t cp) {
  switch (cp) {
    case ' ': return "a space";
    case '\t': return "a tab";
    case '\n': return "a line feed";
    case '\r': return "a carriage return";
    case '\v': return "a vertical tab";
    case '\f': return "a form feed";
    case 0x00A0: return "a no-break space (U+00A0)";
    case 0x200B: return "a zero-width space (U+200B)";
    case 0xFEFF: return "a byte order mark (U+FEFF)";
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return "a Unicode space";
    default:
      return (cp >= 0x2000 && cp <= 0x200A) ? "a Unicode space" : nullptr;
  }
}

// Whitespace, control characters (C0, DEL, C1) and invalid UTF-8.
absl::Status CheckCharacters(absl::string_view in) {
  for (size_t i = 0; i < in.size();) {
    char32_t cp;
    const size_t n = DecodeUtf8(in, i, &cp);
    if (n == 0) {
      return Invalid(in, absl::StrFormat("is not valid UTF-8 (byte 0x%02X at "
                                         "offset %d)",
                                         static_cast<unsigned char>(in[i]), i));
    }
    if (const char* ws = WhitespaceName(cp); ws != nullptr) {
      if (i == 0) return Invalid(in, absl::StrCat("starts with whitespace (", ws, ")"));
      if (i + n == in.size()) {
        return Invalid(in, absl::StrCat("ends with whitespace (", ws, ")"));
      }
      return Invalid(in, absl::StrCat("contains whitespace (", ws,
                                      ") at character ", CharPosition(in, i)));
    }
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      return Invalid(in, absl::StrFormat("contains a control character (%s) at "
                                         "character %d",
                                         cp < 0x80 ? absl::StrFormat("0x%02X", cp)
                                                   : absl::StrFormat("U+%04X", cp),
                                         CharPosition(in, i)));
    }
    i += n;
  }
  return absl::OkStatus();
}

// `candidate` as a suggestion when it is itself a valid domain.
std::string SuggestionFrom(absl::string_view candidate) {
  absl::StatusOr<DomainName> d =
      NormalizeDomain(std::string_view(candidate.data(), candidate.size()));
  return d.ok() ? d->unicode : "example.com";
}

bool IsIpv4(absl::string_view s) {
  in_addr addr;
  return inet_pton(AF_INET, std::string(s).c_str(), &addr) == 1;
}

bool IsIpv6(absl::string_view s) {
  s = s.substr(0, s.find('%'));  // zone index, as in fe80::1%eth0
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

constexpr absl::string_view kNotAnAddress =
    "; MTA-STS applies to mail domains: pass a domain name such as example.com";

// URLs, e-mail addresses, IP literals and ports: whole-input shapes that are
// not host names, recognised first so the message names the mistake.
absl::Status CheckShape(absl::string_view in) {
  if (size_t scheme = in.find("://"); scheme != absl::string_view::npos) {
    absl::string_view host = in.substr(scheme + 3);
    host = host.substr(0, host.find_first_of("/?#"));
    if (size_t at = host.rfind('@'); at != absl::string_view::npos) {
      host = host.substr(at + 1);
    }
    host = host.substr(0, host.find(':'));
    return Invalid(in, absl::StrCat("looks like a URL; pass the domain only, e.g. ",
                                    SuggestionFrom(host)));
  }
  if (size_t slash = in.find('/'); slash != absl::string_view::npos) {
    return Invalid(in, absl::StrCat("contains '/' at character ",
                                    CharPosition(in, slash),
                                    ", so it looks like a URL; pass the domain "
                                    "only, e.g. ",
                                    SuggestionFrom(in.substr(0, slash))));
  }
  if (size_t at = in.rfind('@'); at != absl::string_view::npos) {
    return Invalid(in, absl::StrCat("looks like an e-mail address; pass the part "
                                    "after @, e.g. ",
                                    SuggestionFrom(in.substr(at + 1))));
  }
  if (absl::StartsWith(in, "[")) {
    const size_t close = in.find(']');
    if (close != absl::string_view::npos && IsIpv6(in.substr(1, close - 1))) {
      return Invalid(in, absl::StrCat("is an IPv6 address literal", kNotAnAddress));
    }
    return Invalid(in, "starts with '['; pass a domain name, without brackets");
  }
  if (size_t colon = in.find(':'); colon != absl::string_view::npos) {
    if (IsIpv6(in)) {
      return Invalid(in, absl::StrCat("is an IPv6 address", kNotAnAddress));
    }
    absl::string_view port = in.substr(colon + 1);
    if (colon == in.rfind(':') && !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) {
      return Invalid(in, absl::StrCat("has a port (\":", port, "\"); pass the "
                                      "domain only, e.g. ",
                                      SuggestionFrom(in.substr(0, colon))));
    }
    return Invalid(in, absl::StrCat("contains ':' at character ",
                                    CharPosition(in, colon),
                                    "; a domain name has no colons"));
  }
  absl::string_view no_dot = in;
  absl::ConsumeSuffix(&no_dot, ".");
  if (IsIpv4(no_dot)) {
    return Invalid(in, absl::StrCat("is an IPv4 address", kNotAnAddress));
  }
  return absl::OkStatus();
}

// Splits at "." and at the other dots UTS #46 maps to it (U+3002 ideographic
// full stop, U+FF0E fullwidth full stop, U+FF61 halfwidth ideographic full
// stop), so each label can be converted alone.
std::vector<std::string> SplitLabels(absl::string_view in) {
  static constexpr absl::string_view kDots[] = {"\xE3\x80\x82", "\xEF\xBC\x8E",
                                                "\xEF\xBD\xA1"};
  std::vector<std::string> labels(1);
  for (size_t i = 0; i < in.size();) {
    if (in[i] == '.') {
      labels.emplace_back();
      ++i;
      continue;
    }
    bool dot = false;
    for (absl::string_view d : kDots) {
      if (in.substr(i, d.size()) == d) {
        labels.emplace_back();
        i += d.size();
        dot = true;
        break;
      }
    }
    if (!dot) labels.back() += in[i++];
  }
  return labels;
}

std::string ShortLabel(absl::string_view label) {
  if (label.size() <= 24) return absl::StrCat("\"", label, "\"");
  return absl::StrCat("\"", label.substr(0, 20), "...\"");
}

// Converts a label containing non-ASCII characters to its A-label.
absl::Status ToALabel(absl::string_view in, int index, std::string* label) {
  char* out = nullptr;
  const int rc = idn2_to_ascii_8z(label->c_str(), &out, kIdnFlags);
  IdnString owned(out, idn2_free);
  // libidn2 reports an over-long Punycode label as either of these.
  if (rc == IDN2_TOO_BIG_LABEL || rc == IDN2_PUNYCODE_BIG_OUTPUT) {
    return Invalid(in, absl::StrCat("has a label (label ", index, ", ",
                                    Quote(*label), ") longer than 63 octets "
                                    "once converted to an A-label"));
  }
  if (rc != IDN2_OK) {
    return Invalid(in, absl::StrCat("has an invalid internationalized label (label ",
                                    index, ", ", Quote(*label), "): ",
                                    idn2_strerror(rc)));
  }
  *label = out;
  return absl::OkStatus();
}

// Why an "xn--" label is not a valid A-label, or "" when it is one: it must
// decode (RFC 3492) to a U-label that converts back to exactly this label.
std::string ALabelProblem(const std::string& label) {
  char* unicode = nullptr;
  int rc = idn2_to_unicode_8z8z(label.c_str(), &unicode, 0);
  IdnString owned_unicode(unicode, idn2_free);
  if (rc != IDN2_OK) return idn2_strerror(rc);
  char* ascii = nullptr;
  rc = idn2_to_ascii_8z(unicode, &ascii, kIdnFlags);
  IdnString owned_ascii(ascii, idn2_free);
  if (rc != IDN2_OK) return idn2_strerror(rc);
  if (label != ascii) {
    return absl::StrCat("it is not the canonical encoding of its Unicode form "
                        "(that would be ", Quote(ascii), ")");
  }
  return "";
}

// The rules of RFC 1035 §2.3.1 / RFC 1123 §2.1 host names on each label.
absl::Status CheckLabel(absl::string_view in, int index, bool last,
                        const std::string& label) {
  if (label.empty()) {
    if (index == 1) return Invalid(in, "starts with a dot");
    if (last) return Invalid(in, "ends with more than one dot");
    return Invalid(in, absl::StrCat("has an empty label (two dots in a row) "
                                    "after label ", index - 1));
  }
  if (label.size() > kMaxLabelOctets) {
    return Invalid(in, absl::StrCat("has a label too long: label ", index, " (",
                                    ShortLabel(label), ") is ", label.size(),
                                    " octets long; a label has at most ",
                                    kMaxLabelOctets));
  }
  for (size_t i = 0; i < label.size(); ++i) {
    const char c = label[i];
    if (absl::ascii_isalnum(c) || c == '-') continue;
    if (c == '_') {
      std::string hint;
      if (index == 1 && (label == "_mta-sts" || label == "_smtp")) {
        hint = "; pass the mail domain itself, not its _mta-sts or _smtp._tls name";
      }
      return Invalid(in, absl::StrCat("has an underscore in label ", index, " (",
                                      ShortLabel(label), ") at character ",
                                      i + 1, " of the label; host names allow "
                                      "only letters, digits and hyphens",
                                      hint));
    }
    return Invalid(in, absl::StrCat("has '", absl::string_view(&c, 1),
                                    "' in label ", index, " (", ShortLabel(label),
                                    ") at character ", i + 1, " of the label; "
                                    "host names allow only letters, digits, "
                                    "hyphens and dots"));
  }
  if (label.front() == '-') {
    return Invalid(in, absl::StrCat("has a label starting with a hyphen (label ",
                                    index, ", ", ShortLabel(label), ")"));
  }
  if (label.back() == '-') {
    return Invalid(in, absl::StrCat("has a label ending with a hyphen (label ",
                                    index, ", ", ShortLabel(label), ")"));
  }
  if (absl::StartsWith(label, "xn--")) {
    if (std::string why = ALabelProblem(label); !why.empty()) {
      return Invalid(in, absl::StrCat("has an invalid A-label (Punycode) in label ",
                                      index, " (", ShortLabel(label), "): ", why));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DomainName> NormalizeDomain(std::string_view input_std) {
  const absl::string_view in(input_std.data(), input_std.size());
  if (in.empty()) {
    return absl::InvalidArgumentError(
        "domain is empty; pass a mail domain such as example.com");
  }
  if (in.size() > kMaxInputOctets) {
    return Invalid(in, absl::StrCat("is ", in.size(), " octets long; a domain "
                                    "name has at most ", kMaxNameOctets));
  }
  if (absl::Status s = CheckCharacters(in); !s.ok()) return s;
  if (absl::Status s = CheckShape(in); !s.ok()) return s;

  std::vector<std::string> labels = SplitLabels(in);
  // One trailing dot (the root) is allowed and dropped.
  if (labels.size() > 1 && labels.back().empty()) labels.pop_back();
  if (labels.size() == 1 && labels[0].empty()) {
    return Invalid(in, "is only the root (\".\"); pass a domain name such as "
                       "example.com");
  }
  const bool converted = !IsAscii(in);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (IsAscii(labels[i])) continue;
    if (absl::Status s = ToALabel(in, i + 1, &labels[i]); !s.ok()) return s;
  }

  DomainName name;
  name.ascii = absl::AsciiStrToLower(absl::StrJoin(labels, "."));
  if (name.ascii.size() > kMaxNameOctets) {
    return Invalid(in, absl::StrCat("is too long: ", name.ascii.size(),
                                    " octets", converted ? " once converted to "
                                    "A-labels" : "", "; a domain name has at "
                                    "most ", kMaxNameOctets, " (not counting a "
                                    "trailing dot)"));
  }
  // Split again: never trust a conversion not to have produced a dot.
  const std::vector<std::string> ascii_labels =
      absl::StrSplit(name.ascii, '.');
  for (size_t i = 0; i < ascii_labels.size(); ++i) {
    if (absl::Status s = CheckLabel(in, i + 1, i + 1 == ascii_labels.size(),
                                    ascii_labels[i]);
        !s.ok()) {
      return s;
    }
  }
  // A single label ("localhost", "mail", a bare TLD) is rejected although a
  // few TLDs do publish MX records: MTA-STS lives under a registered domain
  // (_mta-sts.<domain>, mta-sts.<domain>), no TLD publishes it, and a dotless
  // name is far more often an internal host name or a typo, which a resolver
  // may even complete with its search list (see ICANN SAC053 on dotless names).
  if (ascii_labels.size() < 2) {
    return Invalid(in, "is a single label; pass a full mail domain such as "
                       "example.com (MTA-STS is published under a registered "
                       "domain, never a bare top-level domain or host name)");
  }
  // RFC 3696 §2: top-level domain names are never all-numeric, so a name that
  // ends in digits is an address in disguise (127.1, 1.2.3.256) or a mistake.
  if (const std::string& tld = ascii_labels.back();
      std::all_of(tld.begin(), tld.end(), absl::ascii_isdigit)) {
    return Invalid(in, absl::StrCat("ends with an all-numeric label (\"", tld,
                                    "\"); top-level domains are never numeric, "
                                    "so this is not a domain name (an IP "
                                    "address?)"));
  }

  name.unicode = name.ascii;
  if (absl::StrContains(name.ascii, "xn--")) {
    char* unicode = nullptr;
    const int rc = idn2_to_unicode_8z8z(name.ascii.c_str(), &unicode, 0);
    IdnString owned(unicode, idn2_free);
    // Every xn-- label already decoded above; failing now is our bug or OOM.
    if (rc != IDN2_OK) {
      return absl::InternalError(absl::StrCat(
          "libidn2 could not convert ", name.ascii, " to Unicode: ",
          idn2_strerror(rc)));
    }
    name.unicode = unicode;
  }
  return name;
}

}  // namespace mtasts::server
