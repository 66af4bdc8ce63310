#include "net/dns_stream_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <openssl/ssl.h>
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
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "net/dns_stream_wire.h"
#include "net/host_port.h"
#include "net/lifetime.h"
#include "net/tls_client_context.h"
#include "net/tls_stream.h"

namespace mtasts::net {

absl::StatusOr<DnsTransportKind> ParseDnsTransportKind(const std::string& text) {
  if (text == "udp" || text.empty()) return DnsTransportKind::kUdp;
  if (text == "tls") return DnsTransportKind::kTls;
  if (text == "https") return DnsTransportKind::kHttps;
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a DNS transport (udp, tls or https)"));
}

const char* DnsTransportName(DnsTransportKind kind) {
  switch (kind) {
    case DnsTransportKind::kUdp: return "udp";
    case DnsTransportKind::kTls: return "tls";
    case DnsTransportKind::kHttps: return "https";
  }
  return "udp";
}

namespace {

bool IsIpLiteral(const std::string& s) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, s.c_str(), &a4) == 1 || inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

bool IsHostName(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

absl::StatusOr<DnsStreamEndpoint> ParseTls(absl::string_view entry) {
  DnsStreamEndpoint e;
  e.display = std::string(entry);
  absl::string_view hostport = entry;
  std::string name;
  if (size_t hash = entry.find('#'); hash != absl::string_view::npos) {
    hostport = entry.substr(0, hash);
    name = std::string(entry.substr(hash + 1));
    if (!IsHostName(name) && !IsIpLiteral(name)) {
      return absl::InvalidArgumentError("the name after # is not a host name");
    }
  }
  auto hp = ParseHostPort(hostport);
  if (!hp.ok()) return hp.status();
  e.address = hp->host;
  e.port = static_cast<uint16_t>(hp->port.value_or(853));
  e.verify_name = name.empty() ? e.address : absl::AsciiStrToLower(name);
  return e;
}

absl::StatusOr<DnsStreamEndpoint> ParseHttps(absl::string_view entry) {
  DnsStreamEndpoint e;
  e.display = std::string(entry);
  absl::string_view rest = entry;
  if (!absl::ConsumePrefix(&rest, "https://")) {
    return absl::InvalidArgumentError("a DoH server is an https:// URL");
  }
  std::string connect_ip;
  if (size_t hash = rest.find('#'); hash != absl::string_view::npos) {
    connect_ip = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
    if (!IsIpLiteral(connect_ip)) return absl::InvalidArgumentError("the address after # is not an IP literal");
  }
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return absl::InvalidArgumentError("the URL has no path");
  absl::string_view authority = rest.substr(0, slash);
  e.path = std::string(rest.substr(slash));
  if (e.path.find_first_of("?# \r\n") != std::string::npos) {
    return absl::InvalidArgumentError("the URL path must be a plain path (POST needs no query)");
  }
  e.authority = absl::AsciiStrToLower(authority);
  // host[:port], [v6][:port]
  std::string host;
  int port = 443;
  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("unclosed [");
    host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) return absl::InvalidArgumentError("bad authority");
      port_text = after;
    }
  } else if (size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    host = std::string(authority.substr(0, colon));
    port_text = authority.substr(colon + 1);
  } else {
    host = std::string(authority);
  }
  if (!port_text.empty() &&
      (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535)) {
    return absl::InvalidArgumentError("port must be a number from 1 to 65535");
  }
  host = absl::AsciiStrToLower(host);
  if (IsIpLiteral(host)) {
    e.address = connect_ip.empty() ? host : connect_ip;
  } else if (IsHostName(host)) {
    if (connect_ip.empty()) {
      return absl::InvalidArgumentError(
          "a DoH URL with a host name needs the address to connect to after # "
          "(https://name/path#ip): the resolver is never found through another resolver");
    }
    e.address = connect_ip;
  } else {
    return absl::InvalidArgumentError("the URL host is neither an IP literal nor a host name");
  }
  e.verify_name = host;
  e.port = static_cast<uint16_t>(port);
  return e;
}

}  // namespace

