#include "tests/fakes/fake_smtp_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mtasts::fakes {
namespace {

constexpr int kMaxCommands = 50;
constexpr size_t kMaxLine = 4096;

bool ParseAddress(const std::string& address, sockaddr_storage* ss, socklen_t* len) {
  memset(ss, 0, sizeof(*ss));
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    *len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// Binds and listens on address:port (port 0: any); returns the fd and sets
// *bound_port, or -1 with errno.
int Listen(const std::string& address, int port, int* bound_port) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!ParseAddress(address, &ss, &len)) {
    errno = EINVAL;
    return -1;
  }
  if (ss.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&ss)->sin_port = htons(static_cast<uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port = htons(static_cast<uint16_t>(port));
  }
  const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 128) != 0) {
    const int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  sockaddr_storage got;
  socklen_t got_len = sizeof(got);
  getsockname(fd, reinterpret_cast<sockaddr*>(&got), &got_len);
  *bound_port = ntohs(got.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&got)->sin_port
                                               : reinterpret_cast<sockaddr_in6*>(&got)->sin6_port);
  return fd;
}

// The connection's byte stream, plain or TLS, one byte at a time (a fake
// needs no speed, and never reading ahead keeps STARTTLS exact).
class Io {
 public:
  explicit Io(int fd) : fd_(fd) {}
  ~Io() {
    if (ssl_ != nullptr) SSL_free(ssl_);
  }
  void set_ssl(SSL* ssl) { ssl_ = ssl; }
  bool tls() const { return ssl_ != nullptr; }

  bool Send(const std::vector<std::string>& lines) {
    std::string data;
    for (const std::string& l : lines) absl::StrAppend(&data, l, "\r\n");
    size_t off = 0;
    while (off < data.size()) {
      const int n = ssl_ != nullptr
                        ? SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off))
                        : static_cast<int>(send(fd_, data.data() + off, data.size() - off,
                                                MSG_NOSIGNAL));
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // One line without CRLF; nullopt at EOF, error or an over-long line.
  std::optional<std::string> ReadLine() {
    std::string line;
    while (line.size() < kMaxLine) {
      char c;
      const int n = ssl_ != nullptr ? SSL_read(ssl_, &c, 1)
                                    : static_cast<int>(recv(fd_, &c, 1, 0));
      if (n <= 0) return std::nullopt;
      if (c == '\n') {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      line.push_back(c);
    }
    return std::nullopt;
  }

 private:
  const int fd_;
  SSL* ssl_ = nullptr;
};

}  // namespace

FakeSmtpScript FakeSmtpScript::Good(TestCert cert) {
  FakeSmtpScript script;
  script.cert = std::move(cert);
  return script;
}

struct FakeSmtpServer::Script {
  FakeSmtpScript script;
  SSL_CTX* ctx = nullptr;
  ~Script() { SSL_CTX_free(ctx); }
};

struct FakeSmtpServer::Listener {
  std::string address;
  int fd = -1;
  ~Listener() {
    if (fd >= 0) close(fd);
  }
};

absl::StatusOr<std::unique_ptr<FakeSmtpServer>> FakeSmtpServer::Start(
    const std::vector<std::string>& addresses) {
  if (addresses.empty()) return absl::InvalidArgumentError("no address to listen on");
  for (const std::string& a : addresses) {
    sockaddr_storage ss;
    socklen_t len;
    if (!ParseAddress(a, &ss, &len)) {
      return absl::InvalidArgumentError(absl::StrCat("not an IP literal: ", a));
    }
  }
  // The first address picks the port; the others must have it free too.
  for (int attempt = 0; attempt < 20; ++attempt) {
    std::vector<std::unique_ptr<Listener>> listeners;
    int port = 0;
    bool ok = true;
    for (const std::string& a : addresses) {
      int bound = 0;
      const int fd = Listen(a, port, &bound);
      if (fd < 0) {
        if (errno != EADDRINUSE || port == 0) {
          return absl::InternalError(absl::StrCat("listen on ", a, ": ", strerror(errno)));
        }
        ok = false;
        break;
      }
      port = bound;
      auto l = std::make_unique<Listener>();
      l->address = a;
      l->fd = fd;
      listeners.push_back(std::move(l));
    }
    if (!ok) continue;
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
      return absl::InternalError(absl::StrCat("pipe: ", strerror(errno)));
    }
    std::unique_ptr<FakeSmtpServer> server(new FakeSmtpServer(port, pipe_fds[0], pipe_fds[1]));
    server->listeners_ = std::move(listeners);
    {
      absl::MutexLock lock(&server->mu_);
      for (const auto& l : server->listeners_) {
        server->scripts_[l->address] = std::make_shared<Script>();
        server->counters_[l->address];
      }
    }
    server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
    return server;
  }
  return absl::InternalError("no port free on every address in 20 tries");
}

