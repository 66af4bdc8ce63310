#include "net/dns_resolver.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ares.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cerrno>
#include <climits>
#include <cstring>
#include <mutex>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "net/dns_answer.h"
#include "net/host_port.h"
#include "net/lifetime.h"
#include "net/wire_text.h"

namespace mtasts::net {
namespace {

constexpr size_t kClassicUdpLimit = 512;  // RFC 1035 §4.2.1

absl::Status InitAresLibrary() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  // ares_library_init is not thread-safe and must run once per process.
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (status != ARES_SUCCESS) {
    return absl::InternalError(absl::StrCat("ares_library_init: ", ares_strerror(status)));
  }
  return absl::OkStatus();
}

uint64_t NextSessionId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

int AresType(RrType type) {
  switch (type) {
    case RrType::kA: return ns_t_a;
    case RrType::kAaaa: return ns_t_aaaa;
    case RrType::kMx: return ns_t_mx;
    case RrType::kTxt: return ns_t_txt;
    case RrType::kCname: return ns_t_cname;
  }
  return ns_t_a;
}

class AresSession;

// One c-ares channel shared by the sessions of one reactor with the same
// resolver configuration. c-ares 1.18 allocates and zeroes two tables of
// 3,072 list heads (about 74 KiB) in every ares_init_options: with a channel
// per run that was most of a run's memory and a visible share of its CPU
// (docs/performance.md). The channel's sockets are watched on the reactor and
// its timeouts run on one reactor timer.
//
// c-ares 1.18 cannot cancel one query. A session that cancels or goes away
// detaches its queries (their answers are dropped) and, so that a cancelled
// run still stops its network work, the channel does not send UDP retries of
// a question that only detached queries ask.
//
// Sharing a UDP socket means one source port for many queries; to keep the
// port's share of spoofing resistance (RFC 5452 §9.2), a channel takes at most
// kSessionsPerChannel sessions and the next session gets a fresh channel
// (c-ares 1.20 calls this udp_max_queries).
class AresChannel final : public FdHandler,
                          public std::enable_shared_from_this<AresChannel> {
 public:
  static constexpr int kSessionsPerChannel = 64;

  // A query handed to c-ares; owned by c-ares' callback, which deletes it.
  struct Pending {
    AresChannel* channel = nullptr;
    AresSession* session = nullptr;  // null once detached
    void* lookup = nullptr;          // the session's Lookup, or null (probe)
    std::pair<std::string, int> question;
  };

  // Where an answer came from (DnsSession::AnsweredBy): the peer of the
  // socket c-ares read it from, which c-ares connected to one server.
  struct Source {
    std::string server;       // "ip:port", spelled as in DnsOptions::servers when one
    uint16_t local_port = 0;  // our end of the socket (for answer_origin)
  };

  // The reactor's channel for `options` (servers, attempt timeout, tries),
  // made when there is none or the current one has taken its share of
  // sessions. Reactor thread only.
  static absl::StatusOr<std::shared_ptr<AresChannel>> Get(Reactor* reactor,
                                                           const DnsOptions& options);

  AresChannel(Reactor* reactor, const DnsOptions& options)
      : reactor_(reactor), options_(options) {}

  ~AresChannel() override {
    timer_.Cancel();
    if (channel_ != nullptr) {
      // Every query left is detached: EDESTRUCTION only frees its Pending.
      // Closes the sockets, which unwatches them through OnSockState.
      ares_destroy(channel_);
    }
    for (int fd : watched_fds_) reactor_->Unwatch(fd).IgnoreError();
  }

  absl::Status Init();

  // Sends `name`/`type` for `session`; the answer goes to
  // AresSession::OnPendingDone (possibly before this returns, for a name
  // c-ares cannot encode).
  Pending* Query(AresSession* session, void* lookup, const std::string& name, int type) {
    auto* pending = new Pending{this, session, lookup, {name, type}};
    live_[pending->question].insert(pending);
    ares_query(channel_, name.c_str(), ns_c_in, type, &AresChannel::OnAnswer, pending);
    RearmTimer();
    return pending;
  }

  // The session no longer wants `pending`'s answer.
  void Detach(Pending* pending) {
    if (pending->session == nullptr) return;
    pending->session = nullptr;
    pending->lookup = nullptr;
    Unlive(pending);
    ++detached_[pending->question];
  }

  bool TakeSession() { return ++sessions_ <= kSessionsPerChannel; }

 private:
  static void OnAnswer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);

  void Unlive(Pending* pending) {
    auto it = live_.find(pending->question);
    if (it == live_.end()) return;
    it->second.erase(pending);
    if (it->second.empty()) live_.erase(it);
  }

  void Forget(Pending* pending) {
    if (pending->session != nullptr) {
      Unlive(pending);
      return;
    }
    auto it = detached_.find(pending->question);
    if (it != detached_.end() && --it->second <= 0) detached_.erase(it);
  }