absl::StatusOr<std::vector<DnsStreamEndpoint>> ParseDnsStreamEndpoints(DnsTransportKind kind,
                                                                       const std::string& csv) {
  if (kind == DnsTransportKind::kUdp) {
    return absl::InvalidArgumentError("udp is not a stream transport");
  }
  std::vector<DnsStreamEndpoint> out;
  for (absl::string_view entry : absl::StrSplit(csv, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) {
      return absl::InvalidArgumentError(
          csv.empty() ? absl::StrCat("--dns_transport=", DnsTransportName(kind),
                                     " needs --dns_servers naming the resolvers")
                      : "empty entry");
    }
    auto e = kind == DnsTransportKind::kTls ? ParseTls(entry) : ParseHttps(entry);
    if (!e.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", entry, "\": ", e.status().message()));
    }
    out.push_back(*std::move(e));
  }
  return out;
}

namespace {

// --- Upstream connections. Both kinds live on the forwarder's reactor and
// report to it through ConnectionEvents; neither is destroyed inside its
// own callbacks (the forwarder posts their destruction).

class UpstreamConnection;

class ConnectionEvents {
 public:
  virtual ~ConnectionEvents() = default;
  virtual void OnReady(UpstreamConnection* c) = 0;
  virtual void OnAnswer(UpstreamConnection* c, uint64_t key, std::string answer) = 0;
  // A query the resolver will not answer on this connection; `retry`: the
  // stream was refused (HTTP/2 REFUSED_STREAM, GOAWAY), so send it again.
  virtual void OnUnanswered(UpstreamConnection* c, uint64_t key, bool retry,
                            const std::string& why) = 0;
  // The connection is finished (failed, closed by the peer, or broke). No
  // more events follow.
  virtual void OnClosed(UpstreamConnection* c, const std::string& why, bool was_ready) = 0;
};

class UpstreamConnection {
 public:
  UpstreamConnection(Reactor* reactor, const TlsClientContext* tls, DnsStreamEndpoint endpoint,
                     absl::Duration connect_timeout, ConnectionEvents* events)
      : reactor_(reactor),
        tls_(tls),
        endpoint_(std::move(endpoint)),
        connect_timeout_(connect_timeout),
        events_(events) {}
  virtual ~UpstreamConnection() { lifetime_.Expire(); }

  void Connect() {
    auto stream = TlsStream::Create(reactor_, tls_);
    if (!stream.ok()) {
      reactor_->Post(lifetime_.Guard([this, m = std::string(stream.status().message())] { Fail(m); }));
      return;
    }
    stream_ = *std::move(stream);
    TlsParams params;
    params.host = endpoint_.verify_name;
    params.handshake_timeout = connect_timeout_;
    stream_->ConnectTls(endpoint_.address, endpoint_.port, connect_timeout_, params,
                        lifetime_.Guard([this](NetError e) {
                          if (!e.ok()) {
                            Fail(e.message);
                            return;
                          }
                          ready_ = true;
                          events_->OnReady(this);
                          if (failed_) return;
                          OnConnected();
                          if (failed_) return;
                          ReadMore();
                        }));
  }
  // Buffered until the connection is ready. False: this connection takes
  // no new queries (send it elsewhere).
  virtual bool Send(uint64_t key, const std::string& query, const std::string& question) = 0;
  // The query is no longer wanted (expired).
  virtual void Forget(uint64_t key) = 0;
  virtual size_t carried() const = 0;
  bool ready() const { return ready_ && !failed_; }
  bool failed() const { return failed_; }
  const DnsStreamEndpoint& endpoint() const { return endpoint_; }
  // Closes without an error (idle); OnClosed follows.
  void CloseIdle() { Fail(""); }

 protected:
  virtual void OnConnected() = 0;
  virtual void OnBytes(absl::string_view bytes) = 0;

  void Fail(const std::string& why) {
    if (failed_) return;
    failed_ = true;
    if (stream_) stream_->Close();
    events_->OnClosed(this, why, ready_);
  }

  // Queues bytes for the wire; one Write in flight at a time.
  void Queue(std::string bytes) {
    out_.append(bytes);
    Flush();
  }
  void Flush() {
    if (!ready_ || failed_ || writing_ || out_.empty()) return;
    writing_ = true;
    stream_->Write(std::exchange(out_, std::string()), lifetime_.Guard([this](NetError e) {
      writing_ = false;
      if (!e.ok()) {
        Fail(absl::StrCat("writing to the resolver: ", e.message));
        return;
      }
      AfterWrite();
    }));
  }
  virtual void AfterWrite() { Flush(); }
  bool writing() const { return writing_; }

