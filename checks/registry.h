// The one list of checks this server runs, in report order. Adding a check:
// a folder under checks/ and one line in registry.cc. No static
// registration: the engine gets its checks from here (or a test's own list),
// and everything else it knows about them (points, finding rows, settings
// validation, report annotation) comes from the Check interface.
#ifndef MTASTS_CHECKS_REGISTRY_H_
#define MTASTS_CHECKS_REGISTRY_H_

#include <memory>
#include <vector>

#include "checks/check.h"
#include "checks/findings/finding.h"

namespace mtasts::checks {

// Fresh instances of every built-in check, in report order.
std::vector<std::unique_ptr<Check>> BuiltinChecks();

// Every finding table a server with `checks` can report from: the engine's,
// the MX set's (domain findings), then each check's. The tables outlive
// `checks` (they are static).
std::vector<const FindingTable*> FindingTablesOf(
    const std::vector<std::unique_ptr<Check>>& checks);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_REGISTRY_H_
