#include "tests/fakes/fake_https_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/openssl_errors.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/fakes/loopback_listener.h"

namespace mtasts::fakes {

struct FakeHttpsServer::TlsState {
  SSL_CTX* default_ctx = nullptr;
  // AddCertificate may grow it while handshakes read it.
  absl::Mutex mu;
  std::vector<std::pair<std::string, SSL_CTX*>> by_name;  // lower-case names

  ~TlsState() {
    for (auto& [name, ctx] : by_name) SSL_CTX_free(ctx);
    SSL_CTX_free(default_ctx);
  }
};

namespace {

constexpr size_t kMaxRequestBytes = 65536;
constexpr absl::Duration kPollSlice = absl::Milliseconds(10);
// After a complete response: how long to wait for the client to close
// before the server closes (closing first with unread data would send RST).
constexpr absl::Duration kLingerAfterResponse = absl::Seconds(2);


void SetLingerReset(int fd) {
  linger l{};
  l.l_onoff = 1;
  l.l_linger = 0;
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
}

const char* ReasonFor(int status) {
  switch (status) {
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    default: return "Redirect";
  }
}

bool HasHeader(const std::vector<std::pair<std::string, std::string>>& headers,
               absl::string_view name) {
  for (const auto& [n, v] : headers) {
    if (absl::EqualsIgnoreCase(n, name)) return true;
  }
  return false;
}

}  // namespace

// --- FakeHttpResponse / FakeHttpRequest. ---

FakeHttpResponse FakeHttpResponse::Text(std::string body) {
  FakeHttpResponse r;
  r.headers.emplace_back("Content-Type", "text/plain");
  r.body = std::move(body);
  return r;
}

FakeHttpResponse FakeHttpResponse::Status(int status, std::string reason) {
  FakeHttpResponse r;
  r.status = status;
  r.body = absl::StrCat("<html><body><h1>", status, " ", reason, "</h1></body></html>\n");
  r.reason = std::move(reason);
  r.headers.emplace_back("Content-Type", "text/html");
  return r;
}

FakeHttpResponse FakeHttpResponse::Redirect(int status, std::string location) {
  FakeHttpResponse r = Status(status, ReasonFor(status));
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

FakeHttpResponse& FakeHttpResponse::WithHeader(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

std::string FakeHttpResponse::Serialize() const {
  if (!raw.empty()) return raw;
  std::string out = absl::StrCat("HTTP/1.1 ", status, " ", reason, "\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&out, name, ": ", value, "\r\n");
  switch (framing) {
    case Framing::kContentLength:
      if (!HasHeader(headers, "content-length")) {
        absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n");
      }
      break;
    case Framing::kChunked:
      if (!HasHeader(headers, "transfer-encoding")) out += "Transfer-Encoding: chunked\r\n";
      break;
    case Framing::kClose:
      break;
  }
  if (!HasHeader(headers, "connection")) out += "Connection: close\r\n";
  out += "\r\n";
  if (framing == Framing::kChunked) {
    const size_t piece = std::max<size_t>(chunk_size, 1);
    for (size_t at = 0; at < body.size(); at += piece) {
      const size_t n = std::min(piece, body.size() - at);
      char size_hex[32];
      snprintf(size_hex, sizeof(size_hex), "%zx", n);
      absl::StrAppend(&out, size_hex, "\r\n", body.substr(at, n), "\r\n");
    }
    out += "0\r\n\r\n";
  } else {
    out += body;
  }
  return out;
}

std::optional<std::string> FakeHttpRequest::Header(absl::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (absl::EqualsIgnoreCase(n, name)) return v;
  }
  return std::nullopt;
}

// --- One connection, on its own thread. ---

class FakeHttpsServer::Connection {
 public:
  Connection(FakeHttpsServer* server, int fd) : server_(server), fd_(fd) {}
  ~Connection() {
    if (ssl_ != nullptr) SSL_free(ssl_);
  }

  void Run() {
    const FakeHttpsServerOptions& options = server_->options_;
    if (!options.tls) {
      RunPlain();
      return;
    }
    if (options.starttls_preamble && !Preamble()) return;
    ssl_ = SSL_new(server_->tls_->default_ctx);
    SSL_set_fd(ssl_, fd_);
    ERR_clear_error();
    if (SSL_accept(ssl_) != 1) {
      const std::string error = net::OpenSslErrors();
      char probe;
      const ssize_t peeked = recv(fd_, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
      const bool client_gone = peeked == 0 || (peeked < 0 && errno == ECONNRESET);
      absl::MutexLock lock(&server_->mu_);
      ++server_->counts_.handshake_failures;
      if (client_gone) ++server_->counts_.client_closes;
      server_->last_handshake_error_ = error;
      ssl_dead_ = true;
      return;
    }
    {
      absl::MutexLock lock(&server_->mu_);
      ++server_->counts_.handshakes;
    }
    ServeHttp();
  }

 private:
  enum class Wait { kElapsed, kClientClosed, kStopping };

  void RunPlain() {
    const FakeHttpsServerOptions& options = server_->options_;
    if (options.close_on_accept || options.reset_on_accept) {
      if (options.reset_on_accept) SetLingerReset(fd_);
      return;  // the caller closes fd_
    }
    if (!options.plain_greeting.empty()) {
      WriteAll(options.plain_greeting);
      if (WaitFor(absl::InfiniteDuration()) == Wait::kClientClosed) CountClientClose();
      return;
    }
    ServeHttp();
  }

  // "220 fake ready", one line from the client, the scripted reply.
  bool Preamble() {
    if (!PlainWrite("220 fake ready\r\n")) return false;
    std::string line;
    char c;
    while (line.size() < 1024) {
      const ssize_t n = recv(fd_, &c, 1, 0);
      if (n <= 0) {
        CountClientClose();
        return false;
      }
      line.push_back(c);
      if (c == '\n') break;
    }
    return PlainWrite(server_->options_.starttls_reply);
  }

  bool PlainWrite(absl::string_view data) {
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // >0 bytes, 0 EOF, <0 error.
  int Read(char* buf, int n) {
    if (ssl_ != nullptr) {
      const int r = SSL_read(ssl_, buf, n);
      if (r <= 0) ssl_dead_ = true;
      return r > 0 ? r : (SSL_get_error(ssl_, r) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
    }
    for (;;) {
      const ssize_t r = recv(fd_, buf, static_cast<size_t>(n), 0);
      if (r < 0 && errno == EINTR) continue;
      if (r > 0) {
        absl::MutexLock lock(&server_->mu_);
        server_->counts_.plain_bytes_received += r;
      }
      return static_cast<int>(r);
    }
  }

  bool WriteAll(absl::string_view data) {
    if (ssl_ == nullptr) return PlainWrite(data);
    size_t done = 0;
    while (done < data.size()) {
      const int n = SSL_write(ssl_, data.data() + done, static_cast<int>(data.size() - done));
      if (n <= 0) {
        ssl_dead_ = true;
        return false;
      }
      done += static_cast<size_t>(n);
    }
    return true;
  }

  void CountClientClose() {
    absl::MutexLock lock(&server_->mu_);
    ++server_->counts_.client_closes;
  }

  // Waits `d`, watching for the client closing and for Stop().
  Wait WaitFor(absl::Duration d) {
    const absl::Time end = d == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + d;
    for (;;) {
      if (server_->stopping()) return Wait::kStopping;
      const absl::Time now = absl::Now();
      if (now >= end) return Wait::kElapsed;
      const absl::Duration slice = std::min(kPollSlice, end - now);
      if (ssl_ != nullptr && SSL_pending(ssl_) > 0) {
        char buf[256];
        if (Read(buf, sizeof(buf)) <= 0) return Wait::kClientClosed;
        continue;
      }
      pollfd p{fd_, POLLIN, 0};
      const int rc = poll(&p, 1, static_cast<int>(std::max<int64_t>(
                                     1, absl::ToInt64Milliseconds(absl::Ceil(slice, absl::Milliseconds(1))))));
      if (rc <= 0) continue;
      char buf[4096];
      if (Read(buf, sizeof(buf)) <= 0) return Wait::kClientClosed;
      // Anything the client sends is ignored.
    }
  }

  void ServeHttp() {
    FakeHttpRequest request;
    if (!ReadRequest(&request)) return;
    FakeHttpResponse response = server_->Lookup(request);
    {
      absl::MutexLock lock(&server_->mu_);
      server_->requests_.push_back(request);
    }
    const std::string wire = response.Serialize();
    const size_t limit = response.close_after_bytes
                             ? std::min(*response.close_after_bytes, wire.size())
                             : wire.size();
    if (response.delay_before_first_byte > absl::ZeroDuration()) {
      const Wait w = WaitFor(response.delay_before_first_byte);
      if (w == Wait::kClientClosed) CountClientClose();
      if (w != Wait::kElapsed) return;
    }
    if (response.drip_interval > absl::ZeroDuration()) {
      for (size_t i = 0; i < limit; ++i) {
        if (!WriteAll(absl::string_view(wire).substr(i, 1))) {
          CountClientClose();
          return;
        }
        const Wait w = WaitFor(response.drip_interval);
        if (w == Wait::kClientClosed) CountClientClose();
        if (w != Wait::kElapsed) return;
      }
    } else if (!WriteAll(absl::string_view(wire).substr(0, limit))) {
      CountClientClose();
      return;
    }
    if (response.close_after_bytes) {
      if (response.reset) SetLingerReset(fd_);
      ssl_dead_ = true;  // no close_notify: an abrupt end
      return;
    }
    {
      absl::MutexLock lock(&server_->mu_);
      ++server_->counts_.responses_completed;
    }
    if (response.reset) {
      SetLingerReset(fd_);
      ssl_dead_ = true;
      return;
    }
    // Lingering close: close_notify and FIN, then wait for the client's end.
    if (ssl_ != nullptr && !ssl_dead_) SSL_shutdown(ssl_);
    shutdown(fd_, SHUT_WR);
    const absl::Time end = absl::Now() + kLingerAfterResponse;
    while (!server_->stopping() && absl::Now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 10) <= 0) continue;
      char buf[4096];
      if (recv(fd_, buf, sizeof(buf), 0) <= 0) break;
    }
  }

  bool ReadRequest(FakeHttpRequest* request) {
    std::string data;
    size_t end;
    while ((end = data.find("\r\n\r\n")) == std::string::npos) {
      if (data.size() > kMaxRequestBytes || server_->stopping()) return false;
      pollfd p{fd_, POLLIN, 0};
      if (!(ssl_ != nullptr && SSL_pending(ssl_) > 0) && poll(&p, 1, 10) <= 0) continue;
      char buf[4096];
      const int n = Read(buf, sizeof(buf));
      if (n <= 0) {
        CountClientClose();
        return false;
      }
      data.append(buf, static_cast<size_t>(n));
    }
    std::vector<std::string> lines = absl::StrSplit(data.substr(0, end), "\r\n");
    std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
    if (first.size() >= 1) request->method = first[0];
    if (first.size() >= 2) request->target = first[1];
    if (first.size() >= 3) request->version = first[2];
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == std::string::npos) continue;
      request->headers.emplace_back(
          lines[i].substr(0, colon),
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
    }
    if (ssl_ != nullptr) {
      const char* sni = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
      request->sni = sni != nullptr ? sni : "";
      request->tls_version = SSL_get_version(ssl_);
    }
    return true;
  }

  FakeHttpsServer* const server_;
  const int fd_;
  SSL* ssl_ = nullptr;
  bool ssl_dead_ = false;
};

// --- FakeHttpsServer. ---

absl::StatusOr<std::unique_ptr<FakeHttpsServer>> FakeHttpsServer::Start(
    const FakeHttpsServerOptions& options) {
  std::unique_ptr<TlsState> tls;
  if (options.tls) {
    tls = std::make_unique<TlsState>();
    for (const FakeHttpsServerOptions::SniCertificate& entry : options.certificates) {
      absl::StatusOr<SSL_CTX*> ctx = MakeTlsServerCtx(entry.cert, options.min_version, options.max_version);
      if (!ctx.ok()) return ctx.status();
      if (entry.server_name.empty()) {
        if (tls->default_ctx != nullptr) {
          SSL_CTX_free(*ctx);
          return absl::InvalidArgumentError("two default certificates");
        }
        tls->default_ctx = *ctx;
      } else {
        tls->by_name.emplace_back(absl::AsciiStrToLower(entry.server_name), *ctx);
      }
    }
    if (tls->default_ctx == nullptr) {
      return absl::InvalidArgumentError("TLS needs a default certificate (server_name \"\")");
    }
    // Picks the certificate by SNI (a lambda: TlsState is private).
    int (*on_server_name)(SSL*, int*, void*) = [](SSL* ssl, int*, void* arg) -> int {
      auto* state = static_cast<TlsState*>(arg);
      const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
      if (name == nullptr) return SSL_TLSEXT_ERR_OK;
      const std::string lower = absl::AsciiStrToLower(name);
      absl::MutexLock lock(&state->mu);
      // The newest entry for a name wins (AddCertificate replaces).
      for (auto it = state->by_name.rbegin(); it != state->by_name.rend(); ++it) {
        if (it->first == lower) {
          SSL_set_SSL_CTX(ssl, it->second);
          break;
        }
      }
      return SSL_TLSEXT_ERR_OK;
    };
    SSL_CTX_set_tlsext_servername_callback(tls->default_ctx, on_server_name);
    SSL_CTX_set_tlsext_servername_arg(tls->default_ctx, tls.get());
  }

  sockaddr_storage addr{};
  socklen_t len = 0;
  if (inet_pton(AF_INET, options.bind_address.c_str(),
                &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr) == 1) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(options.port));
    len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, options.bind_address.c_str(),
                       &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr) == 1) {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(options.port));
    len = sizeof(sockaddr_in6);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("bind_address is not an IP address: ", options.bind_address));
  }
  const int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || listen(fd, 64) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(
        absl::StrCat("bind/listen ", options.bind_address, ": ", strerror(err)));
  }
  const uint16_t bound_port = addr.ss_family == AF_INET
                                  ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                                  : ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  const int wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    close(fd);
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  std::unique_ptr<FakeHttpsServer> server(
      new FakeHttpsServer(options, fd, wake, bound_port, std::move(tls)));
  server->accept_thread_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  return server;
}

