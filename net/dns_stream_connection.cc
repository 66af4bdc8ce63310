#include "net/dns_stream_connection.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "net/dns_stream_wire.h"

namespace mtasts::net {

void UpstreamConnection::Connect() {
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

void UpstreamConnection::Fail(const std::string& why) {
  if (failed_) return;
  failed_ = true;
  if (stream_) stream_->Close();
  events_->OnClosed(this, why, ready_);
}

void UpstreamConnection::Flush() {
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

void UpstreamConnection::ReadMore() {
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

namespace {

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

}  // namespace

std::unique_ptr<UpstreamConnection> NewUpstreamConnection(
    DnsTransportKind kind, Reactor* reactor, const TlsClientContext* tls,
    const DnsStreamEndpoint& endpoint, absl::Duration connect_timeout,
    ConnectionEvents* events) {
  if (kind == DnsTransportKind::kHttps) {
    return std::make_unique<DohConnection>(reactor, tls, endpoint, connect_timeout, events);
  }
  return std::make_unique<DotConnection>(reactor, tls, endpoint, connect_timeout, events);
}

}  // namespace mtasts::net
