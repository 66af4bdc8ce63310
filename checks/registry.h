// The one list of checks this server runs. Adding a check: a folder under
// checks/ and one line in registry.cc. No static registration.
#ifndef MTASTS_CHECKS_REGISTRY_H_
#define MTASTS_CHECKS_REGISTRY_H_

#include <memory>
#include <vector>

#include "checks/check.h"

namespace mtasts::checks {

// Fresh instances of every built-in check, in report order.
std::vector<std::unique_ptr<Check>> BuiltinChecks();

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_REGISTRY_H_
