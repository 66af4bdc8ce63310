#include "net/stream_io.h"

#include <openssl/err.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/openssl_errors.h"
#include "net/tls_failure.h"

namespace mtasts::net {
namespace {

IoResult WouldBlock(uint32_t wants) {
  IoResult r;
  r.kind = IoResult::kWouldBlock;
  r.wants = wants;
  return r;
}

IoResult Failed(NetError error) {
  IoResult r;
  r.kind = IoResult::kError;
  r.error = std::move(error);
  return r;
}

IoResult Done(size_t n) {
  IoResult r;
  r.bytes = n;
  return r;
}

IoResult PlainRead(const IoTarget& t, char* buf, size_t cap) {
  for (;;) {
    const ssize_t r = recv(t.fd, buf, cap, 0);
    if (r > 0) return Done(static_cast<size_t>(r));
    if (r == 0) {
      IoResult eof;
      eof.kind = IoResult::kEof;
      return eof;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return WouldBlock(EPOLLIN);
    return Failed(ErrnoError(errno, NetPhase::kRead, *t.peer));
  }
}

IoResult PlainWrite(const IoTarget& t, const char* p, size_t len) {
  for (;;) {
    const ssize_t r = send(t.fd, p, len, MSG_NOSIGNAL);
    if (r >= 0) return Done(static_cast<size_t>(r));
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return WouldBlock(EPOLLOUT);
    return Failed(ErrnoError(errno, NetPhase::kWrite, *t.peer));
  }
}

// The failure behind an SSL_read / SSL_write that did not succeed or block.
IoResult SslFailure(const IoTarget& t, int ssl_error, NetPhase phase) {
  const unsigned long code = ERR_peek_error();
  const int reason = code != 0 ? ERR_GET_REASON(code) : 0;
  IoResult r;
  r.ssl_dead = true;
  if (t.bio->last_errno != 0) {
    r.kind = IoResult::kError;
    r.error = ErrnoError(t.bio->last_errno, phase, *t.peer);
    ERR_clear_error();
    return r;
  }
  if (ssl_error == SSL_ERROR_SYSCALL || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    // TCP FIN without close_notify: an end of stream, flagged as unclean.
    ERR_clear_error();
    r.kind = IoResult::kEof;
    return r;
  }
  r.kind = IoResult::kError;
  r.error = MakeNetError(NetFailure::kTlsError, phase,
                         absl::StrCat("TLS error from ", *t.peer, ": ", OpenSslErrors()));
  if (t.record->alert_received >= 0) r.error.tls_alert = t.record->alert_received_text;
  return r;
}

// One SSL_read_ex or SSL_write_ex (`transfer`, given where to put the byte
// count) with a clean error queue: the bytes moved or the direction to wait
// for; otherwise nullopt with the SSL error left in `*ssl_error`, whose
// meaning depends on the direction.
template <typename Transfer>
std::optional<IoResult> SslTransfer(const IoTarget& t, Transfer transfer, int* ssl_error) {
  ERR_clear_error();
  t.bio->last_errno = 0;
  size_t n = 0;
  const int rc = transfer(&n);
  if (rc == 1) return Done(n);
  *ssl_error = SSL_get_error(t.ssl, rc);
  if (*ssl_error == SSL_ERROR_WANT_READ) return WouldBlock(EPOLLIN);
  if (*ssl_error == SSL_ERROR_WANT_WRITE) return WouldBlock(EPOLLOUT);
  return std::nullopt;
}

IoResult SslRead(const IoTarget& t, char* buf, size_t cap) {
  int err = 0;
  if (std::optional<IoResult> r = SslTransfer(
          t, [&](size_t* n) { return SSL_read_ex(t.ssl, buf, cap, n); }, &err)) {
    return *r;
  }
  if (err == SSL_ERROR_ZERO_RETURN) {
    IoResult eof;
    eof.kind = IoResult::kEof;
    eof.close_notify = true;
    return eof;
  }
  return SslFailure(t, err, NetPhase::kRead);
}

IoResult SslWrite(const IoTarget& t, const char* p, size_t len) {
  int err = 0;
  if (std::optional<IoResult> r = SslTransfer(
          t, [&](size_t* n) { return SSL_write_ex(t.ssl, p, len, n); }, &err)) {
    return *r;
  }
  switch (err) {
    case SSL_ERROR_ZERO_RETURN:
      // The peer sent close_notify; writing on is pointless.
      return Failed(MakeNetError(
          NetFailure::kConnectionClosed, NetPhase::kWrite,
          absl::StrCat(*t.peer, " closed the TLS session while we were sending")));
    default: {
      IoResult r = SslFailure(t, err, NetPhase::kWrite);
      if (r.kind == IoResult::kEof) {
        r.kind = IoResult::kError;
        r.error = MakeNetError(
            NetFailure::kConnectionClosed, NetPhase::kWrite,
            absl::StrCat(*t.peer, " closed the connection while we were sending"));
      }
      return r;
    }
  }
}

}  // namespace

IoResult ReadSome(const IoTarget& target, char* buf, size_t cap) {
  return target.ssl != nullptr ? SslRead(target, buf, cap) : PlainRead(target, buf, cap);
}

IoResult WriteSome(const IoTarget& target, const char* data, size_t len) {
  return target.ssl != nullptr ? SslWrite(target, data, len)
                               : PlainWrite(target, data, len);
}

}  // namespace mtasts::net
