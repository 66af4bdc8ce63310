#include "checks/registry.h"

#include "checks/dnssec/dnssec_check.h"
#include "checks/inputs/run_inputs.h"
#include "checks/mx_match/mx_match_check.h"
#include "checks/mx_tls/mx_tls_check.h"
#include "checks/policy_content/policy_content_check.h"
#include "checks/policy_fetch/policy_fetch_check.h"
#include "checks/tls_rpt/tls_rpt_check.h"
#include "checks/txt/txt_check.h"

namespace mtasts::checks {

std::vector<std::unique_ptr<Check>> BuiltinChecks() {
  std::vector<std::unique_ptr<Check>> checks;
  checks.push_back(std::make_unique<TxtCheck>());
  checks.push_back(std::make_unique<PolicyFetchCheck>());
  checks.push_back(std::make_unique<PolicyContentCheck>());
  checks.push_back(std::make_unique<MxMatchCheck>());
  checks.push_back(std::make_unique<MxTlsCheck>());
  checks.push_back(std::make_unique<TlsRptCheck>());
  checks.push_back(std::make_unique<DnssecCheck>());
  return checks;
}

std::vector<const FindingTable*> FindingTablesOf(
    const std::vector<std::unique_ptr<Check>>& checks) {
  std::vector<const FindingTable*> tables = {&EngineFindings(), &MxSetFindings()};
  for (const auto& check : checks) tables.push_back(&check->findings());
  return tables;
}

}  // namespace mtasts::checks
