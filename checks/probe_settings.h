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
