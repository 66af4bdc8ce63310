// Socket addresses for the TLS client: IP literals to sockaddr, and a
// connected socket's peer in words. Internal to the TLS client.
#ifndef MTASTS_NET_SOCKET_ADDRESS_H_
#define MTASTS_NET_SOCKET_ADDRESS_H_

#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace mtasts::net {

// Fills `ss` and `len` for an IPv4 or IPv6 literal; false for anything else.
bool ParseAddress(const std::string& address, uint16_t port, sockaddr_storage* ss,
                  socklen_t* len);

// True for an IPv4 or IPv6 literal.
bool IsIpLiteral(const std::string& host);

// "192.0.2.1:25" / "[2001:db8::1]:25" for the peer of a connected socket;
// "" when it has none.
std::string PeerOfSocket(int fd);

}  // namespace mtasts::net

#endif  // MTASTS_NET_SOCKET_ADDRESS_H_
