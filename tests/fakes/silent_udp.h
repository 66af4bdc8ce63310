// A port on 127.0.0.1 held by the test that answers nothing. UDP (the
// default) takes every datagram and answers none: a DNS forwarder that is
// there but silent, so queries to it time out. TCP is bound but never
// listens: connections are refused, and nobody else can take the port.
//
//   fakes::SilentUdp silent;
//   options.forwarder = absl::StrCat("127.0.0.1@", silent.port());
//   fakes::SilentPort refusing(SOCK_STREAM);
#ifndef MTASTS_TESTS_FAKES_SILENT_UDP_H_
#define MTASTS_TESTS_FAKES_SILENT_UDP_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/fakes/loopback_listener.h"

namespace mtasts::fakes {

class SilentPort {
 public:
  explicit SilentPort(int type = SOCK_DGRAM) : fd_(socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
    sockaddr_in a = LoopbackAddress(0);
    socklen_t len = sizeof(a);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port_ = ntohs(a.sin_port);
  }
  ~SilentPort() { close(fd_); }
  SilentPort(const SilentPort&) = delete;
  SilentPort& operator=(const SilentPort&) = delete;

  int port() const { return port_; }
  // UDP: takes one datagram that has come (a query), without waiting; false
  // when none is there.
  bool TakeDatagram() {
    char buf[512];
    return recv(fd_, buf, sizeof(buf), MSG_DONTWAIT) > 0;
  }

 private:
  const int fd_;
  int port_ = 0;
};

using SilentUdp = SilentPort;

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_SILENT_UDP_H_