  void ReadMore() {
    stream_->Read(16384, lifetime_.Guard([this](ReadResult r) {
      if (!r.error.ok()) {
        Fail(absl::StrCat("reading from the resolver: ", r.error.message));
        return;
      }
      if (r.eof) {
        Fail("the resolver closed the connection");
        return;
      }
      OnBytes(r.data);
      if (!failed_) ReadMore();
    }));
  }

  Reactor* const reactor_;
  const TlsClientContext* const tls_;
  const DnsStreamEndpoint endpoint_;
  const absl::Duration connect_timeout_;
  ConnectionEvents* const events_;
  LifetimeToken lifetime_;

 private:
  std::unique_ptr<TlsStream> stream_;
  bool ready_ = false;
  bool failed_ = false;
  bool writing_ = false;
  std::string out_;
};

// DNS over TLS, RFC 7858: length-prefixed messages, pipelined; answers may
// come in any order (§3.3), matched by the ID we gave the query and checked
// against its question.
class DotConnection final : public UpstreamConnection {
 public:
  using UpstreamConnection::UpstreamConnection;

  bool Send(uint64_t key, const std::string& query, const std::string& question) override {
    if (failed()) return false;
    // IDs are ours, unique among the queries in flight on this connection
    // (the forwarder holds far fewer than 65536 at once).
    uint16_t id = next_id_;
    while (by_id_.contains(id)) ++id;
    next_id_ = static_cast<uint16_t>(id + 1);
    by_id_[id] = Carried{key, question};
    by_key_[key] = id;
    std::string wire = query;
    SetDnsMessageId(&wire, id);
    Queue(FrameDnsMessage(wire));
    return true;
  }
  void Forget(uint64_t key) override {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return;
    by_id_.erase(it->second);
    by_key_.erase(it);
  }
  size_t carried() const override { return by_id_.size(); }

 private:
  struct Carried {
    uint64_t key;
    std::string question;
  };
  void OnConnected() override { Flush(); }
  void OnBytes(absl::string_view bytes) override {
    framer_.Append(bytes);
    while (auto message = framer_.Next()) {
      if (message->size() < kDnsHeaderBytes) {
        Fail("the resolver sent a message shorter than a DNS header");
        return;
      }
      auto it = by_id_.find(DnsMessageId(*message));
      if (it == by_id_.end()) continue;  // a query we forgot (expired)
      if (!AnswerMatchesQuestion(*message, it->second.question)) {
        // Not the answer to what we asked under that ID: the stream can no
        // longer be trusted to pair answers with queries.
        Fail("the resolver answered a different question than was asked");
        return;
      }
      const uint64_t key = it->second.key;
      by_key_.erase(key);
      by_id_.erase(it);
      events_->OnAnswer(this, key, *std::move(message));
      if (failed()) return;
    }
  }

