// The inputs a run resolves once and shares between checks (Input in
// checks/check.h): the domain's MX set and the policy fetched from every
// address of mta-sts.<domain>. Plain values; written by the resolvers in
// this package (mx_set_resolver.h, policy_fetcher.h), read by checks.
#ifndef MTASTS_CHECKS_INPUTS_RUN_INPUTS_H_
#define MTASTS_CHECKS_INPUTS_RUN_INPUTS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "checks/common/policy.h"
#include "net/address_guard.h"
#include "net/dns_types.h"
#include "net/https_types.h"
#include "checks/findings/finding.h"

namespace mtasts::checks {

// The rows of the MX set's codes (domain findings), in mx_findings.cc.
const FindingTable& MxSetFindings();

// One address of mta-sts.<domain> and what fetching the policy from it gave.
struct PolicyFetchAttempt {
  std::string address;
  // Refused by the address guard: never contacted; `result` is empty.
  net::GuardVerdict guard;
  // Not fetched because max_policy_addresses was reached.
  bool skipped = false;
  net::HttpsResult result;
  bool contacted() const { return guard.allowed && !skipped; }
};

// The policy as the run fetched it (Input::kPolicy), shared by policy_fetch,
// policy_content and mx_match.
struct PolicyFetch {
  std::string host;  // mta-sts.<domain>
  std::string url;   // https://mta-sts.<domain>/.well-known/mta-sts.txt
  net::DnsResult a_lookup;
  net::DnsResult aaaa_lookup;
  // IPv4 first, then IPv6, each in answer order.
  std::vector<PolicyFetchAttempt> attempts;
  // Index into attempts of the answer a sender most likely acts on: the
  // first HTTP 200; -1 when no address gave a 200.
  int chosen = -1;
  // The chosen body as senders parse it, parsed once for every check that
  // needs it; default (not valid, no mode) when nothing was chosen.
  ParsedPolicy parsed;
  // A complete response later than this is POLICY_FETCH_SLOW
  // (ProbeSettings::policy_fetch_slow_after).
  absl::Duration slow_after = absl::InfiniteDuration();
  const PolicyFetchAttempt* chosen_attempt() const {
    return chosen < 0 ? nullptr : &attempts[static_cast<size_t>(chosen)];
  }
};

// Most MX hosts considered per domain unless the limits say otherwise
// (limits.max_mx_hosts).
inline constexpr int kDefaultMaxMxHosts = 32;

// The domain's MX set, as resolved once per run.
struct MxSet {
  net::DnsResult lookup;              // the raw MX lookup
  std::vector<net::MxRecord> hosts;   // sorted by preference, then name; no null MX
  bool null_mx = false;               // RFC 7505 "0 ." present
  // Parallel to `hosts`, complete once Input::kMxAddresses is ready: each
  // host's A and AAAA lookups (addresses in answer order).
  struct HostAddresses {
    net::DnsResult a;
    net::DnsResult aaaa;
  };
  std::vector<HostAddresses> addresses;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_INPUTS_RUN_INPUTS_H_