FakeHttpsServer::FakeHttpsServer(FakeHttpsServerOptions options, int listen_fd, int wake_fd,
                                 int port, std::unique_ptr<TlsState> tls)
    : options_(std::move(options)),
      listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      port_(port),
      tls_(std::move(tls)),
      default_response_(FakeHttpResponse::Status(404, "Not Found")) {}

FakeHttpsServer::~FakeHttpsServer() { Stop(); }

void FakeHttpsServer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    // Wakes threads blocked in SSL_accept, SSL_read or send.
    if (!connection_threads_.BeginStop()) return;
  }
  const uint64_t one = 1;
  ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::thread> threads;
  {
    absl::MutexLock lock(&mu_);
    threads = connection_threads_.TakeThreads();
  }
  for (std::thread& t : threads) t.join();
  close(listen_fd_);
  close(wake_fd_);
}

bool FakeHttpsServer::stopping() const {
  absl::MutexLock lock(&mu_);
  return connection_threads_.stopping();
}

void FakeHttpsServer::AcceptLoop() {
  BlockSigpipe();  // inherited by the connection threads
  pthread_setname_np(pthread_self(), "fake-https");
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    const int rc = poll(fds, 2, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (stopping()) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    absl::MutexLock lock(&mu_);
    if (!connection_threads_.Adopt(fd, [this, fd] { Serve(fd); })) return;  // stopping
    ++counts_.connections;
  }
}

