#include "net/tls_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "net/certificate_info.h"
#include "net/lifetime.h"
#include "net/openssl_errors.h"
#include "net/socket_address.h"
#include "net/socket_bio.h"
#include "net/stream_io.h"
#include "net/tls_failure.h"
#include "net/tls_verify.h"
#include "net/wire_text.h"

namespace mtasts::net {
namespace {

constexpr size_t kReadChunk = 16384;

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

class StreamImpl final : public TlsStream, private FdHandler {
 public:
  StreamImpl(Reactor* reactor, std::shared_ptr<const TlsClientContext::State> ctx)
      : reactor_(reactor), ctx_(std::move(ctx)) {}

  ~StreamImpl() override {
    assert(reactor_->InReactorThread());
    lifetime_.Expire();
    Teardown(/*graceful=*/true);
    ready_.clear();
  }

  void Connect(const std::string& address, uint16_t port, absl::Duration timeout,
               Callback done) override {
    assert(reactor_->InReactorThread());
    if (state_ == State::kClosed) return;
    if (state_ != State::kFresh) {
      Complete(std::move(done), MakeNetError(NetFailure::kLocalError, NetPhase::kConnect,
                                             "Connect on a stream that is already in use"));
      Kick();
      return;
    }
    connect_done_ = std::move(done);
    sockaddr_storage ss;
    socklen_t len = 0;
    const bool parsed = ParseAddress(address, port, &ss, &len);
    peer_ = parsed && ss.ss_family == AF_INET6 ? absl::StrCat("[", address, "]:", port)
                                               : absl::StrCat(address, ":", port);
    if (!parsed) {
      FailConnect(MakeNetError(NetFailure::kLocalError, NetPhase::kConnect,
                               absl::StrCat(Quote(PrintableText(address)),
                                            " is not an IPv4 or IPv6 address")));
      Kick();
      return;
    }
    const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      FailConnect(ErrnoError(errno, NetPhase::kConnect, peer_));
      Kick();
      return;
    }
    fd_ = fd;
    bio_.fd = fd;
    const int one = 1;
    // Small requests and SMTP commands: Nagle would only add latency.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    connect_start_ = absl::Now();
    int rc;
    do {
      rc = connect(fd, reinterpret_cast<const sockaddr*>(&ss), len);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
      OnConnected();
    } else if (errno == EINPROGRESS) {
      state_ = State::kConnecting;
      connect_timer_.RunAfter(timeout, [this, timeout] {
        FailConnect(MakeNetError(NetFailure::kTimeout, NetPhase::kConnect,
                                 absl::StrCat("TCP connect to ", peer_, " timed out after ",
                                              Millis(timeout))));
        Finish();
      });
    } else {
      FailConnect(ErrnoError(errno, NetPhase::kConnect, peer_));
    }
    Kick();
  }

