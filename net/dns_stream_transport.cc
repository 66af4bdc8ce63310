#include "net/dns_stream_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "net/dns_stream_connection.h"
#include "net/dns_stream_endpoint.h"
#include "net/dns_stream_wire.h"
#include "net/lifetime.h"
#include "net/tls_client_context.h"

// The forwarder: local clients (UDP and TCP) in, queries held until
// answered, dropped or expired, one upstream connection
// (net/dns_stream_connection.h) to the resolver the rotation names
// (net/dns_stream_endpoint.h), and the memory of who answered.

namespace mtasts::net {

namespace {

class ForwarderImpl final : public DnsForwarder, public FdHandler, public ConnectionEvents {
 public:
  ForwarderImpl(DnsForwarderOptions options, std::unique_ptr<Reactor> reactor,
                std::unique_ptr<TlsClientContext> tls)
      : options_(std::move(options)),
        reactor_(std::move(reactor)),
        tls_(std::move(tls)),
        rotation_(options_.endpoints, options_.reconnect_backoff) {
    options_.max_queries = std::clamp(options_.max_queries, 1, 60000);
    options_.answers_remembered = std::clamp(options_.answers_remembered, 1, 1 << 20);
  }

  ~ForwarderImpl() override {
    OnReactor([this] {
      lifetime_.Expire();
      sweep_.Cancel();
      reconnect_.Cancel();
      conn_.reset();
      for (auto& c : retired_) c.reset();
      for (auto& [fd, client] : clients_) {
        reactor_->Unwatch(fd).IgnoreError();
        close(fd);
      }
      clients_.clear();
      for (int fd : {udp_fd_, listen_fd_}) {
        if (fd >= 0) {
          reactor_->Unwatch(fd).IgnoreError();
          close(fd);
        }
      }
    });
    reactor_.reset();
  }

