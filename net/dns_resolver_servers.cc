#include "net/dns_resolver_servers.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "net/host_port.h"
#include "net/wire_text.h"

namespace mtasts::net {
namespace {

absl::Status BadServer(absl::string_view entry, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("DNS server \"", entry, "\": ", why));
}

}  // namespace

absl::StatusOr<std::vector<DnsServer>> ParseDnsServers(const std::string& csv) {
  std::vector<DnsServer> servers;
  if (absl::StripAsciiWhitespace(csv).empty()) return servers;
  for (absl::string_view raw : absl::StrSplit(csv, ',')) {
    const absl::string_view entry = absl::StripAsciiWhitespace(raw);
    if (entry.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty entry in DNS server list \"", csv, "\""));
    }
    auto parsed = ParseHostPort(entry);
    if (!parsed.ok()) return BadServer(entry, parsed.status().message());
    DnsServer server;
    server.host = std::move(parsed->host);
    server.port = parsed->port.value_or(53);
    servers.push_back(std::move(server));
  }
  return servers;
}

absl::Status ValidateDnsServers(const std::vector<DnsServer>& servers) {
  for (const DnsServer& server : servers) {
    if (!IsIpv4Literal(server.host) && !IsIpv6Literal(server.host)) {
      return absl::InvalidArgumentError(
          absl::StrCat("DNS server \"", server.host, "\" is not an IP address"));
    }
    if (server.port < 1 || server.port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("DNS server port ", server.port, " out of range"));
    }
  }
  return absl::OkStatus();
}

absl::Status SetAresServers(ares_channel channel, const std::vector<DnsServer>& servers) {
  std::vector<ares_addr_port_node> nodes(servers.size());
  for (size_t i = 0; i < servers.size(); ++i) {
    const DnsServer& server = servers[i];
    ares_addr_port_node& node = nodes[i];
    memset(&node, 0, sizeof(node));
    node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
    node.udp_port = server.port;
    node.tcp_port = server.port;
    if (inet_pton(AF_INET, server.host.c_str(), &node.addr.addr4) == 1) {
      node.family = AF_INET;
    } else {
      in6_addr addr6;
      if (inet_pton(AF_INET6, server.host.c_str(), &addr6) != 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("DNS server \"", server.host, "\" is not an IP address"));
      }
      node.family = AF_INET6;
      memcpy(&node.addr.addr6, &addr6, sizeof(addr6));
    }
  }
  const int status = ares_set_servers_ports(channel, nodes.data());
  if (status != ARES_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("ares_set_servers_ports: ", ares_strerror(status)));
  }
  return absl::OkStatus();
}

std::string SpellDnsServer(const sockaddr* addr, const std::vector<DnsServer>& servers) {
  char text[INET6_ADDRSTRLEN] = {};
  int port = 0;
  const void* bytes = nullptr;
  size_t size = 0;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    bytes = &in->sin_addr;
    size = sizeof(in->sin_addr);
    port = ntohs(in->sin_port);
  } else if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    bytes = &in6->sin6_addr;
    size = sizeof(in6->sin6_addr);
    port = ntohs(in6->sin6_port);
  } else {
    return "";
  }
  inet_ntop(addr->sa_family, bytes, text, sizeof(text));
  std::string host = text;
  for (const DnsServer& server : servers) {
    unsigned char configured[sizeof(in6_addr)];
    if (server.port == port && inet_pton(addr->sa_family, server.host.c_str(), configured) == 1 &&
        memcmp(configured, bytes, size) == 0) {
      host = server.host;
      break;
    }
  }
  return addr->sa_family == AF_INET6 ? absl::StrCat("[", host, "]:", port)
                                     : absl::StrCat(host, ":", port);
}

}  // namespace mtasts::net
