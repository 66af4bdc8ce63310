// The limits and the result of one SMTP STARTTLS probe
// (net/smtp_starttls.h): plain data, so judges include these without the
// driver, the reactor or OpenSSL.
#ifndef MTASTS_NET_SMTP_TYPES_H_
#define MTASTS_NET_SMTP_TYPES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/smtp_reply.h"
#include "net/tls_types.h"

namespace mtasts::net {

struct SmtpLimits {
  absl::Duration connect_timeout = absl::Seconds(10);
  // RFC 5321 §4.5.3.2.1 lets senders wait 5 minutes for the 220 greeting.
  // A checker that answers a caller (and holds a fleet slot) cannot wait
  // that long; a minute covers deliberate greeting pauses and tarpits many
  // times over, and slowness short of it is a finding, not a failure.
  absl::Duration greeting_timeout = absl::Seconds(60);
  absl::Duration ehlo_timeout = absl::Seconds(15);
  absl::Duration starttls_timeout = absl::Seconds(15);
  absl::Duration handshake_timeout = absl::Seconds(15);
  absl::Duration quit_timeout = absl::Seconds(2);
  // Absolute deadline over the whole probe.
  absl::Time deadline = absl::InfiniteFuture();
  // RFC 5321 §4.5.3.1.5: reply lines are at most 512 octets; we accept four
  // times that (real servers overshoot) and no more.
  size_t max_line_bytes = 2048;
  // Lines per reply (EHLO replies have one per extension).
  size_t max_reply_lines = 100;
};

// How far the exchange got, or where it failed.
enum class SmtpPhase {
  kNone = 0,
  kConnect,
  kGreeting,
  kEhlo,
  kStartTls,      // the reply to STARTTLS
  kTlsHandshake,
  kQuit,
  kDone,          // the handshake passed; QUIT sent (its answer does not matter)
};
// "TCP connect", "greeting", "EHLO", ... for messages.
absl::string_view SmtpPhaseName(SmtpPhase phase);

// How the SMTP exchange failed (with NetError::failure == kProtocol).
enum class SmtpFailure {
  kNone = 0,
  kMalformed,           // a reply that is not SMTP (RFC 5321 §4.2)
  kRejected,            // a 4xx/5xx reply where the exchange needs 2xx/3xx
  kStartTlsNotOffered,  // EHLO reply without the STARTTLS keyword (RFC 3207)
};
// Stable lower-case name, e.g. "starttls_not_offered".
absl::string_view SmtpFailureName(SmtpFailure failure);

// Everything known about one probe, filled as far as it got.
struct SmtpProbeResult {
  std::string address;
  uint16_t port = 0;
  std::string host;  // the MX host name: SNI and the name verified

  // kNone when STARTTLS worked and the certificate passed verification.
  NetError error;
  // Set (and error.failure == kProtocol) when the server broke or refused
  // the SMTP exchange; kNone otherwise.
  SmtpFailure smtp_failure = SmtpFailure::kNone;
  // Where `error` happened; kDone on success.
  SmtpPhase phase = SmtpPhase::kNone;
  bool ok() const { return error.ok(); }
  // The SMTP failure's name when there is one, else NetFailureName(error.failure).
  absl::string_view FailureName() const;
  // The TCP connection was established (the vantage point reaches the host).
  bool connected = false;

  SmtpReply greeting;
  SmtpReply ehlo;
  std::vector<std::string> ehlo_keywords;
  bool starttls_offered = false;
  SmtpReply starttls;  // the reply to STARTTLS (220, 454, ...)
  // TLS evidence, also when verification failed.
  TlsInfo tls;
  int quit_code = 0;   // 0 when no 221 (or anything) came back in time

  absl::Duration connect_time = absl::ZeroDuration();
  // TCP connection established -> complete greeting reply (any code); zero
  // when no greeting arrived.
  absl::Duration greeting_time = absl::ZeroDuration();
  absl::Duration total_time = absl::ZeroDuration();
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_SMTP_TYPES_H_
