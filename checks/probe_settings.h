// How checks reach the network, from the server's flags: ports, names,
// limits, caches' lifetimes. The same for every run; read-only once the
// engine is built.
#ifndef MTASTS_CHECKS_PROBE_SETTINGS_H_
#define MTASTS_CHECKS_PROBE_SETTINGS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "net/https_types.h"
#include "net/smtp_types.h"

namespace mtasts::checks {

// A policy answered later than this is POLICY_FETCH_SLOW: some senders give
// up after a few seconds although RFC 8461 §3.3 suggests a minute.
inline constexpr absl::Duration kDefaultPolicyFetchSlowAfter = absl::Seconds(5);
// A 220 greeting later than this is MX_TLS_GREETING_SLOW. Above deliberate
// greeting pauses such as Postfix postscreen's 6 s greet wait.
inline constexpr absl::Duration kDefaultGreetingSlowAfter = absl::Seconds(10);

struct ProbeSettings {
  // Ports: the standard ones in production; tests point them at fakes
  // (--https_port, --smtp_port).
  uint16_t https_port = 443;
  uint16_t smtp_port = 25;
  // The name we give in EHLO (--ehlo_name).
  std::string ehlo_name = "mtasts-checker.invalid";
  // An MX host's STARTTLS probe result is reused across runs for this long
  // (--mx_probe_cache_ttl).
  absl::Duration mx_probe_cache_ttl = absl::Minutes(5);
  // Addresses of mta-sts.<domain> fetched from (A and AAAA together); the
  // rest are listed as not contacted.
  int max_policy_addresses = 8;
  // Policy fetch limits (the deadline is set per run).
  net::HttpsLimits https;
  // A policy that arrives later than this (measured from the fetch's start)
  // is reported as POLICY_FETCH_SLOW (--policy_fetch_slow_after).
  absl::Duration policy_fetch_slow_after = kDefaultPolicyFetchSlowAfter;
  // A 220 greeting later than this after the connect is
  // MX_TLS_GREETING_SLOW (--smtp_greeting_slow_after).
  absl::Duration smtp_greeting_slow_after = kDefaultGreetingSlowAfter;
  // MX STARTTLS probe timeouts and reply limits (mx_tls; the deadline is
  // set per probe).
  net::SmtpLimits smtp;
  // DNSSEC: trust anchor file (empty: Debian's dns-root-data root key) and an
  // optional forwarder (ip[:port]; empty: full recursion), validated locally
  // either way (--trust_anchor_file, --dnssec_forwarder).
  std::string trust_anchor_file;
  std::string dnssec_forwarder;
};

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_PROBE_SETTINGS_H_
