// A TCP connection on the Reactor that can turn into a verified TLS client
// connection: non-blocking connect, optional plaintext exchange (SMTP before
// STARTTLS), OpenSSL handshake, then asynchronous reads and writes. No thread
// per connection and no blocking call anywhere.
//
//   std::unique_ptr<TlsClientContext> ctx =
//       *TlsClientContext::Create("");          // system trust store, built once
//   TlsParams params;
//   params.host = "mta-sts.example.com";
//   // On the reactor thread:
//   std::unique_ptr<TlsStream> s = *TlsStream::Create(reactor, ctx.get());
//   s->ConnectTls("192.0.2.1", 443, absl::Seconds(5), params,
//       [&](NetError e) {                   // later, on the reactor thread
//         if (!e.ok()) { /* e.failure, e.message, s->tls_info() */ return; }
//         s->Write("GET / HTTP/1.1\r\n...", [&](NetError e) { ... });
//       });
//
// SMTP (RFC 3207) reuses the same object: Connect(ip, 25, ...), then
// ReadLine / Write in plaintext, then StartTls(params, ...), then ReadLine /
// Write over TLS.
//
// TLS policy, fixed on purpose: TLS 1.2 minimum; SNI set to the host (unless
// it is an IP literal); the chain verified against the context's trust store;
// the name verified as RFC 6125 / RFC 9525 say: subjectAltName dNSName only
// (the subject CN is never used), a wildcard only as the whole leftmost label
// and matching exactly one label (X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS).
//
// Failures are data, not absl::Status: every callback gets a NetError whose
// `failure` is machine-readable and whose `message` is one plain-English
// sentence a finding can quote ("the certificate expired on 2024-05-01
// 12:00:00 UTC (3 days ago)"). When the server presented a certificate,
// tls_info() describes it even when verification failed: the handshake is
// allowed to finish (the verify callback records every error instead of
// aborting), then the stream fails with the most telling cause: trust
// (self-signed, unknown issuer, incomplete chain) before dates before the
// name; the others are appended to the message and listed in tls_info().
//
// Timeouts: Connect and StartTls have their own. Reads and writes have none:
// a protocol driver (https_get, SMTP) arms reactor timers for its phases and
// calls Close() when one expires.
//
// Threading and lifetime: a TlsStream belongs to one reactor; create, use and
// destroy it on that reactor's thread. Callbacks run on that thread, never
// inside the call that started the operation, and never after Close() or
// destruction. A callback may destroy the stream.
#ifndef MTASTS_NET_TLS_STREAM_H_
#define MTASTS_NET_TLS_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/reactor.h"

namespace mtasts::net {

// Why a connection, handshake or exchange failed. Shared by every protocol
// driver on the stream (https_get now, SMTP next).
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
  // Protocol drivers over the stream.
  kLineTooLong,         // ReadLine: a line over the caller's limit
  kHttpMalformed,       // not an HTTP/1.x response we accept
  kHttpHeadersTooLarge,
  kHttpBodyTooLarge,
  kHttpTruncated,       // the connection ended before the response did
  kSmtpMalformed,       // a reply that is not SMTP (RFC 5321 §4.2)
  kSmtpRejected,        // a 4xx/5xx reply where the exchange needs 2xx/3xx
  kStartTlsNotOffered,  // EHLO reply without the STARTTLS keyword (RFC 3207)
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
  kFirstByte,     // https_get: request sent, waiting for the first response byte
  kResponse,      // https_get: receiving the response
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

struct TlsClientOptions {
  // PEM file of trusted root certificates; empty: the system default store.
  std::string ca_file;
  // Optional PEM file of intermediate CA certificates known to belong to
  // trusted roots. Never trusted: used only after a failed verification, to
  // tell "the server left out its intermediate" (kIncompleteChain) from "an
  // issuer we do not know" (kUnknownIssuer). Empty: no such distinction.
  std::string intermediates_file;
};

// The trust store and TLS settings, built once and shared by every stream.
// Thread-safe and immutable after Create. Streams hold their own reference
// to what they need, so a context may be destroyed before its streams.
class TlsClientContext {
 public:
  // Errors: INVALID_ARGUMENT naming the file when a CA or intermediates file
  // cannot be read or holds no certificate; INTERNAL for OpenSSL failures.
  static absl::StatusOr<std::unique_ptr<TlsClientContext>> Create(
      const std::string& ca_file);
  static absl::StatusOr<std::unique_ptr<TlsClientContext>> Create(
      const TlsClientOptions& options);

