// A UDP port on 127.0.0.1 that takes every datagram and answers none: a DNS
// forwarder that is there but silent, so queries to it time out.
//
//   fakes::SilentUdp silent;
//   options.forwarder = absl::StrCat("127.0.0.1@", silent.port());
#ifndef MTASTS_TESTS_FAKES_SILENT_UDP_H_
#define MTASTS_TESTS_FAKES_SILENT_UDP_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/fakes/loopback_listener.h"

namespace mtasts::fakes {

class SilentUdp {
 public:
  SilentUdp() : fd_(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a = LoopbackAddress(0);
    socklen_t len = sizeof(a);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
  }
  ~SilentUdp() { close(fd_); }
  SilentUdp(const SilentUdp&) = delete;
  SilentUdp& operator=(const SilentUdp&) = delete;

  int port() const { return port_; }
  // Takes one datagram that has come (a query), without waiting: false when
  // none is there.
  bool TakeDatagram() {
    char buf[512];
    return recv(fd_, buf, sizeof(buf), MSG_DONTWAIT) > 0;
  }

 private:
  const int fd_;
  int port_ = 0;
};

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_SILENT_UDP_H_
