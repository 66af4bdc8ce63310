#include "checks/policy_fetch/policy_fetch_judge.h"

#include <openssl/sha.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "checks/findings/finding.h"
#include "checks/findings/lookup_verdict.h"
#include "checks/findings/report_text.h"
#include "checks/policy_fetch/policy_fetch_findings.h"
#include "checks/tls_evidence.h"
#include "net/https_types.h"
#include "net/tls_types.h"

namespace mtasts::checks {
namespace {

bool IsAscii(absl::string_view body) {
  return std::all_of(body.begin(), body.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

using net::NetFailure;

// One cause, seen at one or more addresses.
struct Cause {
  v1::FindingCode code;
  v1::Severity severity;
  std::string detail;  // as seen at the first address
  std::vector<std::string> addresses;
};

class Causes {
 public:
  void Add(v1::FindingCode code, v1::Severity severity, std::string detail,
           const std::string& address) {
    for (Cause& c : causes_) {
      if (c.code == code) {
        c.addresses.push_back(address);
        c.severity = std::max(c.severity, severity);
        return;
      }
    }
    causes_.push_back(Cause{code, severity, std::move(detail), {address}});
  }
  void Add(v1::FindingCode code, std::string detail, const std::string& address) {
    Add(code, PolicyFetchFindings().Info(code).severity, std::move(detail), address);
  }
  bool Has(v1::FindingCode code) const {
    return std::any_of(causes_.begin(), causes_.end(),
                       [code](const Cause& c) { return c.code == code; });
  }
  const std::vector<Cause>& all() const { return causes_; }

 private:
  std::vector<Cause> causes_;
};

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

std::string DateOf(absl::Time t) { return absl::FormatTime("%Y-%m-%d", t, absl::UTCTimeZone()); }

bool LooksLikeHtml(absl::string_view content_type, absl::string_view body) {
  if (ParseContentType(content_type).type == "text/html") return true;
  absl::string_view head = absl::StripLeadingAsciiWhitespace(body.substr(0, 512));
  return absl::StartsWithIgnoreCase(head, "<!doctype html") ||
         absl::StartsWithIgnoreCase(head, "<html");
}

// Certificate failures in the words a mail administrator needs.
std::pair<v1::FindingCode, std::string> CertificateCause(const net::HttpsResult& r,
                                                         const std::string& host) {
  const net::TlsInfo& tls = r.tls;
  const bool leaf = tls.certificate_presented();
  switch (r.error.failure) {
    case NetFailure::kCertificateExpired:
      return {v1::POLICY_CERT_EXPIRED,
              leaf ? absl::StrCat("The certificate for ", host, " expired on ",
                                  DateOf(tls.leaf().not_after), " (",
                                  -tls.leaf().days_to_expiry, " days ago).")
                   : absl::StrCat(r.error.message, ".")};
    case NetFailure::kCertificateNotYetValid:
      return {v1::POLICY_CERT_NOT_YET_VALID,
              leaf ? absl::StrCat("The certificate for ", host, " is valid only from ",
                                  DateOf(tls.leaf().not_before), ".")
                   : absl::StrCat(r.error.message, ".")};
    case NetFailure::kSelfSigned:
      return {v1::POLICY_CERT_SELF_SIGNED,
              absl::StrCat("The certificate",
                           leaf ? absl::StrCat(" (", QuoteForDetail(tls.leaf().subject), ")") : "",
                           " is self-signed.")};
    case NetFailure::kUnknownIssuer:
      return {v1::POLICY_CERT_UNKNOWN_ISSUER,
              absl::StrCat("The certificate was issued by ",
                           leaf ? QuoteForDetail(tls.leaf().issuer) : "an unknown CA",
                           ", which does not chain to a trusted root. If that issuer is an "
                           "intermediate of a public CA, the server is not sending it "
                           "(an incomplete chain).")};
    case NetFailure::kIncompleteChain:
      return {v1::POLICY_CERT_INCOMPLETE_CHAIN,
              absl::StrCat("The server did not send the intermediate certificate",
                           tls.missing_intermediates.empty()
                               ? ""
                               : absl::StrCat(" ", QuoteForDetail(tls.missing_intermediates[0])),
                           ".")};
    case NetFailure::kNameMismatch: {
      std::vector<absl::string_view> names;
      if (leaf) names.assign(tls.leaf().dns_names.begin(), tls.leaf().dns_names.end());
      return {v1::POLICY_CERT_NAME_MISMATCH,
              absl::StrCat("The certificate does not cover ", host, "; it covers ",
                           names.empty() ? std::string("no DNS names")
                                         : QuoteListForDetail(names),
                           ".")};
    }
    default:
      return {v1::POLICY_CERT_INVALID, absl::StrCat(r.error.message, ".")};
  }
}

// What went wrong with a fetch that produced no complete response.
std::pair<v1::FindingCode, std::string> ErrorCause(const net::HttpsResult& r,
                                                   const std::string& host) {
  const std::string message = absl::StrCat(SanitizeForReport(r.error.message), ".");
  switch (r.error.failure) {
    case NetFailure::kConnectionRefused:
    case NetFailure::kNetworkUnreachable:
    case NetFailure::kSocketError:
      return {v1::POLICY_CONNECT_FAILED, message};
    case NetFailure::kTimeout:
    case NetFailure::kDeadlineExceeded:
      return {v1::POLICY_FETCH_TIMEOUT, message};
    case NetFailure::kConnectionReset:
    case NetFailure::kConnectionClosed:
      return {v1::POLICY_CONNECTION_DROPPED, message};
    case NetFailure::kNotTls:
    case NetFailure::kHandshakeFailure:
    case NetFailure::kTlsError:
      return {v1::POLICY_TLS_HANDSHAKE_FAILED, message};
    case NetFailure::kProtocolTooOld:
      return {v1::POLICY_TLS_PROTOCOL_TOO_OLD, message};
    case NetFailure::kProtocol:  // the response broke HTTP or our limits
      switch (r.http_failure) {
        case net::HttpFailure::kTruncated:
          return {v1::POLICY_CONNECTION_DROPPED, message};
        case net::HttpFailure::kHeadersTooLarge:
          return {v1::POLICY_HTTP_HEADERS_TOO_LARGE, message};
        case net::HttpFailure::kBodyTooLarge:
          return {v1::POLICY_BODY_TOO_LARGE,
                  absl::StrCat("The body is larger than the limit: ", r.body_bytes_received,
                               " bytes or more arrived.")};
        default:
          return {v1::POLICY_HTTP_MALFORMED, message};
      }
    case NetFailure::kLineTooLong:
      return {v1::POLICY_HTTP_MALFORMED, message};
    default:
      if (net::IsCertificateFailure(r.error.failure)) return CertificateCause(r, host);
      return {v1::POLICY_CONNECT_FAILED, message};
  }
}

// A short outcome for the evidence ("ok", "HTTP 404", "certificate expired").
std::string ShortOutcome(const PolicyFetchAttempt& a) {
  if (!a.guard.allowed) return "refused by address guard";
  if (a.skipped) return "not tried (address limit)";
  if (!a.result.ok()) {
    std::string name(a.result.FailureName());
    std::replace(name.begin(), name.end(), '_', ' ');
    return name;
  }
  return a.result.status_code == 200 ? "ok" : absl::StrCat("HTTP ", a.result.status_code);
}

}  // namespace

MediaType ParseContentType(absl::string_view value) {
  MediaType out;
  std::vector<absl::string_view> parts = absl::StrSplit(value, ';');
  out.type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(parts[0]));
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view param = absl::StripAsciiWhitespace(parts[i]);
    const size_t eq = param.find('=');
    if (eq == absl::string_view::npos) continue;
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(param.substr(0, eq)), "charset")) {
      continue;
    }
    absl::string_view v = absl::StripAsciiWhitespace(param.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    out.charset = absl::AsciiStrToLower(v);
    break;
  }
  return out;
}

