// Judging the policy fetch (RFC 8461 §3.3) from what PolicyFetcher saw at
// every address of mta-sts.<domain>. Pure: no I/O, no clock.
//
//   CheckVerdict v = JudgePolicyFetch(fetch, evidence.mutable_policy());
//
// What it decides:
//  - Only HTTP 200 carries a policy; any 3xx fails and names its Location
//    (senders do not follow redirects); 404 and other statuses are named; a
//    403 with an HTML body gets the bot-protection hint.
//  - Content-Type must be text/plain. No charset means US-ASCII (RFC 2046
//    §4.1.2), right for an ASCII body: nothing to report. LOW (-0.1 of the
//    fraction, docs/design.md §5.3) only where a sender may misdecode the
//    body: a charset other than utf-8/us-ascii, or non-ASCII bytes without
//    charset=utf-8. Other parameters are ignored.
//  - Certificate problems are named by cause (expired with its date, not yet
//    valid, self-signed, unknown issuer, incomplete chain, name mismatch with
//    the names covered); expiry within 14 days MEDIUM, within 3 days HIGH.
//  - Every address counts: one that fails while another serves the policy
//    is POLICY_ADDRESSES_INCONSISTENT (some senders land on it); different
//    bodies are POLICY_ADDRESSES_DIFFER. A non-public address is refused by
//    the guard and named, never contacted.
//  - One finding per cause, listing the addresses it was seen at.
//  - A policy (HTTP 200) that arrived later than fetch.slow_after is judged
//    as usual and adds POLICY_FETCH_SLOW (LOW) with the time measured at
//    each slow address; a fetch that never completes within the fetch
//    timeout is POLICY_FETCH_TIMEOUT, as before.
//  - Scoring (15 points): 1 for a clean fetch; expiring certificate -0.2
//    (-0.5 within 3 days); each charset finding -0.1; a slow policy host
//    -0.1; wrong Content-Type 0.3 at
//    most; when some addresses fail, the share that served the policy; no
//    200 anywhere: 0. A lookup that never reached our resolver: INCONCLUSIVE.
#ifndef MTASTS_CHECKS_POLICY_FETCH_POLICY_FETCH_JUDGE_H_
#define MTASTS_CHECKS_POLICY_FETCH_POLICY_FETCH_JUDGE_H_

#include <string>

#include "absl/strings/string_view.h"
#include "checks/inputs/run_inputs.h"
#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"

namespace mtasts::checks {

// Certificates expiring within these many days are findings.
inline constexpr int kCertExpiryWarnDays = 14;
inline constexpr int kCertExpiryHighDays = 3;

// Judges the fetch; fills evidence->url, http_status, content_type,
// certificate and addresses (leaves the parsed-policy fields alone).
// `evidence` may be null.
CheckVerdict JudgePolicyFetch(const PolicyFetch& fetch, v1::PolicyEvidence* evidence);

// The media type and charset of a Content-Type value, lower case, without
// surrounding whitespace or quotes: "Text/Plain; Charset=\"UTF-8\"" ->
// {"text/plain", "utf-8"}.
struct MediaType {
  std::string type;
  std::string charset;
};
MediaType ParseContentType(absl::string_view value);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_POLICY_FETCH_POLICY_FETCH_JUDGE_H_
