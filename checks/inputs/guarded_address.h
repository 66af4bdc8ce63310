// Every outbound connection of a check goes to an address the guard allowed
// (docs/design.md §7.1); resolvers give addresses as text.
#ifndef MTASTS_CHECKS_INPUTS_GUARDED_ADDRESS_H_
#define MTASTS_CHECKS_INPUTS_GUARDED_ADDRESS_H_

#include <string>

#include "net/address_guard.h"

namespace mtasts::checks {

// The guard's verdict on an address a resolver returned as text: a text that
// is not an IP address is refused (it cannot be shown to be public).
net::GuardVerdict GuardResolvedAddress(const net::AddressGuard& guard,
                                       const std::string& address);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_INPUTS_GUARDED_ADDRESS_H_
