#include "checks/dnssec/dnssec_findings.h"

namespace mtasts::checks {
namespace {

const FindingInfo kRows[] = {
    // RFC 8460 §4.3.2 result types apply to DANE senders: a BOGUS answer or
    // TLSA lookup is "dnssec-invalid", TLSA records that match nothing or
    // that SMTP cannot use are "tlsa-invalid".
    {v1::DNSSEC_SECURE, v1::SEVERITY_INFO, "dnssec",
     "The MX and _mta-sts answers are DNSSEC-signed and validate",
     "Both answers validate from the root trust anchor, so a sender with a "
     "validating resolver knows they were not forged on the way.",
     "",
     ""},
    {v1::DNSSEC_INSECURE, v1::SEVERITY_LOW, "dnssec",
     "An answer is not DNSSEC-signed",
     "The zone is unsigned or its delegation has no DS record in the parent, "
     "so resolvers cannot tell a forged answer from the real one. MTA-STS "
     "works without DNSSEC (its policy is authenticated by HTTPS), but signed "
     "MX records protect the first contact and make DANE possible.",
     "Sign the zone (most DNS hosts offer one-click DNSSEC) and publish the DS "
     "record they give you at your registrar. Check with `dig +dnssec "
     "<domain> MX` and a validating resolver: the `ad` flag shows.",
     ""},
    {v1::DNSSEC_BOGUS, v1::SEVERITY_HIGH, "dnssec",
     "An answer fails DNSSEC validation (BOGUS)",
     "The zone is signed, but the signature does not validate (expired or "
     "wrong signatures, a DS record that matches no key, records changed "
     "after signing). Validating resolvers, used by many large mail "
     "providers, answer SERVFAIL: for them the name cannot be resolved at "
     "all, so mail is delayed and then bounced.",
     "Re-sign the zone and make sure signatures are refreshed automatically "
     "before they expire; if you changed DNS hosts or keys, make the DS "
     "record at the registrar match the zone's current key (or remove it "
     "while you fix the signing). Test with a DNSSEC analyser such as DNSViz.",
     "dnssec-invalid"},
    {v1::DNSSEC_LOOKUP_FAILED, v1::SEVERITY_MEDIUM, "dnssec",
     "A DNSSEC-validated lookup failed",
     "The validated lookup timed out or failed without a validation error, "
     "so nothing is known about its DNSSEC state; the check is inconclusive.",
     "Make sure every authoritative name server of the domain answers, then "
     "check again.",
     ""},
    {v1::DNSSEC_VALIDATOR_UNAVAILABLE, v1::SEVERITY_MEDIUM, "dnssec",
     "The checker's DNSSEC validator could not reach the DNS",
     "The checker's own validating resolver reached neither the root servers "
     "nor its configured forwarder. This says nothing about the domain; the "
     "check is inconclusive and its points are left out of the score.",
     "Nothing to change on the domain. Whoever runs the checker: allow "
     "outbound DNS to the root servers, or set --dnssec_forwarder to a "
     "reachable resolver.",
     ""},
    {v1::DNSSEC_TRUST_ANCHOR_PROBLEM, v1::SEVERITY_MEDIUM, "dnssec",
     "The checker's DNSSEC trust anchor is unusable",
     "The checker's trust anchor file could not be loaded, or the root's "
     "keys do not validate against it. This says nothing about the domain; "
     "the check is inconclusive.",
     "Nothing to change on the domain. Whoever runs the checker: point "
     "--trust_anchor_file at a current root key (Debian package "
     "dns-root-data installs /usr/share/dns/root.key).",
     ""},
    {v1::DNSSEC_HOST_INSECURE, v1::SEVERITY_INFO, "dnssec",
     "Host addresses are not DNSSEC-signed",
     "The address records of the policy host or of MX hosts are not signed. "
     "This is common when mail or web hosting is outsourced to a provider "
     "whose zone is unsigned.",
     "",
     ""},
    {v1::DNSSEC_VALIDATOR_OVERLOADED, v1::SEVERITY_MEDIUM, "dnssec",
     "The checker's DNSSEC validator was overloaded",
     "The validated lookup got no answer in time while the validated lookups "
     "of many other domains checked at the same time timed out too, or it "
     "waited behind the validator's limit of lookups outstanding until its "
     "time ran out. That is the checker's own load, not the domain's: the "
     "check is inconclusive and its points are left out of the score.",
     "Nothing to change on the domain; check it again later. Whoever runs the "
     "checker: give the DNSSEC forwarder (--dnssec_forwarder) more capacity, "
     "or check fewer domains at once (--max_inflight, --fleet_max_inflight).",
     ""},
    {v1::DANE_NOT_PUBLISHED, v1::SEVERITY_INFO, "dnssec",
     "No DANE TLSA records on the MX hosts",
     "DANE (RFC 7672) lets senders authenticate MX hosts through DNSSEC-"
     "signed TLSA records; it needs a signed zone and is optional beside "
     "MTA-STS.",
     "",
     ""},
    {v1::DANE_USABLE, v1::SEVERITY_INFO, "dnssec",
     "DANE applies to an MX host",
     "The MX host publishes TLSA records in a DNSSEC-signed zone: senders "
     "that support DANE require TLS to it and authenticate its certificate "
     "with these records.",
     "",
     ""},
    {v1::DANE_UNUSABLE_INSECURE, v1::SEVERITY_MEDIUM, "dnssec",
     "TLSA records are published in an unsigned zone",
     "TLSA records count only when they validate as DNSSEC-secure (RFC 7672 "
     "§2.2). In an unsigned zone senders ignore them, so they protect "
     "nothing.",
     "Sign the zone that holds _25._tcp.<mx host> and publish its DS record, "
     "or remove the TLSA records.",
     ""},
    {v1::DANE_BOGUS, v1::SEVERITY_HIGH, "dnssec",
     "The TLSA lookup of an MX host fails DNSSEC validation",
     "Senders that support DANE cannot tell whether DANE applies to this "
     "host, so they defer mail to it (RFC 7672 §2.2).",
     "Fix the signatures of the zone holding the host's TLSA records (a "
     "DNSSEC analyser such as DNSViz shows where validation breaks), or its "
     "DS record at the parent.",
     "dnssec-invalid"},
    {v1::DANE_MATCHES, v1::SEVERITY_INFO, "dnssec",
     "The MX host's certificate matches its TLSA records",
     "DANE senders can authenticate this host.",
     "",
     ""},
    {v1::DANE_MISMATCH, v1::SEVERITY_HIGH, "dnssec",
     "The MX host's certificate matches none of its TLSA records",
     "Senders that support DANE require a certificate matching one of the "
     "host's usable TLSA records; this one matches none, so they will not "
     "deliver to it, whatever the MTA-STS policy says (RFC 8461 §2).",
     "Publish a TLSA record for the certificate the host presents (for "
     "example `3 1 1 <SHA-256 of its public key>`), and when rotating keys "
     "publish the new record before deploying the new certificate.",
     "tlsa-invalid"},
    {v1::DANE_RECORD_UNUSABLE, v1::SEVERITY_LOW, "dnssec",
     "TLSA records that SMTP does not use",
     "SMTP uses only DANE-TA (2) and DANE-EE (3) records with a known "
     "selector and matching type; PKIX-TA (0) and PKIX-EE (1) records and "
     "malformed ones are ignored (RFC 7672 §3.1.3).",
     "Replace them with DANE-EE records (`3 1 1 <SHA-256 of the public "
     "key>`), which RFC 7672 recommends.",
     "tlsa-invalid"},
    {v1::DANE_MATCH_UNKNOWN, v1::SEVERITY_INFO, "dnssec",
     "DANE applies, but the certificate was not compared",
     "No certificate of the MX host was seen in this run (the STARTTLS probe "
     "did not run or completed no handshake), so whether it matches the "
     "TLSA records is unknown.",
     "",
     ""},
    {v1::DANE_LOOKUP_FAILED, v1::SEVERITY_LOW, "dnssec",
     "The TLSA lookup of an MX host failed",
     "The lookup of _25._tcp.<mx host> timed out or failed. Senders that "
     "support DANE treat a failed TLSA lookup as a temporary failure and "
     "may defer mail.",
     "Make sure the name servers of the MX host's zone answer TLSA queries "
     "(an absent record must be NXDOMAIN or NODATA, not an error).",
     ""},
    {v1::DANE_PRECEDES_MTA_STS, v1::SEVERITY_INFO, "dnssec",
     "DANE takes precedence over MTA-STS for DANE senders",
     "Where DANE applies, senders that support it authenticate the MX host "
     "with its TLSA records, and RFC 8461 §2 says they must not let MTA-STS "
     "override a failing DANE validation: keep the TLSA records and the "
     "certificates in step, or mail from those senders stops even though "
     "MTA-STS passes.",
     "",
     ""},
};
constexpr FindingTable kTable(
    "dnssec: DNSSEC validation and DANE (RFC 4035, RFC 7672)", kRows);

}  // namespace

const FindingTable& DnssecFindings() { return kTable; }

}  // namespace mtasts::checks
