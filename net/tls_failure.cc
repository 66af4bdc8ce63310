#include "net/tls_failure.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "net/openssl_errors.h"
#include "net/wire_text.h"

namespace mtasts::net {
namespace {

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

// "3 days", "1 day", "less than a day".
std::string Days(absl::Duration d) {
  const int64_t days = absl::ToInt64Hours(d) / 24;
  if (days <= 0) return "less than a day";
  return absl::StrCat(days, days == 1 ? " day" : " days");
}

}  // namespace

NetError MakeNetError(NetFailure failure, NetPhase phase, std::string message) {
  NetError e;
  e.failure = failure;
  e.phase = phase;
  e.message = std::move(message);
  return e;
}

NetError ErrnoError(int err, NetPhase phase, const std::string& peer) {
  NetError e;
  e.phase = phase;
  e.sys_errno = err;
  const std::string during =
      phase == NetPhase::kConnect ? "" : absl::StrCat(" during the ", NetPhaseName(phase));
  switch (err) {
    case ECONNREFUSED:
      e.failure = NetFailure::kConnectionRefused;
      e.message = absl::StrCat("connection to ", peer,
                               " refused (nothing is listening on that port)");
      break;
    case ENETUNREACH:
    case EHOSTUNREACH:
      e.failure = NetFailure::kNetworkUnreachable;
      e.message = absl::StrCat(peer, " is unreachable (", strerror(err), ")");
      break;
    case ETIMEDOUT:
      e.failure = NetFailure::kTimeout;
      e.message = absl::StrCat("the connection to ", peer, " timed out", during,
                               " (the kernel gave up)");
      break;
    case ECONNRESET:
    case EPIPE:
      e.failure = NetFailure::kConnectionReset;
      e.message = absl::StrCat(peer, " reset the connection during the ", NetPhaseName(phase));
      break;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
    case EAFNOSUPPORT:
      e.failure = NetFailure::kLocalError;
      e.message = absl::StrCat("cannot open a connection to ", peer, ": ", strerror(err));
      break;
    default:
      e.failure = NetFailure::kSocketError;
      e.message = absl::StrCat(phase == NetPhase::kConnect ? "connect to " : "connection to ",
                               peer, " failed", during, ": ", strerror(err));
      break;
  }
  return e;
}

NetError ClassifyHandshakeError(int ssl_error, const HandshakeRecord& record,
                                const SocketBio& bio, const std::string& peer) {
  const unsigned long code = ERR_peek_error();
  const int reason = code != 0 ? ERR_GET_REASON(code) : 0;
  const std::string openssl = OpenSslErrors();
  NetError e;
  e.phase = NetPhase::kTlsHandshake;
  if (record.alert_received >= 0) e.tls_alert = record.alert_received_text;
  else if (record.alert_sent >= 0) e.tls_alert = record.alert_sent_text;

  if (bio.last_errno != 0) {
    e = ErrnoError(bio.last_errno, NetPhase::kTlsHandshake, peer);
    return e;
  }
  if (!LooksLikeTls(bio.first_bytes)) {
    e.failure = NetFailure::kNotTls;
    e.message = absl::StrCat(peer, " does not speak TLS on this port: it answered ",
                             Quote(PrintableText(bio.first_bytes, 40)));
    return e;
  }
  if (record.alert_received == SSL_AD_PROTOCOL_VERSION ||
      reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_VERSION_TOO_LOW ||
      reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION || reason == SSL_R_NO_PROTOCOLS_AVAILABLE) {
    e.failure = NetFailure::kProtocolTooOld;
    e.message = absl::StrCat(
        peer, " does not support TLS 1.2 or later",
        record.alert_received >= 0
            ? absl::StrCat(" (it answered with alert ", Quote(record.alert_received_text), ")")
            : absl::StrCat(" (", openssl, ")"));
    return e;
  }
  if (record.alert_received >= 0) {
    e.failure = NetFailure::kHandshakeFailure;
    e.message = absl::StrCat(peer, " aborted the TLS handshake with alert ",
                             Quote(record.alert_received_text));
    return e;
  }
  if (bio.eof || ssl_error == SSL_ERROR_SYSCALL ||
      reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    e.failure = NetFailure::kConnectionClosed;
    e.message = absl::StrCat(peer, " closed the connection during the TLS handshake",
                             bio.first_bytes.empty() ? " without answering" : "");
    return e;
  }
  e.failure = NetFailure::kHandshakeFailure;
  e.message = absl::StrCat("TLS handshake with ", peer, " failed: ", openssl,
                           record.alert_sent >= 0
                               ? absl::StrCat(" (we sent alert ",
                                              Quote(record.alert_sent_text), ")")
                               : "");
  return e;
}

NetError CertificateFailure(
    const HandshakeRecord& record, const std::string& host,
    absl::FunctionRef<std::vector<std::string>()> find_missing_intermediates, TlsInfo* info) {
  const std::vector<CertificateError>& errors = record.verify_errors;
  size_t primary = 0;
  for (size_t i = 1; i < errors.size(); ++i) {
    if (VerifyErrorRank(errors[i].code) < VerifyErrorRank(errors[primary].code)) {
      primary = i;
    }
  }
  const CertificateError& ce = errors[primary];
  const std::string& issuer = record.issuers[primary];
  const absl::Time now = absl::Now();
  NetError e;
  e.phase = NetPhase::kTlsHandshake;
  e.verify_error = ce.code;
  const std::string which =
      ce.depth == 0 ? "the certificate"
                    : absl::StrCat("the issuing certificate ", Quote(ce.subject),
                                   " (chain depth ", ce.depth, ")");
  switch (ce.code) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      e.failure = NetFailure::kCertificateExpired;
      e.message = absl::StrCat(which, " expired on ", FormatUtc(ce.not_after), " (",
                               Days(now - ce.not_after), " ago)");
      break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
      e.failure = NetFailure::kCertificateNotYetValid;
      e.message = absl::StrCat(which, " is not valid before ", FormatUtc(ce.not_before),
                               " (in ", Days(ce.not_before - now), ")");
      break;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      e.failure = NetFailure::kSelfSigned;
      e.message = absl::StrCat("the certificate ", Quote(ce.subject),
                               " is self-signed: no trusted certificate authority vouches "
                               "for it");
      break;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      e.failure = NetFailure::kUnknownIssuer;
      e.message = absl::StrCat("the certificate chain ends in the root ", Quote(ce.subject),
                               ", which is not a trusted certificate authority (self-signed "
                               "certificate in chain)");
      break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
      std::vector<std::string> missing = find_missing_intermediates();
      if (!missing.empty()) {
        e.failure = NetFailure::kIncompleteChain;
        info->missing_intermediates = missing;
        e.message = absl::StrCat(
            "the server did not send the intermediate certificate",
            missing.size() > 1 ? "s " : " ",
            absl::StrJoin(missing, ", ",
                          [](std::string* out, const std::string& s) {
                            out->append(Quote(s));
                          }),
            " that link", missing.size() > 1 ? "" : "s",
            " its certificate to a trusted root (incomplete chain)");
      } else {
        e.failure = NetFailure::kUnknownIssuer;
        e.message = absl::StrCat(
            ce.depth == 0 ? "the certificate" : absl::StrCat("the certificate ", Quote(ce.subject)),
            " was issued by ", Quote(issuer),
            ", which is not a trusted certificate authority (unable to get local issuer "
            "certificate", info->chain.size() == 1 ? "; the server sent no intermediates" : "",
            ")");
      }
      break;
    }
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH: {
      e.failure = NetFailure::kNameMismatch;
      std::vector<std::string> names;
      if (info->certificate_presented()) {
        names = info->leaf().dns_names;
        for (const std::string& ip : info->leaf().ip_addresses) names.push_back(ip);
      }
      e.message = absl::StrCat(
          "the certificate is not valid for ", Quote(host), ": ",
          names.empty()
              ? "it lists no DNS names in subjectAltName (the subject CN is not used for "
                "name checks)"
              : absl::StrCat("it covers ", absl::StrJoin(names, ", ")));
      break;
    }
    default:
      e.failure = NetFailure::kCertificateInvalid;
      e.message = absl::StrCat("certificate verification failed for ", which, ": ", ce.text);
      break;
  }
  if (errors.size() > 1) {
    std::vector<std::string> others;
    for (size_t i = 0; i < errors.size(); ++i) {
      if (i != primary) others.push_back(errors[i].text);
    }
    absl::StrAppend(&e.message, " (also: ", absl::StrJoin(others, "; "), ")");
  }
  return e;
}

}  // namespace mtasts::net
