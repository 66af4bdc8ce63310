#include "checks/common/mx_pattern.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace mtasts::checks {
namespace {

// RFC 1035 §2.3.4: labels of at most 63 octets, names of at most 255 octets
// on the wire, which is 253 characters in text without the trailing dot.
constexpr size_t kMaxLabelLength = 63;
constexpr size_t kMaxNameLength = 253;

bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool IsLdh(char c) { return IsAlpha(c) || IsDigit(c) || c == '-'; }

absl::string_view WithoutTrailingDot(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return name;
}

// Lower case, without a trailing dot: how names are compared and reported.

const char* Ordinal(size_t n) {
  static const char* const kOrdinals[] = {"first",   "second", "third",
                                          "fourth",  "fifth",  "sixth",
                                          "seventh", "eighth", "ninth"};
  return n >= 1 && n <= 9 ? kOrdinals[n - 1] : nullptr;
}

std::string LabelPosition(size_t n) {  // 1-based
  const char* word = Ordinal(n);
  return word != nullptr ? absl::StrCat("its ", word, " label")
                         : absl::StrCat("label ", n);
}

std::string DescribeChar(char ch) {
  if (ch == ' ') return "a space";
  if (ch == '\t') return "a tab";
  if (ch == '_') return "an underscore";
  const unsigned char c = static_cast<unsigned char>(ch);
  if (c < 0x20 || c >= 0x7f) {
    return absl::StrCat("the byte 0x", absl::Hex(c, absl::kZeroPad2));
  }
  return absl::StrCat("\"", std::string(1, ch), "\"");
}

// "192.0.2.25": four labels of one to three digits, each at most 255.
bool IsDottedQuad(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    if (p.empty() || p.size() > 3) return false;
    int value = 0;
    for (char c : p) {
      if (!IsDigit(c)) return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
  }
  return true;
}

// "2001:db8::25", "::ffff:192.0.2.1": hex digits, ":" and "." with at least
// two colons.
bool LooksLikeIpv6(absl::string_view s) {
  if (std::count(s.begin(), s.end(), ':') < 2) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsHexDigit(c) || c == ':' || c == '.';
  });
}

// "" when `name` is a host name in LDH labels (RFC 5321 §4.1.2 Domain, RFC
// 1035 lengths), else what is wrong with it.
std::string DomainProblem(absl::string_view name) {
  if (name.empty()) return "has nothing after \"*.\"";
  if (name.size() > kMaxNameLength) {
    return absl::StrCat("is ", name.size(),
                        " characters long; a host name has "
                        "at most ",
                        kMaxNameLength);
  }
  if (name.front() == '.') return "begins with a dot";
  std::vector<absl::string_view> labels = absl::StrSplit(name, '.');
  for (size_t i = 0; i < labels.size(); ++i) {
    absl::string_view label = labels[i];
    if (label.empty()) return "has an empty label (two dots in a row)";
    if (label.size() > kMaxLabelLength) {
      return absl::StrCat("has a label of ", label.size(),
                          " characters; at most ", kMaxLabelLength,
                          " are allowed");
    }
    for (char c : label) {
      if (!IsLdh(c)) {
        return absl::StrCat("contains ", DescribeChar(c),
                            "; host names hold only letters, digits, hyphens "
                            "and dots");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return absl::StrCat(LabelPosition(i + 1),
                          " begins or ends with a hyphen");
    }
  }
  return "";
}

MxPatternCheck Defect(MxPatternDefect defect, std::string problem,
                      bool grammatical = false) {
  MxPatternCheck check;
  check.defect = defect;
  check.grammatical = grammatical;
  check.problem = std::move(problem);
  return check;
}

}  // namespace

std::string NormalizeMxName(absl::string_view name) {
  return absl::AsciiStrToLower(WithoutTrailingDot(name));
}

