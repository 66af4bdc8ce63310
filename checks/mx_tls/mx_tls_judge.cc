#include "checks/mx_tls/mx_tls_judge.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "checks/findings/report_text.h"
#include "checks/findings/lookup_verdict.h"
#include "checks/tls_evidence.h"

namespace mtasts::checks {
namespace {

using net::NetFailure;
using net::SmtpPhase;

// X509_V_ERR_* values a certificate may carry besides its primary cause
// (stable OpenSSL ABI numbers; the judge stays free of OpenSSL headers).
constexpr int kX509NotYetValid = 9;
constexpr int kX509Expired = 10;
constexpr int kX509HostnameMismatch = 62;

// What one address amounts to, most telling cause first.
enum class Cause {
  kValid,
  kOurs,  // our own failure (deadline, local error): says nothing
  kAddressRefused,
  kConnectFailed,
  kTimeout,
  kGreetingRejected,
  kEhloRejected,
  kProtocolError,
  kStartTlsMissing,
  kStartTlsRefused,
  kHandshakeFailed,
  kProtocolTooOld,
  kCertExpired,
  kCertNotYetValid,
  kSelfSigned,
  kUnknownIssuer,
  kIncompleteChain,
  kNameMismatch,
  kCertInvalid,
};

Cause CauseOf(const MxAddressProbe& p) {
  if (!p.guard.allowed) return Cause::kAddressRefused;
  const net::SmtpProbeResult& r = p.result;
  switch (r.error.failure) {
    case NetFailure::kNone: return Cause::kValid;
    case NetFailure::kLocalError:
    case NetFailure::kDeadlineExceeded: return Cause::kOurs;
    case NetFailure::kProtocol:  // the SMTP exchange failed: how?
      if (r.smtp_failure == net::SmtpFailure::kStartTlsNotOffered) {
        return Cause::kStartTlsMissing;
      }
      if (r.smtp_failure != net::SmtpFailure::kRejected) break;
      if (r.phase == SmtpPhase::kGreeting) return Cause::kGreetingRejected;
      if (r.phase == SmtpPhase::kEhlo) return Cause::kEhloRejected;
      return Cause::kStartTlsRefused;
    case NetFailure::kProtocolTooOld: return Cause::kProtocolTooOld;
    case NetFailure::kCertificateExpired: return Cause::kCertExpired;
    case NetFailure::kCertificateNotYetValid: return Cause::kCertNotYetValid;
    case NetFailure::kSelfSigned: return Cause::kSelfSigned;
    case NetFailure::kUnknownIssuer: return Cause::kUnknownIssuer;
    case NetFailure::kIncompleteChain: return Cause::kIncompleteChain;
    case NetFailure::kNameMismatch: return Cause::kNameMismatch;
    case NetFailure::kCertificateInvalid: return Cause::kCertInvalid;
    default: break;
  }
  if (!r.connected) return Cause::kConnectFailed;
  if (r.error.failure == NetFailure::kTimeout) return Cause::kTimeout;
  if (r.phase == SmtpPhase::kTlsHandshake) return Cause::kHandshakeFailed;
  return Cause::kProtocolError;
}

v1::FindingCode CodeOf(Cause cause) {
  switch (cause) {
    case Cause::kValid: return v1::MX_TLS_VALID;
    case Cause::kOurs: return v1::FINDING_CODE_UNSPECIFIED;
    case Cause::kAddressRefused: return v1::MX_TLS_ADDRESS_REFUSED;
    case Cause::kConnectFailed: return v1::MX_TLS_CONNECT_FAILED;
    case Cause::kTimeout: return v1::MX_TLS_TIMEOUT;
    case Cause::kGreetingRejected: return v1::MX_TLS_GREETING_REJECTED;
    case Cause::kEhloRejected: return v1::MX_TLS_EHLO_REJECTED;
    case Cause::kProtocolError: return v1::MX_TLS_PROTOCOL_ERROR;
    case Cause::kStartTlsMissing: return v1::MX_TLS_STARTTLS_MISSING;
    case Cause::kStartTlsRefused: return v1::MX_TLS_STARTTLS_REFUSED;
    case Cause::kHandshakeFailed: return v1::MX_TLS_HANDSHAKE_FAILED;
    case Cause::kProtocolTooOld: return v1::MX_TLS_PROTOCOL_TOO_OLD;
    case Cause::kCertExpired: return v1::MX_TLS_CERT_EXPIRED;
    case Cause::kCertNotYetValid: return v1::MX_TLS_CERT_NOT_YET_VALID;
    case Cause::kSelfSigned: return v1::MX_TLS_CERT_SELF_SIGNED;
    case Cause::kUnknownIssuer: return v1::MX_TLS_CERT_UNKNOWN_ISSUER;
    case Cause::kIncompleteChain: return v1::MX_TLS_CERT_INCOMPLETE_CHAIN;
    case Cause::kNameMismatch: return v1::MX_TLS_CERT_NAME_MISMATCH;
    case Cause::kCertInvalid: return v1::MX_TLS_CERT_INVALID;
  }
  return v1::FINDING_CODE_UNSPECIFIED;
}

bool IsCertificateCause(Cause c) { return c >= Cause::kCertExpired; }
bool IsValidationFailure(Cause c) { return c >= Cause::kStartTlsMissing; }

// Severity of a validation failure under `mode` (see the header).
v1::Severity ValidationSeverity(Cause cause, v1::PolicyMode mode) {
  switch (mode) {
    case v1::POLICY_MODE_ENFORCE: return v1::SEVERITY_CRITICAL;
    case v1::POLICY_MODE_TESTING: return v1::SEVERITY_HIGH;
    default: return IsCertificateCause(cause) ? v1::SEVERITY_MEDIUM : v1::SEVERITY_HIGH;
  }
}

std::string ModeConsequence(Cause cause, v1::PolicyMode mode) {
  const std::string type = MxTlsFindings().Info(CodeOf(cause)).tlsrpt_result_type;
  switch (mode) {
    case v1::POLICY_MODE_ENFORCE:
      return " Under mode enforce, compliant senders will not deliver mail to this host.";
    case v1::POLICY_MODE_TESTING:
      return absl::StrCat(" Under mode testing, senders still deliver, and TLS-RPT reports "
                          "show this as a failure",
                          type.empty() ? "" : absl::StrCat(" (", type, ")"), ".");
    default:
      return IsCertificateCause(cause)
                 ? " No valid enforce or testing policy is in force, so senders do not "
                   "validate this certificate yet; it must be fixed before enforcing."
                 : " Mail to this host can only travel in plaintext.";
  }
}

// Causes seen besides the primary one, from the verifier's error list.
std::vector<Cause> SecondaryCauses(const MxAddressProbe& p, Cause primary) {
  std::vector<Cause> out;
  if (!IsCertificateCause(primary)) return out;
  for (const net::CertificateError& e : p.result.tls.certificate_errors) {
    Cause c = Cause::kValid;
    if (e.code == kX509Expired) c = Cause::kCertExpired;
    if (e.code == kX509NotYetValid) c = Cause::kCertNotYetValid;
    if (e.code == kX509HostnameMismatch) c = Cause::kNameMismatch;
    if (c != Cause::kValid && c != primary &&
        std::find(out.begin(), out.end(), c) == out.end()) {
      out.push_back(c);
    }
  }
  return out;
}

std::string Plural(size_t n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

}  // namespace

v1::MxTlsResult MxTlsEvidence(const MxAddressProbe& p) {
  v1::MxTlsResult ev;
  ev.set_address(p.address);
  if (!p.guard.allowed) {
    ev.set_failure(SanitizeForReport(p.guard.explanation));
    return ev;
  }
  const net::SmtpProbeResult& r = p.result;
  if (r.greeting.code != 0) {
    // The lines joined with " / ": report strings hold no control characters.
    ev.set_greeting(SanitizeForReport(absl::StrCat(r.greeting.code, " ", r.greeting.Text())));
    ev.set_greeting_ms(absl::ToInt64Milliseconds(r.greeting_time));
  }
  ev.set_starttls_offered(r.starttls_offered);
  if (!r.tls.version.empty() || r.tls.certificate_presented()) {
    *ev.mutable_certificate() = CertificateEvidenceFrom(r.tls, r.error);
  }
  if (!r.ok()) {
    ev.set_failure(SanitizeForReport(
        absl::StrCat(net::SmtpPhaseName(r.phase), ": ", r.error.message)));
  }
  for (const net::CertificateInfo& c : r.tls.chain) {
    v1::CertificateDigests* d = ev.add_chain();
    d->set_cert_sha256(c.cert_sha256);
    d->set_cert_sha512(c.cert_sha512);
    d->set_spki_sha256(c.spki_sha256);
    d->set_spki_sha512(c.spki_sha512);
  }
  return ev;
}

CheckVerdict JudgeMxTls(const MxTlsInput& input) {
  CheckVerdict verdict;
  if (input.hosts.empty()) {
    verdict.status = v1::CHECK_STATUS_SKIPPED;
    verdict.summary = "No MX hosts to probe.";
    return verdict;
  }
  std::vector<v1::Finding> findings;
  size_t passing = 0, probed = 0, connected = 0, ours = 0, refused = 0;
  size_t unresolved_by_us = 0;  // hosts our own resolver gave no addresses for
  bool expiring = false;
  for (const MxHostProbes& host : input.hosts) {
    if (host.addresses.empty() && (net::IsOwnResolverFailure(host.a_outcome) ||
                                   net::IsOwnResolverFailure(host.aaaa_outcome))) {
      // Our resolver failed, not the domain's zone: not MX_TLS_HOST_NO_ADDRESS.
      const net::DnsOutcome ours_outcome =
          net::IsOwnResolverFailure(host.a_outcome) ? host.a_outcome : host.aaaa_outcome;
      ++unresolved_by_us;
      findings.push_back(MxTlsFindings().Make(
          ours_outcome == net::DnsOutcome::kUnreachable ? v1::RESOLVER_UNREACHABLE
                                                        : v1::RESOLVER_OVERLOADED,
          absl::StrCat("The address lookups of MX host ", host.host, " got no answer (",
                       DnsOutcomeWords(ours_outcome), "), so it was not probed."),
          host.host));
      continue;
    }
    if (host.addresses.empty()) {
      const bool failed = host.a_outcome != net::DnsOutcome::kNoData &&
                          host.a_outcome != net::DnsOutcome::kNxDomain &&
                          host.a_outcome != net::DnsOutcome::kAnswer;
      findings.push_back(MxTlsFindings().Make(
          v1::MX_TLS_HOST_NO_ADDRESS,
          failed ? absl::StrCat("The address lookups of MX host ", host.host, " failed (A: ",
                                DnsOutcomeWords(host.a_outcome), "; AAAA: ",
                                DnsOutcomeWords(host.aaaa_outcome), "), so it was not probed.")
                 : absl::StrCat("MX host ", host.host,
                                " has no A or AAAA record, so no sender can reach it."),
          host.host));
      continue;
    }
    // cause -> addresses, in first-seen order of causes.
    std::vector<std::pair<Cause, std::vector<const MxAddressProbe*>>> by_cause;
    auto add = [&by_cause](Cause c, const MxAddressProbe* p) {
      for (auto& [cause, list] : by_cause) {
        if (cause == c) {
          list.push_back(p);
          return;
        }
      }
      by_cause.push_back({c, {p}});
    };
    bool host_ok = true;
    size_t host_probed = 0;
    int min_days = INT32_MAX;
    std::vector<std::string> expiring_at;  // addresses whose certificate expires first
    absl::Time expiry;
    for (const MxAddressProbe& p : host.addresses) {
      const Cause cause = CauseOf(p);
      if (cause == Cause::kOurs) {
        ++ours;
        continue;
      }
      add(cause, &p);
      for (Cause extra : SecondaryCauses(p, cause)) add(extra, &p);
      if (cause == Cause::kAddressRefused) {
        ++refused;
        continue;
      }
      ++probed;
      ++host_probed;
      if (p.result.connected) ++connected;
      if (cause != Cause::kValid) host_ok = false;
      if (cause == Cause::kValid && p.result.tls.certificate_presented()) {
        const int days = static_cast<int>(
            std::clamp<int64_t>(p.result.tls.leaf().days_to_expiry, -1, 100000));
        if (days < min_days) {
          min_days = days;
          expiring_at.clear();
          expiry = p.result.tls.leaf().not_after;
        }
        if (days == min_days) expiring_at.push_back(p.address);
      }
    }
    if (host_ok && host_probed > 0) ++passing;
    for (const auto& [cause, list] : by_cause) {
      if (cause == Cause::kValid) continue;
      std::vector<std::string> addresses;
      for (const MxAddressProbe* p : list) addresses.push_back(p->address);
      const MxAddressProbe& first = *list.front();
      std::string what = cause == Cause::kAddressRefused ? first.guard.explanation
                                                         : first.result.error.message;
      if (IsCertificateCause(cause) && first.result.tls.certificate_presented()) {
        const net::CertificateInfo& leaf = first.result.tls.leaf();
        absl::StrAppend(&what, "; the certificate (subject ", QuoteForDetail(leaf.subject),
                        ", issuer ", QuoteForDetail(leaf.issuer), ") covers ",
                        leaf.dns_names.empty()
                            ? std::string("no DNS names")
                            : QuoteListForDetail(std::vector<absl::string_view>(
                                  leaf.dns_names.begin(), leaf.dns_names.end())));
      }
      std::string detail =
          absl::StrCat("MX host ", host.host, " at ", absl::StrJoin(addresses, ", "), ": ",
                       SanitizeForReport(what), ".");
      if (IsValidationFailure(cause)) {
        absl::StrAppend(&detail, ModeConsequence(cause, input.mode));
        findings.push_back(MxTlsFindings().Make(CodeOf(cause), ValidationSeverity(cause, input.mode),
                                       std::move(detail), host.host));
      } else {
        findings.push_back(MxTlsFindings().Make(CodeOf(cause), std::move(detail), host.host));
      }
    }
    // Slow greetings, with the time measured at each address.
    std::vector<std::string> slow;
    for (const MxAddressProbe& p : host.addresses) {
      if (p.guard.allowed && p.result.greeting.code == 220 &&
          p.result.greeting_time > input.greeting_slow_after) {
        slow.push_back(absl::StrCat(p.address, " after ",
                                    absl::ToInt64Milliseconds(p.result.greeting_time), " ms"));
      }
    }
    if (!slow.empty()) {
      findings.push_back(MxTlsFindings().Make(
          v1::MX_TLS_GREETING_SLOW,
          absl::StrCat("MX host ", host.host, " sent its 220 greeting at ",
                       absl::StrJoin(slow, ", "), " (reported above ",
                       absl::ToInt64Milliseconds(input.greeting_slow_after),
                       " ms); senders with shorter greeting timeouts give up on it."),
          host.host));
    }
    if (min_days <= kMxCertExpiryWarnDays) {
      expiring = true;
      findings.push_back(MxTlsFindings().Make(
          v1::MX_TLS_CERT_EXPIRING_SOON,
          min_days <= kMxCertExpiryHighDays ? v1::SEVERITY_HIGH : v1::SEVERITY_MEDIUM,
          absl::StrCat("The certificate of MX host ", host.host, " at ",
                       absl::StrJoin(expiring_at, ", "), " expires in ",
                       Plural(static_cast<size_t>(std::max(min_days, 0)), "day", "days"), " (",
                       absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", expiry, absl::UTCTimeZone()),
                       ")."),
          host.host));
    }
  }

  // Vantage honesty (docs/design.md §5.2): nothing accepted a TCP connection at all.
  if (probed > 0 && connected == 0) {
    CheckVerdict inconclusive;
    inconclusive.status = v1::CHECK_STATUS_INCONCLUSIVE;
    inconclusive.findings.push_back(MxTlsFindings().Make(
        v1::MX_TLS_PORT25_BLOCKED,
        absl::StrCat("None of the ", Plural(probed, "MX address", "MX addresses"),
                     " probed accepted a TCP connection on the SMTP port (refused or timed "
                     "out everywhere). Outbound port 25 is probably blocked where the checker "
                     "runs, so nothing is known about the domain's MX hosts.")));
    for (v1::Finding& f : findings) {
      if (f.code() == v1::MX_TLS_ADDRESS_REFUSED || f.code() == v1::MX_TLS_HOST_NO_ADDRESS ||
          f.code() == v1::RESOLVER_UNREACHABLE || f.code() == v1::RESOLVER_OVERLOADED) {
        inconclusive.findings.push_back(std::move(f));
      }
    }
    inconclusive.summary =
        "Inconclusive: no MX address accepted a connection on port 25 from the checker; left "
        "out of the score.";
    return inconclusive;
  }
  // Nothing probed because of us (the guard's rules, our own failures): we
  // did not look, so we cannot tell. Hosts without any address are the
  // domain's fault and fall through to FAIL.
  if (probed == 0 && (refused > 0 || ours > 0 || unresolved_by_us > 0)) {
    verdict.status = v1::CHECK_STATUS_INCONCLUSIVE;
    verdict.summary =
        unresolved_by_us > 0 && refused == 0 && ours == 0
            ? "Inconclusive: the checker's own DNS resolver did not give the MX hosts' "
              "addresses; left out of the score."
        : refused > 0
            ? "Inconclusive: every MX address is non-public, and the checker does not connect "
              "to such addresses; left out of the score."
            : "Inconclusive: the probes could not be made or finished on our side.";
    verdict.findings = std::move(findings);
    return verdict;
  }

  // Hosts we could not resolve are left out, as their probes would be.
  const size_t hosts = input.hosts.size() - unresolved_by_us;
  verdict.fraction = static_cast<double>(passing) / static_cast<double>(hosts);
  // Our own resolver's findings say nothing about the domain: they neither
  // lower the status nor hide a pass.
  auto about_us = [](const v1::Finding& f) {
    return f.code() == v1::RESOLVER_UNREACHABLE || f.code() == v1::RESOLVER_OVERLOADED;
  };
  v1::Severity worst = v1::SEVERITY_UNSPECIFIED;
  for (const v1::Finding& f : findings) {
    if (!about_us(f)) worst = std::max(worst, f.severity());
  }
  // A slow greeting is reported beside the pass, not instead of it.
  auto beside_pass = [&about_us](const v1::Finding& f) {
    return about_us(f) || f.code() == v1::MX_TLS_GREETING_SLOW;
  };
  if (passing == hosts && std::all_of(findings.begin(), findings.end(), beside_pass)) {
    verdict.status = v1::CHECK_STATUS_PASS;
    findings.push_back(MxTlsFindings().Make(
        v1::MX_TLS_VALID,
        absl::StrCat("All ", Plural(hosts, "MX host", "MX hosts"),
                     " offer STARTTLS with a certificate that passes MTA-STS validation.")));
    verdict.summary = absl::StrCat("All ", Plural(hosts, "MX host", "MX hosts"),
                                   " present a valid certificate over STARTTLS.");
  } else {
    // Every host passing today (an expiring certificate) is a warning,
    // however soon; a host that fails is a failure unless only lesser
    // problems (reachability) keep some hosts from passing.
    if (passing == hosts) {
      verdict.status = worst <= v1::SEVERITY_LOW ? v1::CHECK_STATUS_PASS : v1::CHECK_STATUS_WARN;
    } else {
      verdict.status = passing == 0 || worst >= v1::SEVERITY_HIGH ? v1::CHECK_STATUS_FAIL
                                                                  : v1::CHECK_STATUS_WARN;
    }
    verdict.summary =
        absl::StrCat(passing, " of ", Plural(hosts, "MX host", "MX hosts"),
                     " present a certificate that passes MTA-STS validation on every address",
                     expiring ? "; a certificate expires soon." : ".");
  }
  verdict.findings = std::move(findings);
  return verdict;
}

}  // namespace mtasts::checks
