// The limits and the result of one HTTPS GET (net/https_get.h): plain data,
// so judges include these without the driver, the reactor or OpenSSL.
#ifndef MTASTS_NET_HTTPS_TYPES_H_
#define MTASTS_NET_HTTPS_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/http_response.h"
#include "net/tls_types.h"

namespace mtasts::net {

// RFC 8461 §3.3: "A suggested timeout is one minute"; senders that follow
// it wait that long for the policy, so the checker does too.
inline constexpr absl::Duration kRfc8461FetchTimeout = absl::Seconds(60);

struct HttpsLimits {
  // The whole fetch, from the connect to the complete response, whatever
  // phase it is in (kTimeout with the phase it reached).
  absl::Duration total_timeout = kRfc8461FetchTimeout;
  // Each phase on its own clock as well; by default each may use the whole
  // fetch timeout, as a sender's one overall timeout allows.
  absl::Duration connect_timeout = kRfc8461FetchTimeout;
  absl::Duration handshake_timeout = kRfc8461FetchTimeout;
  absl::Duration first_byte_timeout = kRfc8461FetchTimeout;
  absl::Duration response_timeout = kRfc8461FetchTimeout;
  // Absolute deadline over the whole fetch (the caller's RPC deadline).
  absl::Time deadline = absl::InfiniteFuture();
  // Header block 16 KiB, body 64 KiB (RFC 8461 §3.3 suggests 64 KiB for policies).
  HttpLimits http;
};

// How an HTTP response failed (with NetError::failure == kProtocol).
enum class HttpFailure {
  kNone = 0,
  kMalformed,         // not an HTTP/1.x response we accept
  kHeadersTooLarge,
  kBodyTooLarge,
  kTruncated,         // the connection ended before the response did
};
// Stable lower-case name, e.g. "http_body_too_large".
absl::string_view HttpFailureName(HttpFailure failure);

struct HttpsTimings {
  absl::Duration connect = absl::ZeroDuration();        // TCP connect
  absl::Duration tls_handshake = absl::ZeroDuration();
  absl::Duration first_byte = absl::ZeroDuration();     // request sent -> first byte
  absl::Duration total = absl::ZeroDuration();          // HttpsGet -> callback
};

// Everything known about one fetch, filled as far as it got.
struct HttpsResult {
  // What was asked.
  std::string address;
  uint16_t port = 0;
  std::string host;
  std::string path;

  // kNone when a whole HTTP response arrived (whatever its status).
  NetError error;
  // Set (and error.failure == kProtocol) when the response broke HTTP or our
  // limits; kNone otherwise.
  HttpFailure http_failure = HttpFailure::kNone;
  bool ok() const { return error.ok(); }
  // "http_body_too_large", "certificate_expired", "none": the HTTP failure
  // when there is one, else NetFailureName(error.failure).
  absl::string_view FailureName() const;

  // TLS evidence: version, cipher, certificate chain (also after a failed
  // verification, when the server presented one).
  TlsInfo tls;

  // The response, as far as it arrived; headers only once complete.
  int status_code = 0;  // 0: no complete status line and headers
  std::string reason;
  int http_minor_version = 1;
  std::vector<HttpHeader> headers;
  // The body, de-chunked; at most HttpLimits::max_body_bytes (on
  // HttpFailure::kBodyTooLarge, the first bytes that fitted).
  std::string body;
  uint64_t body_bytes_received = 0;  // including any over the limit
  HttpResponseParser::Framing framing = HttpResponseParser::Framing::kUnknown;
  // Parser observations that are not errors (bare LF line ends, ...).
  std::vector<std::string> warnings;
  // The response was read to the end of the connection and the server sent
  // close_notify before closing. False when the body was delimited by its
  // length (nothing more was read) or the server closed with a bare TCP FIN,
  // which an attacker can forge to truncate a close-delimited body.
  bool close_notify = false;

  HttpsTimings timings;

  // The first value of a header (case-insensitive name).
  std::optional<std::string> Header(absl::string_view name) const;
};

}  // namespace mtasts::net

#endif  // MTASTS_NET_HTTPS_TYPES_H_