  absl::Status Bind() {
    for (int attempt = 0; attempt < 32; ++attempt) {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (udp < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
      socklen_t len = sizeof(addr);
      if (bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
          getsockname(udp, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        close(udp);
        return absl::InternalError(absl::StrCat("bind: ", strerror(errno)));
      }
      // TCP on the same port: c-ares and libunbound use one port for both.
      const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      const int one = 1;
      setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      if (tcp >= 0 && bind(tcp, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
          listen(tcp, 128) == 0) {
        udp_fd_ = udp;
        listen_fd_ = tcp;
        port_ = ntohs(addr.sin_port);
        absl::Status watched;
        OnReactor([&] {
          watched = reactor_->Watch(udp_fd_, EPOLLIN, this);
          if (watched.ok()) watched = reactor_->Watch(listen_fd_, EPOLLIN, this);
        });
        return watched;
      }
      if (tcp >= 0) close(tcp);
      close(udp);
    }
    return absl::InternalError("no free loopback port for both UDP and TCP");
  }

  DnsServer local() const override { return DnsServer{"127.0.0.1", port_}; }

  DnsForwarderStats stats() const override {
    DnsForwarderStats s;
    s.connections_opened = connections_opened_.load();
    s.connect_failures = connect_failures_.load();
    s.queries = queries_total_.load();
    s.answers = answers_.load();
    s.resent = resent_.load();
    s.dropped = dropped_.load();
    return s;
  }

  std::string last_error() const override {
    absl::MutexLock lock(&error_mu_);
    return last_error_;
  }

  std::string AnsweredBy(uint16_t client_port, absl::string_view answer) override {
    if (answer.size() < kDnsHeaderBytes) return "";
    absl::MutexLock lock(&answered_mu_);
    auto it = answered_.find(AnsweredKey(client_port, DnsMessageId(answer)));
    if (it == answered_.end() || !AnswerMatchesQuestion(answer, it->second.question)) return "";
    std::string by = std::move(it->second.by);
    answered_.erase(it);  // its slot in answered_order_ goes stale
    return by;
  }

 private:
  enum class ClientKind { kUdp, kTcp };
  struct Query {
    ClientKind kind = ClientKind::kUdp;
    sockaddr_storage peer{};  // UDP
    socklen_t peer_len = 0;
    uint64_t tcp_client = 0;  // TCP: the client's serial
    uint16_t client_port = 0;  // the client socket's port (AnsweredBy)
    uint16_t client_id = 0;
    std::string wire;
    std::string question;
    std::string raw_question;
    size_t udp_limit = 512;
    absl::Time deadline;
    int sends = 0;
    UpstreamConnection* on = nullptr;  // the connection carrying it, if any
  };
  struct TcpClient {
    uint64_t serial = 0;
    uint16_t port = 0;
    DnsStreamFramer framer;
    std::string out;
  };

  void OnReactor(absl::AnyInvocable<void()> fn) {
    if (reactor_->InReactorThread()) {
      fn();
      return;
    }
    absl::Notification done;
    reactor_->Post([&] {
      fn();
      done.Notify();
    });
    done.WaitForNotification();
  }

  void SetError(std::string e) {
    absl::MutexLock lock(&error_mu_);
    last_error_ = std::move(e);
  }

  // --- Local clients.

  void OnFdReady(int fd, uint32_t events) override {
    if (fd == udp_fd_) {
      ReadUdp();
    } else if (fd == listen_fd_) {
      AcceptTcp();
    } else {
      ServeTcp(fd, events);
    }
  }

  void ReadUdp() {
    // A bounded batch per wake-up, so TCP clients and upstream I/O get turns.
    for (int i = 0; i < 64; ++i) {
      Query q;
      q.peer_len = sizeof(q.peer);
      const ssize_t n = recvfrom(udp_fd_, buf_, sizeof(buf_), 0,
                                 reinterpret_cast<sockaddr*>(&q.peer), &q.peer_len);
      if (n < 0) return;
      q.kind = ClientKind::kUdp;
      q.client_port = PortOf(q.peer);
      Accept(std::move(q), absl::string_view(buf_, static_cast<size_t>(n)));
    }
  }

  void AcceptTcp() {
    for (int i = 0; i < 16; ++i) {
      sockaddr_storage peer{};
      socklen_t peer_len = sizeof(peer);
      const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      if (static_cast<int>(clients_.size()) >= options_.max_tcp_clients ||
          !reactor_->Watch(fd, EPOLLIN, this).ok()) {
        close(fd);
        continue;
      }
      auto client = std::make_unique<TcpClient>();
      client->serial = next_client_++;
      client->port = PortOf(peer);
      client_fd_[client->serial] = fd;
      clients_[fd] = std::move(client);
    }
  }

  void CloseClient(int fd) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    client_fd_.erase(it->second->serial);
    clients_.erase(it);
    reactor_->Unwatch(fd).IgnoreError();
    close(fd);
  }

  void ServeTcp(int fd, uint32_t events) {
    auto it = clients_.find(fd);
    if (it == clients_.end()) return;
    TcpClient* client = it->second.get();
    if (events & EPOLLOUT) {
      if (!WriteTcp(fd, client)) return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      const ssize_t n = read(fd, buf_, sizeof(buf_));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        CloseClient(fd);
        return;
      }
      if (n < 0) return;
      client->framer.Append(absl::string_view(buf_, static_cast<size_t>(n)));
      while (auto message = client->framer.Next()) {
        Query q;
        q.kind = ClientKind::kTcp;
        q.tcp_client = client->serial;
        q.client_port = client->port;
        Accept(std::move(q), *message);
      }
    }
  }

  // False when the client was closed.
  bool WriteTcp(int fd, TcpClient* client) {
    while (!client->out.empty()) {
      const ssize_t n = write(fd, client->out.data(), client->out.size());
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        CloseClient(fd);
        return false;
      }
      client->out.erase(0, static_cast<size_t>(n));
    }
    reactor_->Watch(fd, client->out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT), this).IgnoreError();
    return true;
  }

  void Reply(const Query& q, std::string answer) {
    SetDnsMessageId(&answer, q.client_id);
    if (q.kind == ClientKind::kUdp) {
      if (answer.size() > q.udp_limit) answer = TruncatedAnswer(answer, q.raw_question);
      sendto(udp_fd_, answer.data(), answer.size(), MSG_DONTWAIT,
             reinterpret_cast<const sockaddr*>(&q.peer), q.peer_len);
      return;
    }
    auto fd = client_fd_.find(q.tcp_client);
    if (fd == client_fd_.end()) return;  // the client left
    TcpClient* client = clients_[fd->second].get();
    if (client->out.size() > (1u << 20)) {  // a client that does not read
      CloseClient(fd->second);
      return;
    }
    client->out += FrameDnsMessage(answer);
    WriteTcp(fd->second, client);
  }

  // --- Queries.

  void Accept(Query q, absl::string_view message) {
    auto shape = ParseDnsQuery(message);
    if (!shape.has_value()) return;  // not a query we relay: no answer
    queries_total_.fetch_add(1);
    if (static_cast<int>(queries_.size()) >= options_.max_queries) {
      dropped_.fetch_add(1);
      return;
    }
    q.client_id = shape->id;
    q.wire = std::string(message);
    q.question = std::move(shape->question);
    q.raw_question = std::move(shape->raw_question);
    q.udp_limit = std::min(shape->udp_limit, kMaxDnsMessageBytes);
    q.deadline = absl::Now() + options_.query_timeout;
    const uint64_t key = next_key_++;
    queries_.emplace(key, std::move(q));
    SendOrWait(key);
    ArmSweep();
  }

