// The resolver's configured server list (DnsOptions::servers): parsed from
// "--dns_servers", checked before a session is made, handed to c-ares, and
// named in DnsSession::AnsweredBy as the operator wrote it. Internal to the
// dns_resolver library (ParseDnsServers is declared in dns_resolver.h).
#ifndef MTASTS_NET_DNS_RESOLVER_SERVERS_H_
#define MTASTS_NET_DNS_RESOLVER_SERVERS_H_

#include <ares.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "net/dns_resolver.h"

namespace mtasts::net {

// INVALID_ARGUMENT naming the first server that is not an IP literal or has
// a port out of range.
absl::Status ValidateDnsServers(const std::vector<DnsServer>& servers);

// Makes `servers` the channel's servers, in order, each on its own port for
// UDP and TCP. INVALID_ARGUMENT for a host that is not an IP literal,
// INTERNAL when c-ares refuses the list.
absl::Status SetAresServers(ares_channel channel, const std::vector<DnsServer>& servers);

// "ip:port" ("[v6]:port") of `addr`, with the host spelled as in `servers`
// when it is one of them; "" for an address that is neither IPv4 nor IPv6.
std::string SpellDnsServer(const sockaddr* addr, const std::vector<DnsServer>& servers);

}  // namespace mtasts::net

#endif  // MTASTS_NET_DNS_RESOLVER_SERVERS_H_
