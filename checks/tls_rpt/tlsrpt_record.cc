#include "checks/tls_rpt/tlsrpt_record.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "checks/findings/finding.h"
#include "checks/findings/report_text.h"
#include "checks/tls_rpt/tls_rpt_findings.h"
#include "checks/txt_lookup.h"

namespace mtasts::checks {
namespace {

// RFC 8460 §3: tlsrpt-version = %s"v=TLSRPTv1" (case-sensitive).
constexpr absl::string_view kVersion = "v=TLSRPTv1";
// RFC 8460 §3: tlsrpt-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-"
// / ".").
constexpr size_t kMaxExtNameLength = 32;
// Problems reported for one record; the rest are counted.
constexpr int kMaxProblemsPerRecord = 8;
// How the lookup itself is judged (checks/txt_lookup.h).
constexpr TxtLookupWording kTlsRptLookupWording = {
    v1::TLSRPT_CNAME_FOLLOWED,
    v1::TLSRPT_MISSING,
    v1::TLSRPT_LOOKUP_FAILED,
    /*follower=*/"reporters",
    /*cname_note=*/"",
    /*missing_consequence=*/"senders send no TLS reports for this domain",
    /*failed_consequence=*/
    "reporters cannot learn where to send TLS reports",
};
// RFC 1035 §2.3.4.
constexpr size_t kMaxHostLength = 253;
constexpr size_t kMaxLabelLength = 63;

bool IsWsp(char c) { return c == ' ' || c == '\t'; }
bool IsAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHexDigit(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

absl::string_view TrimWsp(absl::string_view s) {
  while (!s.empty() && IsWsp(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWsp(s.back())) s.remove_suffix(1);
  return s;
}

std::string DescribeChar(char ch) {
  unsigned char c = static_cast<unsigned char>(ch);
  if (c >= 0x80)
    return absl::StrCat("the non-ASCII byte 0x", absl::Hex(c, absl::kZeroPad2));
  if (c < 0x20 || c == 0x7f) {
    return absl::StrCat("the control character 0x",
                        absl::Hex(c, absl::kZeroPad2));
  }
  if (c == ' ') return "a space";
  return absl::StrCat("\"", std::string(1, ch), "\"");
}

// "" when `name` is a valid tlsrpt-ext-name, else what is wrong with it.
std::string ExtNameProblem(absl::string_view name) {
  if (name.empty()) return "the field name is empty";
  if (!IsAlnum(name.front())) {
    return absl::StrCat("the name begins with ", DescribeChar(name.front()),
                        " instead of a letter or digit");
  }
  if (name.size() > kMaxExtNameLength) {
    return absl::StrCat("the name is ", name.size(),
                        " characters long (at most ", kMaxExtNameLength, ")");
  }
  for (char c : name) {
    if (!IsAlnum(c) && c != '_' && c != '-' && c != '.') {
      return absl::StrCat("the name contains ", DescribeChar(c));
    }
  }
  return "";
}

// "" when `value` is a valid tlsrpt-ext-value: 1*(%x21-3A / %x3C / %x3E-7E).
std::string ExtValueProblem(absl::string_view value) {
  if (value.empty()) return "the value is empty";
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7e || u == ';' || u == '=') {
      return absl::StrCat("the value contains ", DescribeChar(c));
    }
  }
  return "";
}

// "" when `host` is a usable host name (or IP literal) for a report
// destination, else what is wrong with it.
std::string HostProblem(absl::string_view host) {
  if (host.empty()) return "is empty";
  if (host.front() == '[') {
    // RFC 3986 IP-literal / RFC 5321 address literal: not judged further.
    return host.size() > 2 && host.back() == ']'
               ? ""
               : "is a malformed [address] literal";
  }
  if (host.find('%') != absl::string_view::npos) {
    return "is percent-encoded; write an internationalised name in its "
           "A-label (xn--) form";
  }
  if (host.size() > kMaxHostLength) {
    return absl::StrCat("is ", host.size(), " characters long (at most ",
                        kMaxHostLength, ")");
  }
  std::vector<absl::string_view> labels = absl::StrSplit(host, '.');
  if (labels.size() < 2) return "is not a fully qualified domain name";
  for (absl::string_view label : labels) {
    if (label.empty())
      return "has an empty label (two dots in a row, or a dot at an end)";
    if (label.size() > kMaxLabelLength) {
      return absl::StrCat("has a label longer than ", kMaxLabelLength,
                          " characters");
    }
    if (label.front() == '-' || label.back() == '-') {
      return "has a label that begins or ends with \"-\"";
    }
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') {
        return absl::StrCat("contains ", DescribeChar(c),
                            ", which a host name cannot");
      }
    }
  }
  return "";
}

