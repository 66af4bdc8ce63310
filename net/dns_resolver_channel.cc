#include "net/dns_resolver_channel.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "net/dns_answer.h"
#include "net/dns_resolver_servers.h"

namespace mtasts::net {
namespace {

constexpr size_t kClassicUdpLimit = 512;  // RFC 1035 §4.2.1

}  // namespace

const ares_socket_functions AresChannel::kSocketFunctions = {
    &AresChannel::SocketFn, &AresChannel::CloseFn, &AresChannel::ConnectFn,
    &AresChannel::RecvFromFn, &AresChannel::SendvFn};

absl::StatusOr<std::shared_ptr<AresChannel>> AresChannel::Get(Reactor* reactor,
                                                              const DnsOptions& options) {
  // Per thread: a reactor's sessions live on its thread.
  thread_local absl::flat_hash_map<std::string, std::weak_ptr<AresChannel>> channels;
  std::string key = absl::StrCat(reinterpret_cast<uintptr_t>(reactor), "|",
                                 absl::ToInt64Milliseconds(options.attempt_timeout), "|",
                                 options.tries);
  for (const DnsServer& server : options.servers) {
    absl::StrAppend(&key, "|", server.host, ":", server.port);
  }
  std::weak_ptr<AresChannel>& slot = channels[key];
  if (std::shared_ptr<AresChannel> channel = slot.lock()) {
    if (channel->TakeSession()) return channel;
  }
  auto channel = std::make_shared<AresChannel>(reactor, options);
  absl::Status status = channel->Init();
  if (!status.ok()) return status;
  channel->TakeSession();
  slot = channel;
  // Forget the keys of channels that are gone (reactors come and go in tests).
  if (channels.size() > 64) {
    absl::erase_if(channels, [](const auto& entry) { return entry.second.expired(); });
  }
  return channel;
}

AresChannel::~AresChannel() {
  timer_.Cancel();
  if (channel_ != nullptr) {
    // Every query left is detached: EDESTRUCTION only frees its Pending.
    // Closes the sockets, which unwatches them through OnSockState.
    ares_destroy(channel_);
  }
  for (int fd : watched_fds_) reactor_->Unwatch(fd).IgnoreError();
}

absl::Status AresChannel::Init() {
  ares_options opts;
  memset(&opts, 0, sizeof(opts));
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
             ARES_OPT_FLAGS | ARES_OPT_NOROTATE;
  opts.sock_state_cb = &AresChannel::OnSockState;
  opts.sock_state_cb_data = this;
  opts.timeout = static_cast<int>(
      std::min<int64_t>(absl::ToInt64Milliseconds(options_.attempt_timeout), INT_MAX));
  opts.tries = options_.tries;
  // NOCHECKRESP: c-ares 1.18 otherwise treats SERVFAIL/REFUSED as a broken
  // server, retries, and ends the query with ECONNREFUSED, losing the rcode
  // we must report. We give up failover to a second server on SERVFAIL.
  // No EDNS: answers over 512 bytes come back truncated and c-ares retries
  // them over TCP (RFC 7766 §5), which every server supports.
  opts.flags = ARES_FLAG_NOCHECKRESP;
  const int status = ares_init_options(&channel_, &opts, mask);
  if (status != ARES_SUCCESS) {
    channel_ = nullptr;
    return absl::InternalError(absl::StrCat("ares_init_options: ", ares_strerror(status)));
  }
  ares_set_socket_functions(channel_, &kSocketFunctions, this);
  if (!options_.servers.empty()) return SetAresServers(channel_, options_.servers);
  return absl::OkStatus();
}

AresChannel::Pending* AresChannel::Query(Client* client, void* lookup, const std::string& name,
                                         int type) {
  auto* pending = new Pending{this, client, lookup, {name, type}};
  live_[pending->question].insert(pending);
  ares_query(channel_, name.c_str(), ns_c_in, type, &AresChannel::OnAnswer, pending);
  RearmTimer();
  return pending;
}

void AresChannel::Detach(Pending* pending) {
  if (pending->client == nullptr) return;
  pending->client = nullptr;
  pending->lookup = nullptr;
  Unlive(pending);
  ++detached_[pending->question];
}

void AresChannel::OnAnswer(void* arg, int status, int timeouts, unsigned char* abuf,
                           int alen) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  AresChannel* self = pending->channel;
  self->Forget(pending.get());
  Client* client = pending->client;
  if (client == nullptr) return;  // detached: nobody waits for it
  client->OnPendingDone(pending.get(), status, timeouts, abuf, alen,
                        self->SourceOf(abuf, alen));
}