  absl::Status Adopt(int fd) override {
    assert(reactor_->InReactorThread());
    if (state_ != State::kFresh) {
      return absl::FailedPreconditionError("Adopt on a stream that is already in use");
    }
    int type = 0;
    socklen_t type_len = sizeof(type);
    if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) != 0 ||
        type != SOCK_STREAM) {
      return absl::InvalidArgumentError(absl::StrCat("Adopt(", fd, "): not a stream socket"));
    }
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Adopt(", fd, "): cannot make it non-blocking: ", strerror(errno)));
    }
    fd_ = fd;
    bio_.fd = fd;
    peer_ = PeerOfSocket(fd);
    if (peer_.empty()) peer_ = "the peer";
    state_ = State::kOpen;
    return absl::OkStatus();
  }

  void StartTls(const TlsParams& params, Callback done) override {
    assert(reactor_->InReactorThread());
    if (state_ == State::kClosed) return;
    Kick();
    if (state_ != State::kOpen || handshake_done_ || read_op_ || write_op_) {
      Complete(std::move(done),
               state_ == State::kFailed
                   ? sticky_
                   : MakeNetError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                                  "StartTls needs an open plaintext connection with no "
                                  "read or write in flight"));
      return;
    }
    if (ctx_ == nullptr) {
      Complete(std::move(done), MakeNetError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                                             "StartTls on a stream created without a TLS context"));
      return;
    }
    std::string host = absl::AsciiStrToLower(params.host);
    if (!host.empty() && host.back() == '.') host.pop_back();
    if (host.empty() || host.find_first_of(std::string("\0\r\n ", 4)) != std::string::npos) {
      Complete(std::move(done), MakeNetError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                                             absl::StrCat("bad TLS host name ",
                                                          Quote(PrintableText(params.host)))));
      return;
    }
    host_ = host;
    handshake_done_ = std::move(done);
    if (!rbuf_.empty()) {
      // RFC 3207 §4 / CVE-2011-0411: bytes the server sent before the
      // handshake must not be read as if they came through TLS.
      FailHandshake(MakeNetError(
          NetFailure::kHandshakeFailure, NetPhase::kTlsHandshake,
          absl::StrCat(peer_, " sent ", rbuf_.size(),
                       " plaintext byte(s) after its last reply and before the TLS "
                       "handshake (", Quote(PrintableText(rbuf_, 32)),
                       "); refusing to start TLS, as they could be injected commands")));
      return;
    }
    tls_info_ = TlsInfo();
    record_ = HandshakeRecord();
    legacy_probe_ = params.legacy_version_probe;
    ssl_ = SSL_new(legacy_probe_ ? ctx_->legacy_ctx : ctx_->ctx);
    BIO* bio = ssl_ != nullptr ? NewSocketBio(&bio_) : nullptr;
    if (bio == nullptr) {
      FailHandshake(MakeNetError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                                 absl::StrCat("cannot create a TLS session: ", OpenSslErrors())));
      return;
    }
    SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO now
    RecordHandshake(ssl_, &record_);
    bool ok;
    if (IsIpLiteral(host_)) {
      // RFC 6066 §3: no SNI for IP literals; the certificate must name the IP.
      ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host_.c_str()) == 1;
    } else {
      tls_info_.sni = host_;
      ok = SSL_set_tlsext_host_name(ssl_, host_.c_str()) == 1 &&
           SSL_set1_host(ssl_, host_.c_str()) == 1;
      // RFC 6125 §6.4.3 / RFC 9525: "*" only as the whole leftmost label; the
      // subject CN is not an identifier (browsers and modern TLS stacks agree).
      SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
                                  X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    }
    if (!ok) {
      FailHandshake(MakeNetError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                                 absl::StrCat("cannot set the TLS host name ", Quote(host_), ": ",
                                              OpenSslErrors())));
      return;
    }
    SSL_set_connect_state(ssl_);
    state_ = State::kHandshaking;
    handshake_wants_ = EPOLLOUT;
    handshake_start_ = absl::Now();
    const absl::Duration timeout = params.handshake_timeout;
    handshake_timer_.RunAfter(timeout, [this, timeout] {
      CollectEvidence();
      FailHandshake(MakeNetError(
          NetFailure::kTimeout, NetPhase::kTlsHandshake,
          absl::StrCat("TLS handshake with ", peer_, " timed out after ", Millis(timeout),
                       bio_.first_bytes.empty() ? " (the server sent nothing)" : "")));
      Finish();
    });
  }

  void ConnectTls(const std::string& address, uint16_t port, absl::Duration connect_timeout,
                  const TlsParams& params, Callback done) override {
    Connect(address, port, connect_timeout,
            [this, params, done = std::move(done)](NetError error) mutable {
              if (!error.ok()) {
                done(std::move(error));
                return;
              }
              StartTls(params, std::move(done));
            });
  }

  void Write(std::string data, Callback done) override {
    assert(reactor_->InReactorThread());
    if (state_ == State::kClosed) return;
    Kick();
    if (state_ == State::kFailed) {
      Complete(std::move(done), sticky_);
      return;
    }
    if ((state_ != State::kOpen && state_ != State::kSecure) || write_op_) {
      Complete(std::move(done), MakeNetError(NetFailure::kLocalError, NetPhase::kWrite,
                                             "Write needs an open connection and no other "
                                             "write in flight"));
      return;
    }
    write_op_.emplace(WriteOp{std::move(data), 0, std::move(done)});
    write_wants_ = EPOLLOUT;
  }

  void Read(size_t max_bytes, ReadCallback done) override {
    StartRead(/*line=*/false, max_bytes, std::move(done));
  }

  void ReadLine(size_t max_line_bytes, ReadCallback done) override {
    StartRead(/*line=*/true, max_line_bytes, std::move(done));
  }

  void Close() override {
    assert(reactor_->InReactorThread());
    if (state_ == State::kClosed) return;
    Teardown(/*graceful=*/true);
    state_ = State::kClosed;
    connect_done_ = nullptr;
    handshake_done_ = nullptr;
    read_op_.reset();
    write_op_.reset();
    // ready_ may be being delivered right now (Close from a callback): the
    // delivery loop checks state_ before every callback.
    ready_.clear();
  }

  const TlsInfo& tls_info() const override { return tls_info_; }
  absl::Duration connect_time() const override { return connect_time_; }
  bool secure() const override { return state_ == State::kSecure; }
  int fd() const override { return fd_; }

 private:
  enum class State {
    kFresh,        // nothing yet
    kConnecting,   // TCP connect in progress
    kOpen,         // TCP up, plaintext
    kHandshaking,  // TLS handshake in progress
    kSecure,       // TLS up
    kFailed,       // connect, handshake or I/O failed: socket closed, sticky_ says why
    kClosed,       // Close() or destruction: nothing more ever happens
  };

  struct ReadOp {
    bool line;
    size_t max;
    ReadCallback done;
  };
  struct WriteOp {
    std::string data;
    size_t offset;
    Callback done;
  };

  // --- Delivery: callbacks queue up in ready_ and run at the end of a
  // reaction (Finish), never inside a public call. ---

  void Complete(Callback done, NetError error) {
    if (!done) return;
    ready_.push_back([done = std::move(done), error = std::move(error)]() mutable {
      done(std::move(error));
    });
  }

  void CompleteRead(ReadCallback done, ReadResult result) {
    if (!done) return;
    ready_.push_back([done = std::move(done), result = std::move(result)]() mutable {
      done(std::move(result));
    });
  }

  // Runs Process() on a later turn of the loop (operations started by a
  // public call, or results already known).
  void Kick() {
    if (kick_posted_) return;
    kick_posted_ = true;
    reactor_->Post(lifetime_.Guard([this] {
      kick_posted_ = false;
      Process();
      Finish();
    }));
  }

  // Ends every reaction: the epoll mask follows what is pending, then the
  // callbacks run. Last use of `this`: a callback may destroy the stream.
  void Finish() {
    UpdateWatch();
    if (ready_.empty()) return;
    std::vector<absl::AnyInvocable<void()>> batch;
    batch.swap(ready_);
    const LifetimeToken::Ref alive = lifetime_.ref();
    for (auto& fn : batch) {
      if (!alive.alive() || state_ == State::kClosed) return;
      fn();
    }
  }

  void OnFdReady(int, uint32_t) override {
    if (state_ == State::kConnecting) {
      OnConnectReady();
    } else {
      Process();
    }
    Finish();
  }

  void Process() {
    switch (state_) {
      case State::kHandshaking:
        DoHandshake();
        break;
      case State::kOpen:
      case State::kSecure:
        DoWrite();
        DoRead();
        break;
      default:
        break;
    }
  }

  void UpdateWatch() {
    uint32_t want = 0;
    if (fd_ >= 0) {
      switch (state_) {
        case State::kConnecting:
          want = EPOLLOUT;
          break;
        case State::kHandshaking:
          want = handshake_wants_;
          break;
        case State::kOpen:
        case State::kSecure:
          if (read_op_) want |= read_wants_;
          if (write_op_) want |= write_wants_;
          break;
        default:
          break;
      }
    }
    if (want == watched_) return;
    if (want == 0) {
      reactor_->Unwatch(fd_).IgnoreError();
      watched_ = 0;
      return;
    }
    absl::Status status = reactor_->Watch(fd_, want, this);
    if (!status.ok()) {
      watched_ = 0;
      FailAll(MakeNetError(NetFailure::kLocalError, CurrentPhase(),
                           absl::StrCat("cannot watch the socket: ", status.message())));
      return;
    }
    watched_ = want;
  }

  NetPhase CurrentPhase() const {
    switch (state_) {
      case State::kConnecting:
        return NetPhase::kConnect;
      case State::kHandshaking:
        return NetPhase::kTlsHandshake;
      default:
        return read_op_ ? NetPhase::kRead : NetPhase::kWrite;
    }
  }

  // Closes the socket; with `graceful`, first sends close_notify when a TLS
  // session is up (best effort: one non-blocking try).
  void Teardown(bool graceful) {
    connect_timer_.Cancel();
    handshake_timer_.Cancel();
    if (ssl_ != nullptr) {
      if (graceful && state_ == State::kSecure && !ssl_dead_) {
        ERR_clear_error();
        SSL_shutdown(ssl_);
      }
      SSL_free(ssl_);
      ssl_ = nullptr;
      ERR_clear_error();
    }
    if (fd_ >= 0) {
      if (watched_ != 0) reactor_->Unwatch(fd_).IgnoreError();
      watched_ = 0;
      close(fd_);
      fd_ = -1;
      bio_.fd = -1;
    }
  }

  // Fails whatever is pending with `error` and closes the connection.
  void FailAll(NetError error) {
    sticky_ = error;
    if (connect_done_) Complete(std::move(connect_done_), error);
    connect_done_ = nullptr;
    if (handshake_done_) Complete(std::move(handshake_done_), error);
    handshake_done_ = nullptr;
    if (read_op_) {
      ReadResult result;
      result.error = error;
      CompleteRead(std::move(read_op_->done), std::move(result));
      read_op_.reset();
    }
    if (write_op_) {
      Complete(std::move(write_op_->done), error);
      write_op_.reset();
    }
    Teardown(/*graceful=*/false);
    state_ = State::kFailed;
  }

  // --- TCP connect. ---

  void FailConnect(NetError error) { FailAll(std::move(error)); }

  void OnConnectReady() {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      FailConnect(ErrnoError(err, NetPhase::kConnect, peer_));
      return;
    }
    OnConnected();
  }

  void OnConnected() {
    connect_timer_.Cancel();
    connect_time_ = absl::Now() - connect_start_;
    state_ = State::kOpen;
    Complete(std::move(connect_done_), NetError());
    connect_done_ = nullptr;
  }

  // --- TLS handshake. ---

  void FailHandshake(NetError error) {
    ssl_dead_ = true;
    FailAll(std::move(error));
  }

  void DoHandshake() {
    ERR_clear_error();
    bio_.last_errno = 0;
    const int rc = SSL_connect(ssl_);
    if (rc == 1) {
      OnHandshakeDone();
      return;
    }
    const int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ) {
      handshake_wants_ = EPOLLIN;
      return;
    }
    if (err == SSL_ERROR_WANT_WRITE) {
      handshake_wants_ = EPOLLOUT;
      return;
    }
    if (!LooksLikeTls(bio_.first_bytes)) PeekFirstBytes();
    NetError error = ClassifyHandshakeError(err, record_, bio_, peer_);
    CollectEvidence();
    // A certificate we had already refused is the better explanation: a
    // verifying client stops there.
    if (!record_.verify_errors.empty()) error = CertificateFailureNow();
    FailHandshake(std::move(error));
  }

  void OnHandshakeDone() {
    handshake_timer_.Cancel();
    tls_info_.handshake_complete = true;
    tls_info_.version = SSL_get_version(ssl_);
    if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_)) {
      tls_info_.cipher = SSL_CIPHER_get_name(cipher);
    }
    if (legacy_probe_) {
      // A diagnostic handshake (TLS 1.0/1.1 only): it names the version and
      // ends here, before any certificate is looked at or byte is sent.
      tls_info_.handshake_time = absl::Now() - handshake_start_;
      FailHandshake(MakeNetError(
          NetFailure::kProtocolTooOld, NetPhase::kTlsHandshake,
          absl::StrCat(peer_, " speaks ", TlsVersionText(tls_info_.version),
                       " at most (a handshake allowing only TLS 1.0 and 1.1, made to learn "
                       "this, completed with ", TlsVersionText(tls_info_.version), ")")));
      return;
    }
    CollectEvidence();
    if (!record_.verify_errors.empty()) {
      FailHandshake(CertificateFailureNow());
      return;
    }
    if (!tls_info_.certificate_presented()) {
      FailHandshake(MakeNetError(NetFailure::kHandshakeFailure, NetPhase::kTlsHandshake,
                                 absl::StrCat(peer_, " presented no certificate")));
      return;
    }
    const long result = SSL_get_verify_result(ssl_);
    if (result != X509_V_OK) {
      // Not reachable while the verify callback sees every error; kept so a
      // change there can never let an unverified session through.
      NetError e = MakeNetError(NetFailure::kCertificateInvalid, NetPhase::kTlsHandshake,
                                absl::StrCat("certificate verification failed: ",
                                             X509_verify_cert_error_string(result)));
      e.verify_error = static_cast<int>(result);
      FailHandshake(std::move(e));
      return;
    }
    tls_info_.verified = true;
    state_ = State::kSecure;
    Complete(std::move(handshake_done_), NetError());
    handshake_done_ = nullptr;
  }

  void CollectEvidence() {
    if (ssl_ == nullptr) return;
    tls_info_.handshake_time = absl::Now() - handshake_start_;
    tls_info_.certificate_errors = record_.verify_errors;
    if (!tls_info_.chain.empty()) return;
    const absl::Time now = absl::Now();
    // The client side's chain includes the server's own certificate.
    STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
    if (chain != nullptr && sk_X509_num(chain) > 0) {
      for (int i = 0; i < sk_X509_num(chain); ++i) {
        tls_info_.chain.push_back(DescribeCertificate(sk_X509_value(chain, i), now));
      }
    } else if (X509* leaf = SSL_get0_peer_certificate(ssl_)) {
      tls_info_.chain.push_back(DescribeCertificate(leaf, now));
    }
  }

  // OpenSSL stopped after a 5-byte record header: peek at what followed so
  // the message shows what the server speaks ("HTTP/1.1 400 ...").
  void PeekFirstBytes() {
    if (bio_.first_bytes.size() >= kSniffBytes || fd_ < 0) return;
    char more[kSniffBytes];
    const ssize_t n =
        recv(fd_, more, kSniffBytes - bio_.first_bytes.size(), MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) bio_.first_bytes.append(more, static_cast<size_t>(n));
  }

  NetError CertificateFailureNow() {
    return CertificateFailure(
        record_, host_,
        [this] { return FindMissingIntermediates(ssl_, ctx_->ctx, ctx_->intermediates); },
        &tls_info_);
  }

  // --- Reads and writes. ---

  void StartRead(bool line, size_t max, ReadCallback done) {
    assert(reactor_->InReactorThread());
    if (state_ == State::kClosed) return;
    Kick();
    ReadResult result;
    if (state_ == State::kFailed) {
      result.error = sticky_;
      CompleteRead(std::move(done), std::move(result));
      return;
    }
    if ((state_ != State::kOpen && state_ != State::kSecure) || read_op_ || max == 0) {
      result.error = MakeNetError(NetFailure::kLocalError, NetPhase::kRead,
                                  "Read needs an open connection, a positive size and no other "
                                  "read in flight");
      CompleteRead(std::move(done), std::move(result));
      return;
    }
    read_op_.emplace(ReadOp{line, max, std::move(done)});
    read_wants_ = EPOLLIN;
  }

  // Completes the read from rbuf_ when it can; true when done.
  bool TrySatisfyRead() {
    ReadOp& op = *read_op_;
    ReadResult result;
    if (op.line) {
      const size_t lf = rbuf_.find('\n');
      if (lf == std::string::npos || lf + 1 > op.max) {
        if (lf == std::string::npos && rbuf_.size() < op.max) return false;
        result.error = MakeNetError(NetFailure::kLineTooLong, NetPhase::kRead,
                                    absl::StrCat(peer_, " sent a line longer than ", op.max,
                                                 " bytes"));
      } else {
        size_t end = lf;
        if (end > 0 && rbuf_[end - 1] == '\r') --end;
        result.data = rbuf_.substr(0, end);
        rbuf_.erase(0, lf + 1);
      }
    } else {
      if (rbuf_.empty()) return false;
      const size_t n = std::min(op.max, rbuf_.size());
      result.data = rbuf_.substr(0, n);
      rbuf_.erase(0, n);
    }
    CompleteRead(std::move(op.done), std::move(result));
    read_op_.reset();
    return true;
  }

  void DoRead() {
    while (read_op_ && (state_ == State::kOpen || state_ == State::kSecure)) {
      if (TrySatisfyRead()) return;
      if (eof_) {
        ReadResult result;
        if (!rbuf_.empty()) {
          result.error = MakeNetError(
              NetFailure::kConnectionClosed, NetPhase::kRead,
              absl::StrCat(peer_, " closed the connection in the middle of a line (",
                           rbuf_.size(), " bytes without a line end)"));
        } else {
          result.eof = true;
          result.close_notify = close_notify_;
        }
        CompleteRead(std::move(read_op_->done), std::move(result));
        read_op_.reset();
        return;
      }
      char buf[kReadChunk];
      IoResult r = ReadSome(Target(), buf, sizeof(buf));
      if (r.ssl_dead) ssl_dead_ = true;
      switch (r.kind) {
        case IoResult::kOk:
          rbuf_.append(buf, r.bytes);
          break;
        case IoResult::kWouldBlock:
          read_wants_ = r.wants;
          return;
        case IoResult::kEof:
          eof_ = true;
          if (r.close_notify) close_notify_ = true;
          break;
        case IoResult::kError:
          FailAll(std::move(r.error));
          return;
      }
    }
  }

  void DoWrite() {
    while (write_op_ && (state_ == State::kOpen || state_ == State::kSecure)) {
      WriteOp& op = *write_op_;
      if (op.offset >= op.data.size()) {
        Complete(std::move(op.done), NetError());
        write_op_.reset();
        return;
      }
      IoResult r =
          WriteSome(Target(), op.data.data() + op.offset, op.data.size() - op.offset);
      if (r.ssl_dead) ssl_dead_ = true;
      if (r.kind == IoResult::kWouldBlock) {
        write_wants_ = r.wants;
        return;
      }
      if (r.kind != IoResult::kOk) {
        FailAll(std::move(r.error));
        return;
      }
      op.offset += r.bytes;
    }
  }

  IoTarget Target() {
    IoTarget t;
    t.fd = fd_;
    t.ssl = state_ == State::kSecure ? ssl_ : nullptr;
    t.bio = &bio_;
    t.record = &record_;
    t.peer = &peer_;
    return t;
  }

  Reactor* const reactor_;
  const std::shared_ptr<const TlsClientContext::State> ctx_;  // null: plaintext only
  State state_ = State::kFresh;
  bool legacy_probe_ = false;  // TlsParams::legacy_version_probe of the handshake
  int fd_ = -1;
  std::string peer_;  // "192.0.2.1:443" / "[2001:db8::1]:443", for messages
  std::string host_;  // the name verified
  uint32_t watched_ = 0;
  bool kick_posted_ = false;

  SSL* ssl_ = nullptr;
  bool ssl_dead_ = false;  // after a fatal SSL error: no SSL_shutdown
  SocketBio bio_;

  // Pending operations.
  Callback connect_done_;
  Callback handshake_done_;
  std::optional<ReadOp> read_op_;
  std::optional<WriteOp> write_op_;
  uint32_t handshake_wants_ = EPOLLOUT;
  uint32_t read_wants_ = EPOLLIN;
  uint32_t write_wants_ = EPOLLOUT;
  ReactorTimer connect_timer_{reactor_};
  ReactorTimer handshake_timer_{reactor_};

  std::string rbuf_;  // received, not yet delivered
  bool eof_ = false;
  bool close_notify_ = false;
  NetError sticky_;   // why the stream is kFailed

  // Evidence.
  TlsInfo tls_info_;
  HandshakeRecord record_;  // filled by OpenSSL's callbacks (tls_verify)
  absl::Time connect_start_;
  absl::Duration connect_time_ = absl::ZeroDuration();
  absl::Time handshake_start_;

  std::vector<absl::AnyInvocable<void()>> ready_;
  // Expires with the stream; posted work and delivery check it.
  LifetimeToken lifetime_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<TlsStream>> TlsStream::Create(Reactor* reactor,
                                                             const TlsClientContext* ctx) {
  if (reactor == nullptr) return absl::InvalidArgumentError("null reactor");
  if (!reactor->InReactorThread()) {
    return absl::FailedPreconditionError("TlsStream::Create off the reactor thread");
  }
  return std::unique_ptr<TlsStream>(
      new StreamImpl(reactor, ctx != nullptr ? ctx->state() : nullptr));
}

}  // namespace mtasts::net
