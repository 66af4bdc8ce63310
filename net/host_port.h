// "host:port" as operators write it on the command line: the one parser
// behind --dns_servers and the server's --listen, so both accept the same
// forms and refuse a bad port with the same words.
#ifndef MTASTS_NET_HOST_PORT_H_
#define MTASTS_NET_HOST_PORT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mtasts::net {

struct HostPort {
  std::string host;         // an IP literal without brackets, or "localhost"
  std::optional<int> port;  // absent when not written
};

struct HostPortRules {
  bool port_required = false;  // "127.0.0.1" alone is refused
  bool port_zero_ok = false;   // ":0" accepted (a listener's "any free port")
  bool localhost_ok = false;   // the name "localhost" as well as IP literals
};

// Parses "ipv4", "ipv4:port", "[ipv6]", "[ipv6]:port", or a bare IPv6
// literal (which takes no port), after `rules`. The port is decimal digits
// only, 1-65535 (0 as well with port_zero_ok): never wrapped or defaulted.
// Errors: INVALID_ARGUMENT whose message is the reason alone (the caller
// names the flag and the entry), e.g. "port must be a number from 1 to 65535".
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, const HostPortRules& rules = {});

}  // namespace mtasts::net

#endif  // MTASTS_NET_HOST_PORT_H_