void AresChannel::Unlive(Pending* pending) {
  auto it = live_.find(pending->question);
  if (it == live_.end()) return;
  it->second.erase(pending);
  if (it->second.empty()) live_.erase(it);
}

void AresChannel::Forget(Pending* pending) {
  if (pending->client != nullptr) {
    Unlive(pending);
    return;
  }
  auto it = detached_.find(pending->question);
  if (it != detached_.end() && --it->second <= 0) detached_.erase(it);
}

void AresChannel::RearmTimer() {
  timer_.Cancel();
  timeval tv;
  const timeval* next = ares_timeout(channel_, nullptr, &tv);
  if (next == nullptr) return;  // no query in flight
  // ares_timeout() truncates to milliseconds; waking before c-ares deems the
  // query timed out would only spin, so wait at least 1 ms.
  const absl::Duration wait = std::max(absl::DurationFromTimeval(*next), absl::Milliseconds(1));
  timer_.RunAfter(wait, [this] {
    auto hold = shared_from_this();  // a callback may drop the last session
    last_read_fd_ = -1;  // timeouts end queries without an answer
    ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    RearmTimer();
  });
}

void AresChannel::OnFdReady(int fd, uint32_t events) {
  auto hold = shared_from_this();
  // Errors and hang-ups are handed to c-ares as readiness: its read or write
  // then fails and it moves the query to the next try or server.
  const uint32_t kError = EPOLLERR | EPOLLHUP;
  const ares_socket_t read_fd = (events & (EPOLLIN | kError)) ? fd : ARES_SOCKET_BAD;
  const ares_socket_t write_fd = (events & (EPOLLOUT | kError)) ? fd : ARES_SOCKET_BAD;
  last_read_fd_ = -1;
  ares_process_fd(channel_, read_fd, write_fd);
  last_read_fd_ = -1;
  RearmTimer();
}

void AresChannel::OnSockState(void* data, ares_socket_t fd, int readable, int writable) {
  auto* self = static_cast<AresChannel*>(data);
  if (!readable && !writable) {
    if (self->watched_fds_.erase(fd) > 0) self->reactor_->Unwatch(fd).IgnoreError();
    return;
  }
  const uint32_t events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
  // On failure the socket is simply not watched and the query ends with
  // c-ares' own timeout, reported as kTimeout.
  if (self->reactor_->Watch(fd, events, self).ok()) self->watched_fds_.insert(fd);
}

ares_socket_t AresChannel::SocketFn(int domain, int type, int protocol, void* data) {
  auto* self = static_cast<AresChannel*>(data);
  // c-ares leaves user-created sockets unconfigured (configure_socket()
  // returns early when sock_funcs->asocket is set), so non-blocking mode,
  // close-on-exec and TCP_NODELAY are ours to set.
  const int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) return ARES_SOCKET_BAD;
  if ((type & 0xf) == SOCK_DGRAM) {
    self->udp_fds_.insert(fd);
    // The answers of every session of the channel arrive here in bursts:
    // room for a few hundred (the kernel caps this at net.core.rmem_max).
    const int bytes = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  } else {
    self->udp_fds_.erase(fd);
    // One small query per write: no point in Nagle's delay.
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

int AresChannel::CloseFn(ares_socket_t fd, void* data) {
  auto* self = static_cast<AresChannel*>(data);
  self->udp_fds_.erase(fd);
  self->sources_.erase(fd);
  if (self->last_read_fd_ == fd) self->last_read_fd_ = -1;
  return close(fd);
}

int AresChannel::ConnectFn(ares_socket_t fd, const sockaddr* addr, ares_socklen_t len,
                           void* data) {
  const int rc = connect(fd, addr, len);
  if (rc == 0 || errno == EINPROGRESS) {
    const int saved_errno = errno;
    auto* self = static_cast<AresChannel*>(data);
    Source source;
    source.server = SpellDnsServer(addr, self->options_.servers);
    sockaddr_storage local{};
    socklen_t local_len = sizeof(local);
    // connect() has bound the socket, TCP in progress included.
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) == 0) {
      source.local_port = ntohs(local.ss_family == AF_INET6
                                    ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                    : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    }
    self->sources_[fd] = std::move(source);
    errno = saved_errno;
  }
  return rc;
}

