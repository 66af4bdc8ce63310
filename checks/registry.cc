#include "checks/registry.h"

#include "checks/tls_rpt/tls_rpt_check.h"
#include "checks/txt/txt_check.h"

namespace mtasts::checks {

std::vector<std::unique_ptr<Check>> BuiltinChecks() {
  std::vector<std::unique_ptr<Check>> checks;
  checks.push_back(std::make_unique<TxtCheck>());
  checks.push_back(std::make_unique<TlsRptCheck>());
  // Not built yet, and so reported as NOT_RUN: policy_fetch, policy_content,
  // mx_match, mx_tls, dnssec.
  return checks;
}

}  // namespace mtasts::checks
