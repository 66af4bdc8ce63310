// docs/findings.md, rendered from finding tables: an index of every code,
// then one section per table (its heading), rows in enum order.
#ifndef MTASTS_TOOLS_FINDINGS_DOC_H_
#define MTASTS_TOOLS_FINDINGS_DOC_H_

#include <string>
#include <vector>

#include "checks/findings/finding.h"

namespace mtasts::tools {

std::string RenderFindingsMarkdown(const std::vector<const checks::FindingTable*>& tables);

}  // namespace mtasts::tools

#endif  // MTASTS_TOOLS_FINDINGS_DOC_H_