// One rua URI, judged as a reporter would.
struct UriJudgement {
  // FINDING_CODE_UNSPECIFIED when reporters can use the URI.
  v1::FindingCode code = v1::FINDING_CODE_UNSPECIFIED;
  std::string why;        // what is wrong, for the detail
  std::string canonical;  // for duplicate detection: the scheme lower-cased
};

UriJudgement JudgeUri(absl::string_view uri, bool follows_comma) {
  UriJudgement j;
  auto invalid = [&j](std::string why) {
    j.code = v1::TLSRPT_RUA_INVALID_URI;
    j.why = std::move(why);
    return j;
  };
  // RFC 3986 §2: unreserved, reserved and pct-encoded characters only; RFC
  // 8460 §3: "," and "!" encoded (";" ends the field, "," splits the list).
  for (size_t i = 0; i < uri.size(); ++i) {
    const char c = uri[i];
    if (c == '%') {
      if (i + 2 >= uri.size() || !IsHexDigit(uri[i + 1]) ||
          !IsHexDigit(uri[i + 2])) {
        return invalid("has a \"%\" not followed by two hexadecimal digits");
      }
      i += 2;
      continue;
    }
    if (c == '!') {
      return invalid(
          "contains an unencoded \"!\" (write %21: RFC 8460 §3 requires it, "
          "and reporters may read \"!\" as a DMARC-style size limit)");
    }
    if (IsWsp(c)) {
      return invalid("contains whitespace (separate URIs with \",\")");
    }
    if (IsAlnum(c) || absl::string_view("-._~:/?#[]@$&'()*+=").find(c) !=
                          absl::string_view::npos) {
      continue;
    }
    return invalid(absl::StrCat("contains ", DescribeChar(c),
                                ", which must be percent-encoded"));
  }

  // RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":".
  size_t colon = 0;
  bool has_scheme = !uri.empty() && IsAlpha(uri[0]);
  if (has_scheme) {
    colon = 1;
    while (colon < uri.size() && (IsAlnum(uri[colon]) || uri[colon] == '+' ||
                                  uri[colon] == '-' || uri[colon] == '.')) {
      ++colon;
    }
    has_scheme = colon < uri.size() && uri[colon] == ':';
  }
  if (!has_scheme) {
    const bool has_at = uri.find('@') != absl::string_view::npos;
    if (follows_comma && !has_at) {
      return invalid(
          "has no scheme; it looks like the rest of the URI before it, cut "
          "at an unencoded \",\" (write %2C: reporters split at every \",\")");
    }
    j.code = v1::TLSRPT_RUA_NO_SCHEME;
    j.why = has_at ? "is an e-mail address without \"mailto:\" in front"
                   : "has no scheme (such as \"mailto:\" or \"https:\")";
    return j;
  }
  const std::string scheme = absl::AsciiStrToLower(uri.substr(0, colon));
  absl::string_view rest = uri.substr(colon + 1);
  j.canonical = absl::StrCat(scheme, ":", rest);

  if (scheme == "mailto") {
    // RFC 6068: mailto:addr-spec[?hfields]; one address, as "," is encoded.
    absl::string_view to = rest.substr(0, rest.find('?'));
    if (to.empty()) return invalid("has no address after \"mailto:\"");
    const size_t at = to.rfind('@');
    if (at == absl::string_view::npos) {
      return invalid("has no \"@domain\" in its address");
    }
    if (at == 0) return invalid("has no local part before \"@\"");
    const absl::string_view domain = to.substr(at + 1);
    if (domain.empty()) return invalid("has no domain after \"@\"");
    std::string why = HostProblem(domain);
    if (!why.empty()) {
      return invalid(absl::StrCat("has a domain, ", QuoteForDetail(domain),
                                  ", that ", why));
    }
    return j;
  }
  if (scheme == "https") {
    // RFC 3986 §3.2: "//" authority, authority = [userinfo "@"] host [":"
    // port].
    if (!absl::StartsWith(rest, "//")) {
      return invalid("has no \"//\" and host after \"https:\"");
    }
    absl::string_view authority = rest.substr(2);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    const size_t at = authority.rfind('@');
    if (at != absl::string_view::npos) authority.remove_prefix(at + 1);
    absl::string_view host = authority;
    absl::string_view port;
    if (!host.empty() && host.front() == '[') {
      const size_t close = host.find(']');
      if (close == absl::string_view::npos) {
        return invalid("has a malformed [address] literal as its host");
      }
      port = host.substr(close + 1);
      host = host.substr(0, close + 1);
    } else {
      const size_t c = host.find(':');
      if (c != absl::string_view::npos) {
        port = host.substr(c);
        host = host.substr(0, c);
      }
    }
    if (host.empty()) return invalid("has no host");
    if (!port.empty()) {
      if (port.front() != ':')
        return invalid("has characters after its host literal");
      for (char c : port.substr(1)) {
        if (!IsDigit(c)) return invalid("has a port that is not a number");
      }
    }
    std::string why = HostProblem(host);
    if (!why.empty()) {
      return invalid(
          absl::StrCat("has a host, ", QuoteForDetail(host), ", that ", why));
    }
    return j;
  }
  j.code = v1::TLSRPT_RUA_UNSUPPORTED_SCHEME;
  j.why = scheme == "http"
              ? "uses http:, but reports are only posted over https:"
              : absl::StrCat("uses the scheme \"", scheme,
                             ":\", but only mailto: and https: are defined");
  return j;
}

