#include "checks/inputs/run_inputs.h"

namespace mtasts::checks {
namespace {

const FindingInfo kRows[] = {
    {v1::MX_NONE, v1::SEVERITY_MEDIUM, "mx", "No MX records",
     "The domain publishes no MX record, so senders deliver to the domain's "
     "own address records (the implicit MX of RFC 5321 §5.1). An MTA-STS "
     "policy then has to list the domain name itself as an mx pattern, and "
     "the web or apex host rarely is meant to receive mail.",
     "Publish MX records naming your mail servers (`<domain>. 3600 IN MX 10` "
     "and the server's host name), and list the same host names in the "
     "policy's `mx:` lines. If the domain receives no mail, publish a null MX "
     "instead: `<domain>. 3600 IN MX 0 .`",
     ""},
    {v1::MX_NULL, v1::SEVERITY_INFO, "mx",
     "Null MX: the domain accepts no mail",
     "The domain publishes a null MX (`0 .`, RFC 7505), which tells senders "
     "that it accepts no mail. MTA-STS protects mail delivery, so it has "
     "nothing to protect here.",
     "Nothing to do if the domain is not meant to receive mail. If it is, "
     "replace the null MX with MX records naming your mail servers.",
     ""},
    {v1::MX_TARGET_IS_CNAME, v1::SEVERITY_MEDIUM, "mx",
     "An MX record points at an alias (CNAME)",
     "RFC 2181 §10.3 and RFC 5321 §5.1 require an MX record to name a host "
     "with its own address records, not an alias. Some senders refuse or "
     "mishandle such MX hosts, and MTA-STS matches policy patterns and "
     "verifies certificates against the name in the MX record, not the "
     "alias's target.",
     "Point the MX record at the canonical host name (the CNAME's target, "
     "e.g. `<domain>. 3600 IN MX 10 <target>.`), and make the policy's "
     "`mx:` lines and the server's certificate cover that name. Until then, "
     "the certificate must list the name in the MX record (the alias), "
     "which the detail names.",
     ""},
    {v1::MX_LOOKUP_FAILED, v1::SEVERITY_HIGH, "mx", "The MX lookup failed",
     "The query for the domain's MX records returned SERVFAIL or REFUSED, or "
     "timed out. Senders that get the same answer cannot find the mail "
     "servers: they queue the mail and retry, and bounce it if the failure "
     "lasts.",
     "Make sure every authoritative name server of the domain answers MX "
     "queries (`dig +trace <domain> MX` follows the delegation). A "
     "SERVFAIL from a validating resolver often means broken DNSSEC: expired "
     "signatures, or a DS record at the registrar that matches none of the "
     "zone's keys.",
     ""},
    {v1::DOMAIN_NOT_FOUND, v1::SEVERITY_HIGH, "mx", "The domain does not exist",
     "DNS answers NXDOMAIN for the domain: senders bounce mail addressed to "
     "it at once.",
     "Check the spelling of the domain. If it should exist, check its "
     "delegation at the registrar (the NS records in the parent zone) and "
     "that its name servers serve the zone.",
     ""},
    {v1::MX_NULL_MIXED, v1::SEVERITY_HIGH, "mx",
     "A null MX is published beside other MX records",
     "RFC 7505 §3 says a domain that publishes a null MX (`0 .`) must publish "
     "no other MX record. Senders disagree on what such a mixed set means: "
     "some treat the domain as accepting no mail, others try the other hosts.",
     "Decide whether the domain receives mail. If it does, delete the `MX 0 "
     ".` record; if it does not, delete the other MX records and keep only "
     "`<domain>. 3600 IN MX 0 .`",
     ""},
};
constexpr FindingTable kTable("MX lookup: the domain as a whole", kRows);

}  // namespace

const FindingTable& MxSetFindings() { return kTable; }

}  // namespace mtasts::checks
