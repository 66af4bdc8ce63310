// Rows of the engine's own codes. See checks/findings/finding.h.
#include "checks/findings/finding.h"

namespace mtasts::checks {
namespace {

const FindingInfo kRows[] = {
    {v1::CHECK_TIMED_OUT, v1::SEVERITY_MEDIUM, "engine",
     "A check did not finish in time",
     "The check was still waiting for the domain's DNS servers or hosts when "
     "the run's deadline passed, so its result is unknown. Sending MTAs use "
     "short timeouts too: servers this slow may make them give up as well.",
     "Run the check again. If it keeps timing out, make sure every "
     "authoritative name server of the domain answers (`dig +trace "
     "_mta-sts.<domain> TXT` follows the delegation) and that "
     "mta-sts.<domain> and the MX hosts answer within a few seconds.",
     ""},
    {v1::CHECK_INPUT_UNAVAILABLE, v1::SEVERITY_INFO, "engine",
     "A check could not run because a lookup it needs failed",
     "This check depends on another lookup (for example the domain's MX "
     "records), which failed; the finding about that lookup says why.",
     "Fix the failed lookup named in the other finding; this check runs once "
     "it succeeds.",
     ""},
    {v1::RESOLVER_UNREACHABLE, v1::SEVERITY_MEDIUM, "engine",
     "The checker could not reach its own DNS resolver",
     "The lookup was never answered because no DNS server configured for the "
     "checker accepted the query (connection refused). This says nothing about "
     "the domain, so the check is inconclusive and its points are left out of "
     "the score.",
     "Nothing to change on the domain. Whoever runs the checker: make sure the "
     "servers given with --dns_servers (or in /etc/resolv.conf) are running and "
     "reachable, then check again.",
     ""},
    {v1::RESOLVER_OVERLOADED, v1::SEVERITY_MEDIUM, "engine",
     "The checker's own DNS resolver did not answer in time",
     "The lookup timed out, and the checker's own resolver did not answer a "
     "question it answers from memory either (the root's NS records), and "
     "sending the lookup again after a short wait (when the domain's time "
     "allowed) did not help: the resolver was overloaded or cut off from the "
     "internet when this domain was checked. This says nothing "
     "about the domain, so the check is inconclusive and its points are left "
     "out of the score.",
     "Nothing to change on the domain; check it again later. Whoever runs the "
     "checker: give its resolver (--dns_servers) more capacity, or lower "
     "limits.dns_max_outstanding or the number of domains checked at once "
     "(--max_inflight, --fleet_max_inflight).",
     ""},
};
constexpr FindingTable kTable("Engine: any check", kRows);

}  // namespace

const FindingTable& EngineFindings() { return kTable; }

}  // namespace mtasts::checks
