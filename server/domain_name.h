// Validation and normalization of the domain a caller asks us to check.
//
// Callers type domains in every imaginable shape; we accept the ones that are
// host names and say precisely what is wrong with the rest:
//
//   NormalizeDomain("Bücher.Example.")  -> {"xn--bcher-kva.example", "bücher.example"}
//   NormalizeDomain("XN--BCHER-KVA.example") -> same
//   NormalizeDomain("user@example.com") -> INVALID_ARGUMENT "domain
//       \"user@example.com\" looks like an e-mail address; pass the part
//       after @, e.g. example.com"
//
// Pure function: no I/O, no DNS; thread-safe.
#ifndef MTASTS_SERVER_DOMAIN_NAME_H_
#define MTASTS_SERVER_DOMAIN_NAME_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace mtasts::server {

struct DomainName {
  // A-label form, lower case, no trailing dot: what we query and report.
  std::string ascii;
  // U-label form of the same name (IDNA2008); equal to `ascii` when no label
  // is internationalized.
  std::string unicode;
};

// Accepts a host name of at least two labels, 1 to 253 octets in A-label form
// after removing one optional trailing dot, in any case, ASCII or UTF-8
// (Unicode labels are converted with UTS #46 non-transitional processing; the
// dots 。．｡ count as dots). Each label is 1 to 63 letters, digits and
// hyphens, not starting or ending with a hyphen; "xn--" labels must be valid
// A-labels; the last label must not be all digits.
// Errors: INVALID_ARGUMENT whose message quotes the input (escaped, shortened)
// and says what is wrong: empty, whitespace, control character, invalid UTF-8,
// URL, e-mail address, IP literal, port, too long (with the lengths), empty
// label, leading dot, bad character (with its place), bad hyphen, invalid
// A-label or internationalized label, single label, numeric top-level label.
absl::StatusOr<DomainName> NormalizeDomain(std::string_view input);

}  // namespace mtasts::server

#endif  // MTASTS_SERVER_DOMAIN_NAME_H_