void FakeHttpsServer::Serve(int fd) {
  {
    Connection connection(this, fd);
    connection.Run();
  }
  absl::MutexLock lock(&mu_);
  connection_threads_.Close(fd);
}

FakeHttpResponse FakeHttpsServer::Lookup(const FakeHttpRequest& request) {
  std::shared_ptr<Handler> handler;
  {
    absl::MutexLock lock(&mu_);
    auto it = responses_.find(request.target);
    if (it != responses_.end()) return it->second;
    if (handler_ == nullptr) return default_response_;
    handler = handler_;
  }
  return (*handler)(request);
}

void FakeHttpsServer::SetResponse(absl::string_view target, FakeHttpResponse response) {
  absl::MutexLock lock(&mu_);
  responses_[std::string(target)] = std::move(response);
}

void FakeHttpsServer::SetDefaultResponse(FakeHttpResponse response) {
  absl::MutexLock lock(&mu_);
  default_response_ = std::move(response);
}

void FakeHttpsServer::SetHandler(Handler handler) {
  absl::MutexLock lock(&mu_);
  handler_ = handler ? std::make_shared<Handler>(std::move(handler)) : nullptr;
}

int64_t FakeHttpsServer::Read(int64_t Counts::*count) const {
  absl::MutexLock lock(&mu_);
  return counts_.*count;
}