  // Arms the reactor timer for c-ares' next timeout; after every call into
  // c-ares, since any of them can add, end or retry queries.
  void RearmTimer() {
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

  void OnFdReady(int fd, uint32_t events) override {
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

  // ARES_OPT_SOCK_STATE_CB: c-ares says which of its sockets it wants to read
  // or write; (0, 0) comes just before it closes one.
  static void OnSockState(void* data, ares_socket_t fd, int readable, int writable) {
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

  absl::Status SetServers();

  // --- ares_set_socket_functions: plain syscalls, plus a look at UDP
  // datagrams.
  //
  // `used_tcp` must say that a query's UDP answer was truncated. c-ares does
  // not tell, so we read the header of every UDP reply it receives: TC set
  // (or a reply over 512 bytes, c-ares' other trigger for TCP) means c-ares
  // retries that question over TCP. Matching is by question (name and type),
  // so lookups of the same name and type on one channel are marked together.

  static ares_socket_t SocketFn(int domain, int type, int protocol, void* data) {
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

  static int CloseFn(ares_socket_t fd, void* data) {
    auto* self = static_cast<AresChannel*>(data);
    self->udp_fds_.erase(fd);
    self->sources_.erase(fd);
    if (self->last_read_fd_ == fd) self->last_read_fd_ = -1;
    return close(fd);
  }

  // c-ares connects every socket, UDP too, to one server, and for UDP drops
  // datagrams from any other address: the peer named here is who answers
  // what is read from `fd`.
  static int ConnectFn(ares_socket_t fd, const sockaddr* addr, ares_socklen_t len, void* data) {
    const int rc = connect(fd, addr, len);
    if (rc == 0 || errno == EINPROGRESS) {
      const int saved_errno = errno;
      auto* self = static_cast<AresChannel*>(data);
      Source source;
      source.server = self->SpellServer(addr);
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

  static ares_ssize_t RecvFromFn(ares_socket_t fd, void* buf, size_t len, int flags,
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

  static ares_ssize_t SendvFn(ares_socket_t fd, const iovec* iov, int iovcnt, void* data) {
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

  // The first question of a DNS message (name as ExpandName gives it, type).
  static bool ReadQuestion(const unsigned char* buf, size_t len,
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

  void NoteUdpReply(const unsigned char* buf, size_t len);

  // The source of the answer c-ares is handing to a callback now, or null
  // (no read in this call into c-ares; a UDP datagram with another ID).
  const Source* SourceOf(const unsigned char* abuf, int alen) const {
    if (abuf == nullptr || alen < 2 || last_read_fd_ < 0) return nullptr;
    if (udp_fds_.contains(last_read_fd_) && last_udp_id_ != (abuf[0] << 8 | abuf[1])) {
      return nullptr;
    }
    auto it = sources_.find(last_read_fd_);
    return it == sources_.end() ? nullptr : &it->second;
  }

  // "ip:port" ("[v6]:port") of `addr`, with the host as DnsOptions::servers
  // writes it when it is one of them.
  std::string SpellServer(const sockaddr* addr) const {
    char text[INET6_ADDRSTRLEN] = {};
    int port = 0;
    const void* bytes = nullptr;
    size_t size = 0;
    if (addr->sa_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
      bytes = &in->sin_addr;
      size = sizeof(in->sin_addr);
      port = ntohs(in->sin_port);
    } else if (addr->sa_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
      bytes = &in6->sin6_addr;
      size = sizeof(in6->sin6_addr);
      port = ntohs(in6->sin6_port);
    } else {
      return "";
    }
    inet_ntop(addr->sa_family, bytes, text, sizeof(text));
    std::string host = text;
    for (const DnsServer& server : options_.servers) {
      unsigned char configured[sizeof(in6_addr)];
      if (server.port == port && inet_pton(addr->sa_family, server.host.c_str(), configured) == 1 &&
          memcmp(configured, bytes, size) == 0) {
        host = server.host;
        break;
      }
    }
    return addr->sa_family == AF_INET6 ? absl::StrCat("[", host, "]:", port)
                                       : absl::StrCat(host, ":", port);
  }

  static constexpr ares_socket_functions kSocketFunctions = {
      &AresChannel::SocketFn, &AresChannel::CloseFn, &AresChannel::ConnectFn,
      &AresChannel::RecvFromFn, &AresChannel::SendvFn};

  Reactor* const reactor_;
  const DnsOptions options_;
  ares_channel channel_ = nullptr;
  int sessions_ = 0;
  // Queries whose answer a session waits for, and those detached, by question.
  absl::flat_hash_map<std::pair<std::string, int>, absl::flat_hash_set<Pending*>> live_;
  absl::flat_hash_map<std::pair<std::string, int>, int> detached_;
  absl::flat_hash_set<int> watched_fds_;
  absl::flat_hash_set<int> udp_fds_;
  absl::flat_hash_map<int, Source> sources_;  // by socket, from ConnectFn
  int last_read_fd_ = -1;  // within one ares_process_fd: the socket last read
  int last_udp_id_ = -1;   // the ID of the datagram last read, if UDP
  ReactorTimer timer_{reactor_};
};

class AresSession final : public DnsSession {
  friend class AresChannel;
 public:
  AresSession(Reactor* reactor, const DnsOptions& options, absl::Time deadline)
      : reactor_(reactor), options_(options), deadline_(deadline) {}

  ~AresSession() override {
    assert(reactor_->InReactorThread());
    lifetime_.Expire();
    cancelled_ = true;
    ReturnSlots();
    DetachAll();
    lookups_.clear();
  }

  absl::Status Init() {
    auto channel = AresChannel::Get(reactor_, options_);
    if (!channel.ok()) return channel.status();
    channel_ = *std::move(channel);
    return absl::OkStatus();
  }

  void Query(const std::string& name, RrType type, Callback done) override {
    assert(reactor_->InReactorThread());
    if (cancelled_) return;  // contract: callbacks of later queries never run
    auto owned = std::make_unique<Lookup>();
    Lookup* lookup = owned.get();
    lookup->id = next_lookup_id_++;
    lookup->result.name = NormalizeName(name);
    lookup->result.type = type;
    lookup->done = std::move(done);
    lookups_.emplace(lookup->id, std::move(owned));

    absl::Status valid = ValidateName(lookup->result.name);
    if (!valid.ok()) {
      Finish(lookup, DnsOutcome::kError, std::string(valid.message()));
      return;
    }
    lookup->current = lookup->result.name;
    lookup->seen.insert(lookup->current);
    SendWhenPaced(lookup);
  }

  void Cancel() override {
    assert(reactor_->InReactorThread());
    cancelled_ = true;
    ReturnSlots();
    // The shared channel drops their answers and sends no more retries.
    DetachAll();
    // Also drops results already waiting in the reactor's queue.
    lookups_.clear();
  }

  // From AresChannel: `pending`'s query ended (c-ares' status and answer).
  void OnPendingDone(AresChannel::Pending* pending, int status, int timeouts,
                     const unsigned char* abuf, int alen, const AresChannel::Source* source) {
    pendings_.erase(pending);
    if (ended_inline_ != nullptr) *std::exchange(ended_inline_, nullptr) = true;
    if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) return;
    if (pending->lookup == nullptr) {
      OnRootNs(status);
      return;
    }
    auto* lookup = static_cast<Lookup*>(pending->lookup);
    lookup->pending = nullptr;
    // c-ares counts the tries that timed out; any other end is one more try
    // that was answered (or failed at once: no server, a bad name).
    lookup->attempt_timeouts += timeouts;
    lookup->attempts += timeouts + (status == ARES_ETIMEOUT ? 0 : 1);
    // Every answer, CNAME hops included; the lookup keeps the last one's.
    lookup->result.answered_by = source != nullptr ? Attribute(*source, abuf, alen) : "";
    NoteAnsweredBy(lookup->result.answered_by);
    HandleAnswer(lookup, status, abuf, alen);
  }

  const std::vector<std::string>& AnsweredBy() const override { return answered_by_; }

  // Marks lookups of this question as answered over TCP (see AresChannel).
  void NoteTruncated(AresChannel::Pending* pending) {
    if (pending->lookup != nullptr) static_cast<Lookup*>(pending->lookup)->result.used_tcp = true;
  }

  int InFlight() const override { return static_cast<int>(lookups_.size()); }

 private:
  // Who answered: the server the socket is connected to, or, through a
  // relay (the tls/https forwarder), whom the relay says it got it from.
  std::string Attribute(const AresChannel::Source& source, const unsigned char* abuf,
                        int alen) const {
    if (options_.answer_origin) {
      return options_.answer_origin(source.local_port, abuf, static_cast<size_t>(alen));
    }
    return source.server;
  }

  void NoteAnsweredBy(const std::string& server) {
    if (server.empty() || answered_by_.size() >= kMaxAnsweredBy) return;
    if (std::find(answered_by_.begin(), answered_by_.end(), server) != answered_by_.end()) return;
    answered_by_.push_back(server);
  }

  struct Lookup {
    uint64_t id = 0;
    AresChannel::Pending* pending = nullptr;  // its query in c-ares, if any
    DnsResult result;
    std::string current;                    // name the c-ares query asks for
    absl::flat_hash_set<std::string> seen;  // names on the chain, for loops
    uint32_t min_ttl = UINT32_MAX;
    Callback done;
    // Pacing (with an upstream): waiting in the pacer's line, or holding a slot.
    DnsPacer::Ticket ticket = 0;
    bool holds_slot = false;
    int overload_retries = 0;     // resends because our resolver was silent
    int attempts = 0;             // tries c-ares made, every query of this lookup
    int attempt_timeouts = 0;     // of those, tries that got no answer in time
    std::string timeout_detail;   // the last round's, while asking for health
  };

  // --- Pacing and the overload verdict (DnsOptions::upstream).

  // Sends `lookup`'s query now, or once the pacer hands it a slot.
  void SendWhenPaced(Lookup* lookup) {
    if (options_.upstream == nullptr) {
      StartAresQuery(lookup);
      return;
    }
    DnsPacer::Acquired acquired = options_.upstream->pacer().Acquire(
        reactor_, deadline_, [this, id = lookup->id](bool granted) { OnSlot(id, granted); });
    if (!acquired.granted_now) {
      lookup->ticket = acquired.ticket;
      return;
    }
    lookup->holds_slot = true;
    StartAresQuery(lookup);
  }

  // The pacer's turn for lookup `id` came (runs from the reactor queue; the
  // session withdraws its tickets before it is cancelled or destroyed).
  void OnSlot(uint64_t id, bool granted) {
    auto it = lookups_.find(id);
    if (it == lookups_.end()) {
      if (granted) options_.upstream->pacer().Release();
      return;
    }
    Lookup* lookup = it->second.get();
    lookup->ticket = 0;
    if (!granted) {
      Finish(lookup, DnsOutcome::kResolverOverloaded,
             absl::StrCat("still waiting in the checker's own DNS queue (at most ",
                          options_.upstream->pacer().max_outstanding(),
                          " queries outstanding) at the domain's deadline"));
      return;
    }
    lookup->holds_slot = true;
    StartAresQuery(lookup);
  }

  void ReleaseSlot(Lookup* lookup) {
    if (!lookup->holds_slot) return;
    lookup->holds_slot = false;
    options_.upstream->pacer().Release();
  }

  // Cancel and destruction: every slot and place in line goes back, and a
  // probe in flight is abandoned (its waiters ask again).
  void ReturnSlots() {
    if (options_.upstream == nullptr) return;
    DnsPacer& pacer = options_.upstream->pacer();
    for (auto& [id, lookup] : lookups_) {
      if (lookup->ticket != 0) pacer.Withdraw(std::exchange(lookup->ticket, 0));
      ReleaseSlot(lookup.get());
    }
    if (probing_) {
      probing_ = false;
      if (probe_ticket_ != 0) pacer.Withdraw(std::exchange(probe_ticket_, 0));
      if (std::exchange(probe_holds_slot_, false)) pacer.Release();
      probe_.reset();
      options_.upstream->ProbeDone(UpstreamHealth::kUnknown);
    }
  }

  // Every try of `lookup` timed out: our resolver's fault or the domain's?
  void OnTimedOut(Lookup* lookup, std::string detail) {
    if (options_.upstream == nullptr) {
      Finish(lookup, DnsOutcome::kTimeout, detail);
      return;
    }
    ReleaseSlot(lookup);
    options_.upstream->NoteLookup(session_id_, /*timed_out=*/true);
    lookup->timeout_detail = std::move(detail);
    AskHealth(lookup->id);
  }

  void AskHealth(uint64_t id) {
    UpstreamHealth known = UpstreamHealth::kUnknown;
    const DnsUpstream::Ask ask = options_.upstream->AskHealth(
        reactor_, lifetime_.Guard([this, id](UpstreamHealth health) { OnHealth(id, health); }),
        &known);
    if (ask == DnsUpstream::Ask::kKnown) {
      OnHealth(id, known);
    } else if (ask == DnsUpstream::Ask::kProbe) {
      StartProbe();
    }
  }

  void OnHealth(uint64_t id, UpstreamHealth health) {
    auto it = lookups_.find(id);
    if (it == lookups_.end()) return;  // cancelled meanwhile
    Lookup* lookup = it->second.get();
    std::string why;
    switch (health) {
      case UpstreamHealth::kUnknown:  // the prober went away: ask again
        AskHealth(id);
        return;
      case UpstreamHealth::kAnswering: {
        // It answers some questions; but lookups of many unrelated runs
        // timing out at once is its overload, not this domain's servers.
        const int sessions = options_.upstream->MassTimeoutSessions();
        if (sessions == 0) {
          Finish(lookup, DnsOutcome::kTimeout, lookup->timeout_detail);
          return;
        }
        why = absl::StrCat("; lookups of ", sessions,
                           " domains checked at the same time timed out too, so the "
                           "checker's own resolver is overloaded");
        break;
      }
      case UpstreamHealth::kSilent:
        why = "; the checker's own resolver did not answer a probe for the root's NS "
              "records either";
        break;
    }
    const absl::Duration backoff = options_.overload_backoff * (1 << lookup->overload_retries);
    if (lookup->overload_retries < options_.overload_retries &&
        absl::Now() + backoff + RoundTime() <= deadline_) {
      ++lookup->overload_retries;
      reactor_->RunAfter(backoff, lifetime_.Guard([this, id] {
        auto again = lookups_.find(id);
        if (again != lookups_.end()) SendWhenPaced(again->second.get());
      }));
      return;
    }
    Finish(lookup, DnsOutcome::kResolverOverloaded,
           absl::StrCat(lookup->timeout_detail,
                        lookup->overload_retries > 0
                            ? absl::StrCat(", sent ", lookup->overload_retries + 1, " times")
                            : "",
                        why));
  }

  // The longest one round of c-ares tries can take: each try of each server,
  // the attempt timeout doubling per round over the servers.
  absl::Duration RoundTime() const {
    const int servers = std::max<int>(1, static_cast<int>(options_.servers.size()));
    return options_.attempt_timeout * servers * ((1 << std::min(options_.tries, 16)) - 1);
  }

  // Sends the health probe: ". NS" on a channel of its own with one try, so
  // its answer is not hidden behind c-ares' doubling timeouts, holding an
  // urgent slot (the bound holds for probes too).
  void StartProbe() {
    probing_ = true;
    DnsPacer::Acquired acquired = options_.upstream->pacer().Acquire(
        reactor_, absl::InfiniteFuture(), [this](bool granted) { OnProbeSlot(granted); },
        /*urgent=*/true);
    if (acquired.granted_now) {
      OnProbeSlot(true);
    } else {
      probe_ticket_ = acquired.ticket;
    }
  }

  void OnProbeSlot(bool granted) {
    probe_ticket_ = 0;
    probe_holds_slot_ = granted;
    DnsOptions options = options_;
    options.upstream = nullptr;
    options.tries = 1;
    auto probe = std::make_unique<AresSession>(reactor_, options, absl::InfiniteFuture());
    if (!granted || !probe->Init().ok()) {
      EndProbe(UpstreamHealth::kSilent);
      return;
    }
    probe_ = std::move(probe);
    probe_->QueryRootNs(lifetime_.Guard([this](int status) {
      // Any reply but SERVFAIL proves the resolver works; SERVFAIL on the
      // root means it cannot reach the root either: ours to fix.
      const bool answered = status == ARES_SUCCESS || status == ARES_ENODATA ||
                            status == ARES_ENOTFOUND || status == ARES_EREFUSED;
      EndProbe(answered ? UpstreamHealth::kAnswering : UpstreamHealth::kSilent);
    }));
  }

  void EndProbe(UpstreamHealth health) {
    if (std::exchange(probe_holds_slot_, false)) options_.upstream->pacer().Release();
    probing_ = false;
    // Runs from the probe's reactor-queued callback, never inside c-ares, so
    // the probe's channel can go now.
    probe_.reset();
    options_.upstream->ProbeDone(health);
  }

 public:
  // The probe's query: ". NS", `done` gets c-ares' status, from the reactor
  // queue. One at a time; never after Cancel or destruction.
  void QueryRootNs(absl::AnyInvocable<void(int)> done) {
    probe_done_ = std::move(done);
    Send(nullptr, ".", ns_t_ns);
  }

 private:
  void OnRootNs(int status) {
    reactor_->Post(lifetime_.Guard([this, status] {
      if (auto done = std::move(probe_done_)) done(status);
    }));
  }

  void DetachAll() {
    for (AresChannel::Pending* pending : pendings_) channel_->Detach(pending);
    pendings_.clear();
    for (auto& [id, lookup] : lookups_) lookup->pending = nullptr;
  }

  void StartAresQuery(Lookup* lookup) {
    // May call OnPendingDone before returning (a name c-ares cannot encode, no
    // server): Finish() defers delivery, so Query() still never calls back.
    lookup->pending = Send(lookup, lookup->current, AresType(lookup->result.type));
  }

  // Hands a query to the channel; null when it ended inside this call.
  AresChannel::Pending* Send(Lookup* lookup, const std::string& name, int type) {
    bool ended = false;
    ended_inline_ = &ended;
    AresChannel::Pending* pending = channel_->Query(this, lookup, name, type);
    ended_inline_ = nullptr;
    if (ended) return nullptr;
    pendings_.insert(pending);
    return pending;
  }

  void HandleAnswer(Lookup* lookup, int status, const unsigned char* abuf, int alen) {
    const std::string where =
        lookup->current == lookup->result.name
            ? std::string()
            : absl::StrCat(" at CNAME target ", lookup->current);
    switch (status) {
      case ARES_SUCCESS:
        AnalyzeAnswer(lookup, abuf, alen);
        return;
      case ARES_ENODATA:  // NOERROR without answer records (RFC 2308 §2.2)
        Finish(lookup, DnsOutcome::kNoData, where.empty() ? "" : absl::StrCat("NODATA", where));
        return;
      case ARES_ENOTFOUND: {
        // RFC 6604 §3: with CNAMEs, NXDOMAIN is about the end of the chain,
        // which the answer section shows.
        std::string end = lookup->current;
        if (abuf != nullptr && lookup->result.type != RrType::kCname) {
          absl::StatusOr<std::vector<AnswerRr>> rrs = WalkAnswer(abuf, alen);
          if (rrs.ok()) {
            absl::Status chain = FollowChain(lookup, *rrs, &end);
            if (!chain.ok()) {
              Finish(lookup, DnsOutcome::kError, std::string(chain.message()));
              return;
            }
          }
        }
        Finish(lookup, DnsOutcome::kNxDomain,
               end == lookup->result.name ? "" : absl::StrCat("NXDOMAIN at CNAME target ", end));
        return;
      }
      case ARES_ESERVFAIL:
        Finish(lookup, DnsOutcome::kServFail, absl::StrCat("server answered SERVFAIL", where));
        return;
      case ARES_EREFUSED:
        Finish(lookup, DnsOutcome::kRefused, absl::StrCat("server answered REFUSED", where));
        return;
      case ARES_ETIMEOUT:
        // c-ares doubles the attempt timeout on each round over the servers.
        OnTimedOut(lookup, absl::StrCat("no answer", where, " after ", options_.tries,
                                        " tries per server (first timeout ",
                                        absl::FormatDuration(options_.attempt_timeout), ")"));
        return;
      case ARES_ECONNREFUSED:
        // Every configured server refused the connection (ICMP port
        // unreachable for UDP): our resolver is down, not the domain's DNS.
        Finish(lookup, DnsOutcome::kUnreachable,
               absl::StrCat("no configured DNS server could be contacted", where));
        return;
      default:
        Finish(lookup, DnsOutcome::kError, absl::StrCat(ares_strerror(status), where));
        return;
    }
  }

  // Follows CNAMEs in `rrs` from *end (in place), adding targets to the chain.
  absl::Status FollowChain(Lookup* lookup, const std::vector<AnswerRr>& rrs,
                           std::string* end) {
    for (;;) {
      auto cname = std::find_if(rrs.begin(), rrs.end(), [&](const AnswerRr& rr) {
        return rr.type == ns_t_cname && rr.owner == *end;
      });
      if (cname == rrs.end()) return absl::OkStatus();
      lookup->min_ttl = std::min(lookup->min_ttl, cname->ttl);
      if (!lookup->seen.insert(cname->target).second) {
        return absl::DataLossError(absl::StrCat(
            "CNAME loop: ", absl::StrJoin(lookup->result.cname_chain, " -> "),
            lookup->result.cname_chain.empty() ? "" : " -> ", cname->target, " (from ",
            lookup->result.name, ")"));
      }
      lookup->result.cname_chain.push_back(cname->target);
      if (static_cast<int>(lookup->result.cname_chain.size()) > options_.max_cname_depth) {
        return absl::DataLossError(
            absl::StrCat("CNAME chain longer than ", options_.max_cname_depth));
      }
      *end = cname->target;
    }
  }

  void AnalyzeAnswer(Lookup* lookup, const unsigned char* abuf, int alen) {
    absl::StatusOr<std::vector<AnswerRr>> rrs = WalkAnswer(abuf, alen);
    if (!rrs.ok()) {
      Finish(lookup, DnsOutcome::kError,
             absl::StrCat("malformed DNS answer: ", rrs.status().message()));
      return;
    }
    const RrType type = lookup->result.type;
    const int wire_type = AresType(type);
    std::string end = lookup->current;
    if (type == RrType::kCname) {
      // Asked for the CNAME itself: it is the answer, not something to chase.
      for (const AnswerRr& rr : *rrs) {
        if (rr.type == ns_t_cname && rr.owner == end) {
          lookup->result.cname_chain.push_back(rr.target);
          lookup->min_ttl = std::min(lookup->min_ttl, rr.ttl);
          Finish(lookup, DnsOutcome::kAnswer, "");
          return;
        }
      }
      Finish(lookup, DnsOutcome::kNoData, "");
      return;
    }
    absl::Status chain = FollowChain(lookup, *rrs, &end);
    if (!chain.ok()) {
      Finish(lookup, DnsOutcome::kError, std::string(chain.message()));
      return;
    }
    int count = 0;
    uint32_t min_ttl = lookup->min_ttl;
    for (const AnswerRr& rr : *rrs) {
      if (rr.type == wire_type && rr.owner == end) {
        ++count;
        min_ttl = std::min(min_ttl, rr.ttl);
      }
    }
    if (count == 0) {
      if (end != lookup->current) {
        // The server gave the alias but not the target's records (an
        // authoritative server outside the target's zone does, RFC 1034
        // §4.3.2): ask for the target. The chain length bounds these rounds.
        lookup->current = end;
        StartAresQuery(lookup);
        return;
      }
      Finish(lookup, DnsOutcome::kNoData, "");
      return;
    }
    lookup->min_ttl = min_ttl;
    absl::Status parsed = ParseRecords(lookup, abuf, alen, count);
    if (!parsed.ok()) {
      Finish(lookup, DnsOutcome::kError, std::string(parsed.message()));
      return;
    }
    const DnsResult& r = lookup->result;
    if (type == RrType::kA || type == RrType::kAaaa) {
      // ares_parse_a(aaaa)_reply follows the chain itself; nothing at its end
      // means records only under other owners.
      if (r.addresses.empty()) {
        Finish(lookup, DnsOutcome::kNoData, "");
        return;
      }
    }
    Finish(lookup, DnsOutcome::kAnswer, "");
  }

  // Fills the asked type's field from c-ares' parsers, applying the bounds.
  // `count` is the number of records of the type the walker saw. (c-ares' MX
  // and TXT parsers take every record of the type in the answer section, as
  // stub resolvers do; servers put only the chain's records there.)
  absl::Status ParseRecords(Lookup* lookup, const unsigned char* abuf, int alen, int count) {
    DnsResult& r = lookup->result;
    const size_t max_records = static_cast<size_t>(options_.max_records);
    size_t total = 0;  // records found, before max_records
    switch (r.type) {
      case RrType::kA: {
        std::vector<ares_addrttl> addrs(count);
        int n = count;
        const int status = ares_parse_a_reply(abuf, alen, nullptr, addrs.data(), &n);
        if (status == ARES_ENODATA) return absl::OkStatus();
        if (status != ARES_SUCCESS) {
          return absl::DataLossError(absl::StrCat("bad A answer: ", ares_strerror(status)));
        }
        total = static_cast<size_t>(n);
        for (int i = 0; i < n && r.addresses.size() < max_records; ++i) {
          char text[INET_ADDRSTRLEN];
          inet_ntop(AF_INET, &addrs[i].ipaddr, text, sizeof(text));
          r.addresses.emplace_back(text);
        }
        break;
      }
      case RrType::kAaaa: {
        std::vector<ares_addr6ttl> addrs(count);
        int n = count;
        const int status = ares_parse_aaaa_reply(abuf, alen, nullptr, addrs.data(), &n);
        if (status == ARES_ENODATA) return absl::OkStatus();
        if (status != ARES_SUCCESS) {
          return absl::DataLossError(absl::StrCat("bad AAAA answer: ", ares_strerror(status)));
        }
        total = static_cast<size_t>(n);
        for (int i = 0; i < n && r.addresses.size() < max_records; ++i) {
          char text[INET6_ADDRSTRLEN];
          inet_ntop(AF_INET6, &addrs[i].ip6addr, text, sizeof(text));
          r.addresses.emplace_back(text);
        }
        break;
      }
      case RrType::kMx: {
        ares_mx_reply* head = nullptr;
        const int status = ares_parse_mx_reply(abuf, alen, &head);
        if (status != ARES_SUCCESS) {
          if (head != nullptr) ares_free_data(head);
          return absl::DataLossError(absl::StrCat("bad MX answer: ", ares_strerror(status)));
        }
        for (ares_mx_reply* mx = head; mx != nullptr; mx = mx->next) {
          ++total;
          if (r.mx.size() >= max_records) continue;
          // RFC 7505: the null MX "0 ." expands to "" and stays "".
          r.mx.push_back(MxRecord{mx->priority, NormalizeName(mx->host)});
        }
        ares_free_data(head);
        break;
      }
      case RrType::kTxt: {
        ares_txt_ext* head = nullptr;
        const int status = ares_parse_txt_reply_ext(abuf, alen, &head);
        if (status != ARES_SUCCESS) {
          if (head != nullptr) ares_free_data(head);
          return absl::DataLossError(absl::StrCat("bad TXT answer: ", ares_strerror(status)));
        }
        // c-ares gives one node per character-string; record_start marks the
        // first string of each record. RFC 7208 §3.3 / RFC 8461 §3.1: a
        // record's strings are joined without separators.
        std::vector<std::string> records;
        for (ares_txt_ext* t = head; t != nullptr; t = t->next) {
          if (t->record_start || records.empty()) records.emplace_back();
          records.back().append(reinterpret_cast<const char*>(t->txt), t->length);
        }
        ares_free_data(head);
        int too_long = 0;
        for (std::string& record : records) {
          if (record.size() > static_cast<size_t>(options_.max_txt_record_bytes)) {
            ++too_long;
            continue;
          }
          ++total;
          if (r.txt.size() < max_records) r.txt.push_back(std::move(record));
        }
        if (too_long > 0) {
          AddDetail(&r, absl::StrCat("dropped ", too_long, " TXT record(s) longer than ",
                                     options_.max_txt_record_bytes, " bytes"));
        }
        break;
      }
      case RrType::kCname:
        break;  // handled by AnalyzeAnswer
    }
    if (total > max_records) {
      AddDetail(&r, absl::StrCat("kept the first ", max_records, " of ", total,
                                 " records (max_records)"));
    }
    return absl::OkStatus();
  }

  static void AddDetail(DnsResult* r, absl::string_view detail) {
    if (detail.empty()) return;
    if (!r->detail.empty()) r->detail += "; ";
    r->detail.append(detail.data(), detail.size());
  }

  // Ends `lookup` (the c-ares side is done) and schedules its callback. The
  // callback always runs from the reactor queue: never inside Query(), and
  // never inside a c-ares callback, where destroying the session would
  // destroy the channel under c-ares' feet.
  void Finish(Lookup* lookup, DnsOutcome outcome, absl::string_view detail) {
    ReleaseSlot(lookup);  // at once: the next query in line need not wait for delivery
    if (options_.upstream != nullptr && outcome != DnsOutcome::kTimeout &&
        outcome != DnsOutcome::kResolverOverloaded) {
      options_.upstream->NoteLookup(session_id_, /*timed_out=*/false);
    }
    DnsResult& r = lookup->result;
    r.outcome = outcome;
    AddDetail(&r, detail);
    r.ttl = outcome == DnsOutcome::kAnswer && lookup->min_ttl != UINT32_MAX ? lookup->min_ttl : 0;
    if (options_.on_question_finished) {
      options_.on_question_finished(DnsQueryStats{outcome, lookup->attempts,
                                                  lookup->attempt_timeouts, r.used_tcp});
    }
    // Dropped when the session is destroyed meanwhile.
    reactor_->Post(lifetime_.Guard([this, id = lookup->id] {
      auto it = lookups_.find(id);
      if (it == lookups_.end()) return;  // cancelled meanwhile
      std::unique_ptr<Lookup> done = std::move(it->second);
      lookups_.erase(it);
      // Last use of `this`: the callback may destroy the session.
      done->done(std::move(done->result));
    }));
  }

  Reactor* const reactor_;
  const DnsOptions options_;
  const absl::Time deadline_;
  // Tells sessions apart in the upstream's window of timeouts.
  const uint64_t session_id_ = NextSessionId();
  std::shared_ptr<AresChannel> channel_;
  // This session's queries in c-ares (to detach on Cancel and destruction).
  absl::flat_hash_set<AresChannel::Pending*> pendings_;
  // Set while Send() is inside AresChannel::Query: a query that ends there
  // never enters pendings_.
  bool* ended_inline_ = nullptr;
  // The health probe this session sends for the upstream, if any.
  bool probing_ = false;
  DnsPacer::Ticket probe_ticket_ = 0;
  bool probe_holds_slot_ = false;
  std::unique_ptr<AresSession> probe_;
  absl::AnyInvocable<void(int)> probe_done_;  // QueryRootNs, on the probe session
  absl::flat_hash_map<uint64_t, std::unique_ptr<Lookup>> lookups_;
  uint64_t next_lookup_id_ = 1;
  bool cancelled_ = false;
  std::vector<std::string> answered_by_;  // NoteAnsweredBy
  // Expires with the session; results queued on the reactor check it.
  LifetimeToken lifetime_;
};

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
  if (!options_.servers.empty()) return SetServers();
  return absl::OkStatus();
}

absl::Status AresChannel::SetServers() {
  std::vector<ares_addr_port_node> nodes(options_.servers.size());
  for (size_t i = 0; i < options_.servers.size(); ++i) {
    const DnsServer& server = options_.servers[i];
    ares_addr_port_node& node = nodes[i];
    memset(&node, 0, sizeof(node));
    node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    node.udp_port = server.port;
    node.tcp_port = server.port;
    if (inet_pton(AF_INET, server.host.c_str(), &node.addr.addr4) == 1) {
      node.family = AF_INET;
    } else {
      in6_addr addr6;
      if (inet_pton(AF_INET6, server.host.c_str(), &addr6) != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("DNS server \"", server.host, "\" is not an IP address"));
      }
      node.family = AF_INET6;
      memcpy(&node.addr.addr6, &addr6, sizeof(addr6));
    }
  }
  const int status = ares_set_servers_ports(channel_, nodes.data());
  if (status != ARES_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("ares_set_servers_ports: ", ares_strerror(status)));
  }
  return absl::OkStatus();
}

// --- AresChannel's members that need AresSession.

void AresChannel::OnAnswer(void* arg, int status, int timeouts, unsigned char* abuf,
                           int alen) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(arg));
  AresChannel* self = pending->channel;
  self->Forget(pending.get());
  AresSession* session = pending->session;
  if (session == nullptr) return;  // detached: nobody waits for it
  session->OnPendingDone(pending.get(), status, timeouts, abuf, alen,
                         self->SourceOf(abuf, alen));
}

void AresChannel::NoteUdpReply(const unsigned char* buf, size_t len) {
  if (len < kDnsHeaderSize) return;
  const bool truncated = (buf[2] & 0x02) != 0;  // TC, RFC 1035 §4.1.1
  if (!truncated && len <= kClassicUdpLimit) return;
  std::pair<std::string, int> question;
  if (!ReadQuestion(buf, len, &question)) return;
  auto it = live_.find(question);
  if (it == live_.end()) return;
  for (Pending* pending : it->second) pending->session->NoteTruncated(pending);
}

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

absl::Status ValidateOptions(const DnsOptions& options) {
  if (options.tries < 1) {
    return absl::InvalidArgumentError(absl::StrCat("tries must be >= 1, got ", options.tries));
  }
  if (options.attempt_timeout < absl::Milliseconds(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("attempt_timeout must be >= 1ms, got ",
                     absl::FormatDuration(options.attempt_timeout)));
  }
  if (options.overload_retries < 0 || options.overload_backoff < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("overload_retries and overload_backoff must be >= 0");
  }
  if (options.max_cname_depth < 0 || options.max_records < 1 ||
      options.max_txt_record_bytes < 1) {
    return absl::InvalidArgumentError(
        "max_cname_depth must be >= 0, max_records and max_txt_record_bytes >= 1");
  }
  for (const DnsServer& server : options.servers) {
    if (!IsIpv4Literal(server.host) && !IsIpv6Literal(server.host)) {
      return absl::InvalidArgumentError(
          absl::StrCat("DNS server \"", server.host, "\" is not an IP address"));
    }
    if (server.port < 1 || server.port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("DNS server port ", server.port, " out of range"));
    }
  }
  return absl::OkStatus();
}

absl::Status BadServer(absl::string_view entry, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("DNS server \"", entry, "\": ", why));
}

}  // namespace