  void SendOrWait(uint64_t key) {
    auto it = queries_.find(key);
    if (it == queries_.end()) return;
    Query& q = it->second;
    if (conn_ == nullptr && !reconnect_armed_) Reconnect();
    if (conn_ == nullptr || conn_->failed()) {
      waiting_.push_back(key);
      return;
    }
    ++q.sends;
    q.on = conn_.get();
    if (!conn_->Send(key, q.wire, q.question)) {
      --q.sends;
      q.on = nullptr;
      waiting_.push_back(key);
      Retire(/*was_ready=*/true, /*immediately=*/true);
    }
  }

  void Reconnect() {
    reconnect_armed_ = false;
    if (conn_ != nullptr) return;
    conn_ = NewUpstreamConnection(options_.kind, reactor_.get(), tls_.get(), rotation_.current(),
                                  options_.connect_timeout, this);
    conn_->Connect();
    std::deque<uint64_t> waiting = std::exchange(waiting_, {});
    for (uint64_t key : waiting) SendOrWait(key);
  }

  // Takes conn_ out of service; its destruction is posted (never inside its
  // own callbacks). Queries it carried go back to waiting_.
  void Retire(bool was_ready, bool immediately) {
    if (conn_ == nullptr) return;
    UpstreamConnection* old = conn_.get();
    retired_.push_back(std::move(conn_));
    reactor_->Post(lifetime_.Guard([this, old] {
      for (auto& c : retired_) {
        if (c.get() == old) c.reset();
      }
      retired_.erase(std::remove(retired_.begin(), retired_.end(), nullptr), retired_.end());
    }));
    const absl::Time now = absl::Now();
    std::vector<uint64_t> again;
    for (auto& [key, q] : queries_) {
      if (q.on != old) continue;
      q.on = nullptr;
      if (!was_ready) --q.sends;  // it never reached the resolver
      if (q.sends >= options_.max_sends || now >= q.deadline) {
        again.push_back(key | (uint64_t{1} << 63));  // drop
      } else {
        again.push_back(key);
      }
    }
    std::sort(again.begin(), again.end());  // oldest first
    for (uint64_t k : again) {
      if (k >> 63) {
        Drop(k & ~(uint64_t{1} << 63));
      } else {
        resent_.fetch_add(1);
        waiting_.push_back(k);
      }
    }
    if (waiting_.empty()) return;
    if (immediately) {
      Reconnect();
    } else {
      reconnect_armed_ = true;
      reconnect_.RunAfter(rotation_.TakePause(), lifetime_.Guard([this] { Reconnect(); }));
    }
  }

  void Drop(uint64_t key) {
    auto it = queries_.find(key);
    if (it == queries_.end()) return;
    if (it->second.on != nullptr && conn_.get() == it->second.on) conn_->Forget(key);
    queries_.erase(it);
    dropped_.fetch_add(1);
  }

