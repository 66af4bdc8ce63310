// What a TCP/TLS connection reports: failure codes, phases, and the TLS
// evidence of a handshake. Plain data, no OpenSSL and no reactor, so judges
// and reports can include it without the transport (net/tls_stream.h).
//
// Failures are data, not absl::Status: a NetError's `failure` is
// machine-readable and its `message` is one plain-English sentence a finding
// can quote ("the certificate expired on 2024-05-01 12:00:00 UTC (3 days
// ago)").
#ifndef MTASTS_NET_TLS_TYPES_H_
#define MTASTS_NET_TLS_TYPES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace mtasts::net {

// Why a connection, handshake or exchange failed, as far as the transport
// can tell. A protocol driver over the stream (https_get, smtp_starttls)
// reports its own refusals as kProtocol plus a code of its own
// (HttpFailure, SmtpFailure), so the transport knows no protocol.
enum class NetFailure {
  kNone = 0,
  // TCP.
  kConnectionRefused,   // nothing listens: RST in answer to our SYN
  kNetworkUnreachable,  // ENETUNREACH / EHOSTUNREACH
  kTimeout,             // NetError::phase says which phase ran out of time
  kConnectionReset,     // RST on an established connection (ECONNRESET, EPIPE)
  kConnectionClosed,    // the peer closed (FIN) before the exchange ended
  kSocketError,         // any other socket errno (NetError::sys_errno)
  // TLS handshake.
  kNotTls,              // the peer answered with bytes that are not TLS
  kProtocolTooOld,      // the peer offers nothing at TLS 1.2 or above
  kHandshakeFailure,    // alert or no common parameters; tls_alert says which
  kTlsError,            // TLS protocol error after the handshake
  // Certificate verification (the handshake finished; the certificate did not pass).
  kCertificateExpired,
  kCertificateNotYetValid,
  kSelfSigned,          // a self-signed certificate that no trusted CA vouches for
  kUnknownIssuer,       // chains to no trusted root (unable to get local issuer,
                        // or the chain ends in an untrusted self-signed root)
  kIncompleteChain,     // the server left out an intermediate we know about
                        // (TlsClientOptions::intermediates_file)
  kNameMismatch,        // valid certificate, but not for this host
  kCertificateInvalid,  // any other verification error (NetError::verify_error)
  // Reading lines.
  kLineTooLong,         // ReadLine: a line over the caller's limit
  // The protocol spoken over the stream failed; the driver's result says how
  // (HttpsResult::http_failure, SmtpProbeResult::smtp_failure).
  kProtocol,
  // Not the peer's doing.
  kDeadlineExceeded,    // the caller's overall deadline passed
  kLocalError,          // bad argument, out of sockets, OpenSSL internal error
};

// Stable lower-case name, e.g. "certificate_expired", for logs and tests.
absl::string_view NetFailureName(NetFailure failure);
// True for the certificate verification failures (kCertificateExpired ..
// kCertificateInvalid).
bool IsCertificateFailure(NetFailure failure);

// Where a failure happened.
enum class NetPhase {
  kNone = 0,
  kConnect,       // TCP connect
  kTlsHandshake,
  kWrite,         // sending
  kRead,          // receiving (plain Read / ReadLine)
  kFirstByte,     // a request sent, waiting for the first byte of the answer
  kResponse,      // receiving the answer to a request
};
// "TCP connect", "TLS handshake", ... for messages.
absl::string_view NetPhaseName(NetPhase phase);

// The outcome of one operation. ok() unless `failure` says otherwise.
struct NetError {
  NetFailure failure = NetFailure::kNone;
  NetPhase phase = NetPhase::kNone;
  // One plain-English sentence (no trailing period), e.g. "connection to
  // 192.0.2.1:443 refused (nothing is listening on that port)".
  std::string message;
  int sys_errno = 0;      // the socket errno behind a TCP failure, else 0
  int verify_error = 0;   // X509_V_ERR_* behind a certificate failure, else 0
  std::string tls_alert;  // alert received or sent, e.g. "handshake failure"

