#include "net/host_port.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "net/wire_text.h"

namespace mtasts::net {
namespace {

absl::Status BadPort(const HostPortRules& rules, absl::string_view prefix = "") {
  return absl::InvalidArgumentError(absl::StrCat(prefix, "port must be a number from 1 to 65535",
                                                 rules.port_zero_ok ? " (0: any free port)" : ""));
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text, const HostPortRules& rules) {
  HostPort result;
  absl::string_view port;
  bool has_port = false;
  if (!text.empty() && text.front() == '[') {
    // "[v6]" or "[v6]:port" (RFC 3986 §3.2.2 bracket form).
    const size_t close = text.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("missing ']'");
    result.host = std::string(text.substr(1, close - 1));
    const absl::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return absl::InvalidArgumentError("expected ':port' after ']'");
      port = rest.substr(1);
      has_port = true;
    }
    if (!IsIpv6Literal(result.host)) return absl::InvalidArgumentError("not an IPv6 address");
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    result.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
    has_port = true;
    if (!IsIpv4Literal(result.host) && !(rules.localhost_ok && result.host == "localhost")) {
      return absl::InvalidArgumentError(
          rules.localhost_ok ? "not an IPv4 address or localhost (write IPv6 as [addr]:port)"
                             : "not an IPv4 address (write IPv6 as [addr]:port)");
    }
  } else {
    result.host = std::string(text);
    if (absl::StrContains(text, ':')) {
      if (!IsIpv6Literal(result.host)) {
        return absl::InvalidArgumentError("not an IPv6 address (a port needs [addr]:port)");
      }
      // "::1:5353" is itself a valid IPv6 address: never guess a port out of it.
      if (rules.port_required) {
        return absl::InvalidArgumentError("an IPv6 address with a port is written [addr]:port");
      }
    } else if (!IsIpv4Literal(result.host) && !(rules.localhost_ok && result.host == "localhost")) {
      return absl::InvalidArgumentError(rules.localhost_ok ? "not an IP address or localhost"
                                                           : "not an IP address");
    }
  }
  if (!has_port) {
    if (rules.port_required) return BadPort(rules, "no port; ");
    return result;
  }
  int value = -1;
  const bool digits = !port.empty() && port.size() <= 5 &&
                      std::all_of(port.begin(), port.end(), absl::ascii_isdigit) &&
                      absl::SimpleAtoi(port, &value);
  if (!digits || value > 65535 || value < (rules.port_zero_ok ? 0 : 1)) return BadPort(rules);
  result.port = value;
  return result;
}

}  // namespace mtasts::net
