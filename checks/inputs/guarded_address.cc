#include "checks/inputs/guarded_address.h"

#include "absl/strings/str_cat.h"

namespace mtasts::checks {

net::GuardVerdict GuardResolvedAddress(const net::AddressGuard& guard,
                                       const std::string& address) {
  auto ip = net::ParseIpAddress(address);
  if (!ip.ok()) {
    // The resolver hands us text it parsed itself; this cannot be public.
    net::GuardVerdict refused;
    refused.allowed = false;
    refused.explanation = absl::StrCat(address, " is not an IP address.");
    return refused;
  }
  return guard.Check(*ip);
}

}  // namespace mtasts::checks
