#include "net/dns_stream_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "net/host_port.h"

namespace mtasts::net {

absl::StatusOr<DnsTransportKind> ParseDnsTransportKind(const std::string& text) {
  if (text == "udp" || text.empty()) return DnsTransportKind::kUdp;
  if (text == "tls") return DnsTransportKind::kTls;
  if (text == "https") return DnsTransportKind::kHttps;
  return absl::InvalidArgumentError(
      absl::StrCat("\"", text, "\" is not a DNS transport (udp, tls or https)"));
}

const char* DnsTransportName(DnsTransportKind kind) {
  switch (kind) {
    case DnsTransportKind::kUdp: return "udp";
    case DnsTransportKind::kTls: return "tls";
    case DnsTransportKind::kHttps: return "https";
  }
  return "udp";
}

namespace {

bool IsIpLiteral(const std::string& s) {
  in6_addr a6;
  in_addr a4;
  return inet_pton(AF_INET, s.c_str(), &a4) == 1 || inet_pton(AF_INET6, s.c_str(), &a6) == 1;
}

bool IsHostName(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (label.empty() || label.size() > 63) return false;
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
    }
  }
  return true;
}

absl::StatusOr<DnsStreamEndpoint> ParseTls(absl::string_view entry) {
  DnsStreamEndpoint e;
  e.display = std::string(entry);
  absl::string_view hostport = entry;
  std::string name;
  if (size_t hash = entry.find('#'); hash != absl::string_view::npos) {
    hostport = entry.substr(0, hash);
    name = std::string(entry.substr(hash + 1));
    if (!IsHostName(name) && !IsIpLiteral(name)) {
      return absl::InvalidArgumentError("the name after # is not a host name");
    }
  }
  auto hp = ParseHostPort(hostport);
  if (!hp.ok()) return hp.status();
  e.address = hp->host;
  e.port = static_cast<uint16_t>(hp->port.value_or(853));
  e.verify_name = name.empty() ? e.address : absl::AsciiStrToLower(name);
  return e;
}

absl::StatusOr<DnsStreamEndpoint> ParseHttps(absl::string_view entry) {
  DnsStreamEndpoint e;
  e.display = std::string(entry);
  absl::string_view rest = entry;
  if (!absl::ConsumePrefix(&rest, "https://")) {
    return absl::InvalidArgumentError("a DoH server is an https:// URL");
  }
  std::string connect_ip;
  if (size_t hash = rest.find('#'); hash != absl::string_view::npos) {
    connect_ip = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
    if (!IsIpLiteral(connect_ip)) return absl::InvalidArgumentError("the address after # is not an IP literal");
  }
  const size_t slash = rest.find('/');
  if (slash == absl::string_view::npos) return absl::InvalidArgumentError("the URL has no path");
  absl::string_view authority = rest.substr(0, slash);
  e.path = std::string(rest.substr(slash));
  if (e.path.find_first_of("?# \r\n") != std::string::npos) {
    return absl::InvalidArgumentError("the URL path must be a plain path (POST needs no query)");
  }
  e.authority = absl::AsciiStrToLower(authority);
  // host[:port], [v6][:port]
  std::string host;
  int port = 443;
  absl::string_view port_text;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return absl::InvalidArgumentError("unclosed [");
    host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) return absl::InvalidArgumentError("bad authority");
      port_text = after;
    }
  } else if (size_t colon = authority.rfind(':'); colon != absl::string_view::npos) {
    host = std::string(authority.substr(0, colon));
    port_text = authority.substr(colon + 1);
  } else {
    host = std::string(authority);
  }
  if (!port_text.empty() &&
      (!absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535)) {
    return absl::InvalidArgumentError("port must be a number from 1 to 65535");
  }
  host = absl::AsciiStrToLower(host);
  if (IsIpLiteral(host)) {
    e.address = connect_ip.empty() ? host : connect_ip;
  } else if (IsHostName(host)) {
    if (connect_ip.empty()) {
      return absl::InvalidArgumentError(
          "a DoH URL with a host name needs the address to connect to after # "
          "(https://name/path#ip): the resolver is never found through another resolver");
    }
    e.address = connect_ip;
  } else {
    return absl::InvalidArgumentError("the URL host is neither an IP literal nor a host name");
  }
  e.verify_name = host;
  e.port = static_cast<uint16_t>(port);
  return e;
}

}  // namespace

absl::StatusOr<std::vector<DnsStreamEndpoint>> ParseDnsStreamEndpoints(DnsTransportKind kind,
                                                                       const std::string& csv) {
  if (kind == DnsTransportKind::kUdp) {
    return absl::InvalidArgumentError("udp is not a stream transport");
  }
  std::vector<DnsStreamEndpoint> out;
  for (absl::string_view entry : absl::StrSplit(csv, ',')) {
    entry = absl::StripAsciiWhitespace(entry);
    if (entry.empty()) {
      return absl::InvalidArgumentError(
          csv.empty() ? absl::StrCat("--dns_transport=", DnsTransportName(kind),
                                     " needs --dns_servers naming the resolvers")
                      : "empty entry");
    }
    auto e = kind == DnsTransportKind::kTls ? ParseTls(entry) : ParseHttps(entry);
    if (!e.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("\"", entry, "\": ", e.status().message()));
    }
    out.push_back(*std::move(e));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<TlsClientContext>> NewDnsStreamTlsContext(
    DnsTransportKind kind, const std::string& ca_file) {
  auto tls = TlsClientContext::Create(ca_file);
  if (!tls.ok()) return tls.status();
  if (kind == DnsTransportKind::kHttps) {
    // RFC 8484 §5.2: HTTP/2 is the minimum; servers pick it by ALPN. This
    // context is the forwarder's own, so the checks' contexts stay as they are.
    static const unsigned char kH2[] = {2, 'h', '2'};
    if (SSL_CTX_set_alpn_protos((*tls)->state()->ctx, kH2, sizeof(kH2)) != 0) {
      return absl::InternalError("SSL_CTX_set_alpn_protos failed");
    }
  }
  return tls;
}

absl::Duration DnsEndpointRotation::TakePause() {
  const absl::Duration pause = pause_;
  pause_ = std::min(pause_ * 2, absl::Seconds(5));
  return pause;
}

}  // namespace mtasts::net
