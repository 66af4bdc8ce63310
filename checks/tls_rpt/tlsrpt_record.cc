#include "checks/tls_rpt/tlsrpt_record.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "checks/common/tag_value_record.h"
#include "checks/findings/finding.h"
#include "checks/findings/report_text.h"
#include "checks/txt_lookup.h"
#include "uriparser/Uri.h"

namespace mtasts::checks {
namespace {

// RFC 8460 §3: tlsrpt-version = %s"v=TLSRPTv1" (case-sensitive);
// tlsrpt-ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".");
// tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E); fields separated by *WSP
// ";" *WSP.
constexpr TagValueGrammar kTlsRptGrammar = {
    /*version=*/"v=TLSRPTv1",
    /*required_field=*/"rua",
    /*required_role=*/"rua",
    /*reader=*/"reporters",
    /*strict_reaction=*/"ignore",
    /*whitespace_allowed=*/"\";\" and \",\"",
    /*too_long_note=*/"",
    /*not_first_note=*/", not at its start",
    kMaxTlsRptRecordBytes,
    kMaxTlsRptRecordsExamined,
    /*max_ext_name_length=*/32,
    /*max_problems_per_record=*/8,
    v1::TLSRPT_SYNTAX_ERROR,
    v1::TLSRPT_RUA_MISSING,
    v1::TLSRPT_VERSION_SPACE_BEFORE_SEMICOLON,
    v1::TLSRPT_UNKNOWN_FIELD,
    v1::TLSRPT_MISSING,
    v1::TLSRPT_MULTIPLE_RECORDS,
    v1::TLSRPT_IGNORED_RECORD,
    v1::TLSRPT_VERSION_MISCASED,
    v1::TLSRPT_IGNORED_RECORD,
    v1::TLSRPT_IGNORED_RECORD,
};
// How the lookup itself is judged (checks/txt_lookup.h).
constexpr TxtLookupWording kTlsRptLookupWording = {
    v1::TLSRPT_CNAME_FOLLOWED,
    v1::TLSRPT_MISSING,
    v1::TLSRPT_LOOKUP_FAILED,
    v1::TLSRPT_NAME_TOO_LONG,
    /*follower=*/"reporters",
    /*cname_note=*/"",
    /*missing_consequence=*/"senders send no TLS reports for this domain",
    /*failed_consequence=*/
    "reporters cannot learn where to send TLS reports",
    /*too_long_consequence=*/
    "no reporter can learn where to send TLS reports (RFC 8460 §3)",
};
// RFC 1035 §2.3.4.
constexpr size_t kMaxHostLength = 253;
constexpr size_t kMaxLabelLength = 63;

// "" when `host` is a valid host name for a report destination (LDH labels,
// RFC 1035 lengths), else what is wrong with it. A single label is valid
// here; SinglePublicProblem says why it cannot work.
std::string HostProblem(absl::string_view host) {
  if (host.empty()) return "is empty";
  if (host.find('%') != absl::string_view::npos) {
    return "is percent-encoded; write an internationalised name in its "
           "A-label (xn--) form";
  }
  if (host.size() > kMaxHostLength) {
    return absl::StrCat("is ", host.size(), " characters long (at most ",
                        kMaxHostLength, ")");
  }
  std::vector<absl::string_view> labels = absl::StrSplit(host, '.');
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
  // Non-empty for a valid URI that cannot work from the public internet (a
  // single-label host, an IP literal): why, for a TLSRPT_RUA_NOT_PUBLIC
  // warning. The URI still counts as a destination.
  std::string not_public;
};

// `s` with every %XX replaced by its byte, by uriparser (the URI's
// characters were checked already: every "%" has two hexadecimal digits).
std::string PercentDecode(absl::string_view s) {
  std::string out(s);
  const char* end = uriUnescapeInPlaceExA(out.data(), URI_FALSE, URI_BR_DONT_TOUCH);
  out.resize(end - out.data());
  return out;
}

// RFC 6068's addresses in one mailto: URI, split at "%2C" (any case): RFC
// 8460 §3 requires the "," between them encoded.
std::vector<absl::string_view> SplitAtEncodedComma(absl::string_view to) {
  std::vector<absl::string_view> out;
  size_t begin = 0;
  for (size_t i = 0; i + 2 < to.size(); ++i) {
    if (to[i] == '%' && to[i + 1] == '2' && (to[i + 2] == 'C' || to[i + 2] == 'c')) {
      out.push_back(to.substr(begin, i - begin));
      begin = i + 3;
      i += 2;
    }
  }
  out.push_back(to.substr(begin));
  return out;
}

// One mailto: address (decoded), judged as an RFC 5322 §3.4.1 addr-spec
// without the obsolete forms: local-part = dot-atom-text / quoted-string,
// domain = dot-atom-text (a host name) / domain-literal. Hand-written: no
// maintained C/C++ library in Debian validates addr-spec strictly (the mail
// libraries parse leniently, as mail readers must).
struct AddressJudgement {
  std::string problem;     // "" when valid
  std::string not_public;  // as UriJudgement::not_public
};

bool IsAtext(char c) {
  return IsAlnum(c) || absl::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != absl::string_view::npos;
}

AddressJudgement JudgeAddress(absl::string_view address) {
  AddressJudgement j;
  const size_t at = address.rfind('@');
  if (at == absl::string_view::npos) {
    j.problem = "has no \"@domain\" in its address";
    return j;
  }
  const absl::string_view local = address.substr(0, at);
  const absl::string_view domain = address.substr(at + 1);
  if (local.empty()) {
    j.problem = "has no local part before \"@\"";
    return j;
  }
  if (local.front() == '"') {
    // quoted-string: DQUOTE *(qtext / quoted-pair) DQUOTE, printable ASCII.
    bool closed = false;
    for (size_t i = 1; i < local.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(local[i]);
      if (c == '\\' && i + 1 < local.size()) {
        ++i;
        continue;
      }
      if (c == '"') {
        closed = i + 1 == local.size();
        break;
      }
      if (c < 0x20 || c > 0x7e) {
        j.problem = absl::StrCat("has ", DescribeChar(local[i]), " in its quoted local part");
        return j;
      }
    }
    if (!closed) {
      j.problem = "has a local part that opens a quote and does not close it at the \"@\"";
      return j;
    }
  } else {
    // dot-atom-text: 1*atext *("." 1*atext): no empty atom anywhere.
    for (absl::string_view atom : absl::StrSplit(local, '.')) {
      if (atom.empty()) {
        j.problem = absl::StrCat("has the local part ", QuoteForDetail(local),
                                 ", with a \".\" at an end or two in a row (RFC 5322 §3.4.1)");
        return j;
      }
      for (char c : atom) {
        if (!IsAtext(c)) {
          j.problem = absl::StrCat("has ", DescribeChar(c), " in its local part ",
                                   QuoteForDetail(local), " (quote the local part to use it)");
          return j;
        }
      }
    }
  }
  if (domain.empty()) {
    j.problem = "has no domain after \"@\"";
    return j;
  }
  if (domain.front() == '[') {
    if (domain.back() != ']' || domain.size() < 3) {
      j.problem = absl::StrCat("has a malformed [address] literal, ", QuoteForDetail(domain),
                               ", as its domain");
      return j;
    }
    j.not_public = absl::StrCat("sends to the address literal ", QuoteForDetail(domain),
                                ", which most mail systems refuse to deliver to");
    return j;
  }
  std::string why = HostProblem(domain);
  if (!why.empty()) {
    j.problem = absl::StrCat("has a domain, ", QuoteForDetail(domain), ", that ", why);
    return j;
  }
  if (domain.find('.') == absl::string_view::npos) {
    j.not_public = absl::StrCat("has the single-label domain ", QuoteForDetail(domain),
                                ", to which no reporter on the public internet can send mail");
  }
  return j;
}

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

