// The domain-list format read by "mtasts fleet": one entry per line.
//
//   # customers, exported 2024-05-01
//   example.com      acme-17
//   bücher.example            <- tagged "3" (its line number)
//
//   mail.example.org acme-18  # text from '#' on is a comment
//
// Columns are separated by whitespace; the optional second column is the tag
// echoed back by the server. Lines are parsed one at a time so that lists of
// any length stream through without being held in memory.
#ifndef MTASTS_CLIENTS_CLI_DOMAIN_LIST_H_
#define MTASTS_CLIENTS_CLI_DOMAIN_LIST_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mtasts::cli {

struct DomainListEntry {
  std::string domain;
  std::string tag;
};

// Parses line number line_number (1-based) of a list. Returns nullopt for a
// blank or comment-only line, INVALID_ARGUMENT for a line with more than two
// columns. The domain is passed on as written: the server validates it.
absl::StatusOr<std::optional<DomainListEntry>> ParseDomainListLine(
    absl::string_view line, int64_t line_number);

}  // namespace mtasts::cli

#endif  // MTASTS_CLIENTS_CLI_DOMAIN_LIST_H_