MxPatternCheck CheckMxPattern(absl::string_view pattern) {
  using D = MxPatternDefect;
  if (pattern.empty()) return Defect(D::kEmpty, "is empty");
  for (char c : pattern) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return Defect(D::kNonAscii,
                    "contains non-ASCII characters; internationalised names "
                    "must be written as A-labels (\"xn--...\")");
    }
  }
  // Several names on one line, a URL: not one host name at all.
  if (pattern.find_first_of(" \t") != absl::string_view::npos) {
    return Defect(D::kSyntax,
                  "holds several words separated by whitespace; write one "
                  "host name per mx line");
  }
  if (pattern.find(',') != absl::string_view::npos ||
      pattern.find(';') != absl::string_view::npos) {
    return Defect(D::kSyntax, "holds a list; write one host name per mx line");
  }
  if (absl::StrContains(pattern, "://") ||
      pattern.find('/') != absl::string_view::npos) {
    return Defect(D::kSyntax, "is a URL or path, not a host name");
  }
  if (pattern.front() == '[' && pattern.back() == ']') {
    return Defect(D::kIpLiteral, "is an IP address literal, not a host name");
  }
  if (LooksLikeIpv6(pattern)) {
    return Defect(D::kIpLiteral, "is an IPv6 address, not a host name");
  }
  if (IsDottedQuad(WithoutTrailingDot(pattern))) {
    // Digits-only labels are valid in a Domain, so the grammar accepts it
    // (without a trailing dot).
    return Defect(D::kIpLiteral,
                  "is an IPv4 address, which no MX host name matches",
                  /*grammatical=*/pattern.back() != '.');
  }

  // RFC 8461 §3.2: sts-policy-mx-value = ["*."] Domain.
  absl::string_view domain = pattern;
  const size_t stars = std::count(pattern.begin(), pattern.end(), '*');
  if (stars > 0) {
    if (pattern == "*" || pattern == "*.") {
      return Defect(D::kWildcard,
                    "is a wildcard with no name under it; a wildcard stands "
                    "for one label under a name, as in \"*.example.com\"");
    }
    if (stars > 1) {
      return Defect(D::kWildcard,
                    absl::StrCat("has ", stars,
                                 " \"*\"; only one, as the whole first label, "
                                 "is allowed (it stands for exactly one "
                                 "label)"));
    }
    const size_t star = pattern.find('*');
    const size_t first_dot = pattern.find('.');
    if (star > first_dot) {
      const size_t label =
          1 + std::count(pattern.begin(), pattern.begin() + star, '.');
      return Defect(D::kWildcard,
                    absl::StrCat("has \"*\" in ", LabelPosition(label),
                                 "; only the whole first label may be \"*\""));
    }
    if (!absl::StartsWith(pattern, "*.")) {
      return Defect(D::kWildcard,
                    "has \"*\" joined to other characters in its first label; "
                    "only a whole first label \"*.\" is allowed");
    }
    domain = pattern.substr(2);
  }
  if (!domain.empty() && domain.back() == '.') {
    absl::string_view bare = domain.substr(0, domain.size() - 1);
    if (bare.empty()) return Defect(D::kSyntax, "is only a dot");
    if (DomainProblem(bare).empty()) {
      return Defect(D::kTrailingDot,
                    "ends with a dot; write the name without it");
    }
  }
  std::string problem = DomainProblem(domain);
  if (!problem.empty()) return Defect(D::kSyntax, std::move(problem));
  return MxPatternCheck{};
}

bool MxPatternMatches(absl::string_view pattern, absl::string_view host) {
  pattern = WithoutTrailingDot(pattern);
  host = WithoutTrailingDot(host);
  if (pattern.empty() || host.empty()) return false;
  if (absl::StartsWith(pattern, "*.")) {
    // RFC 8461 §4.1: "*." stands for exactly one leftmost label.
    const absl::string_view parent = pattern.substr(2);
    if (parent.empty() || parent.find('*') != absl::string_view::npos) {
      return false;
    }
    if (host.size() < parent.size() + 2) return false;  // "x." + parent
    const absl::string_view tail = host.substr(host.size() - parent.size());
    if (!absl::EqualsIgnoreCase(tail, parent)) return false;
    const absl::string_view label =
        host.substr(0, host.size() - parent.size() - 1);
    if (host[label.size()] != '.') return false;
    return !label.empty() && label.find('.') == absl::string_view::npos;
  }
  if (pattern.find('*') != absl::string_view::npos) return false;
  return absl::EqualsIgnoreCase(pattern, host);
}

}  // namespace mtasts::checks
