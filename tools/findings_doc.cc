#include "tools/findings_doc.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace mtasts::tools {
namespace {

using checks::FindingInfo;
using checks::FindingTable;

const char* SeverityWord(v1::Severity severity) {
  switch (severity) {
    case v1::SEVERITY_INFO:
      return "info";
    case v1::SEVERITY_LOW:
      return "low";
    case v1::SEVERITY_MEDIUM:
      return "medium";
    case v1::SEVERITY_HIGH:
      return "high";
    case v1::SEVERITY_CRITICAL:
      return "critical";
    default:
      return "unspecified";
  }
}

}  // namespace

std::string RenderFindingsMarkdown(const std::vector<const FindingTable*>& tables) {
  // Every row with its table's heading, in enum order.
  std::vector<std::pair<const FindingInfo*, const char*>> rows;
  for (const FindingTable* table : tables) {
    for (const FindingInfo& info : table->rows()) rows.emplace_back(&info, table->heading());
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first->code < b.first->code; });

  std::string out;
  absl::StrAppend(
      &out, "# Findings\n\n",
      "<!-- Generated from the finding rows beside each check; do not edit. Regenerate "
      "with\n     bazel run //tools:gen_findings_doc > docs/findings.md "
      "-->\n\n",
      "Every finding in a report carries a stable code (the enum\n",
      "`mtasts.v1.FindingCode`; switch on it, not on the title), a "
      "severity, a\n",
      "one-line title, a plain-English explanation and a recommendation. "
      "In a report\n",
      "the finding's `detail` starts with what was observed for the domain "
      "and goes\n",
      "on with the explanation below. The severity listed is the default; "
      "a check\n",
      "may raise or lower it for one domain (an ignored record that was "
      "meant as\n",
      "the real one, say).\n\n",
      "Severities: **info** nothing to fix; **low** worth tidying up; "
      "**medium**\n",
      "weakens protection or reporting; **high** MTA-STS or TLS reporting "
      "does not\n",
      "work as published; **critical** compliant senders fail to deliver "
      "mail, or\n",
      "protection is void.\n\n",
      "The TLS-RPT result type is what a sending MTA puts in its RFC 8460 "
      "report\n",
      "for the same problem. A sender reports only TLS negotiations and "
      "policies\n",
      "it found but could not fetch or apply; a missing or invalid TXT "
      "record is\n",
      "\"no policy\" to it, and is not reported.\n\n");

  absl::StrAppend(&out, "| Code | Number | Check | Severity | Title |\n",
                  "|---|---|---|---|---|\n");
  for (const auto& [row, heading] : rows) {
    const FindingInfo& info = *row;
    absl::StrAppend(&out, "| [`", v1::FindingCode_Name(info.code), "`](#",
                    absl::AsciiStrToLower(v1::FindingCode_Name(info.code)),
                    ") | ", static_cast<int>(info.code), " | ", info.check,
                    " | ", SeverityWord(info.severity), " | ", info.title,
                    " |\n");
  }

  const char* current_heading = nullptr;
  for (const auto& [row, heading] : rows) {
    const FindingInfo& info = *row;
    if (current_heading != heading) {
      current_heading = heading;
      absl::StrAppend(&out, "\n## ", heading, "\n");
    }
    absl::StrAppend(
        &out, "\n### ", v1::FindingCode_Name(info.code), "\n\n", "`",
        v1::FindingCode_Name(info.code), "` = ", static_cast<int>(info.code),
        " · severity **", SeverityWord(info.severity),
        "** · TLS-RPT result type: ",
        *info.tlsrpt_result_type == '\0'
            ? std::string("none")
            : absl::StrCat("`", info.tlsrpt_result_type, "`"),
        "\n\n", "**", info.title, "**\n\n", info.explanation, "\n\n",
        "*What to do:* ",
        *info.recommendation == '\0' ? "nothing." : info.recommendation, "\n");
  }
  return out;
}

}  // namespace mtasts::tools