absl::StatusOr<std::vector<DnsServer>> ParseDnsServers(const std::string& csv) {
  std::vector<DnsServer> servers;
  if (absl::StripAsciiWhitespace(csv).empty()) return servers;
  for (absl::string_view raw : absl::StrSplit(csv, ',')) {
    const absl::string_view entry = absl::StripAsciiWhitespace(raw);
    if (entry.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty entry in DNS server list \"", csv, "\""));
    }
    auto parsed = ParseHostPort(entry);
    if (!parsed.ok()) return BadServer(entry, parsed.status().message());
    DnsServer server;
    server.host = std::move(parsed->host);
    server.port = parsed->port.value_or(53);
    servers.push_back(std::move(server));
  }
  return servers;
}

absl::StatusOr<std::unique_ptr<DnsSession>> DnsSession::Create(Reactor* reactor,
                                                               const DnsOptions& options,
                                                               absl::Time deadline) {
  if (reactor == nullptr) return absl::InvalidArgumentError("null reactor");
  if (!reactor->InReactorThread()) {
    return absl::FailedPreconditionError("DnsSession::Create off the reactor thread");
  }
  absl::Status status = ValidateOptions(options);
  if (!status.ok()) return status;
  status = InitAresLibrary();
  if (!status.ok()) return status;
  auto session = std::make_unique<AresSession>(reactor, options, deadline);
  status = session->Init();
  if (!status.ok()) return status;
  return std::unique_ptr<DnsSession>(std::move(session));
}

}  // namespace mtasts::net