int64_t FakeHttpsServer::connections() const { return Read(&Counts::connections); }
int64_t FakeHttpsServer::handshakes() const { return Read(&Counts::handshakes); }
int64_t FakeHttpsServer::handshake_failures() const { return Read(&Counts::handshake_failures); }
int64_t FakeHttpsServer::client_closes() const { return Read(&Counts::client_closes); }
int64_t FakeHttpsServer::responses_completed() const { return Read(&Counts::responses_completed); }
int64_t FakeHttpsServer::plain_bytes_received() const {
  return Read(&Counts::plain_bytes_received);
}

std::vector<FakeHttpRequest> FakeHttpsServer::requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

std::string FakeHttpsServer::last_handshake_error() const {
  absl::MutexLock lock(&mu_);
  return last_handshake_error_;
}

bool FakeHttpsServer::WaitForCount(absl::FunctionRef<int64_t()> count, int64_t n,
                                   absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto done = [&count, n] { return count() >= n; };
  return mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
}

bool FakeHttpsServer::WaitForCount(int64_t Counts::*count, int64_t n,
                                   absl::Duration timeout) const {
  return WaitForCount([this, count]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return counts_.*count; },
                      n, timeout);
}

bool FakeHttpsServer::WaitForClientCloses(int64_t n, absl::Duration timeout) const {
  return WaitForCount(&Counts::client_closes, n, timeout);
}