  DnsStreamFramer framer_;
  uint16_t next_id_ = 1;
  absl::flat_hash_map<uint16_t, Carried> by_id_;
  absl::flat_hash_map<uint64_t, uint16_t> by_key_;
};

constexpr size_t kMaxDohHeaderBytes = 16384;

// DNS over HTTPS, RFC 8484: each query a POST of application/dns-message on
// its own HTTP/2 stream (libnghttp2 does the framing, HPACK and flow
// control), ID 0 (§4.1), many streams at once on the one connection.
class DohConnection final : public UpstreamConnection {
 public:
  DohConnection(Reactor* reactor, const TlsClientContext* tls, DnsStreamEndpoint endpoint,
                absl::Duration connect_timeout, ConnectionEvents* events)
      : UpstreamConnection(reactor, tls, std::move(endpoint), connect_timeout, events) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &DohConnection::OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &DohConnection::OnData);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &DohConnection::OnStreamClose);
    nghttp2_option* opt = nullptr;
    nghttp2_option_new(&opt);
    // Bounds on what the server may make us keep.
    nghttp2_option_set_max_deflate_dynamic_table_size(opt, 4096);
    nghttp2_option_set_max_settings(opt, 32);
    nghttp2_session_client_new2(&session_, cbs, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cbs);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, kMaxDohHeaderBytes},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings,
                            sizeof(settings) / sizeof(settings[0]));
  }
  ~DohConnection() override {
    lifetime_.Expire();
    nghttp2_session_del(session_);
  }

  bool Send(uint64_t key, const std::string& query, const std::string& question) override {
    if (failed()) return false;
    auto stream = std::make_unique<Stream>();
    stream->key = key;
    stream->question = question;
    stream->body_out = query;
    SetDnsMessageId(&stream->body_out, 0);
    const std::string length = std::to_string(stream->body_out.size());
    const std::string content_type = "application/dns-message";
    auto nv = [](const std::string& name, const std::string& value) {
      return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                        reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                        value.size(), NGHTTP2_NV_FLAG_NONE};
    };
    const std::string m = ":method", post = "POST", s = ":scheme", https = "https",
                      a = ":authority", p = ":path", ct = "content-type", ac = "accept",
                      cl = "content-length";
    const nghttp2_nv headers[] = {nv(m, post),       nv(s, https),
                                  nv(a, endpoint_.authority), nv(p, endpoint_.path),
                                  nv(ct, content_type), nv(ac, content_type),
                                  nv(cl, length)};
    nghttp2_data_provider data;
    data.source.ptr = stream.get();
    data.read_callback = &DohConnection::ReadBody;
    const int32_t id = nghttp2_submit_request(session_, nullptr, headers,
                                              sizeof(headers) / sizeof(headers[0]), &data,
                                              stream.get());
    if (id < 0) return false;  // e.g. after GOAWAY: no new streams here
    by_key_[key] = id;
    streams_[id] = std::move(stream);
    Pump();
    return true;
  }
  void Forget(uint64_t key) override {
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return;
    auto s = streams_.find(it->second);
    if (s != streams_.end()) s->second->forgotten = true;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, it->second, NGHTTP2_CANCEL);
    by_key_.erase(it);
    Pump();
  }
  size_t carried() const override { return by_key_.size(); }

 private:
  struct Stream {
    uint64_t key = 0;
    std::string question;
    std::string body_out;
    size_t sent = 0;
    std::string body_in;
    int status = 0;
    std::string content_type;
    size_t header_bytes = 0;
    std::string bad;  // why the response is refused, once it is
    bool forgotten = false;
  };

  void OnConnected() override { Pump(); }
  void AfterWrite() override { Pump(); }

  // Moves whatever nghttp2 has to send onto the wire.
  void Pump() {
    if (!ready() || writing()) return;
    std::string out;
    while (out.size() < 65536) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        Fail(absl::StrCat("HTTP/2: ", nghttp2_strerror(static_cast<int>(n))));
        return;
      }
      if (n == 0) break;
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (!out.empty()) {
      Queue(std::move(out));
      return;
    }
    if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
      Fail("the resolver ended the HTTP/2 session (GOAWAY)");
    }
  }

  void OnBytes(absl::string_view bytes) override {
    const ssize_t n = nghttp2_session_mem_recv(
        session_, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (failed()) return;
    if (n < 0) {
      Fail(absl::StrCat("the resolver broke HTTP/2: ", nghttp2_strerror(static_cast<int>(n))));
      return;
    }
    Pump();
  }

  static ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* s = static_cast<Stream*>(source->ptr);
    const size_t n = std::min(length, s->body_out.size() - s->sent);
    memcpy(buf, s->body_out.data() + s->sent, n);
    s->sent += n;
    if (s->sent == s->body_out.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  Stream* Find(int32_t id) {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                      void* user) {
    auto* self = static_cast<DohConnection*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Stream* s = self->Find(frame->hd.stream_id);
    if (s == nullptr) return 0;
    s->header_bytes += namelen + valuelen + 32;  // RFC 7540 §6.5.2's accounting
    if (s->header_bytes > kMaxDohHeaderBytes) {
      s->bad = "response headers over 16 KiB";
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id,
                                NGHTTP2_REFUSED_STREAM);
      return 0;
    }
    const absl::string_view n(reinterpret_cast<const char*>(name), namelen);
    const absl::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      if (!absl::SimpleAtoi(v, &s->status)) s->status = -1;
    } else if (n == "content-type") {
      s->content_type = absl::AsciiStrToLower(v.substr(0, 64));
    }
    return 0;
  }

  static int OnData(nghttp2_session* session, uint8_t, int32_t stream_id, const uint8_t* data,
                    size_t len, void* user) {
    auto* self = static_cast<DohConnection*>(user);
    Stream* s = self->Find(stream_id);
    if (s == nullptr || !s->bad.empty()) return 0;
    if (s->body_in.size() + len > kMaxDnsMessageBytes) {
      s->bad = "response body over 65535 bytes";
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
      return 0;
    }
    s->body_in.append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user) {
    auto* self = static_cast<DohConnection*>(user);
    auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) return 0;
    std::unique_ptr<Stream> s = std::move(it->second);
    self->streams_.erase(it);
    if (s->forgotten) return 0;
    self->by_key_.erase(s->key);
    if (self->failed()) return 0;
    std::string why;
    bool retry = false;
    if (!s->bad.empty()) {
      why = s->bad;
    } else if (error_code == NGHTTP2_REFUSED_STREAM) {
      why = "the resolver refused the stream";
      retry = true;
    } else if (error_code != NGHTTP2_NO_ERROR) {
      why = absl::StrCat("the stream was reset (", nghttp2_http2_strerror(error_code), ")");
    } else if (s->status != 200) {
      why = absl::StrCat("HTTP status ", s->status);
    } else if (!absl::StartsWith(s->content_type, "application/dns-message")) {
      why = absl::StrCat("content-type \"", s->content_type, "\"");
    } else if (!AnswerMatchesQuestion(s->body_in, s->question)) {
      why = "the body is not the answer to the question asked";
    }
    if (!why.empty()) {
      // Reported from the reactor queue: the forwarder may send again, and
      // nghttp2 is still inside mem_recv here.
      self->reactor_->Post(self->lifetime_.Guard([self, key = s->key, retry, why] {
        if (!self->failed()) self->events_->OnUnanswered(self, key, retry, why);
      }));
      return 0;
    }
    self->events_->OnAnswer(self, s->key, std::move(s->body_in));
    return 0;
  }

  nghttp2_session* session_ = nullptr;
  absl::flat_hash_map<int32_t, std::unique_ptr<Stream>> streams_;
  absl::flat_hash_map<uint64_t, int32_t> by_key_;
};