FakeSmtpServer::FakeSmtpServer(int port, int wake_read, int wake_write) noexcept
    : port_(port), wake_read_(wake_read), wake_write_(wake_write) {}

FakeSmtpServer::~FakeSmtpServer() {
  Stop();
  close(wake_read_);
  close(wake_write_);
}

void FakeSmtpServer::Stop() {
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    // Wakes blocking reads and writes on every connection.
    if (!connection_threads_.BeginStop()) return;
  }
  const char c = 'x';
  (void)!write(wake_write_, &c, 1);
  if (accept_thread_.joinable()) accept_thread_.join();
  {
    absl::MutexLock lock(&mu_);
    threads = connection_threads_.TakeThreads();
  }
  for (auto& t : threads) t.join();
  listeners_.clear();
}

bool FakeSmtpServer::stopping() const {
  absl::MutexLock lock(&mu_);
  return connection_threads_.stopping();
}

bool FakeSmtpServer::WaitUnlessStopping(absl::Duration d) const {
  absl::MutexLock lock(&mu_);
  auto cond = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return connection_threads_.stopping();
  };
  if (d == absl::InfiniteDuration()) {
    mu_.Await(absl::Condition(&cond));
    return false;
  }
  return !mu_.AwaitWithTimeout(absl::Condition(&cond), d);
}

absl::Status FakeSmtpServer::SetScript(const std::string& address,
                                       const FakeSmtpScript& script) {
  auto state = std::make_shared<Script>();
  state->script = script;
  if (script.cert.has_value()) {
    absl::StatusOr<SSL_CTX*> ctx =
        MakeTlsServerCtx(*script.cert, script.min_version, script.max_version);
    if (!ctx.ok()) return ctx.status();
    state->ctx = *ctx;
  }
  absl::MutexLock lock(&mu_);
  auto it = scripts_.find(address);
  if (it == scripts_.end()) return absl::NotFoundError(absl::StrCat("not listening on ", address));
  it->second = std::move(state);
  return absl::OkStatus();
}