  // The whole of RFC 3986 (authority, IP literals, port, path, a single
  // fragment) from uriparser, a maintained parser of exactly that grammar;
  // the checks above only make its most common failures readable.
  UriUriA parsed;
  const char* error_at = nullptr;
  if (uriParseSingleUriExA(&parsed, uri.data(), uri.data() + uri.size(), &error_at) !=
      URI_SUCCESS) {
    const size_t position = error_at != nullptr && error_at >= uri.data()
                                ? static_cast<size_t>(error_at - uri.data())
                                : uri.size();
    return invalid(absl::StrCat("is not a valid URI (RFC 3986): it goes wrong at ",
                                position < uri.size() ? DescribeChar(uri[position]) : "its end",
                                ", character ", position + 1));
  }
  struct Free {
    UriUriA* uri;
    ~Free() { uriFreeUriMembersA(uri); }
  } free_parsed{&parsed};
  auto text = [](const UriTextRangeA& range) {
    return range.first == nullptr ? absl::string_view()
                                  : absl::string_view(range.first, range.afterLast - range.first);
  };

  if (scheme == "mailto") {
    // RFC 6068: mailto:addr-spec *("%2C" addr-spec) [hfields]; no authority.
    if (parsed.hostText.first != nullptr || absl::StartsWith(rest, "//")) {
      return invalid("has \"//\" after \"mailto:\", where the address belongs");
    }
    absl::string_view to = rest.substr(0, rest.find('?'));
    if (to.empty()) return invalid("has no address after \"mailto:\"");
    for (absl::string_view encoded : SplitAtEncodedComma(to)) {
      AddressJudgement address = JudgeAddress(PercentDecode(encoded));
      if (!address.problem.empty()) return invalid(std::move(address.problem));
      if (!address.not_public.empty() && j.not_public.empty()) {
        j.not_public = std::move(address.not_public);
      }
    }
    return j;
  }
  if (scheme == "https") {
    // RFC 3986 §3.2: "//" authority, authority = [userinfo "@"] host [":" port].
    if (!absl::StartsWith(rest, "//")) {
      return invalid("has no \"//\" and host after \"https:\"");
    }
    const absl::string_view host = text(parsed.hostText);
    if (host.empty()) return invalid("has no host");
    // RFC 3986 §3.2.3: an empty port ("host:") is valid and means 443.
    const absl::string_view port = text(parsed.portText);
    int port_number = 0;
    if (!port.empty() && (!absl::SimpleAtoi(port, &port_number) || port_number < 1 ||
                          port_number > 65535)) {
      return invalid(absl::StrCat("has the port ", QuoteForDetail(port),
                                  ", not a number from 1 to 65535"));
    }
    if (parsed.hostData.ip4 != nullptr || parsed.hostData.ip6 != nullptr ||
        parsed.hostData.ipFuture.first != nullptr) {
      j.not_public = absl::StrCat(
          "names the IP address ", QuoteForDetail(host),
          " as its host; a reporter verifies the server's certificate against the host, "
          "and public certificate authorities rarely certify an address");
      return j;
    }
    std::string why = HostProblem(host);
    if (!why.empty()) {
      return invalid(absl::StrCat("has a host, ", QuoteForDetail(host), ", that ", why));
    }
    if (host.find('.') == absl::string_view::npos) {
      j.not_public = absl::StrCat("has the single-label host ", QuoteForDetail(host),
                                  ", which no reporter on the public internet can resolve");
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

// The record that begins with v=TLSRPTv1, parsed.
struct ParsedRecord {
  bool syntax_ok = false;                  // the fields follow the §3 grammar
  std::vector<std::string> rua;            // usable URIs, merged, in order
  std::vector<absl::string_view> skipped;  // URIs reporters skip
};

ParsedRecord ParseTlsRptRecord(absl::string_view record,
                               FindingList& findings) {
  ParsedRecord result;
  TagValueFields fields(kTlsRptGrammar, record, findings);
  const std::string& quoted = fields.quoted();
  int rua_fields = 0;
  bool rua_spaced = false;
  size_t uris_seen = 0;
  size_t uris_unjudged = 0;
  absl::flat_hash_set<std::string> seen;
  TagValueField field;
  while (fields.Next(&field)) {
    if (field.spaced_equals) {
      fields.Problem(v1::TLSRPT_SYNTAX_ERROR,
                     absl::StrCat("The field ", QuoteForDetail(field.text),
                                  " has whitespace around \"=\", which the "
                                  "syntax does not allow"));
      if (field.name == "rua") rua_spaced = true;
      continue;
    }
    if (field.name != "rua") {
      fields.Extension(field);
      continue;
    }
    ++rua_fields;
    if (field.value.empty()) {
      findings.Add(
          v1::TLSRPT_RUA_EMPTY,
          absl::StrCat("The record ", quoted, " has an empty rua field"));
      continue;
    }
    // RFC 8460 §3: tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri).
    std::vector<absl::string_view> pieces = absl::StrSplit(field.value, ',');
    for (size_t p = 0; p < pieces.size(); ++p) {
      if (uris_seen++ >= kMaxTlsRptUris) {
        ++uris_unjudged;
        continue;
      }
      absl::string_view uri = TrimWsp(pieces[p]);
      if (uri.empty()) {
        findings.Add(v1::TLSRPT_RUA_INVALID_URI,
                     absl::StrCat("The rua field ", QuoteForDetail(field.text),
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
      if (!judged.not_public.empty()) {
        findings.Add(v1::TLSRPT_RUA_NOT_PUBLIC,
                     absl::StrCat("The rua URI ", QuoteForDetail(uri), " ",
                                  judged.not_public));
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
  }
  if (!fields.started()) return result;
  fields.ReportUnlisted();
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
  fields.ReportUnknown();
  if (rua_fields == 0 && !rua_spaced) fields.ReportRequiredMissing();
  result.syntax_ok = fields.ok();
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
  TagValueSelection records = SelectTagValueRecords(kTlsRptGrammar, lookup.txt);
  for (std::string& shown : records.shown) {
    evidence->add_records(std::move(shown));
  }
  const std::vector<absl::string_view>& selected = records.selected;

  ParsedRecord parsed;
  if (selected.size() == 1) parsed = ParseTlsRptRecord(selected[0], findings);
  const bool usable =
      selected.size() == 1 && parsed.syntax_ok && !parsed.rua.empty();

  // A near miss beside a usable record is a leftover; otherwise it is likely
  // the record the domain meant to publish.
  ReportIgnoredRecords(kTlsRptGrammar, records,
                       usable ? v1::SEVERITY_LOW : v1::SEVERITY_HIGH, findings);
  ReportNoSingleRecord(kTlsRptGrammar, records, name, findings);

  if (selected.empty()) {
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.summary =
        records.near_misses.empty()
            ? absl::StrCat("No TXT record at ", name,
                           " begins with v=TLSRPTv1, so senders send no TLS "
                           "reports for this domain.")
            : absl::StrCat("A record at ", name,
                           " looks like a TLS-RPT record but does not begin "
                           "with exactly v=TLSRPTv1, so reporters ignore it "
                           "and send no reports.");
  } else if (selected.size() > 1) {
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
    verdict.summary = absl::StrCat(
        "The v=TLSRPTv1 record at ", name,
        parsed.skipped.empty()
            ? " names no report destination"
            : absl::StrCat(" has no usable rua URI (reporters skip ",
                           QuoteListForDetail(parsed.skipped), ")"),
        ", so no reports are sent.");
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
