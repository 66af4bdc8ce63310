#include "checks/tls_rpt/rua_reachability.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "checks/findings/report_text.h"
#include "checks/tls_rpt/tlsrpt_record.h"
#include "uriparser/Uri.h"

namespace mtasts::checks {
namespace {

std::string Decode(absl::string_view s) {
  std::string out(s);
  const char* end = uriUnescapeInPlaceExA(out.data(), URI_FALSE, URI_BR_DONT_TOUCH);
  out.resize(end - out.data());
  return out;
}

std::string NormaliseHost(std::string host) {
  absl::AsciiStrToLower(&host);
  while (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

bool LooksLikeIpv4(absl::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

// Our own problems: nothing learned about the destination.
bool OursDns(net::DnsOutcome o) {
  return o == net::DnsOutcome::kUnreachable || o == net::DnsOutcome::kResolverOverloaded ||
         o == net::DnsOutcome::kCancelled;
}
// The domain's name servers failed to answer: reporters see it too, for now.
bool FailedDns(net::DnsOutcome o) {
  return o == net::DnsOutcome::kServFail || o == net::DnsOutcome::kRefused ||
         o == net::DnsOutcome::kTimeout || o == net::DnsOutcome::kError;
}

std::string OutcomeText(const net::DnsResult& r) {
  switch (r.outcome) {
    case net::DnsOutcome::kAnswer: return "an answer";
    case net::DnsOutcome::kNxDomain: return "NXDOMAIN";
    case net::DnsOutcome::kNoData: return "no records";
    case net::DnsOutcome::kServFail: return "SERVFAIL";
    case net::DnsOutcome::kRefused: return "REFUSED";
    case net::DnsOutcome::kTimeout: return "a timeout";
    case net::DnsOutcome::kError: return r.detail.empty() ? "an error" : r.detail;
    case net::DnsOutcome::kUnreachable: return "no answer from our own resolver";
    case net::DnsOutcome::kResolverOverloaded: return "our own resolver being overloaded";
    case net::DnsOutcome::kCancelled: return "the run ending";
  }
  return "an error";
}

RuaResult Result(v1::RuaOutcome outcome, std::string detail) {
  return RuaResult{outcome, std::move(detail)};
}

v1::FindingCode CodeOf(v1::RuaOutcome outcome) {
  switch (outcome) {
    case v1::RUA_OUTCOME_REACHABLE: return v1::TLSRPT_RUA_REACHABLE;
    case v1::RUA_OUTCOME_NO_MAIL: return v1::TLSRPT_RUA_MAILTO_NO_MAIL;
    case v1::RUA_OUTCOME_HTTPS_BROKEN: return v1::TLSRPT_RUA_HTTPS_BROKEN;
    case v1::RUA_OUTCOME_UNREACHABLE: return v1::TLSRPT_RUA_UNREACHABLE;
    default: return v1::TLSRPT_RUA_CHECK_INCONCLUSIVE;
  }
}

bool IsBroken(v1::RuaOutcome outcome) {
  return outcome == v1::RUA_OUTCOME_NO_MAIL || outcome == v1::RUA_OUTCOME_HTTPS_BROKEN;
}

}  // namespace

std::string RuaDestination::CacheKey() const {
  if (kind == Kind::kMailto) return absl::StrCat("mailto:", host);
  return absl::StrCat("https://", host, ":", port, path);
}

// The URI was validated by JudgeTlsRptLookup (uriparser and the RFC 5322
// addr-spec rules), so plain splitting at the delimiters RFC 3986 and RFC
// 6068 reserve is enough here.
std::optional<RuaDestination> ParseRuaDestination(absl::string_view uri, std::string* why) {
  RuaDestination d;
  d.uri = std::string(uri);
  const size_t colon = uri.find(':');
  if (colon == absl::string_view::npos) {
    *why = "has no scheme";
    return std::nullopt;
  }
  const std::string scheme = absl::AsciiStrToLower(uri.substr(0, colon));
  absl::string_view rest = uri.substr(colon + 1);
  if (scheme == "mailto") {
    d.kind = RuaDestination::Kind::kMailto;
    rest = rest.substr(0, rest.find('?'));
    // Several addresses are separated by "%2C" (any case); the first counts.
    std::string lower = absl::AsciiStrToLower(rest);
    const size_t comma = lower.find("%2c");
    if (comma != std::string::npos) rest = rest.substr(0, comma);
    const std::string address = Decode(rest);
    const size_t at = address.rfind('@');
    if (at == std::string::npos || at + 1 >= address.size()) {
      *why = "has no mail domain";
      return std::nullopt;
    }
    d.host = NormaliseHost(address.substr(at + 1));
    if (d.host.empty() || d.host.front() == '[') {
      *why = "names an address literal, not a mail domain";
      return std::nullopt;
    }
    return d;
  }
  if (scheme != "https" || !absl::StartsWith(rest, "//")) {
    *why = "is neither mailto: nor https:";
    return std::nullopt;
  }
  d.kind = RuaDestination::Kind::kHttps;
  rest.remove_prefix(2);
  const size_t fragment = rest.find('#');
  if (fragment != absl::string_view::npos) rest = rest.substr(0, fragment);
  const size_t path_start = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_start);
  if (path_start != absl::string_view::npos) {
    d.path = std::string(rest.substr(path_start));
    if (d.path.front() == '?') d.path = absl::StrCat("/", d.path);
  }
  const size_t userinfo = authority.rfind('@');
  if (userinfo != absl::string_view::npos) authority.remove_prefix(userinfo + 1);
  if (!authority.empty() && authority.front() == '[') {
    *why = "names an IP address, not a host";
    return std::nullopt;
  }
  const size_t port_colon = authority.rfind(':');
  if (port_colon != absl::string_view::npos) {
    absl::string_view port_text = authority.substr(port_colon + 1);
    authority = authority.substr(0, port_colon);
    uint32_t port = 443;
    if (!port_text.empty() && (!absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535)) {
      *why = "has an invalid port";
      return std::nullopt;
    }
    d.port = static_cast<uint16_t>(port);
  }
  d.host = NormaliseHost(Decode(authority));
  if (d.host.empty()) {
    *why = "has no host";
    return std::nullopt;
  }
  if (LooksLikeIpv4(d.host)) {
    *why = "names an IP address, not a host";
    return std::nullopt;
  }
  return d;
}

bool IsReusable(const RuaResult& result) {
  return result.outcome != v1::RUA_OUTCOME_INCONCLUSIVE &&
         result.outcome != v1::RUA_OUTCOME_UNSPECIFIED;
}

RuaResult JudgeMailtoLookups(const std::string& domain, const net::DnsResult& mx,
                             const std::vector<MailHostLookup>& hosts, size_t hosts_left) {
  if (OursDns(mx.outcome)) {
    return Result(v1::RUA_OUTCOME_INCONCLUSIVE,
                  absl::StrCat("the MX lookup of ", domain, " ended in ", OutcomeText(mx)));
  }
  if (mx.outcome == net::DnsOutcome::kNxDomain) {
    return Result(v1::RUA_OUTCOME_NO_MAIL, absl::StrCat(domain, " does not exist (NXDOMAIN)"));
  }
  if (FailedDns(mx.outcome)) {
    return Result(v1::RUA_OUTCOME_UNREACHABLE,
                  absl::StrCat("the MX lookup of ", domain, " got ", OutcomeText(mx),
                               ", so mail to it waits while that lasts"));
  }
  if (mx.outcome == net::DnsOutcome::kAnswer) {
    const bool all_null = std::all_of(mx.mx.begin(), mx.mx.end(),
                                      [](const net::MxRecord& r) { return r.host.empty(); });
    if (all_null) {
      return Result(v1::RUA_OUTCOME_NO_MAIL,
                    absl::StrCat(domain, " has a null MX (\"0 .\", RFC 7505): it accepts no mail"));
    }
  }
  const bool implicit = mx.outcome != net::DnsOutcome::kAnswer;
  bool ours = false;
  bool failed = false;
  std::vector<std::string> names;
  for (const MailHostLookup& h : hosts) {
    names.push_back(h.host);
    for (const net::DnsResult* r : {&h.a, &h.aaaa}) {
      if (r->outcome == net::DnsOutcome::kAnswer && !r->addresses.empty()) {
        return Result(v1::RUA_OUTCOME_REACHABLE,
                      implicit ? absl::StrCat(domain, " has no MX but has the address ",
                                              r->addresses[0],
                                              " (implicit MX, RFC 5321 §5.1)")
                               : absl::StrCat("mail for ", domain, " goes to ", h.host, " (",
                                              r->addresses[0], ")"));
      }
      ours = ours || OursDns(r->outcome);
      failed = failed || FailedDns(r->outcome);
    }
  }
  const std::string listed = absl::StrJoin(names, ", ");
  if (ours || (hosts.empty() && !implicit)) {
    return Result(v1::RUA_OUTCOME_INCONCLUSIVE,
                  absl::StrCat("the address lookups for ", domain, " did not finish"));
  }
  if (failed || hosts_left > 0) {
    return Result(v1::RUA_OUTCOME_UNREACHABLE,
                  absl::StrCat("no address was found for the mail hosts of ", domain, " (",
                               listed, failed ? "; lookups failed)" : "; more were not tried)"));
  }
  if (implicit) {
    return Result(v1::RUA_OUTCOME_NO_MAIL,
                  absl::StrCat(domain, " has no MX record and no address, so it accepts no mail"));
  }
  return Result(v1::RUA_OUTCOME_NO_MAIL,
                absl::StrCat("the MX hosts of ", domain, " (", listed, ") have no address"));
}

RuaResult JudgeHttpsReach(const RuaDestination& d, const HttpsReachInput& in) {
  const std::string& host = d.host;
  const bool has_addresses = !in.a.addresses.empty() || !in.aaaa.addresses.empty();
  if (!has_addresses) {
    if (OursDns(in.a.outcome) || OursDns(in.aaaa.outcome)) {
      return Result(v1::RUA_OUTCOME_INCONCLUSIVE,
                    absl::StrCat("the address lookups of ", host, " ended in ",
                                 OutcomeText(OursDns(in.a.outcome) ? in.a : in.aaaa)));
    }
    if (FailedDns(in.a.outcome) || FailedDns(in.aaaa.outcome)) {
      return Result(v1::RUA_OUTCOME_UNREACHABLE,
                    absl::StrCat("the address lookups of ", host, " got ",
                                 OutcomeText(FailedDns(in.a.outcome) ? in.a : in.aaaa)));
    }
    return Result(v1::RUA_OUTCOME_HTTPS_BROKEN,
                  absl::StrCat(host, " does not resolve (A: ", OutcomeText(in.a),
                               ", AAAA: ", OutcomeText(in.aaaa), ")"));
  }
  if (!in.fetch.has_value()) {
    if (!in.refused.empty() && in.refused_by_range) {
      return Result(v1::RUA_OUTCOME_HTTPS_BROKEN,
                    absl::StrCat(host, " resolves only to addresses reporters cannot reach: ",
                                 in.refused[0]));
    }
    return Result(v1::RUA_OUTCOME_INCONCLUSIVE,
                  absl::StrCat("no address of ", host, " was fetched",
                               in.refused.empty() ? "" : absl::StrCat(": ", in.refused[0])));
  }
  const net::HttpsResult& f = *in.fetch;
  const std::string where = absl::StrCat(host, " (", f.address, ")");
  if (f.status_code > 0) {
    if (f.status_code >= 500) {
      return Result(v1::RUA_OUTCOME_UNREACHABLE,
                    absl::StrCat(where, " answered a GET of ", d.path, " with HTTP ",
                                 f.status_code, ", a server error"));
    }
    return Result(v1::RUA_OUTCOME_REACHABLE,
                  absl::StrCat(where, " completed TLS with a valid certificate and answered HTTP ",
                               f.status_code));
  }
  const net::NetFailure failure = f.error.failure;
  if (net::IsCertificateFailure(failure)) {
    return Result(v1::RUA_OUTCOME_HTTPS_BROKEN,
                  absl::StrCat(where, " serves a certificate that does not validate (",
                               f.FailureName(), f.error.message.empty() ? "" : ": ",
                               f.error.message, ")"));
  }
  if (failure == net::NetFailure::kDeadlineExceeded || failure == net::NetFailure::kLocalError) {
    return Result(v1::RUA_OUTCOME_INCONCLUSIVE,
                  absl::StrCat("the GET to ", where, " did not finish (", f.FailureName(), ")"));
  }
  return Result(v1::RUA_OUTCOME_UNREACHABLE,
                absl::StrCat("the GET to ", where, " failed (", f.FailureName(),
                             f.error.message.empty() ? "" : ": ", f.error.message, ")"));
}

void AddRuaReachability(const std::vector<v1::RuaReachability>& reachability, size_t rua_count,
                        const std::string& subject, CheckVerdict* verdict) {
  if (reachability.empty()) return;
  const FindingTable& table = TlsRptFindings();
  size_t broken = 0;
  std::vector<absl::string_view> broken_uris;
  for (const v1::RuaReachability& r : reachability) {
    verdict->findings.push_back(table.Make(
        CodeOf(r.outcome()),
        absl::StrCat("The rua URI ", QuoteForDetail(r.uri()), ": ", r.detail(),
                     r.cached() ? " (checked recently for another report)" : ""),
        subject));
    if (IsBroken(r.outcome())) {
      ++broken;
      broken_uris.push_back(r.uri());
    }
  }
  SortMostSevereFirst(verdict->findings);
  if (broken == 0) return;
  const std::string list = QuoteListForDetail(broken_uris);
  if (broken >= rua_count) {
    verdict->status = v1::CHECK_STATUS_FAIL;
    verdict->fraction = 0;
    verdict->summary = absl::StrCat("The v=TLSRPTv1 record at ", subject,
                                    " is valid, but no destination can receive reports (",
                                    list, "), so every report is lost.");
    return;
  }
  verdict->status = v1::CHECK_STATUS_WARN;
  verdict->fraction = std::min(verdict->fraction, 0.5);
  verdict->summary = absl::StrCat("The v=TLSRPTv1 record at ", subject,
                                  " is usable, but reports sent to ", list, " are lost.");
}

}  // namespace mtasts::checks
