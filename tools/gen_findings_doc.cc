// Prints docs/findings.md, generated from the finding rows of the registered
// checks (checks/registry.cc). Regenerate with
//   bazel run //tools:gen_findings_doc > docs/findings.md
// //tools:findings_doc_test fails while the two differ.
#include <iostream>

#include "checks/registry.h"
#include "tools/findings_doc.h"

int main() {
  const auto checks = mtasts::checks::BuiltinChecks();
  std::cout << mtasts::tools::RenderFindingsMarkdown(mtasts::checks::FindingTablesOf(checks));
  return std::cout.good() ? 0 : 1;
}
