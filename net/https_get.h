// One HTTPS GET over a TlsStream, on the Reactor: connect to an address the
// caller resolved and guarded, verify TLS for `host`, send one HTTP/1.1 GET
// with "Connection: close", read the response through HttpResponseParser
// with hard limits, and report everything a finding needs.
//
//   HttpsLimits limits;                       // 16 KiB headers, 64 KiB body, ...
//   std::unique_ptr<HttpsFetch> fetch = HttpsGet(
//       reactor, tls_ctx, "192.0.2.1", 443, "mta-sts.example.com",
//       "/.well-known/mta-sts.txt", limits,
//       [](HttpsResult r) {                   // later, on the reactor thread
//         if (!r.ok()) { /* r.error.failure (kProtocol: r.http_failure),
//                             r.error.message, r.tls */ }
//         else if (r.status_code == 200) { /* r.body, r.Header("content-type") */ }
//       });
//   // Destroying `fetch` (or fetch->Cancel()) stops it: the connection closes
//   // and the callback never runs.
//
// What is sent (RFC 9110, RFC 9112):
//   GET <path> HTTP/1.1
//   Host: <host>[:<port> unless 443]
//   User-Agent: mtasts-checker/1 (+MTA-STS policy check)
//   Accept: text/plain
//   Connection: close
//
// Redirects are never followed: a 3xx comes back as it is, with its
// Location header (RFC 8461 §3.3: senders do not follow them either). Any
// status is a successful fetch at this level; judging it is the caller's job.
//
// Limits and results are plain data in net/https_types.h.
//
// Time limits, each its own NetError::phase when it expires (kTimeout):
//   total_timeout        the whole fetch, connect to complete response
//                        (RFC 8461 §3.3's one minute by default); the phase
//                        it stopped in
//   connect_timeout      TCP connect                          (kConnect)
//   handshake_timeout    TLS handshake                        (kTlsHandshake)
//   first_byte_timeout   request sent -> first response byte  (kFirstByte)
//   response_timeout     handshake done -> response complete  (kResponse);
//                        a server dripping one byte at a time cannot hold the
//                        request past it
//   deadline             the caller's absolute deadline over everything
//                        (kDeadlineExceeded)
//
// Threading: HttpsGet and the HttpsFetch handle belong to the reactor's
// thread. The callback runs there, exactly once, never inside HttpsGet, and
// never after the handle is destroyed or cancelled. It may destroy the handle.
#ifndef MTASTS_NET_HTTPS_GET_H_
#define MTASTS_NET_HTTPS_GET_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/http_response.h"
#include "net/https_types.h"
#include "net/reactor.h"
#include "net/tls_stream.h"

namespace mtasts::net {

// The User-Agent we send, so policy hosts can recognise (and allow) us.
inline constexpr absl::string_view kHttpsUserAgent = "mtasts-checker/1 (+MTA-STS policy check)";

// A fetch in flight. Destroying it cancels it.
class HttpsFetch {
 public:
  virtual ~HttpsFetch() = default;
  // Closes the connection now; the callback never runs. Idempotent.
  virtual void Cancel() = 0;
};

using HttpsCallback = absl::AnyInvocable<void(HttpsResult)>;

// Starts the fetch. Reactor thread only. `tls_ctx` must outlive this call
// (the fetch keeps what it needs). Arguments that cannot be sent (not an IP
// literal, a path not starting with "/", CR/LF in host or path) fail through
// the callback with kLocalError.
std::unique_ptr<HttpsFetch> HttpsGet(Reactor* reactor, const TlsClientContext* tls_ctx,
                                     const std::string& address, uint16_t port,
                                     const std::string& host, const std::string& path,
                                     const HttpsLimits& limits, HttpsCallback callback);

// The request HttpsGet sends (exposed for tests and logs).
std::string BuildHttpsGetRequest(const std::string& host, uint16_t port,
                                 const std::string& path);

}  // namespace mtasts::net

#endif  // MTASTS_NET_HTTPS_GET_H_
