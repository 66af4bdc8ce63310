// A scripted HTTPS (or plain TCP) server on 127.0.0.1 for tests: the
// certificate it presents (chosen by SNI among several), the TLS versions it
// speaks, and per request what it answers and how badly it behaves.
//
//   FakeHttpsServerOptions options;
//   options.certificates.push_back({"", good_cert});             // default
//   options.certificates.push_back({"other.test", other_cert});  // by SNI
//   auto server = FakeHttpsServer::Start(options);              // port 0: picked
//   (*server)->SetResponse("/.well-known/mta-sts.txt",
//                          FakeHttpResponse::Text("version: STSv1\n..."));
//   (*server)->SetDefaultResponse(FakeHttpResponse::Status(404, "Not Found"));
//   ... connect to 127.0.0.1:(*server)->port() ...
//   (*server)->requests();            // what arrived, with SNI and headers
//   (*server)->WaitForClientCloses(1, absl::Seconds(2));
//
// Misbehaviour is scripted on the response: hang before the first byte, drip
// one byte per interval, close or reset after N bytes, oversized headers or
// body, chunked framing, raw bytes. Options choose TLS 1.0/1.1-only service
// (security level 0, so OpenSSL 3 agrees to speak them), a plain TCP listener
// that answers nothing or a fixed greeting, and a minimal STARTTLS preamble.
//
// Threading: one accept thread and one thread per connection, all with
// SIGPIPE blocked (a write to a closed client fails with EPIPE instead).
// Every public method is thread-safe. Stop() (or destruction) closes every
// connection, waking threads that wait on a hanging or dripping response.
#ifndef MTASTS_TESTS_FAKES_FAKE_HTTPS_SERVER_H_
#define MTASTS_TESTS_FAKES_FAKE_HTTPS_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/fakes/connection_threads.h"
#include "tests/fakes/test_certs.h"
#include "tests/fakes/tls_server_ctx.h"

namespace mtasts::fakes {

// What the server answers to one request, and how.
struct FakeHttpResponse {
  enum class Framing {
    kContentLength,  // "Content-Length: <body size>" added
    kChunked,        // "Transfer-Encoding: chunked", body in chunk_size pieces
    kClose,          // no length: the body ends when the server closes
  };

  int status = 200;
  std::string reason = "OK";
  std::vector<std::pair<std::string, std::string>> headers;  // sent in order
  std::string body;
  Framing framing = Framing::kContentLength;
  size_t chunk_size = 1024;
  // Non-empty: sent verbatim instead of a response built from the above.
  std::string raw;

  // Misbehaviour.
  // Wait this long before the first byte; absl::InfiniteDuration(): never
  // answer (hold the connection until the client closes or Stop()).
  absl::Duration delay_before_first_byte = absl::ZeroDuration();
  // Positive: send the response one byte at a time, this far apart.
  absl::Duration drip_interval = absl::ZeroDuration();
  // Close after this many bytes of the response (no close_notify).
  std::optional<size_t> close_after_bytes;
  // Close with a TCP RST (SO_LINGER 0) instead of FIN, wherever it closes.
  bool reset = false;

  // 200 with "Content-Type: text/plain" and `body`.
  static FakeHttpResponse Text(std::string body);
  // `status` with "Content-Type: text/html" and a short body.
  static FakeHttpResponse Status(int status, std::string reason);
  // `status` (301, 302, 307, 308) with a Location header.
  static FakeHttpResponse Redirect(int status, std::string location);

  FakeHttpResponse& WithHeader(std::string name, std::string value);
  // The bytes on the wire (raw, or built).
  std::string Serialize() const;
};

// A request as received.
struct FakeHttpRequest {
  std::string method;
  std::string target;
  std::string version;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string sni;          // server name the client sent; empty for none/plain
  std::string tls_version;  // "TLSv1.3"; empty over plain TCP

  // The first value of `name` (case-insensitive), or nullopt.
  std::optional<std::string> Header(absl::string_view name) const;
};


struct FakeHttpsServerOptions {
  // False: a plain TCP listener (see plain_greeting).
  bool tls = true;
  // Where to listen: an IPv4 or IPv6 loopback address; port 0 picks one.
  std::string bind_address = "127.0.0.1";
  int port = 0;
  // Certificates by SNI name (exact, case-insensitive); the entry with an
  // empty name is the default, and one is required when tls is true.
  struct SniCertificate {
    std::string server_name;
    TestCert cert;
  };
  std::vector<SniCertificate> certificates;
  // Protocol range. Anything below TLS 1.2 also lowers the security level to
  // 0 (OpenSSL 3 refuses TLS 1.0/1.1 otherwise).
  FakeTlsVersion min_version = FakeTlsVersion::kDefault;
  FakeTlsVersion max_version = FakeTlsVersion::kDefault;

  // Plain mode only. Empty: each connection reads an HTTP request and is
  // answered like over TLS (a TLS client's ClientHello never completes a
  // request, so it waits: the client's handshake timeout). Non-empty: sent
  // as soon as a connection is accepted, then the connection is held open.
  std::string plain_greeting;
  // Plain mode: close each connection right after accepting it (with RST
  // when reset_on_accept).
  bool close_on_accept = false;
  bool reset_on_accept = false;

