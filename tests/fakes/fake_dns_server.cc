#include "tests/fakes/fake_dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/fakes/loopback_listener.h"

namespace mtasts::fakes {
namespace {

// RFC 1035 §4.2.1: UDP messages are limited to 512 bytes without EDNS.
constexpr size_t kClassicUdpLimit = 512;
constexpr size_t kMaxLoggedQueries = 100000;
// Datagrams read per poll turn, so TCP clients and timers get their share.
constexpr int kMaxUdpPerTurn = 256;
constexpr uint16_t kTypeOpt = 41;  // RFC 6891 §6.1.1
constexpr uint16_t kClassIn = 1;
constexpr size_t kHeaderSize = 12;

// Header flag bits (RFC 1035 §4.1.1).
constexpr uint16_t kFlagQr = 0x8000;
constexpr uint16_t kOpcodeMask = 0x7800;
constexpr uint16_t kFlagAa = 0x0400;
constexpr uint16_t kFlagTc = 0x0200;
constexpr uint16_t kFlagRd = 0x0100;

// Misuse by the test author (a bad literal in a factory) is a bug in the
// test: stop with a clear message rather than serve something unintended.
[[noreturn]] void Die(absl::string_view message) {
  std::fprintf(stderr, "FakeDnsServer: %.*s\n", static_cast<int>(message.size()),
               message.data());
  std::abort();
}

std::string Normalize(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return absl::AsciiStrToLower(name);
}

void PutU16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v & 0xff));
}

void PutU32(std::string* out, uint32_t v) {
  PutU16(out, static_cast<uint16_t>(v >> 16));
  PutU16(out, static_cast<uint16_t>(v & 0xffff));
}

uint16_t GetU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

std::string EncodeLabels(const std::vector<std::string>& labels) {
  std::string out;
  for (const std::string& label : labels) {
    out.push_back(static_cast<char>(label.size()));
    out.append(label);
  }
  out.push_back('\0');
  return out;
}

// A dotted name as uncompressed labels (RFC 1035 §3.1); "" and "." are the root.
std::string EncodeName(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::vector<std::string> labels;
  if (!name.empty()) {
    for (absl::string_view label : absl::StrSplit(name, '.')) {
      if (label.empty() || label.size() > 63) {
        Die(absl::StrCat("bad label in name \"", name, "\""));
      }
      labels.emplace_back(label);
    }
  }
  std::string out = EncodeLabels(labels);
  if (out.size() > 255) Die(absl::StrCat("name too long: ", name));
  return out;
}

// Reads a possibly compressed name (RFC 1035 §4.1.4) at *pos into `labels`,
// advancing *pos past it. Bounded: at most 32 pointer hops, 255 bytes.
bool DecodeName(const uint8_t* msg, size_t len, size_t* pos,
                std::vector<std::string>* labels) {
  size_t p = *pos;
  bool jumped = false;
  int hops = 0;
  size_t total = 1;
  for (;;) {
    if (p >= len) return false;
    const uint8_t c = msg[p];
    if ((c & 0xc0) == 0xc0) {
      if (p + 1 >= len || ++hops > 32) return false;
      if (!jumped) *pos = p + 2;
      jumped = true;
      p = static_cast<size_t>(c & 0x3f) << 8 | msg[p + 1];
      continue;
    }
    if ((c & 0xc0) != 0) return false;  // RFC 6891 extended label types: no
    if (c == 0) {
      if (!jumped) *pos = p + 1;
      return true;
    }
    total += c + 1;
    if (p + 1 + c > len || total > 255) return false;
    labels->emplace_back(reinterpret_cast<const char*>(msg + p + 1), c);
    p += 1 + c;
  }
}

