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
// Failures are data, not absl::Status: every callback gets a NetError
// (net/tls_types.h) whose `failure` is machine-readable and whose `message`
// is one plain-English sentence a finding can quote ("the certificate
// expired on 2024-05-01 12:00:00 UTC (3 days ago)"). When the server
// presented a certificate, tls_info() describes it even when verification failed: the handshake is
// allowed to finish (the verify callback records every error instead of
// aborting), then the stream fails with the most telling cause: trust
// (self-signed, unknown issuer, incomplete chain) before dates before the
// name; the others are appended to the message and listed in tls_info().
//
// Pieces: certificate description (certificate_info), the socket BIO
// (socket_bio), the verify callbacks (tls_verify), the context
// (tls_client_context), failure classification (tls_failure) and byte I/O
// (stream_io); this file's stream ties them to the reactor.
//
// Timeouts: Connect and StartTls have their own. Reads and writes have none:
// a protocol driver (https_get, smtp_starttls) arms reactor timers for its phases and
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
#include "net/tls_client_context.h"
#include "net/tls_types.h"

namespace mtasts::net {

struct TlsParams {
  // Host name sent as SNI and verified against the certificate. A trailing
  // dot is ignored. An IP literal is verified as an iPAddress and sends no SNI.
  std::string host;
  absl::Duration handshake_timeout = absl::Seconds(10);
  // Diagnosis only: offer TLS 1.0 and 1.1 alone (TlsClientContext's
  // legacy_ctx), to learn which old version a host that failed the real
  // handshake speaks. Such a handshake never succeeds: when it completes,
  // the stream fails with kProtocolTooOld, tls_info().version naming the
  // version, and the session is closed unused.
  bool legacy_version_probe = false;
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