  // TLS mode: before TLS, a minimal STARTTLS exchange (RFC 3207 shape): send
  // "220 fake ready\r\n", read one line (expected "STARTTLS"), send
  // starttls_reply, then start TLS. starttls_reply defaults to
  // "220 go ahead\r\n"; adding bytes after it simulates an injection.
  bool starttls_preamble = false;
  std::string starttls_reply = "220 go ahead\r\n";
};

class FakeHttpsServer {
 public:
  using Handler = std::function<FakeHttpResponse(const FakeHttpRequest&)>;

  // Binds 127.0.0.1:0 and starts accepting. Errors: INVALID_ARGUMENT for
  // TLS without a default certificate or a certificate/key that does not
  // load; INTERNAL for socket or OpenSSL failures.
  static absl::StatusOr<std::unique_ptr<FakeHttpsServer>> Start(
      const FakeHttpsServerOptions& options);
  ~FakeHttpsServer();  // Stop()

  FakeHttpsServer(const FakeHttpsServer&) = delete;
  FakeHttpsServer& operator=(const FakeHttpsServer&) = delete;

  // Closes the listener and every connection and joins the threads. Idempotent.
  void Stop();

  int port() const { return port_; }

  // Serves `cert` to clients that send `server_name` as SNI from now on,
  // replacing an earlier certificate for that name. TLS servers only.
  absl::Status AddCertificate(absl::string_view server_name, const TestCert& cert);

  // --- Scripting; applies to requests that arrive afterwards. ---
  // Answer for a request target (exact match, query included).
  void SetResponse(absl::string_view target, FakeHttpResponse response);
  // Answer for any other target (initially 404 Not Found).
  void SetDefaultResponse(FakeHttpResponse response);
  // Called for targets without a SetResponse rule, instead of the default.
  void SetHandler(Handler handler);

  // --- Observability. ---
  int64_t connections() const;           // accepted
  int64_t handshakes() const;            // completed TLS handshakes
  int64_t handshake_failures() const;
  // Connections the client closed (EOF or reset) before the server was done
  // with them: a cancelled fetch shows up here.
  int64_t client_closes() const;
  // Responses sent completely.
  int64_t responses_completed() const;
  std::vector<FakeHttpRequest> requests() const;
  // Bytes read from clients over plain TCP (TLS connections: not counted).
  int64_t plain_bytes_received() const;
  // The last reason OpenSSL gave for a failed server-side handshake.
  std::string last_handshake_error() const;

  bool WaitForClientCloses(int64_t n, absl::Duration timeout) const;
  bool WaitForRequests(int64_t n, absl::Duration timeout) const;
  bool WaitForConnections(int64_t n, absl::Duration timeout) const;
  bool WaitForPlainBytes(int64_t n, absl::Duration timeout) const;

 private:
  struct TlsState;
  class Connection;

  FakeHttpsServer(FakeHttpsServerOptions options, int listen_fd, int wake_fd, int port,
                  std::unique_ptr<TlsState> tls);

  void AcceptLoop();
  void Serve(int fd);
  FakeHttpResponse Lookup(const FakeHttpRequest& request);
  bool stopping() const;
  // What the observability accessors read, under mu_.
  struct Counts {
    int64_t connections = 0;
    int64_t handshakes = 0;
    int64_t handshake_failures = 0;
    int64_t client_closes = 0;
    int64_t responses_completed = 0;
    int64_t plain_bytes_received = 0;
  };
  int64_t Read(int64_t Counts::*count) const;
  // Waits until `count()` (read under mu_) reaches `n`; false on timeout.
  bool WaitForCount(absl::FunctionRef<int64_t()> count, int64_t n, absl::Duration timeout) const;
  bool WaitForCount(int64_t Counts::*count, int64_t n, absl::Duration timeout) const;

  const FakeHttpsServerOptions options_;
  const int listen_fd_;
  const int wake_fd_;
  const int port_;
  std::unique_ptr<TlsState> tls_;
  std::thread accept_thread_;

  mutable absl::Mutex mu_;
  ConnectionThreads connection_threads_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, FakeHttpResponse> responses_ ABSL_GUARDED_BY(mu_);
  FakeHttpResponse default_response_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Handler> handler_ ABSL_GUARDED_BY(mu_);

  Counts counts_ ABSL_GUARDED_BY(mu_);
  std::vector<FakeHttpRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::string last_handshake_error_ ABSL_GUARDED_BY(mu_);
};

// A listener whose accept queue is full and never drained: further connects
// to it get no answer at all (Linux drops the SYN), so a client's connect
// timeout fires. Loopback only.
class FullBacklogListener {
 public:
  static absl::StatusOr<std::unique_ptr<FullBacklogListener>> Start();
  ~FullBacklogListener();
  int port() const { return port_; }

 private:
  FullBacklogListener(int listen_fd, int port, std::vector<int> fillers)
      : listen_fd_(listen_fd), port_(port), fillers_(std::move(fillers)) {}
  const int listen_fd_;
  const int port_;
  std::vector<int> fillers_;
};

// A 127.0.0.1 port nothing listens on (bound, then closed); connects to it
// are refused.
absl::StatusOr<int> UnusedLoopbackPort();

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_FAKE_HTTPS_SERVER_H_
