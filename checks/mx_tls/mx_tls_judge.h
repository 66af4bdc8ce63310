// Judging the STARTTLS probes of a domain's MX hosts as RFC 8461 §4.2 asks
// of senders: STARTTLS offered, a handshake at TLS 1.2 or above, a chain to a
// trusted root, within its dates, with a subjectAltName dNSName covering the
// MX host (RFC 6125 wildcards). Pure: no I/O, no clock.
//
//   MxTlsInput in;
//   in.mode = v1::POLICY_MODE_ENFORCE;
//   in.hosts = {{"mx1.example.com", {{"192.0.2.25", allowed, probe_result}}}};
//   CheckVerdict v = JudgeMxTls(in);
//
// What it decides:
//  - Every address of every host counts (senders may land on any of them).
//    A host passes when it has at least one probed address and every probed
//    address passes; addresses the address guard refused are named but not
//    probed. fraction = passing hosts / MX hosts (the 10 mx_tls points).
//  - One finding per cause and host, listing the addresses it was seen at;
//    a certificate with several problems (expired and wrong name) gets one
//    finding for each.
//  - Severity of a validation failure (STARTTLS missing or refused,
//    handshake failure, TLS below 1.2, certificate problems) follows the
//    policy mode: enforce CRITICAL (compliant senders will not deliver to
//    the host), testing HIGH (TLS-RPT reports show it). Without a valid
//    policy, or in mode none, no sender validates certificates: certificate
//    problems are MEDIUM (they block moving to enforce), while a missing or
//    failing STARTTLS stays HIGH (mail to that host travels in plaintext).
//  - A 220 greeting slower than greeting_slow_after: MX_TLS_GREETING_SLOW
//    (LOW, the measured time per address); not a failure.
//  - Expiry within 14 days MEDIUM, within 3 days HIGH. Hosts that do not
//    answer (TCP refused or timed out on some addresses, a later timeout,
//    a 4xx/5xx greeting, replies that are not SMTP) are the domain's
//    problem and do not pass.
//  - Vantage honesty: when addresses were probed and none of them accepted
//    a TCP connection, outbound port 25 is probably blocked where we run:
//    INCONCLUSIVE with MX_TLS_PORT25_BLOCKED, points left out.
//  - Nothing probed because every address is non-public (the address guard
//    refused them all) or our own side failed: INCONCLUSIVE, the refusals
//    named. Hosts that have no address at all are the domain's fault: FAIL.
//  - No MX hosts (null MX, no MX, lookup failed): SKIPPED; the domain
//    findings say why.
#ifndef MTASTS_CHECKS_MX_TLS_MX_TLS_JUDGE_H_
#define MTASTS_CHECKS_MX_TLS_MX_TLS_JUDGE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "checks/verdict.h"
#include "mtasts/v1/report.pb.h"
#include "net/address_guard.h"
#include "net/dns_types.h"
#include "net/smtp_types.h"
#include "checks/findings/finding.h"

namespace mtasts::checks {

// The rows of the mx_tls check's codes (MX_TLS_*), in mx_tls_findings.cc.
const FindingTable& MxTlsFindings();

// Certificates expiring within these many days are findings.
inline constexpr int kMxCertExpiryWarnDays = 14;
inline constexpr int kMxCertExpiryHighDays = 3;

// One address of an MX host.
struct MxAddressProbe {
  std::string address;
  // Refused: never contacted, `result` is empty.
  net::GuardVerdict guard;
  // The probe; result.error is kLocalError/kDeadlineExceeded when it could
  // not be made or finish on our side.
  net::SmtpProbeResult result;
};

// One MX host with its address lookups and probes.
struct MxHostProbes {
  std::string host;
  net::DnsOutcome a_outcome = net::DnsOutcome::kNoData;
  net::DnsOutcome aaaa_outcome = net::DnsOutcome::kNoData;
  std::vector<MxAddressProbe> addresses;  // IPv4 first, then IPv6
};

struct MxTlsInput {
  // POLICY_MODE_UNSPECIFIED: no valid policy was fetched.
  v1::PolicyMode mode = v1::POLICY_MODE_UNSPECIFIED;
  std::vector<MxHostProbes> hosts;
  // A 220 greeting later than this is MX_TLS_GREETING_SLOW (LOW, with the
  // measured time); the address is judged as usual.
  absl::Duration greeting_slow_after = absl::InfiniteDuration();
};

CheckVerdict JudgeMxTls(const MxTlsInput& input);

// The report's evidence for one address: greeting, STARTTLS offered, the
// certificate with TLS version and cipher, the certificate digests (leaf
// first) and the failure in words ("" when it passed).
v1::MxTlsResult MxTlsEvidence(const MxAddressProbe& probe);

}  // namespace mtasts::checks

#endif  // MTASTS_CHECKS_MX_TLS_MX_TLS_JUDGE_H_
