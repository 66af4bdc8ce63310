#include "clients/cli/domain_list.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mtasts::cli {

absl::StatusOr<std::optional<DomainListEntry>> ParseDomainListLine(
    absl::string_view line, int64_t line_number) {
  // Editors on Windows start UTF-8 files with a byte-order mark.
  if (line_number == 1) absl::ConsumePrefix(&line, "\xEF\xBB\xBF");
  if (size_t hash = line.find('#'); hash != absl::string_view::npos) {
    line = line.substr(0, hash);
  }
  // SkipWhitespace also drops the '\r' of CRLF files.
  std::vector<absl::string_view> columns = absl::StrSplit(
      line, absl::ByAnyChar(" \t\r\v\f"), absl::SkipWhitespace());
  if (columns.empty()) return std::nullopt;
  if (columns.size() > 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected \"DOMAIN [TAG]\", found ", columns.size(), " columns"));
  }
  DomainListEntry entry;
  entry.domain = std::string(columns[0]);
  entry.tag =
      columns.size() == 2 ? std::string(columns[1]) : absl::StrCat(line_number);
  return entry;
}

}  // namespace mtasts::cli
