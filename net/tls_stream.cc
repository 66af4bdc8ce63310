#include "net/tls_stream.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mtasts::net {

struct TlsClientContext::State {
  SSL_CTX* ctx = nullptr;
  // Known intermediates (never trusted), for telling an incomplete chain
  // from an unknown issuer. Empty stack when none were given.
  STACK_OF(X509)* intermediates = nullptr;

  ~State() {
    if (intermediates != nullptr) sk_X509_pop_free(intermediates, X509_free);
    if (ctx != nullptr) SSL_CTX_free(ctx);
  }
};

namespace {

constexpr size_t kReadChunk = 16384;
// Bytes of the peer's first answer kept to tell TLS from plaintext.
constexpr size_t kSniffBytes = 48;

// --- Small helpers. ---

// Drains OpenSSL's thread-local error queue into one line.
std::string OpenSslErrors() {
  std::vector<std::string> parts;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    parts.emplace_back(buf);
  }
  return parts.empty() ? "no OpenSSL error recorded" : absl::StrJoin(parts, "; ");
}

// Printable ASCII, other bytes as \xNN, bounded: used for anything the peer
// sent that a message quotes (reports are UTF-8 protobuf strings).
std::string Printable(absl::string_view s, size_t max = 64) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      char hex[5];
      snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

std::string FormatUtc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", t, absl::UTCTimeZone());
}

std::string FormatMillis(absl::Duration d) {
  return absl::StrCat(absl::ToInt64Milliseconds(d), "ms");
}

// "3 days", "1 day", "less than a day".
std::string Days(absl::Duration d) {
  const int64_t days = absl::ToInt64Hours(d) / 24;
  if (days <= 0) return "less than a day";
  return absl::StrCat(days, days == 1 ? " day" : " days");
}

int64_t DaysFloor(absl::Duration d) {
  return static_cast<int64_t>(std::floor(absl::FDivDuration(d, absl::Hours(24))));
}

absl::Time Asn1TimeToTime(const ASN1_TIME* t) {
  if (t == nullptr) return absl::InfinitePast();
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  if (ASN1_TIME_to_tm(t, &tm) != 1) return absl::InfinitePast();
  return absl::FromTimeT(timegm(&tm));
}

std::string NameToString(const X509_NAME* name) {
  if (name == nullptr) return "";
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return "";
  // RFC 2253 escapes control characters and non-ASCII bytes (\C3\A9), so the
  // result is ASCII whatever the certificate holds.
  X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, len > 0 ? static_cast<size_t>(len) : 0);
  BIO_free(bio);
  return out;
}

std::string HexBytes(const unsigned char* p, size_t n, bool colons) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    if (colons && i > 0) out.push_back(':');
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 0xf]);
  }
  return out;
}

CertificateInfo DescribeCertificate(X509* cert, absl::Time now) {
  CertificateInfo info;
  info.subject = NameToString(X509_get_subject_name(cert));
  info.issuer = NameToString(X509_get_issuer_name(cert));
  info.self_issued = X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) == 0;
  info.not_before = Asn1TimeToTime(X509_get0_notBefore(cert));
  info.not_after = Asn1TimeToTime(X509_get0_notAfter(cert));
  if (info.not_after != absl::InfinitePast()) {
    info.days_to_expiry = DaysFloor(info.not_after - now);
  }
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(names, i);
      if (gn->type == GEN_DNS) {
        const ASN1_STRING* s = gn->d.dNSName;
        info.dns_names.push_back(Printable(
            absl::string_view(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                              static_cast<size_t>(ASN1_STRING_length(s))),
            255));
      } else if (gn->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* s = gn->d.iPAddress;
        char text[INET6_ADDRSTRLEN] = "";
        if (ASN1_STRING_length(s) == 4) {
          inet_ntop(AF_INET, ASN1_STRING_get0_data(s), text, sizeof(text));
        } else if (ASN1_STRING_length(s) == 16) {
          inet_ntop(AF_INET6, ASN1_STRING_get0_data(s), text, sizeof(text));
        }
        if (text[0] != '\0') info.ip_addresses.emplace_back(text);
      }
    }
    GENERAL_NAMES_free(names);
  }
  if (const ASN1_INTEGER* serial = X509_get0_serialNumber(cert)) {
    BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
    if (bn != nullptr) {
      char* hex = BN_bn2hex(bn);
      if (hex != nullptr) {
        info.serial_hex = hex;
        OPENSSL_free(hex);
      }
      BN_free(bn);
    }
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) {
    info.sha256_fingerprint = HexBytes(md, md_len, true);
  }
  // DANE (RFC 6698 §2.1.2, §2.1.3): selector 0 hashes the whole certificate,
  // selector 1 its SubjectPublicKeyInfo; matching types 1 and 2 are
  // SHA-256 and SHA-512.
  auto lower_hex = [](const unsigned char* p, size_t n) {
    return absl::AsciiStrToLower(HexBytes(p, n, false));
  };
  if (X509_digest(cert, EVP_sha256(), md, &md_len) == 1) info.cert_sha256 = lower_hex(md, md_len);
  if (X509_digest(cert, EVP_sha512(), md, &md_len) == 1) info.cert_sha512 = lower_hex(md, md_len);
  unsigned char* spki = nullptr;
  const int spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &spki);
  if (spki_len > 0 && spki != nullptr) {
    if (EVP_Digest(spki, static_cast<size_t>(spki_len), md, &md_len, EVP_sha256(), nullptr) == 1) {
      info.spki_sha256 = lower_hex(md, md_len);
    }
    if (EVP_Digest(spki, static_cast<size_t>(spki_len), md, &md_len, EVP_sha512(), nullptr) == 1) {
      info.spki_sha512 = lower_hex(md, md_len);
    }
  }
  OPENSSL_free(spki);
  return info;
}

