// A scripted SMTP server with STARTTLS for tests, listening on several
// loopback addresses (127.0.0.x) on one port, so each address can play a
// different MX host: its greeting (multi-line, 554, late), its EHLO reply
// (with or without STARTTLS), its answer to STARTTLS (220 or 454), and the
// certificate and TLS versions it offers. It counts connections, handshakes
// and QUITs per address.
//
//   auto server = FakeSmtpServer::Start({"127.0.0.2", "127.0.0.3"});
//   (*server)->SetScript("127.0.0.2", FakeSmtpScript::Good(cert_for_mx1));
//   FakeSmtpScript no_tls = FakeSmtpScript::Good(cert_for_mx2);
//   no_tls.ehlo = {"250-mx2.test", "250 SIZE 1000"};
//   (*server)->SetScript("127.0.0.3", no_tls);
//   ... connect to 127.0.0.2:(*server)->port() ...
//   (*server)->connections("127.0.0.2");
//
// The dialogue: greeting (after greeting_delay); if the greeting is not 2xx,
// only QUIT is answered. Then EHLO/HELO get `ehlo` (after TLS without the
// STARTTLS line, RFC 3207 §4.2), STARTTLS gets `starttls_reply` and, when
// that is a 220, a TLS handshake with `cert`; QUIT gets 221 and closes;
// anything else 502. At most 50 commands per connection.
//
// Threading: one accept thread and one thread per connection, SIGPIPE
// blocked. Every public method is thread-safe. Stop() (or destruction)
// closes every connection and joins the threads.
#ifndef MTASTS_TESTS_FAKES_FAKE_SMTP_SERVER_H_
#define MTASTS_TESTS_FAKES_FAKE_SMTP_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tests/fakes/connection_threads.h"
#include "tests/fakes/tls_server_ctx.h"
#include "tests/fakes/test_certs.h"

namespace mtasts::fakes {

// How one address behaves. Reply lines are sent as written, each with CRLF
// ("250-a", "250 b" for a multi-line reply).
struct FakeSmtpScript {
  // Wait this long before the greeting; absl::InfiniteDuration(): never
  // greet (hold the connection until the client closes or Stop()).
  absl::Duration greeting_delay = absl::ZeroDuration();
  std::vector<std::string> greeting = {"220 fake-smtp.test ESMTP"};
  std::vector<std::string> ehlo = {"250-fake-smtp.test", "250-PIPELINING",
                                   "250-SIZE 10240000", "250 STARTTLS"};
  std::vector<std::string> starttls_reply = {"220 2.0.0 Ready to start TLS"};
  // Presented after a 220 to STARTTLS, with its chain_pem. Required then.
  std::optional<TestCert> cert;
  FakeTlsVersion min_version = FakeTlsVersion::kDefault;
  FakeTlsVersion max_version = FakeTlsVersion::kDefault;

  // The usual server: 220, STARTTLS advertised and accepted, `cert`.
  static FakeSmtpScript Good(TestCert cert);
};

class FakeSmtpServer {
 public:
  // Listens on every address (IPv4 or IPv6 loopback literals) on one port
  // picked at start. Every address answers with FakeSmtpScript{} (no
  // certificate) until SetScript. Errors: INVALID_ARGUMENT for no or bad
  // addresses; INTERNAL for socket failures (a port free on all of them
  // not found in 20 tries).
  static absl::StatusOr<std::unique_ptr<FakeSmtpServer>> Start(
      const std::vector<std::string>& addresses);
  ~FakeSmtpServer();  // Stop()

  FakeSmtpServer(const FakeSmtpServer&) = delete;
  FakeSmtpServer& operator=(const FakeSmtpServer&) = delete;

  void Stop();
  int port() const { return port_; }

  // Scripts `address` for connections accepted from now on. Errors:
  // NOT_FOUND for an address not listened on; INVALID_ARGUMENT when the
  // certificate does not load.
  absl::Status SetScript(const std::string& address, const FakeSmtpScript& script);

  // --- Observability, per listening address. ---
  int64_t connections(const std::string& address) const;
  int64_t handshakes(const std::string& address) const;
  int64_t handshake_failures(const std::string& address) const;
  int64_t quits(const std::string& address) const;
  // Command lines received, in order, over every connection to `address`.
  std::vector<std::string> commands(const std::string& address) const;
  // SNI names clients sent.
  std::vector<std::string> server_names(const std::string& address) const;
  int64_t total_connections() const;
  bool WaitForConnections(const std::string& address, int64_t n, absl::Duration timeout) const;

 private:
  struct Script;  // FakeSmtpScript with its SSL_CTX
  struct Listener;
  struct Counters {
    int64_t connections = 0;
    int64_t handshakes = 0;
    int64_t handshake_failures = 0;
    int64_t quits = 0;
    std::vector<std::string> commands;
    std::vector<std::string> server_names;
  };

  FakeSmtpServer(int port, int wake_read, int wake_write) noexcept;
  void AcceptLoop();
  void Serve(int fd, std::string address, std::shared_ptr<const Script> script);
  bool stopping() const;
  bool WaitUnlessStopping(absl::Duration d) const;

  const int port_;
  const int wake_read_;
  const int wake_write_;
  std::vector<std::unique_ptr<Listener>> listeners_;  // fixed after Start
  std::thread accept_thread_;

  mutable absl::Mutex mu_;
  ConnectionThreads connection_threads_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<const Script>> scripts_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Counters> counters_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_FAKE_SMTP_SERVER_H_
