// Prints docs/findings.md, generated from the finding table. Regenerate with
//   bazel run //tools:gen_findings_doc > docs/findings.md
// //checks:findings_table_test fails while the two differ.
#include <iostream>

#include "checks/findings_table.h"

int main() {
  std::cout << mtasts::checks::RenderFindingsMarkdown();
  return std::cout.good() ? 0 : 1;
}