// How an ignored record (one not beginning with v=TLSRPTv1) relates to TLS-RPT.
enum class NearMiss { kNone, kMiscased, kSpacedEquals, kNotFirst };

NearMiss ClassifyIgnored(absl::string_view record, size_t* position) {
  absl::string_view head = record.substr(0, kMaxTlsRptRecordBytes);
  if (head.size() >= kVersion.size() &&
      absl::EqualsIgnoreCase(head.substr(0, kVersion.size()), kVersion)) {
    return NearMiss::kMiscased;
  }
  if (!head.empty() && (head[0] == 'v' || head[0] == 'V')) {
    size_t i = 1;
    while (i < head.size() && IsWsp(head[i])) ++i;
    if (i < head.size() && head[i] == '=') {
      ++i;
      while (i < head.size() && IsWsp(head[i])) ++i;
      if (absl::StartsWithIgnoreCase(head.substr(i), "TLSRPTv1")) {
        return NearMiss::kSpacedEquals;
      }
    }
  }
  std::string lower = absl::AsciiStrToLower(head);
  size_t at = lower.find("v=tlsrptv1");
  if (at != std::string::npos) {
    *position = at;
    return NearMiss::kNotFirst;
  }
  return NearMiss::kNone;
}

// The record that begins with v=TLSRPTv1, parsed.
struct ParsedRecord {
  bool syntax_ok = false;                  // the fields follow the §3 grammar
  std::vector<std::string> rua;            // usable URIs, merged, in order
  std::vector<absl::string_view> skipped;  // URIs reporters skip
};

