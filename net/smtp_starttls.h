// One SMTP STARTTLS probe over a TlsStream, on the Reactor: connect to an MX
// address the caller resolved and guarded, read the greeting, EHLO, check
// that STARTTLS is advertised, STARTTLS, TLS handshake with SNI and name
// verification for the MX host, then QUIT. What a sending MTA that follows
// RFC 8461 §4.2 does before it hands over mail, without the mail.
//
//   SmtpLimits limits;                        // per-phase timeouts, line limits
//   std::unique_ptr<SmtpProbe> probe = ProbeSmtpStartTls(
//       reactor, tls_ctx, "192.0.2.25", 25, "mx1.example.com",
//       "checker.example.net", limits,
//       [](SmtpProbeResult r) {               // later, on the reactor thread
//         if (!r.ok()) { /* r.phase, r.error.failure (kProtocol: r.smtp_failure),
//                             r.error.message, r.tls */ }
//       });
//   // Destroying `probe` (or probe->Cancel()) closes the connection; the
//   // callback never runs.
//
// The exchange (RFC 5321, RFC 3207):
//   S: 220 mx1.example.com ESMTP            greeting; multi-line allowed
//   C: EHLO checker.example.net
//   S: 250-mx1.example.com / 250 STARTTLS   keywords, case-insensitive
//   C: STARTTLS
//   S: 220 ready
//   ... TLS handshake (SNI and verified name: the MX host) ...
//   C: QUIT                                 over TLS; the 221 is awaited only
//   S: 221 bye                              for quit_timeout
// A refusal (4xx/5xx greeting, EHLO or STARTTLS reply; no STARTTLS keyword)
// ends the probe with a polite QUIT in plaintext. After a failed handshake
// the connection is simply closed.
//
// Limits and results are plain data in net/smtp_types.h.
//
// Time limits, each reported as kTimeout with SmtpProbeResult::phase:
//   connect_timeout, greeting_timeout, ehlo_timeout, starttls_timeout,
//   handshake_timeout, quit_timeout (QUIT problems are never failures);
//   deadline: the caller's absolute deadline (kDeadlineExceeded).
//
// Threading: ProbeSmtpStartTls and the SmtpProbe handle belong to the
// reactor's thread. The callback runs there, exactly once, never inside
// ProbeSmtpStartTls and never after the handle is destroyed or cancelled. It
// may destroy the handle.
#ifndef MTASTS_NET_SMTP_STARTTLS_H_
#define MTASTS_NET_SMTP_STARTTLS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/reactor.h"
#include "net/smtp_reply.h"
#include "net/smtp_types.h"
#include "net/tls_stream.h"

namespace mtasts::net {

// A probe in flight. Destroying it cancels it.
class SmtpProbe {
 public:
  virtual ~SmtpProbe() = default;
  // Closes the connection now; the callback never runs. Idempotent.
  virtual void Cancel() = 0;
};

using SmtpProbeCallback = absl::AnyInvocable<void(SmtpProbeResult)>;

// Starts the probe. Reactor thread only. `tls_ctx` must outlive this call.
// Bad arguments (not an IP literal, an EHLO name or host with spaces or
// control characters) fail through the callback with kLocalError.
std::unique_ptr<SmtpProbe> ProbeSmtpStartTls(Reactor* reactor, const TlsClientContext* tls_ctx,
                                             const std::string& address, uint16_t port,
                                             const std::string& host,
                                             const std::string& ehlo_name,
                                             const SmtpLimits& limits,
                                             SmtpProbeCallback callback);

}  // namespace mtasts::net

#endif  // MTASTS_NET_SMTP_STARTTLS_H_