  bool ok() const { return failure == NetFailure::kNone; }
  // "certificate_expired in TLS handshake: <message>", for logs and tests.
  std::string ToString() const;
};

// What a certificate says, as far as a report needs it.
struct CertificateInfo {
  std::string subject;                    // RFC 2253, e.g. "CN=mta-sts.example.com"
  std::string issuer;                     // RFC 2253
  std::vector<std::string> dns_names;     // subjectAltName dNSName entries, as written
  std::vector<std::string> ip_addresses;  // subjectAltName iPAddress entries
  absl::Time not_before = absl::InfinitePast();
  absl::Time not_after = absl::InfinitePast();
  // Whole days from the handshake to not_after, rounded down; negative once
  // expired.
  int64_t days_to_expiry = 0;
  std::string serial_hex;          // upper-case hex
  std::string sha256_fingerprint;  // upper-case hex, colon-separated
  // Lower-case hex digests of the certificate DER and of its
  // SubjectPublicKeyInfo DER, for DANE TLSA matching (RFC 6698 §2.1).
  std::string cert_sha256;
  std::string cert_sha512;
  std::string spki_sha256;
  std::string spki_sha512;
  bool self_issued = false;        // subject == issuer
};

// One error the verification reported (several can: expired and wrong name).
struct CertificateError {
  int code = 0;       // X509_V_ERR_*
  int depth = 0;      // 0 = the server's own certificate
  std::string text;   // OpenSSL's wording, e.g. "certificate has expired"
  std::string subject;  // of the certificate at `depth`; empty when unknown
  absl::Time not_before = absl::InfinitePast();
  absl::Time not_after = absl::InfinitePast();
};

// The TLS evidence of one connection. Filled as far as the handshake got.
struct TlsInfo {
  std::string sni;                 // server name sent; empty for IP literals
  bool handshake_complete = false;
  std::string version;             // "TLSv1.3"; empty before the handshake ended
  std::string cipher;              // OpenSSL name, e.g. "TLS_AES_256_GCM_SHA384"
  // The certificates the peer sent, its own first. Empty when it sent none.
  std::vector<CertificateInfo> chain;
  // Chain trusted and name matched.
  bool verified = false;
  // Everything verification complained about, in the order reported.
  std::vector<CertificateError> certificate_errors;
  // kIncompleteChain: subjects of the known intermediates the server should
  // have sent.
  std::vector<std::string> missing_intermediates;
  absl::Duration handshake_time = absl::ZeroDuration();

  bool certificate_presented() const { return !chain.empty(); }
  // The peer's own certificate; only when certificate_presented().
  const CertificateInfo& leaf() const { return chain.front(); }
};

// "TLS 1.0" for OpenSSL's "TLSv1", "TLS 1.1" for "TLSv1.1", ... ("SSL 3.0"
// for "SSLv3"); anything else as given.
std::string TlsVersionText(absl::string_view openssl_version);

// Naming the old version a host speaks (see TlsParams::legacy_version_probe).
// A handshake that failed with `error` is worth one diagnostic handshake
// when an old server could be the cause: a protocol_version alert, another
// alert or handshake failure, or the connection closed or reset during the
// handshake. Never for timeouts, certificates, bytes that are not TLS, or
// our own failures.
bool WorthLegacyVersionProbe(const NetError& error);
// Folds the diagnostic handshake's outcome into the real one. When it
// completed (kProtocolTooOld with a version), `error` becomes
// kProtocolTooOld naming the version, the real failure kept in its message,
// and `tls` gets the version and cipher the host spoke (its certificate is
// not taken: it was never judged). Otherwise nothing changes: a host that
// fails both handshakes keeps its real failure.
void ApplyLegacyVersionProbe(const NetError& probe_error, const TlsInfo& probe_tls,
                             NetError* error, TlsInfo* tls);

}  // namespace mtasts::net

#endif  // MTASTS_NET_TLS_TYPES_H_
