#include "net/socket_bio.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace mtasts::net {
namespace {

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

}  // namespace

BIO* NewSocketBio(SocketBio* state) {
  BIO* bio = BIO_new(SocketBioMethod());
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, state);
  BIO_set_init(bio, 1);
  return bio;
}

bool LooksLikeTls(absl::string_view first) {
  if (first.size() < 2) return true;  // too little to say otherwise
  const unsigned char type = static_cast<unsigned char>(first[0]);
  return type >= 20 && type <= 24 && first[1] == 0x03;
}

}  // namespace mtasts::net
