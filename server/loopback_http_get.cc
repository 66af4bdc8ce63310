#include "server/loopback_http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace mtasts::server {
namespace {

constexpr size_t kMaxReplyBytes = 8 << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  const int fd_;
};

// Waits for `events` on fd until `deadline`; false on timeout.
bool WaitFor(int fd, short events, absl::Time deadline) {
  for (;;) {
    const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (ms <= 0) return false;
    pollfd p = {fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(ms));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

}  // namespace

absl::StatusOr<HttpReply> LoopbackHttpGet(int port, const std::string& target,
                                          absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return absl::UnavailableError("socket() failed");
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect to 127.0.0.1:", port, ": ", strerror(errno)));
  }
  const std::string request =
      absl::StrCat("GET ", target, " HTTP/1.0\r\nHost: 127.0.0.1:", port,
                   "\r\nConnection: close\r\n\r\n");
  size_t sent = 0;
  while (sent < request.size()) {
    if (!WaitFor(fd.get(), POLLOUT, deadline)) return absl::UnavailableError("send timed out");
    const ssize_t n = send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    sent += static_cast<size_t>(n);
  }
  std::string reply;
  char buffer[16384];
  for (;;) {
    if (!WaitFor(fd.get(), POLLIN, deadline)) return absl::UnavailableError("reply timed out");
    const ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
    if (n == 0) break;
    reply.append(buffer, static_cast<size_t>(n));
    if (reply.size() > kMaxReplyBytes) return absl::UnavailableError("reply too large");
  }
  const size_t end = reply.find("\r\n\r\n");
  if (end == std::string::npos) return absl::UnavailableError("no complete header block");
  HttpReply out;
  out.headers = reply.substr(0, end);
  out.body = reply.substr(end + 4);
  // "HTTP/1.1 200 OK"
  const size_t space = out.headers.find(' ');
  if (space == std::string::npos ||
      !absl::SimpleAtoi(absl::string_view(out.headers).substr(space + 1, 3), &out.status)) {
    return absl::UnavailableError(absl::StrCat("bad status line: ", out.headers.substr(0, 80)));
  }
  return out;
}

}  // namespace mtasts::server