bool FakeHttpsServer::WaitForRequests(int64_t n, absl::Duration timeout) const {
  return WaitForCount(
      [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return static_cast<int64_t>(requests_.size()); },
      n, timeout);
}

bool FakeHttpsServer::WaitForPlainBytes(int64_t n, absl::Duration timeout) const {
  return WaitForCount(&Counts::plain_bytes_received, n, timeout);
}

bool FakeHttpsServer::WaitForConnections(int64_t n, absl::Duration timeout) const {
  return WaitForCount(&Counts::connections, n, timeout);
}

// --- FullBacklogListener / UnusedLoopbackPort. ---

absl::StatusOr<std::unique_ptr<FullBacklogListener>> FullBacklogListener::Start() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr = LoopbackAddress(0);
  socklen_t len = sizeof(addr);
  // Backlog 0: the accept queue is full after one connection.
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || listen(fd, 0) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("bind/listen: ", strerror(err)));
  }
  // Connect until one connect no longer completes: from then on the kernel
  // drops every SYN to this port.
  std::vector<int> fillers;
  for (int i = 0; i < 16; ++i) {
    const int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c < 0) break;
    fillers.push_back(c);
    if (connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) continue;
    if (errno != EINPROGRESS) break;
    pollfd p{c, POLLOUT, 0};
    if (poll(&p, 1, 100) == 0) {
      return std::unique_ptr<FullBacklogListener>(
          new FullBacklogListener(fd, ntohs(addr.sin_port), std::move(fillers)));
    }
  }
  for (int c : fillers) close(c);
  close(fd);
  return absl::InternalError("the accept queue never filled up");
}

FullBacklogListener::~FullBacklogListener() {
  for (int c : fillers_) close(c);
  close(listen_fd_);
}

absl::StatusOr<int> UnusedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr = LoopbackAddress(0);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("bind: ", strerror(err)));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

absl::Status FakeHttpsServer::AddCertificate(absl::string_view server_name,
                                             const TestCert& cert) {
  if (tls_ == nullptr) return absl::FailedPreconditionError("not a TLS server");
  absl::StatusOr<SSL_CTX*> ctx = MakeTlsServerCtx(cert, options_.min_version, options_.max_version);
  if (!ctx.ok()) return ctx.status();
  absl::MutexLock lock(&tls_->mu);
  tls_->by_name.emplace_back(absl::AsciiStrToLower(server_name), *ctx);
  return absl::OkStatus();
}

}  // namespace mtasts::fakes
