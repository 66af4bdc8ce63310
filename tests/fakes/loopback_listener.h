// A listening TCP socket on 127.0.0.1, on a port the kernel picks: what each
// in-process test server starts with; and the loopback address clients and
// servers of the fakes bind and connect to.
//
//   int port;
//   const int fd = fakes::ListenOnLoopback(/*backlog=*/16, &port);
#ifndef MTASTS_TESTS_FAKES_LOOPBACK_LISTENER_H_
#define MTASTS_TESTS_FAKES_LOOPBACK_LISTENER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>

namespace mtasts::fakes {

// 127.0.0.1:`port`; port 0 lets bind() pick one.
inline sockaddr_in LoopbackAddress(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

// The listening socket (-1 if the kernel refused); `*port` is its port.
inline int ListenOnLoopback(int backlog, int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = LoopbackAddress(0);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(fd, backlog) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    *port = 0;
    return fd;
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_LOOPBACK_LISTENER_H_