std::string HeaderOnly(uint16_t id, uint16_t query_flags, DnsRcode rcode) {
  std::string out;
  PutU16(&out, id);
  PutU16(&out, kFlagQr | (query_flags & kOpcodeMask) | (query_flags & kFlagRd) |
                   static_cast<uint16_t>(rcode));
  for (int i = 0; i < 4; ++i) PutU16(&out, 0);
  return out;
}

struct ParsedQuery {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::string qname_wire;  // the question's name, re-encoded, case kept
  std::vector<std::string> labels;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  size_t udp_limit = kClassicUdpLimit;
  bool edns = false;
};

// The response to `q`; `with_answers` false leaves the answer section empty.
std::string BuildResponse(const ParsedQuery& q, const DnsReply& reply, bool tc,
                          bool with_answers) {
  std::string out;
  PutU16(&out, q.id);
  PutU16(&out, kFlagQr | (q.flags & kOpcodeMask) | kFlagAa | (tc ? kFlagTc : 0) |
                   (q.flags & kFlagRd) | static_cast<uint16_t>(reply.rcode));
  PutU16(&out, 1);
  PutU16(&out, with_answers ? static_cast<uint16_t>(reply.answers.size()) : 0);
  PutU16(&out, 0);
  PutU16(&out, q.edns ? 1 : 0);
  out.append(q.qname_wire);
  PutU16(&out, q.qtype);
  PutU16(&out, q.qclass);
  if (with_answers) {
    for (const DnsRecord& rr : reply.answers) {
      out.append(rr.owner.empty() ? q.qname_wire : EncodeName(rr.owner));
      PutU16(&out, rr.type);
      PutU16(&out, kClassIn);
      PutU32(&out, rr.ttl);
      if (rr.rdata.size() > 0xffff) Die("RDATA over 65535 bytes");
      PutU16(&out, static_cast<uint16_t>(rr.rdata.size()));
      out.append(rr.rdata);
    }
  }
  if (q.edns) {
    // RFC 6891 §7: answer an OPT with our own UDP payload size.
    out.push_back('\0');
    PutU16(&out, kTypeOpt);
    PutU16(&out, 1232);
    PutU32(&out, 0);
    PutU16(&out, 0);
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// Records and replies.

DnsRecord DnsRecord::A(absl::string_view ipv4, uint32_t ttl) {
  in_addr addr;
  if (inet_pton(AF_INET, std::string(ipv4).c_str(), &addr) != 1) {
    Die(absl::StrCat("bad IPv4 literal: ", ipv4));
  }
  return Raw(static_cast<uint16_t>(DnsType::kA),
             std::string(reinterpret_cast<const char*>(&addr), sizeof(addr)), ttl);
}

DnsRecord DnsRecord::Aaaa(absl::string_view ipv6, uint32_t ttl) {
  in6_addr addr;
  if (inet_pton(AF_INET6, std::string(ipv6).c_str(), &addr) != 1) {
    Die(absl::StrCat("bad IPv6 literal: ", ipv6));
  }
  return Raw(static_cast<uint16_t>(DnsType::kAaaa),
             std::string(reinterpret_cast<const char*>(&addr), sizeof(addr)), ttl);
}

DnsRecord DnsRecord::Mx(uint16_t preference, absl::string_view exchange, uint32_t ttl) {
  std::string rdata;
  PutU16(&rdata, preference);
  rdata.append(EncodeName(exchange));
  return Raw(static_cast<uint16_t>(DnsType::kMx), std::move(rdata), ttl);
}

DnsRecord DnsRecord::Txt(std::vector<std::string> strings, uint32_t ttl) {
  std::string rdata;
  for (const std::string& s : strings) {
    // An empty string is a valid (zero-length) character-string.
    size_t offset = 0;
    do {
      const size_t n = std::min<size_t>(255, s.size() - offset);
      rdata.push_back(static_cast<char>(n));
      rdata.append(s, offset, n);
      offset += n;
    } while (offset < s.size());
  }
  return Raw(static_cast<uint16_t>(DnsType::kTxt), std::move(rdata), ttl);
}

DnsRecord DnsRecord::Cname(absl::string_view target, uint32_t ttl) {
  DnsRecord rr = Raw(static_cast<uint16_t>(DnsType::kCname), EncodeName(target), ttl);
  rr.target = Normalize(target);
  return rr;
}

DnsRecord DnsRecord::Raw(uint16_t type, std::string rdata, uint32_t ttl) {
  DnsRecord rr;
  rr.type = type;
  rr.ttl = ttl;
  rr.rdata = std::move(rdata);
  return rr;
}

DnsRecord DnsRecord::WithOwner(absl::string_view name) const {
  DnsRecord rr = *this;
  rr.owner = std::string(name);
  EncodeName(rr.owner);  // validate now, not when a query arrives
  return rr;
}

DnsReply DnsReply::Records(std::vector<DnsRecord> answers) {
  DnsReply reply;
  reply.answers = std::move(answers);
  return reply;
}
DnsReply DnsReply::NoData() { return DnsReply(); }
DnsReply DnsReply::NxDomain() { return WithRcode(DnsRcode::kNxDomain); }
DnsReply DnsReply::ServFail() { return WithRcode(DnsRcode::kServFail); }
DnsReply DnsReply::Refused() { return WithRcode(DnsRcode::kRefused); }
DnsReply DnsReply::WithRcode(DnsRcode rcode) {
  DnsReply reply;
  reply.rcode = rcode;
  return reply;
}
DnsReply DnsReply::Drop() {
  DnsReply reply;
  reply.drop = true;
  return reply;
}
DnsReply DnsReply::Delayed(absl::Duration d) const {
  DnsReply reply = *this;
  reply.delay = d;
  return reply;
}
DnsReply DnsReply::TruncatedOverUdp() const {
  DnsReply reply = *this;
  reply.truncate_udp = true;
  return reply;
}

// ---------------------------------------------------------------------------
// The server thread.

struct FakeDnsServer::Conn {
  int fd = -1;
  std::string in;   // bytes read, not yet a whole frame
  std::string out;  // framed replies not yet written
};

struct FakeDnsServer::Pending {
  std::string wire;
  bool tcp = false;
  uint64_t conn_id = 0;  // TCP
  sockaddr_storage peer{};  // UDP
  socklen_t peer_len = 0;
};

class FakeDnsServer::Loop {
 public:
  explicit Loop(FakeDnsServer* server) : server_(server) {}

  ~Loop() {
    for (auto& [id, conn] : conns_) close(conn.fd);
    // Replies still waiting for their delay are never sent.
    server_->AdjustOutstanding(-static_cast<int>(pending_.size()));
  }

  void RequestStop() {
    stop_.store(true);
    const uint64_t one = 1;
    ssize_t ignored = write(server_->wake_fd_, &one, sizeof(one));
    (void)ignored;
  }

  void Run() {
    pthread_setname_np(pthread_self(), "fake-dns");
    std::vector<pollfd> fds;
    std::vector<uint64_t> ids;
    while (!stop_.load()) {
      fds.clear();
      ids.clear();
      fds.push_back({server_->wake_fd_, POLLIN, 0});
      fds.push_back({server_->udp_fd_, POLLIN, 0});
      fds.push_back({server_->tcp_fd_, POLLIN, 0});
      for (const auto& [id, conn] : conns_) {
        fds.push_back({conn.fd, static_cast<short>(POLLIN | (conn.out.empty() ? 0 : POLLOUT)), 0});
        ids.push_back(id);
      }
      const int n = poll(fds.data(), fds.size(), WaitMillis());
      if (n < 0) {
        if (errno == EINTR) continue;
        Die(absl::StrCat("poll: ", strerror(errno)));
      }
      if (fds[0].revents != 0) {
        uint64_t count;
        ssize_t ignored = read(server_->wake_fd_, &count, sizeof(count));
        (void)ignored;
      }
      if (stop_.load()) break;
      if (fds[1].revents != 0) ReadUdp();
      if (fds[2].revents != 0) Accept();
      for (size_t i = 0; i < ids.size(); ++i) {
        const short revents = fds[3 + i].revents;
        if (revents == 0) continue;
        if (revents & (POLLIN | POLLHUP | POLLERR)) ReadConn(ids[i]);
        if ((revents & POLLOUT) && conns_.count(ids[i]) != 0) WriteConn(ids[i]);
      }
      SendDue();
    }
  }

 private:
  int WaitMillis() const {
    if (pending_.empty()) return -1;
    const absl::Duration wait = pending_.begin()->first - absl::Now();
    if (wait <= absl::ZeroDuration()) return 0;
    const int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(wait, absl::Milliseconds(1)));
    return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
  }

  void ReadUdp() {
    uint8_t buf[65536];
    for (int i = 0; i < kMaxUdpPerTurn; ++i) {
      Pending reply_to;
      reply_to.peer_len = sizeof(reply_to.peer);
      const ssize_t n = recvfrom(server_->udp_fd_, buf, sizeof(buf), 0,
                                 reinterpret_cast<sockaddr*>(&reply_to.peer),
                                 &reply_to.peer_len);
      if (n < 0) return;  // EAGAIN, or an ICMP error from an earlier send
      HandleMessage(buf, static_cast<size_t>(n), std::move(reply_to));
    }
  }

  void Accept() {
    for (;;) {
      const int fd = accept4(server_->tcp_fd_, nullptr, nullptr,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      conns_[next_conn_id_++].fd = fd;
    }
  }

  void ReadConn(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    char buf[16384];
    for (;;) {
      const ssize_t n = read(it->second.fd, buf, sizeof(buf));
      if (n > 0) {
        it->second.in.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      CloseConn(id);  // EOF or error
      return;
    }
    // RFC 1035 §4.2.2: each message is preceded by a two-byte length. Clients
    // (c-ares among them) pipeline several queries on one connection.
    std::string& in = it->second.in;
    size_t offset = 0;
    while (in.size() - offset >= 2) {
      const size_t len = GetU16(reinterpret_cast<const uint8_t*>(in.data() + offset));
      if (in.size() - offset - 2 < len) break;
      Pending reply_to;
      reply_to.tcp = true;
      reply_to.conn_id = id;
      HandleMessage(reinterpret_cast<const uint8_t*>(in.data() + offset + 2), len,
                    std::move(reply_to));
      offset += 2 + len;
    }
    in.erase(0, offset);
    WriteConn(id);
  }

  void WriteConn(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    std::string& out = it->second.out;
    while (!out.empty()) {
      const ssize_t n = send(it->second.fd, out.data(), out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        out.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      CloseConn(id);
      return;
    }
  }

  void CloseConn(uint64_t id) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    close(it->second.fd);
    conns_.erase(it);
  }

  // Answers one message; `reply_to` says where the answer goes.
  void HandleMessage(const uint8_t* msg, size_t len, Pending reply_to) {
    if (len < kHeaderSize) return;
    ParsedQuery q;
    q.id = GetU16(msg);
    q.flags = GetU16(msg + 2);
    if (q.flags & kFlagQr) return;  // a response: not for us
    const uint16_t qdcount = GetU16(msg + 4);
    const uint16_t ancount = GetU16(msg + 6);
    const uint16_t nscount = GetU16(msg + 8);
    const uint16_t arcount = GetU16(msg + 10);
    size_t pos = kHeaderSize;
    if (qdcount != 1 || !DecodeName(msg, len, &pos, &q.labels) || pos + 4 > len) {
      reply_to.wire = HeaderOnly(q.id, q.flags, DnsRcode::kFormErr);
      Deliver(std::move(reply_to), /*counted=*/false);
      return;
    }
    q.qname_wire = EncodeLabels(q.labels);
    q.qtype = GetU16(msg + pos);
    q.qclass = GetU16(msg + pos + 2);
    pos += 4;
    // RFC 6891 §6.1.2: an OPT RR in the additional section raises the UDP limit
    // to its CLASS field. Clients put it right after the question.
    if (ancount == 0 && nscount == 0 && arcount > 0) {
      std::vector<std::string> root;
      if (DecodeName(msg, len, &pos, &root) && root.empty() && pos + 4 <= len &&
          GetU16(msg + pos) == kTypeOpt) {
        q.edns = true;
        q.udp_limit = std::max<size_t>(kClassicUdpLimit, GetU16(msg + pos + 2));
      }
    }

    DnsQuery query;
    query.name = Normalize(absl::StrJoin(q.labels, "."));
    query.type = q.qtype;
    query.over_tcp = reply_to.tcp;
    DnsReply reply;
    if ((q.flags & kOpcodeMask) != 0) {
      reply = DnsReply::WithRcode(DnsRcode::kNotImp);  // only QUERY (opcode 0)
    } else {
      reply = server_->Resolve(query);
    }
    if (server_->AtCapacity()) reply.drop = true;
    // Counted once its fate is known, in one step with becoming outstanding,
    // so a test that saw the query arrive also sees it outstanding.
    const bool delayed = !reply.drop && reply.delay > absl::ZeroDuration();
    server_->CountQuery(query, delayed);
    if (reply.drop) {
      absl::MutexLock lock(&server_->stats_mu_);
      ++server_->dropped_;
      return;
    }
    const bool truncate = !reply_to.tcp && reply.truncate_udp;
    reply_to.wire = BuildResponse(q, reply, truncate, /*with_answers=*/!truncate);
    if (!reply_to.tcp && reply_to.wire.size() > q.udp_limit) {
      reply_to.wire = BuildResponse(q, reply, /*tc=*/true, /*with_answers=*/false);
    }
    // Only replies that wait for a delay are outstanding: an immediate reply
    // is never observable as in flight, so counting it would make
    // max_outstanding() overstate how much work a client kept pending.
    if (delayed) {
      pending_.emplace(absl::Now() + reply.delay, std::move(reply_to));
    } else {
      Deliver(std::move(reply_to), /*counted=*/false);
    }
  }

  // Sends (UDP) or queues (TCP; written by the caller) one reply.
  void Deliver(Pending p, bool counted) {
    // Before the send: a client that has its answer must never still see the
    // query as outstanding.
    if (counted) server_->AdjustOutstanding(-1);
    if (p.tcp) {
      auto it = conns_.find(p.conn_id);
      if (it != conns_.end()) {
        if (p.wire.size() > 0xffff) Die("TCP reply over 65535 bytes");
        PutU16(&it->second.out, static_cast<uint16_t>(p.wire.size()));
        it->second.out.append(p.wire);
      }
    } else {
      // Loopback UDP: a full socket buffer loses the reply, like the network.
      sendto(server_->udp_fd_, p.wire.data(), p.wire.size(), 0,
             reinterpret_cast<const sockaddr*>(&p.peer), p.peer_len);
    }
  }

  void SendDue() {
    const absl::Time now = absl::Now();
    while (!pending_.empty() && pending_.begin()->first <= now) {
      Pending p = std::move(pending_.begin()->second);
      pending_.erase(pending_.begin());
      const bool tcp = p.tcp;
      const uint64_t conn_id = p.conn_id;
      Deliver(std::move(p), /*counted=*/true);
      if (tcp) WriteConn(conn_id);
    }
  }

  FakeDnsServer* const server_;
  std::atomic<bool> stop_{false};
  std::map<uint64_t, Conn> conns_;
  uint64_t next_conn_id_ = 1;
  // Delayed replies by due time; equal times keep arrival order.
  std::multimap<absl::Time, Pending> pending_;
};

// ---------------------------------------------------------------------------
// FakeDnsServer.

absl::StatusOr<std::unique_ptr<FakeDnsServer>> FakeDnsServer::Start(int port) {
  if (port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port ", port));
  }
  // With port 0 the UDP port is picked first and TCP must get the same number;
  // another process may hold it over TCP, so try a few.
  const int attempts = port == 0 ? 50 : 1;
  std::string last_error;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    const int udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (udp < 0 || tcp < 0) {
      const std::string error = strerror(errno);
      if (udp >= 0) close(udp);
      if (tcp >= 0) close(tcp);
      return absl::InternalError(absl::StrCat("socket: ", error));
    }
    // Bursts of thousands of queries must not overflow the default buffer.
    const int rcvbuf = 4 << 20;
    setsockopt(udp, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    const int one = 1;
    setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));

    sockaddr_in addr = LoopbackAddress(port);
    socklen_t addr_len = sizeof(addr);
    if (bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(udp, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0 ||
        bind(tcp, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(tcp, SOMAXCONN) != 0) {
      last_error = strerror(errno);
      close(udp);
      close(tcp);
      continue;
    }
    const int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake < 0) {
      const std::string error = strerror(errno);
      close(udp);
      close(tcp);
      return absl::InternalError(absl::StrCat("eventfd: ", error));
    }
    std::unique_ptr<FakeDnsServer> server(
        new FakeDnsServer(udp, tcp, wake, ntohs(addr.sin_port)));
    return server;
  }
  return absl::UnavailableError(
      absl::StrCat("cannot bind 127.0.0.1:", port, " for UDP and TCP: ", last_error));
}

FakeDnsServer::FakeDnsServer(int udp_fd, int tcp_fd, int wake_fd, int port)
    : udp_fd_(udp_fd),
      tcp_fd_(tcp_fd),
      wake_fd_(wake_fd),
      port_(port),
      loop_(std::make_unique<Loop>(this)),
      default_reply_(DnsReply::NxDomain()) {
  thread_ = std::thread([this] { loop_->Run(); });
}

FakeDnsServer::~FakeDnsServer() { Stop(); }

void FakeDnsServer::Stop() {
  {
    absl::MutexLock lock(&stop_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  loop_->RequestStop();
  thread_.join();
  loop_.reset();
  close(udp_fd_);
  close(tcp_fd_);
  close(wake_fd_);
}

std::string FakeDnsServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

void FakeDnsServer::SetReply(absl::string_view name, DnsType type, DnsReply reply) {
  std::string key = Normalize(name);
  absl::MutexLock lock(&rules_mu_);
  names_with_rules_.insert(key);
  rules_[{std::move(key), static_cast<uint16_t>(type)}] = std::move(reply);
}

void FakeDnsServer::AddRecord(absl::string_view name, DnsRecord record) {
  std::string key = Normalize(name);
  absl::MutexLock lock(&rules_mu_);
  names_with_rules_.insert(key);
  const uint16_t type = record.type;
  rules_[{std::move(key), type}].answers.push_back(std::move(record));
}

void FakeDnsServer::SetDefaultReply(DnsReply reply) {
  absl::MutexLock lock(&rules_mu_);
  default_reply_ = std::move(reply);
}

void FakeDnsServer::SetHandler(Handler handler) {
  absl::MutexLock lock(&rules_mu_);
  handler_ = handler ? std::make_shared<Handler>(std::move(handler)) : nullptr;
}

void FakeDnsServer::SetCapacity(int64_t n) {
  absl::MutexLock lock(&rules_mu_);
  capacity_ = n;
}

bool FakeDnsServer::AtCapacity() const {
  int64_t capacity;
  {
    absl::MutexLock lock(&rules_mu_);
    capacity = capacity_;
  }
  if (capacity <= 0) return false;
  // Only the server thread adds outstanding replies, and it is the caller.
  absl::MutexLock lock(&stats_mu_);
  return outstanding_ >= capacity;
}

void FakeDnsServer::ClearRules() {
  absl::MutexLock lock(&rules_mu_);
  rules_.clear();
  names_with_rules_.clear();
  handler_ = nullptr;
  default_reply_ = DnsReply::NxDomain();
}

DnsReply FakeDnsServer::Resolve(const DnsQuery& query) {
  std::shared_ptr<Handler> handler;
  {
    absl::MutexLock lock(&rules_mu_);
    auto it = rules_.find(std::make_pair(query.name, query.type));
    if (it != rules_.end()) return it->second;
    // RFC 1034 §3.6.2: a name with a CNAME has no other data; an
    // authoritative server answers any type with the CNAME.
    const uint16_t cname = static_cast<uint16_t>(DnsType::kCname);
    it = rules_.find(std::make_pair(query.name, cname));
    if (it != rules_.end()) return it->second;
    handler = handler_;
    if (handler == nullptr) {
      if (names_with_rules_.contains(query.name)) return DnsReply::NoData();
      return default_reply_;
    }
  }
  return (*handler)(query);
}

void FakeDnsServer::CountQuery(const DnsQuery& query, bool outstanding) {
  absl::MutexLock lock(&stats_mu_);
  if (outstanding) {
    ++outstanding_;
    max_outstanding_ = std::max(max_outstanding_, outstanding_);
  }
  ++total_;
  if (query.over_tcp) ++tcp_;
  ++per_name_[query.name];
  ++per_name_type_[std::make_pair(query.name, query.type)];
  if (log_.size() < kMaxLoggedQueries) log_.push_back(query);
}

void FakeDnsServer::AdjustOutstanding(int delta) {
  absl::MutexLock lock(&stats_mu_);
  outstanding_ += delta;
  max_outstanding_ = std::max(max_outstanding_, outstanding_);
}

int64_t FakeDnsServer::total_queries() const {
  absl::MutexLock lock(&stats_mu_);
  return total_;
}

int64_t FakeDnsServer::queries_for(absl::string_view name) const {
  absl::MutexLock lock(&stats_mu_);
  auto it = per_name_.find(Normalize(name));
  return it == per_name_.end() ? 0 : it->second;
}

int64_t FakeDnsServer::queries_for(absl::string_view name, DnsType type) const {
  absl::MutexLock lock(&stats_mu_);
  auto it = per_name_type_.find(std::make_pair(Normalize(name), static_cast<uint16_t>(type)));
  return it == per_name_type_.end() ? 0 : it->second;
}

int64_t FakeDnsServer::tcp_queries() const {
  absl::MutexLock lock(&stats_mu_);
  return tcp_;
}

int64_t FakeDnsServer::outstanding() const {
  absl::MutexLock lock(&stats_mu_);
  return outstanding_;
}

int64_t FakeDnsServer::max_outstanding() const {
  absl::MutexLock lock(&stats_mu_);
  return max_outstanding_;
}

int64_t FakeDnsServer::dropped() const {
  absl::MutexLock lock(&stats_mu_);
  return dropped_;
}

std::vector<DnsQuery> FakeDnsServer::queries() const {
  absl::MutexLock lock(&stats_mu_);
  return log_;
}

bool FakeDnsServer::WaitForQueries(int64_t n, absl::Duration timeout) const {
  absl::MutexLock lock(&stats_mu_);
  auto arrived = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(stats_mu_) {
    return total_ >= n;
  };
  return stats_mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
}

void FakeDnsServer::ResetStats() {
  absl::MutexLock lock(&stats_mu_);
  total_ = 0;
  tcp_ = 0;
  dropped_ = 0;
  max_outstanding_ = outstanding_;
  per_name_.clear();
  per_name_type_.clear();
  log_.clear();
}

}  // namespace mtasts::fakes