  struct State;  // OpenSSL objects; defined in tls_stream.cc
  const std::shared_ptr<const State>& state() const { return state_; }

 private:
  explicit TlsClientContext(std::shared_ptr<const State> state)
      : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

struct TlsParams {
  // Host name sent as SNI and verified against the certificate. A trailing
  // dot is ignored. An IP literal is verified as an iPAddress and sends no SNI.
  std::string host;
  absl::Duration handshake_timeout = absl::Seconds(10);
};

// ReadLine / Read results.
struct ReadResult {
  NetError error;
  // Read: 1 or more bytes. ReadLine: one line without its CRLF or LF.
  std::string data;
  // The peer closed its side (TCP FIN, or close_notify over TLS); `data` is
  // empty and later reads report the same. (A ReadLine with a partial line
  // pending fails with kConnectionClosed instead.)
  bool eof = false;
  // TLS only, with eof: the peer sent close_notify first. False means a bare
  // TCP close, which an attacker could forge to truncate data.
  bool close_notify = false;
};

class TlsStream {
 public:
  using Callback = absl::AnyInvocable<void(NetError)>;
  using ReadCallback = absl::AnyInvocable<void(ReadResult)>;

  // A stream with no connection yet. `ctx` is used for StartTls and may be
  // null for a stream that never starts TLS. Reactor thread only.
  // Errors: INVALID_ARGUMENT (null reactor), FAILED_PRECONDITION (called off
  // the reactor thread).
  static absl::StatusOr<std::unique_ptr<TlsStream>> Create(Reactor* reactor,
                                                           const TlsClientContext* ctx);
  // Closes the connection; pending callbacks never run.
  virtual ~TlsStream() = default;

  // Opens a TCP connection to `address` (an IPv4 or IPv6 literal the caller
  // has resolved and passed through the address guard) within `timeout`.
  // Callable once, on a fresh stream. Failures: kConnectionRefused,
  // kNetworkUnreachable, kTimeout (phase kConnect), kSocketError, kLocalError
  // (not an IP literal, no fd left).
  virtual void Connect(const std::string& address, uint16_t port,
                       absl::Duration timeout, Callback done) = 0;

  // Takes ownership of an already connected socket (blocking or not; made
  // non-blocking here), as if Connect had succeeded. Fresh streams only.
  // Errors: INVALID_ARGUMENT (bad fd), FAILED_PRECONDITION (not fresh).
  virtual absl::Status Adopt(int fd) = 0;

  // Runs the TLS client handshake on the connected socket (after Connect,
  // Adopt or a plaintext exchange) within params.handshake_timeout. Fails
  // with one of the TLS or certificate failures, kConnectionReset,
  // kConnectionClosed, kTimeout (phase kTlsHandshake); tls_info() holds the
  // evidence either way. Refuses (kHandshakeFailure) when plaintext bytes the
  // peer sent are still unread: they would be taken for TLS data
  // (the STARTTLS injection of CVE-2011-0411).
  virtual void StartTls(const TlsParams& params, Callback done) = 0;

  // Connect, then StartTls; `done` reports the first failure or success.
  virtual void ConnectTls(const std::string& address, uint16_t port,
                          absl::Duration connect_timeout, const TlsParams& params,
                          Callback done) = 0;

  // Writes all of `data` (over TLS once StartTls succeeded, else plaintext).
  // One write in flight at a time; a read may be in flight meanwhile.
  virtual void Write(std::string data, Callback done) = 0;

  // Reads at least one and at most `max_bytes` bytes, or the end of the
  // stream. One read (Read or ReadLine) in flight at a time.
  virtual void Read(size_t max_bytes, ReadCallback done) = 0;
  // Reads one line ending in LF (a preceding CR is stripped too). Fails with
  // kLineTooLong when no LF arrives within `max_line_bytes` bytes.
  virtual void ReadLine(size_t max_line_bytes, ReadCallback done) = 0;

  // Stops everything: pending callbacks never run; sends close_notify when a
  // TLS session is up, then closes the socket. Idempotent.
  virtual void Close() = 0;

  // Evidence of the last StartTls: filled during and after it, also on failure.
  virtual const TlsInfo& tls_info() const = 0;
  // How long the TCP connect took (zero for Adopt).
  virtual absl::Duration connect_time() const = 0;
  // True once StartTls succeeded and until Close.
  virtual bool secure() const = 0;
  // The socket, or -1 (for logs and tests; do not read or write it).
  virtual int fd() const = 0;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_TLS_STREAM_H_
