// Whether an rua destination of a TLS-RPT record can receive reports, judged
// from what the check looked up and fetched (issue 13 §3; docs/design.md
// §6.8). Pure: no I/O, no clock; the lookups are made by TlsRptCheck.
//
//   std::string why;
//   std::optional<RuaDestination> d = ParseRuaDestination(
//       "https://reports.example.net:8443/v1/tlsrpt?x=1", &why);
//   // d->kind == kHttps, d->host == "reports.example.net", d->port == 8443,
//   // d->path == "/v1/tlsrpt?x=1", d->CacheKey() == "https://reports.example.net:8443/v1/tlsrpt?x=1"
//   RuaResult r = JudgeHttpsReach(*d, input);  // input: A, AAAA, guard, GET
//
// What counts (the scoring is in AddRuaReachability):
//  - mailto: the address's domain accepts mail: an MX host (or, with no MX,
//    the domain itself: RFC 5321 §5.1 implicit MX) has an address. A null MX
//    (RFC 7505), NXDOMAIN or no MX and no address is RUA_OUTCOME_NO_MAIL:
//    the domain's own DNS says no mail goes there, for every reporter.
//  - https: the host resolves, an address passes the address guard, TLS
//    completes with a valid certificate for the host, and the server answers
//    HTTP. Any status below 500 counts (reports are POSTed, so 405 to our GET
//    is the usual answer). A host that does not resolve, that resolves only
//    to non-public addresses, or whose certificate does not validate is
//    RUA_OUTCOME_HTTPS_BROKEN, true for every reporter.
//  - What may be our vantage point or a passing outage (connection refused or
//    timed out, TLS handshake failure, HTTP 5xx, SERVFAIL or timeout from the
//    domain's name servers) is RUA_OUTCOME_UNREACHABLE; our own problems
//    (resolver overloaded, run deadline, local errors) RUA_OUTCOME_INCONCLUSIVE.
#ifndef MTASTS_CHECKS_TLS_RPT_RUA_REACHABILITY_H_
#define MTASTS_CHECKS_TLS_RPT_RUA_REACHABILITY_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "net/dns_types.h"
#include "net/https_types.h"

namespace mtasts::checks {

// rua destinations checked per record; the rest are named as not checked.
inline constexpr size_t kMaxRuaChecked = 5;
// MX hosts of a mailto: domain resolved (in preference order) before the
// domain is judged: one with an address is enough.
inline constexpr size_t kMaxRuaMailHosts = 3;
// The body read from an https: destination: we only need the status line.
inline constexpr size_t kMaxRuaBodyBytes = 1024;

struct RuaDestination {
  enum class Kind { kMailto, kHttps };
  Kind kind = Kind::kMailto;
  std::string uri;   // as listed in rua
  std::string host;  // mailto: the first address's domain; https: the host.
                     // Lower case, no trailing dot.
  uint16_t port = 443;     // https only
  std::string path = "/";  // https only: path and query, never empty
  // The server-wide cache key: "mailto:<domain>" (every mailbox of a domain
  // shares the answer) or "https://<host>:<port><path>".
  std::string CacheKey() const;
};

// The destination to check for a URI that JudgeTlsRptLookup accepted
// (valid mailto: or https:). nullopt, with `*why` set, for one that cannot
// be checked by name: an address literal or IP host (TLSRPT_RUA_NOT_PUBLIC
// already names those). Of a mailto: URI with several addresses, the first.
std::optional<RuaDestination> ParseRuaDestination(absl::string_view uri, std::string* why);

struct RuaResult {
  v1::RuaOutcome outcome = v1::RUA_OUTCOME_INCONCLUSIVE;
  std::string detail;  // one clause, e.g. "example.net has a null MX (RFC 7505)"
};

// May other runs reuse the result? Not our own problems (inconclusive).
bool IsReusable(const RuaResult& result);

// A mail host resolved for a mailto: domain.
struct MailHostLookup {
  std::string host;
  net::DnsResult a;
  net::DnsResult aaaa;
};

// `mx`: the MX lookup of `domain`. `hosts`: the A and AAAA lookups made, in
// order: the MX hosts by preference (at most kMaxRuaMailHosts), or `domain`
// itself when it has no MX (NODATA). `hosts_left`: MX hosts not resolved.
RuaResult JudgeMailtoLookups(const std::string& domain, const net::DnsResult& mx,
                             const std::vector<MailHostLookup>& hosts, size_t hosts_left = 0);

struct HttpsReachInput {
  net::DnsResult a;
  net::DnsResult aaaa;
  // Addresses the guard refused, each with its explanation; `refused_by_range`
  // when at least one was refused for being in a non-public range (rather
  // than by our own configuration).
  std::vector<std::string> refused;
  bool refused_by_range = false;
  // The GET to the first allowed address, when one was allowed and sent.
  std::optional<net::HttpsResult> fetch;
};

RuaResult JudgeHttpsReach(const RuaDestination& destination, const HttpsReachInput& input);

// Adds one finding per destination in `reachability` (TLSRPT_RUA_REACHABLE,
// _MAILTO_NO_MAIL, _HTTPS_BROKEN, _UNREACHABLE, _CHECK_INCONCLUSIVE) to a
// verdict of JudgeTlsRptLookup for a usable record, and scores them:
// destinations broken for every reporter (NO_MAIL, HTTPS_BROKEN) make the
// check WARN (fraction at most 0.5), or FAIL when every rua destination is
// broken (reports go nowhere, as without a record). UNREACHABLE and
// INCONCLUSIVE are information only: they never change status or points.
// `rua_count`: the record's usable destinations (the evidence's rua).
void AddRuaReachability(const std::vector<v1::RuaReachability>& reachability, size_t rua_count,
                        const std::string& subject, CheckVerdict* verdict);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_TLS_RPT_RUA_REACHABILITY_H_
