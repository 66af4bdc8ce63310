#include "checks/mx_match/mx_match_judge.h"

namespace mtasts::checks {
namespace {

const FindingInfo kRows[] = {
    {v1::MX_MATCH_ALL_COVERED, v1::SEVERITY_INFO, "mx_match",
     "Every MX host matches a policy mx pattern",
     "Each host named by the domain's MX records matches an mx pattern of "
     "the policy (RFC 8461 §4.1), so senders applying the policy accept all "
     "of them, provided each presents a valid certificate for its name.",
     "",
     ""},
    {v1::MX_MATCH_HOST_UNMATCHED, v1::SEVERITY_CRITICAL, "mx_match",
     "An MX host matches no policy mx pattern",
     "RFC 8461 §4.1: senders accept only MX hosts that match one of the "
     "policy's mx patterns (exactly, or by a `*.` wildcard standing for one "
     "label). Under mode enforce compliant senders do not deliver to an "
     "unmatched host: they try the other MX hosts, and hold and finally "
     "bounce the mail when none matches. Under mode testing they deliver "
     "but report a failure.",
     "Add the host to the policy as an `mx` line of its own, and "
     "change the TXT record's id so senders fetch the new policy; or, if the "
     "host should not receive mail, remove its MX record.",
     "validation-failure"},
    {v1::MX_MATCH_STALE_PATTERN, v1::SEVERITY_LOW, "mx_match",
     "A policy mx pattern matches no MX host",
     "The pattern covers none of the hosts the domain's MX records name: "
     "usually a host that was retired or renamed, or a typo. It does no "
     "harm to delivery, but it lets a host you no longer use (or its next "
     "owner) receive mail under your policy.",
     "Remove the pattern from the policy, or fix its spelling, and change "
     "the TXT record's id.",
     ""},
    {v1::MX_MATCH_NULL_MX, v1::SEVERITY_INFO, "mx_match",
     "Null MX: no MX hosts to match",
     "The domain publishes a null MX (RFC 7505), so it accepts no mail and "
     "there are no MX hosts to match against the policy's patterns.",
     "Nothing to do if the domain receives no mail; a policy in mode none "
     "(or none at all) fits it.",
     ""},
    {v1::MX_MATCH_IMPLICIT_MX, v1::SEVERITY_INFO, "mx_match",
     "No MX records: the domain itself was matched",
     "Without MX records senders deliver to the domain's own address "
     "records (the implicit MX of RFC 5321 §5.1), so the domain name itself "
     "is the host they match against the policy's patterns.",
     "Publish MX records naming your mail servers and list the same names "
     "in the policy's `mx` lines.",
     ""},
    {v1::MX_MATCH_NO_PATTERNS, v1::SEVERITY_INFO, "mx_match",
     "The mode none policy lists no mx patterns",
     "A policy in mode none needs no mx lines (RFC 8461 §3.2), and senders "
     "apply no matching; there is nothing to compare with the MX hosts.",
     "",
     ""},
};
constexpr FindingTable kTable(
    "mx_match: MX hosts against the policy (RFC 8461 §4.1)", kRows);

}  // namespace

const FindingTable& MxMatchFindings() { return kTable; }

}  // namespace mtasts::checks