// RFC 8446 §5.1 / RFC 5246 §6.2.1: a record starts with a content type
// (20..24) and a 3.x version.
bool LooksLikeTls(absl::string_view first) {
  if (first.size() < 2) return true;  // too little to say otherwise
  const unsigned char type = static_cast<unsigned char>(first[0]);
  return type >= 20 && type <= 24 && first[1] == 0x03;
}

bool ParseAddress(const std::string& address, uint16_t port, sockaddr_storage* ss,
                  socklen_t* len) {
  memset(ss, 0, sizeof(*ss));
  auto* v4 = reinterpret_cast<sockaddr_in*>(ss);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    *len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    *len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

NetError MakeError(NetFailure failure, NetPhase phase, std::string message) {
  NetError e;
  e.failure = failure;
  e.phase = phase;
  e.message = std::move(message);
  return e;
}

// A socket errno during `phase` with `peer`, in words.
NetError ErrnoError(int err, NetPhase phase, const std::string& peer) {
  NetError e;
  e.phase = phase;
  e.sys_errno = err;
  const std::string during =
      phase == NetPhase::kConnect ? "" : absl::StrCat(" during the ", NetPhaseName(phase));
  switch (err) {
    case ECONNREFUSED:
      e.failure = NetFailure::kConnectionRefused;
      e.message = absl::StrCat("connection to ", peer,
                               " refused (nothing is listening on that port)");
      break;
    case ENETUNREACH:
    case EHOSTUNREACH:
      e.failure = NetFailure::kNetworkUnreachable;
      e.message = absl::StrCat(peer, " is unreachable (", strerror(err), ")");
      break;
    case ETIMEDOUT:
      e.failure = NetFailure::kTimeout;
      e.message = absl::StrCat("the connection to ", peer, " timed out", during,
                               " (the kernel gave up)");
      break;
    case ECONNRESET:
    case EPIPE:
      e.failure = NetFailure::kConnectionReset;
      e.message = absl::StrCat(peer, " reset the connection during the ", NetPhaseName(phase));
      break;
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
    case EAFNOSUPPORT:
      e.failure = NetFailure::kLocalError;
      e.message = absl::StrCat("cannot open a connection to ", peer, ": ", strerror(err));
      break;
    default:
      e.failure = NetFailure::kSocketError;
      e.message = absl::StrCat(phase == NetPhase::kConnect ? "connect to " : "connection to ",
                               peer, " failed", during, ": ", strerror(err));
      break;
  }
  return e;
}

// --- A socket BIO of our own: send() with MSG_NOSIGNAL (OpenSSL's socket
// BIO uses write(), which raises SIGPIPE on a closed connection), the errno
// kept for diagnosis, and the first bytes received kept to recognise a peer
// that does not speak TLS. ---

struct SocketBio {
  int fd = -1;
  int last_errno = 0;  // of the last failed call, 0 after EOF or success
  bool eof = false;
  std::string first_bytes;
};

int BioWrite(BIO* bio, const char* data, size_t len, size_t* written) {
  auto* s = static_cast<SocketBio*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  for (;;) {
    const ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
    if (n >= 0) {
      *written = static_cast<size_t>(n);
      return 1;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_write(bio);
      return 0;
    }
    s->last_errno = errno;
    return 0;
  }
}

int BioRead(BIO* bio, char* data, size_t len, size_t* read_bytes) {
  auto* s = static_cast<SocketBio*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  for (;;) {
    const ssize_t n = recv(s->fd, data, len, 0);
    if (n > 0) {
      if (s->first_bytes.size() < kSniffBytes) {
        s->first_bytes.append(data, std::min<size_t>(static_cast<size_t>(n),
                                                     kSniffBytes - s->first_bytes.size()));
      }
      *read_bytes = static_cast<size_t>(n);
      return 1;
    }
    if (n == 0) {
      s->eof = true;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_read(bio);
      return 0;
    }
    s->last_errno = errno;
    return 0;
  }
}

long BioCtrl(BIO* bio, int cmd, long, void*) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return static_cast<SocketBio*>(BIO_get_data(bio))->eof ? 1 : 0;
    default:
      return 0;
  }
}

int BioCreate(BIO*) { return 1; }
int BioDestroy(BIO*) { return 1; }  // the SocketBio belongs to the stream

const BIO_METHOD* SocketBioMethod() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "mtasts-socket");
    BIO_meth_set_write_ex(m, BioWrite);
    BIO_meth_set_read_ex(m, BioRead);
    BIO_meth_set_ctrl(m, BioCtrl);
    BIO_meth_set_create(m, BioCreate);
    BIO_meth_set_destroy(m, BioDestroy);
    return m;
  }();
  return method;
}

int SslExIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Verification errors, most telling first: a sender that stops at the first
// error would report trust before dates before names.
int ErrorRank(int code) {
  switch (code) {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return 0;
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return 1;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return 2;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return 3;
    default:
      return 4;
  }
}

bool IsIssuerError(int code) {
  return ErrorRank(code) <= 1;
}

class StreamImpl;
int VerifyCallback(int preverify_ok, X509_STORE_CTX* store);
void InfoCallback(const SSL* ssl, int where, int ret);

class StreamImpl final : public TlsStream, private FdHandler {
 public:
  StreamImpl(Reactor* reactor, std::shared_ptr<const TlsClientContext::State> ctx)
      : reactor_(reactor), ctx_(std::move(ctx)) {}

  ~StreamImpl() override {
    assert(reactor_->InReactorThread());
    alive_.reset();
    Teardown(/*graceful=*/true);
    ready_.clear();
  }

  void Connect(const std::string& address, uint16_t port, absl::Duration timeout,
               Callback done) override {
    assert(reactor_->InReactorThread());
    if (state_ == State::kClosed) return;
    if (state_ != State::kFresh) {
      Complete(std::move(done), MakeError(NetFailure::kLocalError, NetPhase::kConnect,
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
      FailConnect(MakeError(NetFailure::kLocalError, NetPhase::kConnect,
                            absl::StrCat(Quote(Printable(address)),
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
      connect_timer_ = reactor_->RunAfter(timeout, [this, alive = Alive(), timeout] {
        if (alive.expired()) return;
        connect_timer_ = 0;
        FailConnect(MakeError(NetFailure::kTimeout, NetPhase::kConnect,
                              absl::StrCat("TCP connect to ", peer_, " timed out after ",
                                           FormatMillis(timeout))));
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
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[INET6_ADDRSTRLEN] = "?";
    uint16_t port = 0;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
      if (ss.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&ss);
        inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
        port = ntohs(v4->sin_port);
        peer_ = absl::StrCat(host, ":", port);
      } else if (ss.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&ss);
        inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
        port = ntohs(v6->sin6_port);
        peer_ = absl::StrCat("[", host, "]:", port);
      }
    }
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
                   : MakeError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                               "StartTls needs an open plaintext connection with no "
                               "read or write in flight"));
      return;
    }
    if (ctx_ == nullptr) {
      Complete(std::move(done), MakeError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                                          "StartTls on a stream created without a TLS context"));
      return;
    }
    std::string host = absl::AsciiStrToLower(params.host);
    if (!host.empty() && host.back() == '.') host.pop_back();
    if (host.empty() || host.find_first_of(std::string("\0\r\n ", 4)) != std::string::npos) {
      Complete(std::move(done), MakeError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                                          absl::StrCat("bad TLS host name ",
                                                       Quote(Printable(params.host)))));
      return;
    }
    host_ = host;
    handshake_done_ = std::move(done);
    if (!rbuf_.empty()) {
      // RFC 3207 §4 / CVE-2011-0411: bytes the server sent before the
      // handshake must not be read as if they came through TLS.
      FailHandshake(MakeError(
          NetFailure::kHandshakeFailure, NetPhase::kTlsHandshake,
          absl::StrCat(peer_, " sent ", rbuf_.size(),
                       " plaintext byte(s) after its last reply and before the TLS "
                       "handshake (", Quote(Printable(rbuf_, 32)),
                       "); refusing to start TLS, as they could be injected commands")));
      return;
    }
    tls_info_ = TlsInfo();
    verify_errors_.clear();
    issuer_of_error_.clear();
    alert_received_ = alert_sent_ = -1;
    ssl_ = SSL_new(ctx_->ctx);
    BIO* bio = ssl_ != nullptr ? BIO_new(SocketBioMethod()) : nullptr;
    if (bio == nullptr) {
      FailHandshake(MakeError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                              absl::StrCat("cannot create a TLS session: ", OpenSslErrors())));
      return;
    }
    BIO_set_data(bio, &bio_);
    BIO_set_init(bio, 1);
    SSL_set_bio(ssl_, bio, bio);  // the SSL owns the BIO now
    SSL_set_ex_data(ssl_, SslExIndex(), this);
    SSL_set_info_callback(ssl_, InfoCallback);
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
      FailHandshake(MakeError(NetFailure::kLocalError, NetPhase::kTlsHandshake,
                              absl::StrCat("cannot set the TLS host name ", Quote(host_), ": ",
                                           OpenSslErrors())));
      return;
    }
    SSL_set_connect_state(ssl_);
    state_ = State::kHandshaking;
    handshake_wants_ = EPOLLOUT;
    handshake_start_ = absl::Now();
    const absl::Duration timeout = params.handshake_timeout;
    handshake_timer_ = reactor_->RunAfter(timeout, [this, alive = Alive(), timeout] {
      if (alive.expired()) return;
      handshake_timer_ = 0;
      CollectEvidence();
      FailHandshake(MakeError(
          NetFailure::kTimeout, NetPhase::kTlsHandshake,
          absl::StrCat("TLS handshake with ", peer_, " timed out after ", FormatMillis(timeout),
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
      Complete(std::move(done), MakeError(NetFailure::kLocalError, NetPhase::kWrite,
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

  // From VerifyCallback, inside SSL_connect.
  void OnVerifyError(X509_STORE_CTX* store) {
    CertificateError error;
    error.code = X509_STORE_CTX_get_error(store);
    error.depth = X509_STORE_CTX_get_error_depth(store);
    for (const CertificateError& seen : verify_errors_) {
      if (seen.code == error.code && seen.depth == error.depth) return;
    }
    error.text = X509_verify_cert_error_string(error.code);
    if (X509* cert = X509_STORE_CTX_get_current_cert(store)) {
      error.subject = NameToString(X509_get_subject_name(cert));
      error.not_before = Asn1TimeToTime(X509_get0_notBefore(cert));
      error.not_after = Asn1TimeToTime(X509_get0_notAfter(cert));
      issuer_of_error_.push_back(NameToString(X509_get_issuer_name(cert)));
    } else {
      issuer_of_error_.emplace_back();
    }
    verify_errors_.push_back(std::move(error));
  }

  // From InfoCallback.
  void OnAlert(bool received, int value) {
    const int description = value & 0xff;
    if (description == SSL_AD_CLOSE_NOTIFY) return;
    std::string text = SSL_alert_desc_string_long(value);
    if (received) {
      alert_received_ = description;
      alert_received_text_ = std::move(text);
    } else if (alert_sent_ < 0) {
      alert_sent_ = description;
      alert_sent_text_ = std::move(text);
    }
  }

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

  enum class Io { kOk, kWouldBlock, kEof, kError };

  std::weak_ptr<bool> Alive() const { return alive_; }

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
    reactor_->Post([this, alive = Alive()] {
      if (alive.expired()) return;
      kick_posted_ = false;
      Process();
      Finish();
    });
  }

  // Ends every reaction: the epoll mask follows what is pending, then the
  // callbacks run. Last use of `this`: a callback may destroy the stream.
  void Finish() {
    UpdateWatch();
    if (ready_.empty()) return;
    std::vector<absl::AnyInvocable<void()>> batch;
    batch.swap(ready_);
    std::weak_ptr<bool> alive = alive_;
    for (auto& fn : batch) {
      if (alive.expired() || state_ == State::kClosed) return;
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
      FailAll(MakeError(NetFailure::kLocalError, CurrentPhase(),
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
    if (connect_timer_ != 0) reactor_->CancelTimer(connect_timer_);
    if (handshake_timer_ != 0) reactor_->CancelTimer(handshake_timer_);
    connect_timer_ = handshake_timer_ = 0;
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
    if (connect_timer_ != 0) reactor_->CancelTimer(connect_timer_);
    connect_timer_ = 0;
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
    NetError error = ClassifyHandshakeError(err);
    CollectEvidence();
    // A certificate we had already refused is the better explanation: a
    // verifying client stops there.
    if (!verify_errors_.empty()) error = CertificateFailure();
    FailHandshake(std::move(error));
  }

  NetError ClassifyHandshakeError(int ssl_error) {
    const unsigned long code = ERR_peek_error();
    const int reason = code != 0 ? ERR_GET_REASON(code) : 0;
    const std::string openssl = OpenSslErrors();
    NetError e;
    e.phase = NetPhase::kTlsHandshake;
    if (alert_received_ >= 0) e.tls_alert = alert_received_text_;
    else if (alert_sent_ >= 0) e.tls_alert = alert_sent_text_;

    if (bio_.last_errno != 0) {
      e = ErrnoError(bio_.last_errno, NetPhase::kTlsHandshake, peer_);
      return e;
    }
    if (!LooksLikeTls(bio_.first_bytes)) {
      // OpenSSL stopped after a 5-byte record header: peek at what followed
      // so the message shows what the server speaks ("HTTP/1.1 400 ...").
      if (bio_.first_bytes.size() < kSniffBytes && fd_ >= 0) {
        char more[kSniffBytes];
        const ssize_t n = recv(fd_, more, kSniffBytes - bio_.first_bytes.size(),
                               MSG_PEEK | MSG_DONTWAIT);
        if (n > 0) bio_.first_bytes.append(more, static_cast<size_t>(n));
      }
      e.failure = NetFailure::kNotTls;
      e.message = absl::StrCat(peer_, " does not speak TLS on this port: it answered ",
                               Quote(Printable(bio_.first_bytes, 40)));
      return e;
    }
    if (alert_received_ == SSL_AD_PROTOCOL_VERSION || reason == SSL_R_UNSUPPORTED_PROTOCOL ||
        reason == SSL_R_VERSION_TOO_LOW || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
        reason == SSL_R_NO_PROTOCOLS_AVAILABLE) {
      e.failure = NetFailure::kProtocolTooOld;
      e.message = absl::StrCat(
          peer_, " does not support TLS 1.2 or later",
          alert_received_ >= 0 ? absl::StrCat(" (it answered with alert ",
                                              Quote(alert_received_text_), ")")
                               : absl::StrCat(" (", openssl, ")"));
      return e;
    }
    if (alert_received_ >= 0) {
      e.failure = NetFailure::kHandshakeFailure;
      e.message = absl::StrCat(peer_, " aborted the TLS handshake with alert ",
                               Quote(alert_received_text_));
      return e;
    }
    if (bio_.eof || ssl_error == SSL_ERROR_SYSCALL ||
        reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      e.failure = NetFailure::kConnectionClosed;
      e.message = absl::StrCat(peer_, " closed the connection during the TLS handshake",
                               bio_.first_bytes.empty() ? " without answering" : "");
      return e;
    }
    e.failure = NetFailure::kHandshakeFailure;
    e.message = absl::StrCat("TLS handshake with ", peer_, " failed: ", openssl,
                             alert_sent_ >= 0
                                 ? absl::StrCat(" (we sent alert ", Quote(alert_sent_text_), ")")
                                 : "");
    return e;
  }

  void OnHandshakeDone() {
    if (handshake_timer_ != 0) reactor_->CancelTimer(handshake_timer_);
    handshake_timer_ = 0;
    tls_info_.handshake_complete = true;
    tls_info_.version = SSL_get_version(ssl_);
    if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_)) {
      tls_info_.cipher = SSL_CIPHER_get_name(cipher);
    }
    CollectEvidence();
    if (!verify_errors_.empty()) {
      FailHandshake(CertificateFailure());
      return;
    }
    if (!tls_info_.certificate_presented()) {
      FailHandshake(MakeError(NetFailure::kHandshakeFailure, NetPhase::kTlsHandshake,
                              absl::StrCat(peer_, " presented no certificate")));
      return;
    }
    const long result = SSL_get_verify_result(ssl_);
    if (result != X509_V_OK) {
      // Not reachable while the verify callback sees every error; kept so a
      // change there can never let an unverified session through.
      NetError e = MakeError(NetFailure::kCertificateInvalid, NetPhase::kTlsHandshake,
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
    tls_info_.certificate_errors = verify_errors_;
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

  // The certificate cause from the recorded verification errors.
  NetError CertificateFailure() {
    size_t primary = 0;
    for (size_t i = 1; i < verify_errors_.size(); ++i) {
      if (ErrorRank(verify_errors_[i].code) < ErrorRank(verify_errors_[primary].code)) {
        primary = i;
      }
    }
    const CertificateError& ce = verify_errors_[primary];
    const std::string& issuer = issuer_of_error_[primary];
    const absl::Time now = absl::Now();
    NetError e;
    e.phase = NetPhase::kTlsHandshake;
    e.verify_error = ce.code;
    const std::string which =
        ce.depth == 0 ? "the certificate"
                      : absl::StrCat("the issuing certificate ", Quote(ce.subject),
                                     " (chain depth ", ce.depth, ")");
    switch (ce.code) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        e.failure = NetFailure::kCertificateExpired;
        e.message = absl::StrCat(which, " expired on ", FormatUtc(ce.not_after), " (",
                                 Days(now - ce.not_after), " ago)");
        break;
      case X509_V_ERR_CERT_NOT_YET_VALID:
        e.failure = NetFailure::kCertificateNotYetValid;
        e.message = absl::StrCat(which, " is not valid before ", FormatUtc(ce.not_before),
                                 " (in ", Days(ce.not_before - now), ")");
        break;
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
        e.failure = NetFailure::kSelfSigned;
        e.message = absl::StrCat("the certificate ", Quote(ce.subject),
                                 " is self-signed: no trusted certificate authority vouches "
                                 "for it");
        break;
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        e.failure = NetFailure::kUnknownIssuer;
        e.message = absl::StrCat("the certificate chain ends in the root ", Quote(ce.subject),
                                 ", which is not a trusted certificate authority (self-signed "
                                 "certificate in chain)");
        break;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
        std::vector<std::string> missing = FindMissingIntermediates();
        if (!missing.empty()) {
          e.failure = NetFailure::kIncompleteChain;
          tls_info_.missing_intermediates = missing;
          e.message = absl::StrCat(
              "the server did not send the intermediate certificate",
              missing.size() > 1 ? "s " : " ",
              absl::StrJoin(missing, ", ",
                            [](std::string* out, const std::string& s) {
                              out->append(Quote(s));
                            }),
              " that link", missing.size() > 1 ? "" : "s",
              " its certificate to a trusted root (incomplete chain)");
        } else {
          e.failure = NetFailure::kUnknownIssuer;
          e.message = absl::StrCat(
              ce.depth == 0 ? "the certificate" : absl::StrCat("the certificate ", Quote(ce.subject)),
              " was issued by ", Quote(issuer),
              ", which is not a trusted certificate authority (unable to get local issuer "
              "certificate", tls_info_.chain.size() == 1 ? "; the server sent no intermediates" : "",
              ")");
        }
        break;
      }
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH: {
        e.failure = NetFailure::kNameMismatch;
        std::vector<std::string> names;
        if (tls_info_.certificate_presented()) {
          names = tls_info_.leaf().dns_names;
          for (const std::string& ip : tls_info_.leaf().ip_addresses) names.push_back(ip);
        }
        e.message = absl::StrCat(
            "the certificate is not valid for ", Quote(host_), ": ",
            names.empty()
                ? "it lists no DNS names in subjectAltName (the subject CN is not used for "
                  "name checks)"
                : absl::StrCat("it covers ", absl::StrJoin(names, ", ")));
        break;
      }
      default:
        e.failure = NetFailure::kCertificateInvalid;
        e.message = absl::StrCat("certificate verification failed for ", which, ": ", ce.text);
        break;
    }
    if (verify_errors_.size() > 1) {
      std::vector<std::string> others;
      for (size_t i = 0; i < verify_errors_.size(); ++i) {
        if (i != primary) others.push_back(verify_errors_[i].text);
      }
      absl::StrAppend(&e.message, " (also: ", absl::StrJoin(others, "; "), ")");
    }
    return e;
  }

  // Verifies the server's chain again with the known intermediates added as
  // untrusted certificates. When that gets past the missing-issuer error, the
  // server simply left them out; returns the subjects it should have sent.
  std::vector<std::string> FindMissingIntermediates() {
    std::vector<std::string> missing;
    if (ctx_->intermediates == nullptr || sk_X509_num(ctx_->intermediates) == 0) return missing;
    X509* leaf = SSL_get0_peer_certificate(ssl_);
    if (leaf == nullptr) return missing;
    STACK_OF(X509)* peer = SSL_get_peer_cert_chain(ssl_);
    STACK_OF(X509)* untrusted = sk_X509_new_null();
    X509_STORE_CTX* vctx = X509_STORE_CTX_new();
    if (untrusted == nullptr || vctx == nullptr) {
      sk_X509_free(untrusted);
      X509_STORE_CTX_free(vctx);
      return missing;
    }
    auto in_stack = [](STACK_OF(X509)* stack, X509* cert) {
      if (stack == nullptr) return false;
      for (int i = 0; i < sk_X509_num(stack); ++i) {
        if (X509_cmp(sk_X509_value(stack, i), cert) == 0) return true;
      }
      return false;
    };
    for (int i = 0; peer != nullptr && i < sk_X509_num(peer); ++i) {
      sk_X509_push(untrusted, sk_X509_value(peer, i));
    }
    for (int i = 0; i < sk_X509_num(ctx_->intermediates); ++i) {
      sk_X509_push(untrusted, sk_X509_value(ctx_->intermediates, i));
    }
    if (X509_STORE_CTX_init(vctx, SSL_CTX_get_cert_store(ctx_->ctx), leaf, untrusted) == 1) {
      X509_STORE_CTX_set_default(vctx, "ssl_server");
      X509_verify_cert(vctx);
      const int err = X509_STORE_CTX_get_error(vctx);
      STACK_OF(X509)* built = X509_STORE_CTX_get0_chain(vctx);
      if (!IsIssuerError(err) && built != nullptr) {
        for (int i = 0; i < sk_X509_num(built); ++i) {
          X509* cert = sk_X509_value(built, i);
          if (in_stack(ctx_->intermediates, cert) && !in_stack(peer, cert)) {
            missing.push_back(NameToString(X509_get_subject_name(cert)));
          }
        }
      }
    }
    X509_STORE_CTX_free(vctx);
    sk_X509_free(untrusted);  // the certificates belong to their owners
    ERR_clear_error();
    return missing;
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
      result.error = MakeError(NetFailure::kLocalError, NetPhase::kRead,
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
        result.error = MakeError(NetFailure::kLineTooLong, NetPhase::kRead,
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
          result.error = MakeError(
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
      size_t n = 0;
      NetError error;
      const Io io = state_ == State::kSecure ? SslRead(buf, sizeof(buf), &n, &error)
                                             : PlainRead(buf, sizeof(buf), &n, &error);
      switch (io) {
        case Io::kOk:
          rbuf_.append(buf, n);
          break;
        case Io::kWouldBlock:
          return;
        case Io::kEof:
          eof_ = true;
          break;
        case Io::kError:
          FailAll(std::move(error));
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
      size_t n = 0;
      NetError error;
      const char* p = op.data.data() + op.offset;
      const size_t len = op.data.size() - op.offset;
      const Io io = state_ == State::kSecure ? SslWrite(p, len, &n, &error)
                                             : PlainWrite(p, len, &n, &error);
      if (io == Io::kWouldBlock) return;
      if (io != Io::kOk) {
        FailAll(std::move(error));
        return;
      }
      op.offset += n;
    }
  }

  Io PlainRead(char* buf, size_t cap, size_t* n, NetError* error) {
    for (;;) {
      const ssize_t r = recv(fd_, buf, cap, 0);
      if (r > 0) {
        *n = static_cast<size_t>(r);
        return Io::kOk;
      }
      if (r == 0) return Io::kEof;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        read_wants_ = EPOLLIN;
        return Io::kWouldBlock;
      }
      *error = ErrnoError(errno, NetPhase::kRead, peer_);
      return Io::kError;
    }
  }

  Io PlainWrite(const char* p, size_t len, size_t* n, NetError* error) {
    for (;;) {
      const ssize_t r = send(fd_, p, len, MSG_NOSIGNAL);
      if (r >= 0) {
        *n = static_cast<size_t>(r);
        return Io::kOk;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        write_wants_ = EPOLLOUT;
        return Io::kWouldBlock;
      }
      *error = ErrnoError(errno, NetPhase::kWrite, peer_);
      return Io::kError;
    }
  }

  // The failure behind an SSL_read / SSL_write that did not succeed or block.
  Io SslFailure(int ssl_error, NetPhase phase, NetError* error) {
    const unsigned long code = ERR_peek_error();
    const int reason = code != 0 ? ERR_GET_REASON(code) : 0;
    ssl_dead_ = true;
    if (bio_.last_errno != 0) {
      *error = ErrnoError(bio_.last_errno, phase, peer_);
      ERR_clear_error();
      return Io::kError;
    }
    if (ssl_error == SSL_ERROR_SYSCALL || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
      // TCP FIN without close_notify (RFC 8446 §6.1 wants one; many HTTP
      // servers skip it): an end of stream, flagged as unclean.
      ERR_clear_error();
      return Io::kEof;
    }
    NetError e = MakeError(NetFailure::kTlsError, phase,
                           absl::StrCat("TLS error from ", peer_, ": ", OpenSslErrors()));
    if (alert_received_ >= 0) e.tls_alert = alert_received_text_;
    *error = std::move(e);
    return Io::kError;
  }

  Io SslRead(char* buf, size_t cap, size_t* n, NetError* error) {
    ERR_clear_error();
    bio_.last_errno = 0;
    const int rc = SSL_read_ex(ssl_, buf, cap, n);
    if (rc == 1) return Io::kOk;
    const int err = SSL_get_error(ssl_, rc);
    switch (err) {
      case SSL_ERROR_WANT_READ:
        read_wants_ = EPOLLIN;
        return Io::kWouldBlock;
      case SSL_ERROR_WANT_WRITE:
        read_wants_ = EPOLLOUT;
        return Io::kWouldBlock;
      case SSL_ERROR_ZERO_RETURN:
        close_notify_ = true;
        return Io::kEof;
      default:
        return SslFailure(err, NetPhase::kRead, error);
    }
  }

  Io SslWrite(const char* p, size_t len, size_t* n, NetError* error) {
    ERR_clear_error();
    bio_.last_errno = 0;
    const int rc = SSL_write_ex(ssl_, p, len, n);
    if (rc == 1) return Io::kOk;
    const int err = SSL_get_error(ssl_, rc);
    switch (err) {
      case SSL_ERROR_WANT_READ:
        write_wants_ = EPOLLIN;
        return Io::kWouldBlock;
      case SSL_ERROR_WANT_WRITE:
        write_wants_ = EPOLLOUT;
        return Io::kWouldBlock;
      case SSL_ERROR_ZERO_RETURN: {
        // The peer sent close_notify; writing on is pointless.
        *error = MakeError(NetFailure::kConnectionClosed, NetPhase::kWrite,
                           absl::StrCat(peer_, " closed the TLS session while we were sending"));
        return Io::kError;
      }
      default: {
        const Io io = SslFailure(err, NetPhase::kWrite, error);
        if (io == Io::kEof) {
          *error = MakeError(NetFailure::kConnectionClosed, NetPhase::kWrite,
                             absl::StrCat(peer_, " closed the connection while we were sending"));
          return Io::kError;
        }
        return io;
      }
    }
  }

  Reactor* const reactor_;
  const std::shared_ptr<const TlsClientContext::State> ctx_;  // null: plaintext only
  State state_ = State::kFresh;
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
  TimerId connect_timer_ = 0;
  TimerId handshake_timer_ = 0;

  std::string rbuf_;  // received, not yet delivered
  bool eof_ = false;
  bool close_notify_ = false;
  NetError sticky_;   // why the stream is kFailed

  // Evidence.
  TlsInfo tls_info_;
  std::vector<CertificateError> verify_errors_;
  std::vector<std::string> issuer_of_error_;  // parallel to verify_errors_
  int alert_received_ = -1;
  std::string alert_received_text_;
  int alert_sent_ = -1;
  std::string alert_sent_text_;
  absl::Time connect_start_;
  absl::Duration connect_time_ = absl::ZeroDuration();
  absl::Time handshake_start_;

  std::vector<absl::AnyInvocable<void()>> ready_;
  // Expires with the stream; posted work and timers check it.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

StreamImpl* StreamOf(const SSL* ssl) {
  return static_cast<StreamImpl*>(SSL_get_ex_data(ssl, SslExIndex()));
}

// Records the error and lets the handshake go on, so the evidence is
// complete; the stream fails once the handshake is over (OnHandshakeDone).
int VerifyCallback(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) return 1;
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return 0;
  StreamImpl* stream = StreamOf(ssl);
  if (stream == nullptr) return 0;
  stream->OnVerifyError(store);
  return 1;
}

void InfoCallback(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_ALERT) == 0) return;
  StreamImpl* stream = StreamOf(ssl);
  if (stream != nullptr) stream->OnAlert((where & SSL_CB_READ) != 0, ret);
}

absl::Status LoadIntermediates(const std::string& path, STACK_OF(X509)* out) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read intermediates file \"", path, "\": ", OpenSslErrors()));
  }
  while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    sk_X509_push(out, cert);
  }
  BIO_free(bio);
  ERR_clear_error();  // the read that ended the loop leaves "no start line"
  if (sk_X509_num(out) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("intermediates file \"", path, "\" holds no PEM certificate"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view NetFailureName(NetFailure failure) {
  switch (failure) {
    case NetFailure::kNone: return "none";
    case NetFailure::kConnectionRefused: return "connection_refused";
    case NetFailure::kNetworkUnreachable: return "network_unreachable";
    case NetFailure::kTimeout: return "timeout";
    case NetFailure::kConnectionReset: return "connection_reset";
    case NetFailure::kConnectionClosed: return "connection_closed";
    case NetFailure::kSocketError: return "socket_error";
    case NetFailure::kNotTls: return "not_tls";
    case NetFailure::kProtocolTooOld: return "protocol_too_old";
    case NetFailure::kHandshakeFailure: return "handshake_failure";
    case NetFailure::kTlsError: return "tls_error";
    case NetFailure::kCertificateExpired: return "certificate_expired";
    case NetFailure::kCertificateNotYetValid: return "certificate_not_yet_valid";
    case NetFailure::kSelfSigned: return "self_signed";
    case NetFailure::kUnknownIssuer: return "unknown_issuer";
    case NetFailure::kIncompleteChain: return "incomplete_chain";
    case NetFailure::kNameMismatch: return "name_mismatch";
    case NetFailure::kCertificateInvalid: return "certificate_invalid";
    case NetFailure::kLineTooLong: return "line_too_long";
    case NetFailure::kHttpMalformed: return "http_malformed";
    case NetFailure::kHttpHeadersTooLarge: return "http_headers_too_large";
    case NetFailure::kHttpBodyTooLarge: return "http_body_too_large";
    case NetFailure::kHttpTruncated: return "http_truncated";
    case NetFailure::kSmtpMalformed: return "smtp_malformed";
    case NetFailure::kSmtpRejected: return "smtp_rejected";
    case NetFailure::kStartTlsNotOffered: return "starttls_not_offered";
    case NetFailure::kDeadlineExceeded: return "deadline_exceeded";
    case NetFailure::kLocalError: return "local_error";
  }
  return "unknown";
}

bool IsCertificateFailure(NetFailure failure) {
  switch (failure) {
    case NetFailure::kCertificateExpired:
    case NetFailure::kCertificateNotYetValid:
    case NetFailure::kSelfSigned:
    case NetFailure::kUnknownIssuer:
    case NetFailure::kIncompleteChain:
    case NetFailure::kNameMismatch:
    case NetFailure::kCertificateInvalid:
      return true;
    default:
      return false;
  }
}

absl::string_view NetPhaseName(NetPhase phase) {
  switch (phase) {
    case NetPhase::kNone: return "none";
    case NetPhase::kConnect: return "TCP connect";
    case NetPhase::kTlsHandshake: return "TLS handshake";
    case NetPhase::kWrite: return "send";
    case NetPhase::kRead: return "receive";
    case NetPhase::kFirstByte: return "wait for the first response byte";
    case NetPhase::kResponse: return "response";
  }
  return "unknown";
}

std::string NetError::ToString() const {
  if (ok()) return "ok";
  return absl::StrCat(NetFailureName(failure), " in ", NetPhaseName(phase), ": ", message);
}

absl::StatusOr<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(
    const std::string& ca_file) {
  TlsClientOptions options;
  options.ca_file = ca_file;
  return Create(options);
}

absl::StatusOr<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(
    const TlsClientOptions& options) {
  auto state = std::make_shared<State>();
  ERR_clear_error();
  state->ctx = SSL_CTX_new(TLS_client_method());
  state->intermediates = sk_X509_new_null();
  if (state->ctx == nullptr || state->intermediates == nullptr) {
    return absl::InternalError(absl::StrCat("SSL_CTX_new: ", OpenSslErrors()));
  }
  SSL_CTX* ctx = state->ctx;
  // RFC 8996 deprecates TLS 1.0 and 1.1; RFC 8461 senders use 1.2+.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    return absl::InternalError(absl::StrCat("set_min_proto_version: ", OpenSslErrors()));
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // Partial writes: SSL_write returns after each record, so the reactor is
  // never blocked and a retry may pass a moved buffer.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, VerifyCallback);
  // Every connection verifies afresh: no session cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (options.ca_file.empty()) {
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return absl::InternalError(
          absl::StrCat("cannot load the system trust store: ", OpenSslErrors()));
    }
  } else {
    FILE* f = fopen(options.ca_file.c_str(), "r");
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot open CA file \"", options.ca_file, "\": ", strerror(errno)));
    }
    fclose(f);
    if (SSL_CTX_load_verify_locations(ctx, options.ca_file.c_str(), nullptr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "CA file \"", options.ca_file, "\" holds no usable certificate: ", OpenSslErrors()));
    }
  }
  if (!options.intermediates_file.empty()) {
    absl::Status status = LoadIntermediates(options.intermediates_file, state->intermediates);
    if (!status.ok()) return status;
  }
  ERR_clear_error();
  return std::unique_ptr<TlsClientContext>(new TlsClientContext(std::move(state)));
}

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