CheckVerdict JudgePolicyFetch(const PolicyFetch& fetch, v1::PolicyEvidence* evidence) {
  v1::PolicyEvidence scratch;
  v1::PolicyEvidence& ev = evidence != nullptr ? *evidence : scratch;
  ev.set_url(fetch.url);
  CheckVerdict verdict;
  FindingList findings(PolicyFetchFindings(), fetch.url);

  // No address to try: say why, from the lookups.
  if (fetch.attempts.empty()) {
    const net::DnsResult& a = fetch.a_lookup;
    const net::DnsResult& aaaa = fetch.aaaa_lookup;
    auto ours = [](const net::DnsResult& r) {
      return net::IsOwnResolverFailure(r.outcome) || r.outcome == net::DnsOutcome::kCancelled;
    };
    if (ours(a) || ours(aaaa)) {
      const net::DnsResult& failed = ours(a) ? a : aaaa;
      return InconclusiveLookupVerdict(failed, absl::StrCat("address lookup of ", fetch.host));
    }
    FindingList host_findings(PolicyFetchFindings(), fetch.host);
    if (a.outcome == net::DnsOutcome::kNxDomain && aaaa.outcome == net::DnsOutcome::kNxDomain) {
      host_findings.Add(v1::POLICY_HOST_NOT_FOUND,
                        absl::StrCat(fetch.host, " does not exist (NXDOMAIN)."));
      verdict.summary = absl::StrCat("No policy host: ", fetch.host, " does not exist.");
    } else if ((a.outcome == net::DnsOutcome::kNoData || a.outcome == net::DnsOutcome::kNxDomain ||
                a.outcome == net::DnsOutcome::kAnswer) &&
               (aaaa.outcome == net::DnsOutcome::kNoData ||
                aaaa.outcome == net::DnsOutcome::kNxDomain ||
                aaaa.outcome == net::DnsOutcome::kAnswer)) {
      host_findings.Add(v1::POLICY_HOST_NO_ADDRESS,
                        absl::StrCat(fetch.host, " has no A or AAAA record."));
      verdict.summary = absl::StrCat(fetch.host, " has no address.");
    } else {
      const net::DnsResult& failed = a.outcome != net::DnsOutcome::kAnswer &&
                                             a.outcome != net::DnsOutcome::kNoData &&
                                             a.outcome != net::DnsOutcome::kNxDomain
                                         ? a
                                         : aaaa;
      host_findings.Add(v1::POLICY_HOST_LOOKUP_FAILED,
                        absl::StrCat("The ", net::RrTypeName(failed.type), " lookup of ",
                                     fetch.host, " failed: ", DnsOutcomeWords(failed.outcome),
                                     "."));
      verdict.summary = absl::StrCat("The address lookup of ", fetch.host, " failed.");
    }
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.findings = std::move(host_findings).Take();
    return verdict;
  }

  Causes causes;
  int contacted = 0;
  int served = 0;   // HTTP 200 with a whole body
  int skipped = 0;
  const PolicyFetchAttempt* chosen = fetch.chosen_attempt();
  bool reported_certificate = false;
  std::vector<std::string> slow;  // "<address> after <n> ms", policies that came late
  for (const PolicyFetchAttempt& attempt : fetch.attempts) {
    const net::HttpsResult& r = attempt.result;
    v1::AddressOutcome* out = ev.add_addresses();
    out->set_address(attempt.address);
    out->set_contacted(attempt.contacted());
    out->set_outcome(ShortOutcome(attempt));
    if (attempt.contacted()) out->set_fetch_ms(absl::ToInt64Milliseconds(r.timings.total));
    if (!attempt.guard.allowed) {
      causes.Add(v1::POLICY_HOST_ADDRESS_REFUSED,
                 absl::StrCat(fetch.host, " resolves to ",
                              SanitizeForReport(attempt.guard.explanation),
                              " The checker did not connect to it."),
                 attempt.address);
      continue;
    }
    if (attempt.skipped) {
      ++skipped;
      continue;
    }
    ++contacted;
    if (r.tls.certificate_presented() || !r.tls.version.empty()) {
      *out->mutable_certificate() = CertificateEvidenceFrom(r.tls, r.error);
      // The report's certificate: the chosen address's, else the first seen.
      if (&attempt == chosen || (!reported_certificate && chosen == nullptr)) {
        *ev.mutable_certificate() = out->certificate();
        reported_certificate = true;
      }
    }
    if (!r.ok()) {
      auto [code, detail] = ErrorCause(r, fetch.host);
      causes.Add(code, std::move(detail), attempt.address);
      continue;
    }
    out->set_http_status(r.status_code);
    const std::string content_type = SanitizeForReport(r.Header("content-type").value_or(""));
    out->set_content_type(content_type);
    out->set_body_bytes(static_cast<int64_t>(r.body_bytes_received));
    if (!r.body.empty()) out->set_body_sha256(Sha256Hex(r.body));
    if (ev.http_status() == 0 || &attempt == chosen) {
      ev.set_http_status(r.status_code);
      ev.set_content_type(content_type);
    }
    const int status = r.status_code;
    if (status >= 300 && status < 400) {
      const std::string location = SanitizeForReport(r.Header("location").value_or(""));
      out->set_location(location);
      causes.Add(v1::POLICY_HTTP_REDIRECT,
                 absl::StrCat("The policy URL answered HTTP ", status,
                              location.empty() ? " without a Location header"
                                               : absl::StrCat(" redirecting to ",
                                                              QuoteForDetail(location, 200)),
                              "; senders do not follow redirects, so they get no policy."),
                 attempt.address);
      continue;
    }
    if (status == 404) {
      causes.Add(v1::POLICY_HTTP_NOT_FOUND, "The policy URL answered HTTP 404 Not Found.",
                 attempt.address);
      continue;
    }
    if (status == 403 && LooksLikeHtml(content_type, r.body)) {
      causes.Add(v1::POLICY_HTTP_BOT_PROTECTION,
                 "The policy URL answered HTTP 403 with an HTML page, as bot protection "
                 "(for example a CDN's browser check) does.",
                 attempt.address);
      continue;
    }
    if (status != 200) {
      causes.Add(v1::POLICY_HTTP_STATUS,
                 absl::StrCat("The policy URL answered HTTP ", status,
                              r.reason.empty() ? "" : absl::StrCat(" ", QuoteForDetail(r.reason)),
                              "; only 200 carries a policy."),
                 attempt.address);
      continue;
    }
    ++served;
    if (r.timings.total > fetch.slow_after) {
      slow.push_back(absl::StrCat(attempt.address, " after ",
                                  absl::ToInt64Milliseconds(r.timings.total), " ms"));
    }
    const MediaType media = ParseContentType(content_type);
    if (media.type != "text/plain") {
      causes.Add(v1::POLICY_CONTENT_TYPE_WRONG,
                 content_type.empty()
                     ? std::string("The response has no Content-Type header.")
                     : absl::StrCat("The policy is served as ", QuoteForDetail(content_type),
                                    ", not text/plain."),
                 attempt.address);
    } else if (media.charset.empty()) {
      // text/plain without a charset means US-ASCII (RFC 2046 §4.1.2), which
      // is exactly right for an ASCII policy: only other bytes are at risk.
      if (!IsAscii(r.body)) {
        causes.Add(v1::POLICY_CONTENT_TYPE_NO_CHARSET,
                   absl::StrCat("The Content-Type is ", QuoteForDetail(content_type),
                                ", without a charset, and the body has non-ASCII bytes."),
                   attempt.address);
      }
    } else if (media.charset == "us-ascii" && !IsAscii(r.body)) {
      causes.Add(v1::POLICY_CONTENT_TYPE_CHARSET,
                 absl::StrCat("The Content-Type is ", QuoteForDetail(content_type),
                              ", but the body has non-ASCII bytes."),
                 attempt.address);
    } else if (media.charset != "utf-8" && media.charset != "us-ascii") {
      causes.Add(v1::POLICY_CONTENT_TYPE_CHARSET,
                 absl::StrCat("The Content-Type is ", QuoteForDetail(content_type), "."),
                 attempt.address);
    }
    if (r.tls.certificate_presented()) {
      const int64_t days = r.tls.leaf().days_to_expiry;
      if (days <= kCertExpiryWarnDays) {
        causes.Add(v1::POLICY_CERT_EXPIRING_SOON,
                   days <= kCertExpiryHighDays ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM,
                   absl::StrCat("The certificate for ", fetch.host, " expires on ",
                                DateOf(r.tls.leaf().not_after), ", in ", days,
                                days == 1 ? " day." : " days."),
                   attempt.address);
      }
    }
  }

  // One finding per cause, naming where it was seen when that is not
  // everywhere.
  const int attempted = static_cast<int>(fetch.attempts.size()) - skipped;
  for (const Cause& cause : causes.all()) {
    std::string where;
    if (attempted > 1) {
      std::vector<absl::string_view> at(cause.addresses.begin(), cause.addresses.end());
      where = static_cast<int>(cause.addresses.size()) == attempted
                  ? " (at every address)"
                  : absl::StrCat(" (at ", QuoteListForDetail(at), ")");
    } else {
      where = absl::StrCat(" (at ", cause.addresses[0], ")");
    }
    findings.Add(cause.code, cause.severity, absl::StrCat(cause.detail, where));
  }

  // Several addresses, not one story.
  std::vector<std::string> failing;
  std::vector<std::string> bodies;
  for (const auto& out : ev.addresses()) {
    if (!out.contacted()) continue;
    if (out.outcome() != "ok") failing.push_back(out.address());
    if (out.outcome() == "ok" &&
        std::find(bodies.begin(), bodies.end(), out.body_sha256()) == bodies.end()) {
      bodies.push_back(out.body_sha256());
    }
  }
  if (served > 0 && !failing.empty()) {
    std::vector<absl::string_view> at(failing.begin(), failing.end());
    findings.Add(v1::POLICY_ADDRESSES_INCONSISTENT,
                 absl::StrCat(served, " of ", contacted,
                              " addresses of the policy host served the policy; ",
                              QuoteListForDetail(at), failing.size() == 1 ? " fails." : " fail."));
  }
  if (bodies.size() > 1) {
    findings.Add(v1::POLICY_ADDRESSES_DIFFER,
                 absl::StrCat("The addresses of ", fetch.host, " serve ", bodies.size(),
                              " different policy files."));
  }
  if (!slow.empty()) {
    findings.Add(v1::POLICY_FETCH_SLOW,
                 absl::StrCat("The policy arrived from ", absl::StrJoin(slow, ", "),
                              " (reported above ", absl::ToInt64Milliseconds(fetch.slow_after),
                              " ms). Senders that wait RFC 8461's suggested minute get it; "
                              "senders with shorter timeouts give up."));
  }
  if (skipped > 0) {
    findings.Add(v1::POLICY_ADDRESSES_NOT_ALL_FETCHED,
                 absl::StrCat(fetch.host, " has ", fetch.attempts.size(), " addresses; ", skipped,
                              " were not tried."));
  }

  if (chosen == nullptr || served == 0) {
    verdict.status = v1::CHECK_STATUS_FAIL;
    verdict.fraction = 0;
    verdict.summary = contacted == 0
                          ? absl::StrCat("The policy host ", fetch.host,
                                         " has no address the checker may contact.")
                          : absl::StrCat("No address of ", fetch.host, " served the policy.");
  } else {
    double fraction = static_cast<double>(served) / std::max(contacted, 1);
    if (causes.Has(v1::POLICY_CONTENT_TYPE_WRONG)) fraction = std::min(fraction, 0.3);
    for (const Cause& cause : causes.all()) {
      if (cause.code == v1::POLICY_CERT_EXPIRING_SOON) {
        fraction -= cause.severity == v1::SEVERITY_HIGH ? 0.5 : 0.2;
      }
      if (cause.code == v1::POLICY_CONTENT_TYPE_CHARSET ||
          cause.code == v1::POLICY_CONTENT_TYPE_NO_CHARSET) {
        fraction -= 0.1;
      }
    }
    // Slow, but every RFC-following sender gets it: a small deduction.
    if (!slow.empty()) fraction -= 0.1;
    verdict.fraction = std::clamp(fraction, 0.0, 1.0);
    // FAIL when some senders get no usable policy; an expiring certificate
    // or a charset that may misdecode the body is a warning, however close
    // the date.
    const bool some_fail = served < contacted || causes.Has(v1::POLICY_CONTENT_TYPE_WRONG);
    verdict.status = some_fail ? v1::CHECK_STATUS_FAIL
                     : findings.Worst() >= v1::SEVERITY_LOW ? v1::CHECK_STATUS_WARN
                                                             : v1::CHECK_STATUS_PASS;
    if (verdict.status == v1::CHECK_STATUS_PASS) {
      findings.Add(v1::POLICY_FETCH_OK,
                   absl::StrCat("Fetched from ", contacted,
                                contacted == 1 ? " address" : " addresses", " of ", fetch.host,
                                " (", chosen->result.tls.version, ")."));
      verdict.summary = absl::StrCat("Policy fetched over ", chosen->result.tls.version,
                                     " from every address of ", fetch.host, ".");
    } else if (served < contacted) {
      verdict.summary = absl::StrCat(served, " of ", contacted, " addresses of ", fetch.host,
                                     " served the policy.");
    } else {
      verdict.summary = "The policy was fetched, with problems senders may notice.";
    }
  }
  verdict.findings = std::move(findings).Take();
  return verdict;
}

}  // namespace mtasts::checks