ParsedRecord ParseTlsRptRecord(absl::string_view record,
                               FindingList& findings) {
  ParsedRecord result;
  const std::string quoted = QuoteForDetail(record);
  if (record.size() > kMaxTlsRptRecordBytes) {
    findings.Add(
        v1::TLSRPT_SYNTAX_ERROR,
        absl::StrCat("The v=TLSRPTv1 record is ", record.size(),
                     " bytes long, more than the ", kMaxTlsRptRecordBytes,
                     " bytes this checker reads: ", quoted));
    return result;
  }
  for (size_t i = 0; i < record.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(record[i]);
    if (c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f) {
      findings.Add(v1::TLSRPT_SYNTAX_ERROR,
                   absl::StrCat("The record ", quoted, " contains ",
                                DescribeChar(record[i]), " at position ", i + 1,
                                "; only printable ASCII is allowed"));
      return result;
    }
  }

  absl::string_view rest = record.substr(kVersion.size());
  std::vector<absl::string_view> segments = absl::StrSplit(rest, ';');
  if (segments.size() == 1) {
    if (TrimWsp(rest).empty()) {
      findings.Add(v1::TLSRPT_RUA_MISSING,
                   absl::StrCat("The record ", quoted,
                                " has no fields after v=TLSRPTv1"));
    } else {
      findings.Add(
          v1::TLSRPT_SYNTAX_ERROR,
          absl::StrCat("In the record ", quoted, ", v=TLSRPTv1 is followed by ",
                       QuoteForDetail(rest), " where \";\" should be"));
    }
    return result;
  }
  if (!segments[0].empty()) {
    if (!TrimWsp(segments[0]).empty()) {
      findings.Add(
          v1::TLSRPT_SYNTAX_ERROR,
          absl::StrCat("In the record ", quoted, ", v=TLSRPTv1 is followed by ",
                       QuoteForDetail(segments[0]), " where \";\" should be"));
      return result;
    }
    findings.Add(v1::TLSRPT_VERSION_SPACE_BEFORE_SEMICOLON,
                 absl::StrCat("The record ", quoted,
                              " has whitespace between v=TLSRPTv1 and the "
                              "first \";\""));
  }

  bool ok = true;
  int problems = 0;
  int unlisted = 0;
  auto problem = [&](v1::FindingCode code, std::string detail) {
    ok = false;
    if (++problems > kMaxProblemsPerRecord) {
      ++unlisted;
      return;
    }
    findings.Add(code, std::move(detail));
  };

  int rua_fields = 0;
  bool rua_spaced = false;
  size_t uris_seen = 0;
  size_t uris_unjudged = 0;
  absl::flat_hash_set<std::string> seen;
  std::vector<absl::string_view> unknown_names;
  bool unknown_looks_like_rua = false;
  for (size_t k = 1; k < segments.size(); ++k) {
    const bool last = k + 1 == segments.size();
    absl::string_view field = TrimWsp(segments[k]);
    if (field.empty()) {
      // RFC 8460 §3: [field-delim] allows one trailing ";".
      if (last) continue;
      problem(v1::TLSRPT_SYNTAX_ERROR,
              absl::StrCat("The record ", quoted,
                           " has an empty field: two \";\" with nothing but "
                           "whitespace between them"));
      continue;
    }
    if (last && IsWsp(segments[k].back())) {
      problem(v1::TLSRPT_SYNTAX_ERROR,
              absl::StrCat("The record ", quoted,
                           " ends with whitespace after its last field, which "
                           "the syntax allows only around \";\" and \",\" "
                           "(lenient reporters strip it, strict ones ignore "
                           "the record)"));
    }
    const size_t eq = field.find('=');
    if (eq == absl::string_view::npos) {
      problem(
          v1::TLSRPT_SYNTAX_ERROR,
          absl::StrCat("The field ", QuoteForDetail(field), " has no \"=\""));
      continue;
    }
    absl::string_view name = field.substr(0, eq);
    absl::string_view value = field.substr(eq + 1);
    if ((!name.empty() && IsWsp(name.back())) ||
        (!value.empty() && IsWsp(value.front()))) {
      problem(v1::TLSRPT_SYNTAX_ERROR,
              absl::StrCat("The field ", QuoteForDetail(field),
                           " has whitespace around \"=\", which the syntax "
                           "does not allow"));
      if (TrimWsp(name) == "rua") rua_spaced = true;
      continue;
    }
    if (name == "rua") {
      ++rua_fields;
      if (value.empty()) {
        findings.Add(
            v1::TLSRPT_RUA_EMPTY,
            absl::StrCat("The record ", quoted, " has an empty rua field"));
        continue;
      }
      // RFC 8460 §3: tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri).
      std::vector<absl::string_view> pieces = absl::StrSplit(value, ',');
      for (size_t p = 0; p < pieces.size(); ++p) {
        if (uris_seen++ >= kMaxTlsRptUris) {
          ++uris_unjudged;
          continue;
        }
        absl::string_view uri = TrimWsp(pieces[p]);
        if (uri.empty()) {
          findings.Add(v1::TLSRPT_RUA_INVALID_URI,
                       absl::StrCat("The rua field ", QuoteForDetail(field),
                                    " has an empty URI (a \",\" with nothing "
                                    "after it)"));
          continue;
        }
        UriJudgement judged = JudgeUri(uri, p > 0);
        if (judged.code != v1::FINDING_CODE_UNSPECIFIED) {
          findings.Add(judged.code,
                       absl::StrCat("The rua URI ", QuoteForDetail(uri), " ",
                                    judged.why, ", so reporters skip it"));
          result.skipped.push_back(uri);
          continue;
        }
        if (!seen.insert(judged.canonical).second) {
          findings.Add(v1::TLSRPT_RUA_DUPLICATE_URI,
                       absl::StrCat("The rua URI ", QuoteForDetail(uri),
                                    " is listed more than once; it counts once "
                                    "here"));
          continue;
        }
        result.rua.emplace_back(uri);
      }
      continue;
    }
    std::string why = ExtNameProblem(name);
    if (why.empty()) why = ExtValueProblem(value);
    if (!why.empty()) {
      problem(v1::TLSRPT_SYNTAX_ERROR,
              absl::StrCat("The field ", QuoteForDetail(field),
                           " is not a valid field: ", why));
      continue;
    }
    unknown_names.push_back(name);
    if (absl::EqualsIgnoreCase(name, "rua")) unknown_looks_like_rua = true;
  }
  if (unlisted > 0) {
    findings.Add(v1::TLSRPT_SYNTAX_ERROR,
                 absl::StrCat("The record ", quoted, " has ", unlisted,
                              " more problems, not listed one by one"));
  }
  if (uris_unjudged > 0) {
    findings.Add(v1::TLSRPT_RUA_INVALID_URI,
                 absl::StrCat("The record lists ", uris_seen,
                              " rua URIs; this checker judges the first ",
                              kMaxTlsRptUris, " and leaves out the other ",
                              uris_unjudged));
  }
  if (rua_fields > 1) {
    findings.Add(v1::TLSRPT_RUA_REPEATED,
                 absl::StrCat("The record ", quoted, " has ", rua_fields,
                              " rua fields; their URIs were merged"));
  }
  if (!unknown_names.empty()) {
    std::string detail =
        absl::StrCat("The record ", quoted, " has ",
                     unknown_names.size() == 1 ? "the unknown field "
                                               : "the unknown fields ",
                     QuoteListForDetail(unknown_names));
    if (unknown_looks_like_rua) {
      absl::StrAppend(&detail,
                      " (field names are case-sensitive: only \"rua\" is rua)");
    }
    findings.Add(v1::TLSRPT_UNKNOWN_FIELD, std::move(detail));
  }
  if (rua_fields == 0 && !rua_spaced) {
    std::string detail =
        absl::StrCat("The record ", quoted, " has no rua field");
    if (unknown_looks_like_rua) {
      absl::StrAppend(
          &detail, "; a field spelled with other letter case does not count");
    }
    findings.Add(v1::TLSRPT_RUA_MISSING, std::move(detail));
  }
  result.syntax_ok = ok;
  return result;
}

}  // namespace

