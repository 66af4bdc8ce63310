#include "clients/cpp/backends.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace mtasts::client {
namespace {

bool ValidPort(absl::string_view port) {
  int n = 0;
  return absl::SimpleAtoi(port, &n) && n >= 1 && n <= 65535;
}

// One address of an ipv4:/ipv6: list: "a.b.c.d:port" or "[v6]:port".
absl::Status CheckAddress(absl::string_view scheme, absl::string_view address) {
  const size_t colon = address.rfind(':');
  if (address.empty() || colon == absl::string_view::npos || colon == 0 ||
      !ValidPort(address.substr(colon + 1))) {
    return absl::InvalidArgumentError(
        absl::StrCat("target ", scheme, ": \"", address, "\" is not address:port (port 1-65535)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Backend>> ResolveDns(absl::string_view host_port) {
  // host:port, [v6]:port or host (port 443, as gRPC's default).
  std::string host(host_port), port = "443";
  if (absl::StartsWith(host_port, "[")) {
    const size_t close = host_port.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("target dns:///", host_port, ": no ']'"));
    }
    host = std::string(host_port.substr(1, close - 1));
    absl::string_view rest = host_port.substr(close + 1);
    if (absl::ConsumePrefix(&rest, ":")) port = std::string(rest);
  } else if (const size_t colon = host_port.rfind(':'); colon != absl::string_view::npos) {
    host = std::string(host_port.substr(0, colon));
    port = std::string(host_port.substr(colon + 1));
  }
  if (host.empty() || !ValidPort(port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("target dns:///", host_port, " is not host:port (port 1-65535)"));
  }
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(found, freeaddrinfo);
  std::vector<Backend> backends;
  const std::string authority = std::string(host_port);
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    Backend b;
    b.authority = authority;
    if (a->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ai_addr)->sin_addr, text, sizeof(text));
      b.target = absl::StrCat("ipv4:", text, ":", port);
    } else if (a->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(a->ai_addr)->sin6_addr, text,
                sizeof(text));
      b.target = absl::StrCat("ipv6:[", text, "]:", port);
    } else {
      continue;
    }
    if (std::find(backends.begin(), backends.end(), b) == backends.end()) backends.push_back(b);
  }
  if (backends.empty()) {
    return absl::UnavailableError(absl::StrCat("no address for ", host));
  }
  return backends;
}

}  // namespace

absl::StatusOr<std::vector<Backend>> ResolveBackends(const std::string& target) {
  if (target.empty()) return absl::InvalidArgumentError("empty target");
  absl::string_view rest = target;
  for (absl::string_view scheme : {"ipv4:", "ipv6:"}) {
    if (!absl::ConsumePrefix(&rest, scheme)) continue;
    std::vector<Backend> backends;
    for (absl::string_view address : absl::StrSplit(rest, ',')) {
      if (absl::Status s = CheckAddress(scheme, address); !s.ok()) return s;
      Backend b{absl::StrCat(scheme, address), ""};
      if (std::find(backends.begin(), backends.end(), b) == backends.end()) backends.push_back(b);
    }
    return backends;
  }
  if (absl::ConsumePrefix(&rest, "dns:///")) return ResolveDns(rest);
  // "dns:name:port" is the same as dns:///name:port; "dns://server/..." names
  // a DNS server the system resolver cannot be told about: gRPC resolves it.
  if (!absl::StartsWith(rest, "dns://") && absl::ConsumePrefix(&rest, "dns:")) {
    return ResolveDns(rest);
  }
  return std::vector<Backend>{Backend{target, ""}};
}

}  // namespace mtasts::client