  // Every second while anything is held: drop expired queries, close an
  // idle connection.
  void ArmSweep() {
    if (sweep_armed_) return;
    sweep_armed_ = true;
    sweep_.RunAfter(absl::Seconds(1), lifetime_.Guard([this] {
      sweep_armed_ = false;
      const absl::Time now = absl::Now();
      std::vector<uint64_t> expired;
      for (auto& [key, q] : queries_) {
        if (now >= q.deadline) expired.push_back(key);
      }
      for (uint64_t key : expired) {
        waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), key), waiting_.end());
        Drop(key);
      }
      if (queries_.empty() && conn_ != nullptr && now - last_activity_ >= options_.idle_timeout) {
        conn_->CloseIdle();
      }
      if (!queries_.empty() || conn_ != nullptr) ArmSweep();
    }));
  }

  // --- ConnectionEvents.

  void OnReady(UpstreamConnection*) override {
    connections_opened_.fetch_add(1);
    rotation_.Connected();
    last_activity_ = absl::Now();
    SetError("");
  }

  void OnAnswer(UpstreamConnection* c, uint64_t key, std::string answer) override {
    last_activity_ = absl::Now();
    auto it = queries_.find(key);
    if (it == queries_.end()) return;
    Query q = std::move(it->second);
    queries_.erase(it);
    answers_.fetch_add(1);
    // Before the reply leaves: the client may ask as soon as it reads it.
    RememberAnswer(q, c->endpoint().display);
    Reply(q, std::move(answer));
  }

  // --- Who answered (AnsweredBy).

  static uint16_t PortOf(const sockaddr_storage& addr) {
    if (addr.ss_family == AF_INET) {
      return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
    }
    if (addr.ss_family == AF_INET6) {
      return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
    }
    return 0;
  }

  static uint32_t AnsweredKey(uint16_t client_port, uint16_t id) {
    return uint32_t{client_port} << 16 | id;
  }

  void RememberAnswer(const Query& q, const std::string& by) {
    const uint32_t key = AnsweredKey(q.client_port, q.client_id);
    absl::MutexLock lock(&answered_mu_);
    const uint64_t serial = ++answered_serial_;
    answered_[key] = Answered{q.question, by, serial};
    answered_order_.emplace_back(key, serial);
    // Oldest first; an entry asked about or overwritten since is skipped.
    while (answered_order_.size() > static_cast<size_t>(options_.answers_remembered)) {
      auto [old_key, old_serial] = answered_order_.front();
      answered_order_.pop_front();
      auto it = answered_.find(old_key);
      if (it != answered_.end() && it->second.serial == old_serial) answered_.erase(it);
    }
  }

  void OnUnanswered(UpstreamConnection* c, uint64_t key, bool retry,
                    const std::string& why) override {
    auto it = queries_.find(key);
    if (it == queries_.end()) return;
    it->second.on = nullptr;
    if (retry && it->second.sends < options_.max_sends && absl::Now() < it->second.deadline) {
      resent_.fetch_add(1);
      SendOrWait(key);
      return;
    }
    SetError(absl::StrCat(c->endpoint().display, ": ", why));
    Drop(key);
  }

  void OnClosed(UpstreamConnection* c, const std::string& why, bool was_ready) override {
    if (c != conn_.get()) return;
    if (was_ready && !why.empty()) SetError(absl::StrCat(c->endpoint().display, ": ", why));
    if (!was_ready) {
      connect_failures_.fetch_add(1);
      SetError(absl::StrCat(c->endpoint().display, ": ", why));
      rotation_.ConnectFailed();  // the next attempt tries the next resolver
    }
    // A connection that worked and then closed is reopened at once (servers
    // close idle or long-lived connections as a matter of course); one that
    // never came up is retried after a growing pause.
    Retire(was_ready, /*immediately=*/was_ready);
  }

  DnsForwarderOptions options_;
  std::unique_ptr<Reactor> reactor_;
  std::unique_ptr<TlsClientContext> tls_;
  LifetimeToken lifetime_;
  int udp_fd_ = -1;
  int listen_fd_ = -1;
  int port_ = 0;
  char buf_[65536];

  absl::flat_hash_map<int, std::unique_ptr<TcpClient>> clients_;
  absl::flat_hash_map<uint64_t, int> client_fd_;
  uint64_t next_client_ = 1;

  absl::flat_hash_map<uint64_t, Query> queries_;
  std::deque<uint64_t> waiting_;
  uint64_t next_key_ = 1;
  std::unique_ptr<UpstreamConnection> conn_;
  std::vector<std::unique_ptr<UpstreamConnection>> retired_;
  DnsEndpointRotation rotation_;
  ReactorTimer reconnect_{nullptr};
  bool reconnect_armed_ = false;
  ReactorTimer sweep_{nullptr};
  bool sweep_armed_ = false;
  absl::Time last_activity_ = absl::Now();

  std::atomic<int64_t> connections_opened_{0}, connect_failures_{0}, queries_total_{0},
      answers_{0}, resent_{0}, dropped_{0};
  mutable absl::Mutex error_mu_;
  std::string last_error_;

  struct Answered {
    std::string question;  // as ParseDnsQuery gives it
    std::string by;        // DnsStreamEndpoint::display
    uint64_t serial = 0;
  };
  mutable absl::Mutex answered_mu_;
  // By (client port, ID); answered_order_ holds at most answers_remembered
  // (key, serial) pairs, oldest first, so answered_ never holds more.
  absl::flat_hash_map<uint32_t, Answered> answered_ ABSL_GUARDED_BY(answered_mu_);
  std::deque<std::pair<uint32_t, uint64_t>> answered_order_ ABSL_GUARDED_BY(answered_mu_);
  uint64_t answered_serial_ ABSL_GUARDED_BY(answered_mu_) = 0;

 public:
  void InitTimers() {
    reconnect_ = ReactorTimer(reactor_.get());
    sweep_ = ReactorTimer(reactor_.get());
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<DnsForwarder>> DnsForwarder::Start(
    const DnsForwarderOptions& options) {
  if (options.kind == DnsTransportKind::kUdp) {
    return absl::InvalidArgumentError("the forwarder relays over tls or https, not udp");
  }
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no resolver to forward to");
  auto tls = NewDnsStreamTlsContext(options.kind, options.ca_file);
  if (!tls.ok()) return tls.status();
  auto reactor = Reactor::Create("dns-transport");
  if (!reactor.ok()) return reactor.status();
  auto fwd = std::make_unique<ForwarderImpl>(options, *std::move(reactor), *std::move(tls));
  fwd->InitTimers();
  if (absl::Status s = fwd->Bind(); !s.ok()) return s;
  return fwd;
}

}  // namespace mtasts::net
