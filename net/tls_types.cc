#include "net/tls_types.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace mtasts::net {

absl::string_view NetFailureName(NetFailure failure) {
  switch (failure) {
    case NetFailure::kNone: return "none";
    case NetFailure::kConnectionRefused: return "connection_refused";
    case NetFailure::kNetworkUnreachable: return "network_unreachable";
    case NetFailure::kTimeout: return "timeout";
    case NetFailure::kConnectionReset: return "connection_reset";
    case NetFailure::kConnectionClosed: return "connection_closed";
    case NetFailure::kSocketError: return "socket_error";
    case NetFailure::kNotTls: return "not_tls";
    case NetFailure::kProtocolTooOld: return "protocol_too_old";
    case NetFailure::kHandshakeFailure: return "handshake_failure";
    case NetFailure::kTlsError: return "tls_error";
    case NetFailure::kCertificateExpired: return "certificate_expired";
    case NetFailure::kCertificateNotYetValid: return "certificate_not_yet_valid";
    case NetFailure::kSelfSigned: return "self_signed";
    case NetFailure::kUnknownIssuer: return "unknown_issuer";
    case NetFailure::kIncompleteChain: return "incomplete_chain";
    case NetFailure::kNameMismatch: return "name_mismatch";
    case NetFailure::kCertificateInvalid: return "certificate_invalid";
    case NetFailure::kLineTooLong: return "line_too_long";
    case NetFailure::kProtocol: return "protocol";
    case NetFailure::kDeadlineExceeded: return "deadline_exceeded";
    case NetFailure::kLocalError: return "local_error";
  }
  return "unknown";
}

bool IsCertificateFailure(NetFailure failure) {
  switch (failure) {
    case NetFailure::kCertificateExpired:
    case NetFailure::kCertificateNotYetValid:
    case NetFailure::kSelfSigned:
    case NetFailure::kUnknownIssuer:
    case NetFailure::kIncompleteChain:
    case NetFailure::kNameMismatch:
    case NetFailure::kCertificateInvalid:
      return true;
    default:
      return false;
  }
}

absl::string_view NetPhaseName(NetPhase phase) {
  switch (phase) {
    case NetPhase::kNone: return "none";
    case NetPhase::kConnect: return "TCP connect";
    case NetPhase::kTlsHandshake: return "TLS handshake";
    case NetPhase::kWrite: return "send";
    case NetPhase::kRead: return "receive";
    case NetPhase::kFirstByte: return "wait for the first response byte";
    case NetPhase::kResponse: return "response";
  }
  return "unknown";
}

std::string NetError::ToString() const {
  if (ok()) return "ok";
  return absl::StrCat(NetFailureName(failure), " in ", NetPhaseName(phase), ": ", message);
}

std::string TlsVersionText(absl::string_view v) {
  if (v == "TLSv1") return "TLS 1.0";
  if (v == "TLSv1.1") return "TLS 1.1";
  if (v == "TLSv1.2") return "TLS 1.2";
  if (v == "TLSv1.3") return "TLS 1.3";
  if (v == "SSLv3") return "SSL 3.0";
  return std::string(v);
}

bool WorthLegacyVersionProbe(const NetError& error) {
  if (error.phase != NetPhase::kTlsHandshake) return false;
  switch (error.failure) {
    case NetFailure::kProtocolTooOld:
    case NetFailure::kHandshakeFailure:
    case NetFailure::kConnectionClosed:
    case NetFailure::kConnectionReset:
      return true;
    default:
      return false;
  }
}

void ApplyLegacyVersionProbe(const NetError& probe_error, const TlsInfo& probe_tls,
                             NetError* error, TlsInfo* tls) {
  if (probe_error.failure != NetFailure::kProtocolTooOld || probe_tls.version.empty()) return;
  std::string message = absl::StrCat(probe_error.message, "; offered TLS 1.2 and 1.3: ",
                                     error->message);
  const std::string alert = error->tls_alert;
  *error = probe_error;
  error->message = std::move(message);
  error->tls_alert = alert;
  tls->version = probe_tls.version;
  tls->cipher = probe_tls.cipher;
}

}  // namespace mtasts::net