// --- The forwarder.

class ForwarderImpl final : public DnsForwarder, public FdHandler, public ConnectionEvents {
 public:
  ForwarderImpl(DnsForwarderOptions options, std::unique_ptr<Reactor> reactor,
                std::unique_ptr<TlsClientContext> tls)
      : options_(std::move(options)), reactor_(std::move(reactor)), tls_(std::move(tls)) {
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
    const DnsStreamEndpoint& e = options_.endpoints[endpoint_index_ % options_.endpoints.size()];
    if (options_.kind == DnsTransportKind::kHttps) {
      conn_ = std::make_unique<DohConnection>(reactor_.get(), tls_.get(), e,
                                              options_.connect_timeout, this);
    } else {
      conn_ = std::make_unique<DotConnection>(reactor_.get(), tls_.get(), e,
                                              options_.connect_timeout, this);
    }
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
      reconnect_.RunAfter(backoff_, lifetime_.Guard([this] { Reconnect(); }));
      backoff_ = std::min(backoff_ * 2, absl::Seconds(5));
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
    backoff_ = options_.reconnect_backoff;
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
      ++endpoint_index_;  // the next attempt tries the next resolver
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
  size_t endpoint_index_ = 0;
  ReactorTimer reconnect_{nullptr};
  bool reconnect_armed_ = false;
  absl::Duration backoff_;
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
    backoff_ = options_.reconnect_backoff;
  }
};

}  // namespace

absl::StatusOr<std::unique_ptr<DnsForwarder>> DnsForwarder::Start(
    const DnsForwarderOptions& options) {
  if (options.kind == DnsTransportKind::kUdp) {
    return absl::InvalidArgumentError("the forwarder relays over tls or https, not udp");
  }
  if (options.endpoints.empty()) return absl::InvalidArgumentError("no resolver to forward to");
  auto tls = TlsClientContext::Create(options.ca_file);
  if (!tls.ok()) return tls.status();
  if (options.kind == DnsTransportKind::kHttps) {
    // RFC 8484 §5.2: HTTP/2 is the minimum; servers pick it by ALPN. This
    // context is the forwarder's own, so the checks' contexts stay as they are.
    static const unsigned char kH2[] = {2, 'h', '2'};
    if (SSL_CTX_set_alpn_protos((*tls)->state()->ctx, kH2, sizeof(kH2)) != 0) {
      return absl::InternalError("SSL_CTX_set_alpn_protos failed");
    }
  }
  auto reactor = Reactor::Create("dns-transport");
  if (!reactor.ok()) return reactor.status();
  auto fwd = std::make_unique<ForwarderImpl>(options, *std::move(reactor), *std::move(tls));
  fwd->InitTimers();
  if (absl::Status s = fwd->Bind(); !s.ok()) return s;
  return fwd;
}

}  // namespace mtasts::net