void FakeSmtpServer::AcceptLoop() {
  BlockSigpipe();
  std::vector<pollfd> fds;
  for (const auto& l : listeners_) fds.push_back({l->fd, POLLIN, 0});
  fds.push_back({wake_read_, POLLIN, 0});
  while (!stopping()) {
    for (auto& p : fds) p.revents = 0;
    if (poll(fds.data(), fds.size(), 1000) <= 0) continue;
    if (fds.back().revents != 0) break;
    for (size_t i = 0; i + 1 < fds.size(); ++i) {
      if ((fds[i].revents & POLLIN) == 0) continue;
      const int fd = accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      // A stuck client cannot hold a thread forever.
      timeval tv{10, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
      const std::string& address = listeners_[i]->address;
      absl::MutexLock lock(&mu_);
      if (connection_threads_.stopping()) {
        close(fd);
        break;
      }
      std::shared_ptr<const Script> script = scripts_[address];
      connection_threads_.Adopt(fd, [this, fd, address, script] { Serve(fd, address, script); });
      ++counters_[address].connections;
    }
  }
}

void FakeSmtpServer::Serve(int fd, std::string address, std::shared_ptr<const Script> state) {
  BlockSigpipe();
  const FakeSmtpScript& script = state->script;
  Io io(fd);
  auto record = [&](auto&& fn) {
    absl::MutexLock lock(&mu_);
    fn(counters_[address]);
  };
  [&] {
    if (script.greeting_delay > absl::ZeroDuration() &&
        !WaitUnlessStopping(script.greeting_delay)) {
      return;
    }
    if (!io.Send(script.greeting)) return;
    const bool open = !script.greeting.empty() && script.greeting.back().size() >= 1 &&
                      script.greeting.back()[0] == '2';
    for (int i = 0; i < kMaxCommands; ++i) {
      std::optional<std::string> line = io.ReadLine();
      if (!line.has_value()) return;
      record([&](Counters& c) { c.commands.push_back(*line); });
      const std::string verb = absl::AsciiStrToUpper(line->substr(0, line->find(' ')));
      if (verb == "QUIT") {
        record([](Counters& c) { ++c.quits; });
        io.Send({"221 2.0.0 Bye"});
        return;
      }
      if (!open) {
        io.Send({"503 5.5.1 no service, only QUIT"});
        continue;
      }
      if (verb == "EHLO" || verb == "HELO") {
        std::vector<std::string> lines;
        for (const std::string& l : script.ehlo) {
          if (io.tls() && absl::StrContains(absl::AsciiStrToUpper(l), "STARTTLS")) continue;
          lines.push_back(l);
        }
        // Dropping STARTTLS may leave a "250-" line last: end it properly.
        if (!lines.empty() && lines.back().size() > 3 && lines.back()[3] == '-') {
          lines.back()[3] = ' ';
        }
        if (!io.Send(lines)) return;
        continue;
      }
      if (verb == "STARTTLS" && !io.tls()) {
        if (!io.Send(script.starttls_reply)) return;
        if (script.starttls_reply.empty() || !absl::StartsWith(script.starttls_reply.back(), "220")) {
          continue;
        }
        if (state->ctx == nullptr) return;  // no certificate scripted: hang up
        SSL* ssl = SSL_new(state->ctx);
        if (ssl == nullptr) return;
        SSL_set_fd(ssl, fd);
        io.set_ssl(ssl);
        if (SSL_accept(ssl) != 1) {
          ERR_clear_error();
          record([](Counters& c) { ++c.handshake_failures; });
          return;
        }
        const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        record([&](Counters& c) {
          ++c.handshakes;
          c.server_names.push_back(sni != nullptr ? sni : "");
        });
        continue;
      }
      if (!io.Send({"502 5.5.2 command not recognized"})) return;
    }
  }();
  absl::MutexLock lock(&mu_);
  connection_threads_.Close(fd);
}

int64_t FakeSmtpServer::connections(const std::string& address) const {
  absl::MutexLock lock(&mu_);
  auto it = counters_.find(address);
  return it == counters_.end() ? 0 : it->second.connections;
}

int64_t FakeSmtpServer::handshakes(const std::string& address) const {
  absl::MutexLock lock(&mu_);
  auto it = counters_.find(address);
  return it == counters_.end() ? 0 : it->second.handshakes;
}

int64_t FakeSmtpServer::handshake_failures(const std::string& address) const {
  absl::MutexLock lock(&mu_);
  auto it = counters_.find(address);
  return it == counters_.end() ? 0 : it->second.handshake_failures;
}

int64_t FakeSmtpServer::quits(const std::string& address) const {
  absl::MutexLock lock(&mu_);
  auto it = counters_.find(address);
  return it == counters_.end() ? 0 : it->second.quits;
}

std::vector<std::string> FakeSmtpServer::commands(const std::string& address) const {
  absl::MutexLock lock(&mu_);
  auto it = counters_.find(address);
  return it == counters_.end() ? std::vector<std::string>{} : it->second.commands;
}

std::vector<std::string> FakeSmtpServer::server_names(const std::string& address) const {
  absl::MutexLock lock(&mu_);
  auto it = counters_.find(address);
  return it == counters_.end() ? std::vector<std::string>{} : it->second.server_names;
}

int64_t FakeSmtpServer::total_connections() const {
  absl::MutexLock lock(&mu_);
  int64_t n = 0;
  for (const auto& [address, c] : counters_) n += c.connections;
  return n;
}

bool FakeSmtpServer::WaitForConnections(const std::string& address, int64_t n,
                                        absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto cond = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = counters_.find(address);
    return it != counters_.end() && it->second.connections >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&cond), timeout);
}

}  // namespace mtasts::fakes
