// The outcome of a TXT lookup, judged before any record is read: shared by
// the judges of the TXT-record checks (txt: _mta-sts, RFC 8461 §3.1;
// tls_rpt: _smtp._tls, RFC 8460 §3), which differ only in codes and words.
//
//   FindingList findings(lookup.name);
//   TxtLookupStart start = StartTxtLookup(lookup, kWording, findings);
//   if (start.verdict.has_value()) return *std::move(start.verdict);
//   // lookup.txt holds records; findings may hold the CNAME finding.
//
// What it decides:
//  - A name over 253 octets (the domain is too long for the prefix): no
//    record can exist and no one can look it up, whatever the lookup said:
//    `name_too_long`, FAIL (the record is absent, not broken).
//  - CANCELLED / UNREACHABLE / RESOLVER_OVERLOADED (our resolver, not the
//    domain): InconclusiveLookupVerdict, nothing else.
//  - A CNAME chain: each alias sanitized for the report, and a
//    `cname_followed` finding showing the chain.
//  - NXDOMAIN, NODATA, or an answer without records: `missing`, FAIL.
//  - SERVFAIL, REFUSED, TIMEOUT, ERROR: `lookup_failed`, FAIL.
#ifndef MTASTS_CHECKS_TXT_LOOKUP_H_
#define MTASTS_CHECKS_TXT_LOOKUP_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "checks/findings/finding.h"
#include "checks/findings/lookup_verdict.h"
#include "checks/findings/report_text.h"
#include "checks/verdict.h"
#include "mtasts/v1/findings.pb.h"
#include "net/dns_types.h"

namespace mtasts::checks {

// The codes and the words that differ between the TXT-record judges. The
// views must outlive the StartTxtLookup call (string literals, in practice).
struct TxtLookupWording {
  v1::FindingCode cname_followed;  // e.g. TXT_CNAME_FOLLOWED
  v1::FindingCode missing;         // e.g. TXT_MISSING
  v1::FindingCode lookup_failed;   // e.g. TXT_LOOKUP_FAILED
  v1::FindingCode name_too_long;   // e.g. TXT_NAME_TOO_LONG
  // Who follows the alias: "senders", "reporters".
  absl::string_view follower;
  // Said in parentheses after the chain, e.g. "delegation as RFC 8461 §8.2
  // describes"; "" for nothing.
  absl::string_view cname_note;
  // What follows "so " in the summary when there is no record, and when the
  // lookup failed; no full stop.
  absl::string_view missing_consequence;
  absl::string_view failed_consequence;
  // What follows "so " when the name is over 253 octets; no full stop.
  absl::string_view too_long_consequence;
};

// What StartTxtLookup found.
struct TxtLookupStart {
  // The CNAME chain the resolver followed, at most 16 aliases, each as
  // SanitizeForReport leaves it; empty for CANCELLED and our resolver's failures.
  std::vector<std::string> cname_chain;
  // Set when the lookup alone decides the verdict; the judge returns it as
  // it is. Unset when `lookup.txt` holds records to judge.
  std::optional<CheckVerdict> verdict;
};

// Judges `lookup` (a TXT lookup of `lookup.name`) up to its records. Adds the
// CNAME finding to `findings`; when it returns a verdict, `findings` has been
// consumed into it and must not be used again.
TxtLookupStart StartTxtLookup(const net::DnsResult& lookup,
                              const TxtLookupWording& wording,
                              FindingList& findings);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TXT_LOOKUP_H_