ares_ssize_t AresChannel::RecvFromFn(ares_socket_t fd, void* buf, size_t len, int flags,
                                     sockaddr* from, ares_socklen_t* from_len, void* data) {
  const ssize_t n = recvfrom(fd, buf, len, flags, from, from_len);
  auto* self = static_cast<AresChannel*>(data);
  if (n > 0) {
    // c-ares 1.18 hands each answer to its callback right after the read
    // that completed it (UDP: each datagram; TCP: the last piece of the
    // message), inside the same ares_process_fd: OnAnswer looks here.
    self->last_read_fd_ = fd;
    const bool udp = self->udp_fds_.contains(fd);
    self->last_udp_id_ =
        udp && n >= 2 ? (static_cast<const unsigned char*>(buf)[0] << 8 |
                         static_cast<const unsigned char*>(buf)[1])
                      : -1;
    if (udp) {
      const int saved_errno = errno;
      self->NoteUdpReply(static_cast<const unsigned char*>(buf), static_cast<size_t>(n));
      errno = saved_errno;
    }
  }
  return n;
}

ares_ssize_t AresChannel::SendvFn(ares_socket_t fd, const iovec* iov, int iovcnt, void* data) {
  auto* self = static_cast<AresChannel*>(data);
  if (iovcnt == 1 && self->udp_fds_.contains(fd) && !self->detached_.empty()) {
    std::pair<std::string, int> question;
    if (ReadQuestion(static_cast<const unsigned char*>(iov[0].iov_base), iov[0].iov_len,
                     &question) &&
        self->detached_.contains(question) && !self->live_.contains(question)) {
      // A retry nobody waits for: not sent; c-ares times it out.
      return static_cast<ares_ssize_t>(iov[0].iov_len);
    }
  }
  // sendmsg rather than c-ares' writev: MSG_NOSIGNAL, so a TCP server that
  // closed on us yields EPIPE instead of killing the process with SIGPIPE.
  msghdr msg;
  memset(&msg, 0, sizeof(msg));
  msg.msg_iov = const_cast<iovec*>(iov);
  msg.msg_iovlen = static_cast<size_t>(iovcnt);
  return sendmsg(fd, &msg, MSG_NOSIGNAL);
}

bool AresChannel::ReadQuestion(const unsigned char* buf, size_t len,
                               std::pair<std::string, int>* question) {
  if (len < kDnsHeaderSize) return false;
  const int qdcount = buf[4] << 8 | buf[5];
  if (qdcount < 1) return false;
  long enclen = 0;
  const int alen = static_cast<int>(std::min<size_t>(len, INT_MAX));
  if (!ExpandName(buf + kDnsHeaderSize, buf, alen, &question->first, &enclen)) return false;
  const size_t type_at = kDnsHeaderSize + static_cast<size_t>(enclen);
  if (type_at + 2 > len) return false;
  question->second = buf[type_at] << 8 | buf[type_at + 1];
  return true;
}

void AresChannel::NoteUdpReply(const unsigned char* buf, size_t len) {
  if (len < kDnsHeaderSize) return;
  const bool truncated = (buf[2] & 0x02) != 0;  // TC, RFC 1035 §4.1.1
  if (!truncated && len <= kClassicUdpLimit) return;
  std::pair<std::string, int> question;
  if (!ReadQuestion(buf, len, &question)) return;
  auto it = live_.find(question);
  if (it == live_.end()) return;
  for (Pending* pending : it->second) pending->client->NoteTruncated(pending);
}

const AresChannel::Source* AresChannel::SourceOf(const unsigned char* abuf, int alen) const {
  if (abuf == nullptr || alen < 2 || last_read_fd_ < 0) return nullptr;
  if (udp_fds_.contains(last_read_fd_) && last_udp_id_ != (abuf[0] << 8 | abuf[1])) {
    return nullptr;
  }
  auto it = sources_.find(last_read_fd_);
  return it == sources_.end() ? nullptr : &it->second;
}

}  // namespace mtasts::net