CheckVerdict JudgeTlsRptLookup(const net::DnsResult& lookup,
                               v1::TlsRptEvidence* evidence) {
  v1::TlsRptEvidence scratch;
  if (evidence == nullptr) evidence = &scratch;
  evidence->Clear();

  CheckVerdict verdict;
  const std::string& name = lookup.name;
  FindingList findings(TlsRptFindings(), name);

  TxtLookupStart start = StartTxtLookup(lookup, kTlsRptLookupWording, findings);
  if (start.verdict.has_value()) return *std::move(start.verdict);

  // Records present. RFC 8460 §3: discard those not beginning with v=TLSRPTv1.
  std::vector<absl::string_view> selected;
  std::vector<absl::string_view> unrelated;
  size_t unexamined = 0;
  struct Near {
    NearMiss kind;
    absl::string_view record;
    size_t position;
  };
  std::vector<Near> near_misses;
  for (size_t i = 0; i < lookup.txt.size(); ++i) {
    absl::string_view record = lookup.txt[i];
    const bool examined = i < kMaxTlsRptRecordsExamined;
    if (examined) {
      evidence->add_records(
          SanitizeForReport(record.substr(0, kMaxTlsRptRecordBytes)));
    }
    if (absl::StartsWith(record, kVersion)) {
      selected.push_back(record);
      continue;
    }
    if (!examined) {
      ++unexamined;
      continue;
    }
    size_t position = 0;
    NearMiss kind = ClassifyIgnored(record, &position);
    if (kind == NearMiss::kNone) {
      unrelated.push_back(record);
    } else {
      near_misses.push_back({kind, record, position});
    }
  }

  ParsedRecord parsed;
  if (selected.size() == 1) parsed = ParseTlsRptRecord(selected[0], findings);
  const bool usable =
      selected.size() == 1 && parsed.syntax_ok && !parsed.rua.empty();

  // A near miss beside a usable record is a leftover; otherwise it is likely
  // the record the domain meant to publish.
  const v1::Severity near_severity =
      usable ? v1::SEVERITY_LOW : v1::SEVERITY_HIGH;
  for (const Near& near : near_misses) {
    const std::string quoted = QuoteForDetail(near.record);
    switch (near.kind) {
      case NearMiss::kMiscased:
        findings.Add(
            v1::TLSRPT_VERSION_MISCASED, near_severity,
            absl::StrCat("The record ", quoted, " begins with ",
                         QuoteForDetail(near.record.substr(0, kVersion.size())),
                         ", not \"v=TLSRPTv1\", so reporters ignore it"));
        break;
      case NearMiss::kSpacedEquals:
        findings.Add(v1::TLSRPT_IGNORED_RECORD, near_severity,
                     absl::StrCat("The record ", quoted,
                                  " has whitespace around the \"=\" of its "
                                  "version, so it does not begin with "
                                  "v=TLSRPTv1 and reporters ignore it"));
        break;
      case NearMiss::kNotFirst:
        findings.Add(
            v1::TLSRPT_IGNORED_RECORD, near_severity,
            absl::StrCat("The record ", quoted, " has v=TLSRPTv1 at position ",
                         near.position + 1, ", after ",
                         QuoteForDetail(near.record.substr(0, near.position)),
                         ", not at its start, so reporters ignore it"));
        break;
      case NearMiss::kNone:
        break;
    }
  }
  if (!unrelated.empty() || unexamined > 0) {
    const size_t count = unrelated.size() + unexamined;
    std::string detail = absl::StrCat(
        "Ignored ", count, count == 1 ? " TXT record" : " TXT records",
        " not beginning with v=TLSRPTv1");
    if (!unrelated.empty()) {
      absl::StrAppend(&detail, ": ", QuoteListForDetail(unrelated));
    }
    if (unexamined > 0) {
      absl::StrAppend(&detail, " (", unexamined, " beyond the first ",
                      kMaxTlsRptRecordsExamined, " records not shown)");
    }
    findings.Add(v1::TLSRPT_IGNORED_RECORD, std::move(detail));
  }

  if (selected.empty()) {
    findings.Add(v1::TLSRPT_MISSING,
                 lookup.txt.size() == 1
                     ? absl::StrCat("The only TXT record at ", name,
                                    " does not begin with v=TLSRPTv1")
                     : absl::StrCat("None of the ", lookup.txt.size(),
                                    " TXT records at ", name,
                                    " begins with v=TLSRPTv1"));
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.summary =
        near_misses.empty()
            ? absl::StrCat("No TXT record at ", name,
                           " begins with v=TLSRPTv1, so senders send no TLS "
                           "reports for this domain.")
            : absl::StrCat("A record at ", name,
                           " looks like a TLS-RPT record but does not begin "
                           "with exactly v=TLSRPTv1, so reporters ignore it "
                           "and send no reports.");
  } else if (selected.size() > 1) {
    findings.Add(
        v1::TLSRPT_MULTIPLE_RECORDS,
        absl::StrCat(selected.size(), " TXT records at ", name,
                     " begin with v=TLSRPTv1: ", QuoteListForDetail(selected)));
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.summary = absl::StrCat(
        selected.size(), " records at ", name,
        " begin with v=TLSRPTv1, so reporters treat the domain as not "
        "implementing TLS reporting.");
  } else if (!parsed.syntax_ok) {
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.summary = absl::StrCat(
        "The v=TLSRPTv1 record at ", name,
        " does not follow the RFC 8460 syntax, so reporters ignore it and "
        "send no reports.");
  } else if (parsed.rua.empty()) {
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.summary =
        parsed.skipped.empty()
            ? absl::StrCat("The v=TLSRPTv1 record at ", name,
                           " names no report destination, so no reports are "
                           "sent.")
            : absl::StrCat("The v=TLSRPTv1 record at ", name,
                           " has no usable rua URI (reporters skip ",
                           QuoteListForDetail(parsed.skipped),
                           "), so no reports are sent.");
  } else {
    evidence->set_valid(true);
    for (const std::string& uri : parsed.rua) evidence->add_rua(uri);
    const v1::Severity worst = findings.Worst();
    const std::string destinations = absl::StrJoin(parsed.rua, ", ");
    findings.Add(v1::TLSRPT_VALID,
                 absl::StrCat(name, " publishes ", QuoteForDetail(selected[0]),
                              "; reports go to ", destinations));
    if (worst < v1::SEVERITY_LOW) {
      verdict.status = v1::CHECK_STATUS_PASS;
      verdict.fraction = 1;
      verdict.summary = absl::StrCat("One valid v=TLSRPTv1 record at ", name,
                                     "; reports go to ", destinations, ".");
    } else {
      verdict.status = v1::CHECK_STATUS_WARN;
      verdict.fraction = worst == v1::SEVERITY_LOW ? 0.75 : 0.5;
      verdict.summary =
          parsed.skipped.empty()
              ? absl::StrCat("One usable v=TLSRPTv1 record at ", name,
                             " (reports go to ", destinations,
                             "), with defects that some reporters may trip "
                             "over.")
              : absl::StrCat("One usable v=TLSRPTv1 record at ", name,
                             ": reports go to ", destinations,
                             ", but reporters skip ",
                             QuoteListForDetail(parsed.skipped), ".");
    }
  }
  if (verdict.status == v1::CHECK_STATUS_FAIL) verdict.fraction = 0;
  verdict.findings = std::move(findings).Take();
  return verdict;
}

}  // namespace mtasts::checks
