#include "checks/findings_table.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mtasts::checks {
namespace {

using v1::FindingCode;
using v1::Severity;

// The table, in enum order. Texts are written for a mail administrator: what
// the problem means for mail, then what to publish instead, with record text.
//
// tlsrpt_result_type: none of the codes below has one. A sender reports a
// result type (RFC 8460 §4.3) only for a TLS negotiation or for a policy it
// found and then failed to fetch or apply. A missing, duplicated or invalid
// _mta-sts record makes it conclude "no MTA-STS policy" (RFC 8461 §3.1) and
// skip discovery, which it does not report; a missing or invalid _smtp._tls
// record leaves it nowhere to report to; MX and engine findings concern DNS
// and our own run, not TLS. Codes of the policy and TLS checks carry them.
const FindingInfo kTable[] = {
    // --- engine ---
    {v1::CHECK_TIMED_OUT, v1::SEVERITY_MEDIUM, "engine",
     "A check did not finish in time",
     "The check was still waiting for the domain's DNS servers or hosts when "
     "the run's deadline passed, so its result is unknown. Sending MTAs use "
     "short timeouts too: servers this slow may make them give up as well.",
     "Run the check again. If it keeps timing out, make sure every "
     "authoritative name server of the domain answers (test each with `dig "
     "@ns1.example.com _mta-sts.example.com TXT`) and that "
     "mta-sts.example.com and the MX hosts answer within a few seconds.",
     ""},
    {v1::CHECK_INPUT_UNAVAILABLE, v1::SEVERITY_INFO, "engine",
     "A check could not run because a lookup it needs failed",
     "This check depends on another lookup (for example the domain's MX "
     "records), which failed; the finding about that lookup says why.",
     "Fix the failed lookup named in the other finding; this check runs once "
     "it succeeds.",
     ""},

    // --- mx: the shared MX lookup ---
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
    {v1::MX_NONE, v1::SEVERITY_MEDIUM, "mx", "No MX records",
     "The domain publishes no MX record, so senders deliver to the domain's "
     "own address records (the implicit MX of RFC 5321 §5.1). An MTA-STS "
     "policy then has to list the domain name itself as an mx pattern, and "
     "the web or apex host rarely is meant to receive mail.",
     "Publish MX records naming your mail servers, for example `example.com. "
     "3600 IN MX 10 mail.example.com.`, and list the same host names in the "
     "policy's `mx:` lines. If the domain receives no mail, publish a null MX "
     "instead: `example.com. 3600 IN MX 0 .`",
     ""},
    {v1::MX_NULL, v1::SEVERITY_INFO, "mx",
     "Null MX: the domain accepts no mail",
     "The domain publishes a null MX (`0 .`, RFC 7505), which tells senders "
     "that it accepts no mail. MTA-STS protects mail delivery, so it has "
     "nothing to protect here.",
     "Nothing to do if the domain is not meant to receive mail. If it is, "
     "replace the null MX with MX records naming your mail servers, for "
     "example `example.com. 3600 IN MX 10 mail.example.com.`",
     ""},
    {v1::MX_TARGET_IS_CNAME, v1::SEVERITY_MEDIUM, "mx",
     "An MX record points at an alias (CNAME)",
     "RFC 2181 §10.3 and RFC 5321 §5.1 require an MX record to name a host "
     "with its own address records, not an alias. Some senders refuse or "
     "mishandle such MX hosts, and MTA-STS matches policy patterns and "
     "verifies certificates against the name in the MX record, not the "
     "alias's target.",
     "Point the MX record at the canonical host name (the CNAME's target), "
     "for example `example.com. 3600 IN MX 10 mx1.provider.example.`, and "
     "make the policy's `mx:` lines and the server's certificate cover that "
     "name.",
     ""},
    {v1::MX_LOOKUP_FAILED, v1::SEVERITY_HIGH, "mx", "The MX lookup failed",
     "The query for the domain's MX records returned SERVFAIL or REFUSED, or "
     "timed out. Senders that get the same answer cannot find the mail "
     "servers: they queue the mail and retry, and bounce it if the failure "
     "lasts.",
     "Make sure every authoritative name server of the domain answers MX "
     "queries (test each with `dig @ns1.example.com example.com MX`). A "
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
     "`example.com. 3600 IN MX 0 .`",
     ""},

    // --- txt: _mta-sts TXT record, RFC 8461 §3.1 ---
    {v1::TXT_VALID, v1::SEVERITY_INFO, "txt",
     "A valid v=STSv1 record is published",
     "Exactly one TXT record at _mta-sts.<domain> begins with v=STSv1 and "
     "follows the RFC 8461 §3.1 syntax, so senders go on to fetch the policy. "
     "They fetch it again only when the id changes.",
     "Change the id (for example to the current date and time: `v=STSv1; "
     "id=20240131T120000;`) every time you edit the policy file, or senders "
     "keep using their cached copy.",
     ""},
    {v1::TXT_MISSING, v1::SEVERITY_MEDIUM, "txt", "No MTA-STS TXT record",
     "No TXT record at _mta-sts.<domain> begins with v=STSv1, so senders "
     "conclude that the domain has no MTA-STS policy (RFC 8461 §3.1) and "
     "deliver over whatever TLS they can negotiate, or none: an attacker on "
     "the path can strip STARTTLS unnoticed.",
     "Publish the policy file at "
     "https://mta-sts.example.com/.well-known/mta-sts.txt (one field per "
     "line: `version: STSv1`, `mode: testing`, `mx: mail.example.com`, "
     "`max_age: 86400`), then the TXT record `_mta-sts.example.com. 3600 IN "
     "TXT \"v=STSv1; id=20240131T120000;\"`. Move to `mode: enforce` once TLS "
     "reports show no failures.",
     ""},
    {v1::TXT_LOOKUP_FAILED, v1::SEVERITY_HIGH, "txt",
     "The _mta-sts TXT lookup failed",
     "The TXT query for _mta-sts.<domain> returned SERVFAIL or REFUSED, or "
     "timed out. That is not the same as an absent record: senders cannot "
     "tell whether a policy exists, so those without a cached policy deliver "
     "without MTA-STS protection, and an attacker can provoke the same "
     "failure.",
     "Make sure every authoritative name server answers the query, with the "
     "record or with a proper NXDOMAIN or empty answer (test each with `dig "
     "@ns1.example.com _mta-sts.example.com TXT`). With DNSSEC, check the "
     "signatures and the DS record at the registrar.",
     ""},
    {v1::TXT_MULTIPLE_RECORDS, v1::SEVERITY_HIGH, "txt",
     "More than one v=STSv1 record",
     "RFC 8461 §3.1: when more than one TXT record at _mta-sts.<domain> "
     "begins with v=STSv1, senders must assume that the domain has no "
     "MTA-STS policy. This usually happens when a new record is added instead "
     "of the old one being edited.",
     "Keep exactly one record, for example `v=STSv1; id=20240131T120000;`, "
     "and delete the others. To announce a policy change, edit that record's "
     "id instead of adding a record.",
     ""},
    {v1::TXT_IGNORED_RECORD, v1::SEVERITY_INFO, "txt",
     "A TXT record that is not an STS record was ignored",
     "Senders ignore TXT records at _mta-sts.<domain> that do not begin with "
     "v=STSv1 (RFC 8461 §3.1); they do no harm.",
     "Nothing to do. Records meant for other purposes (such as SPF or a "
     "verification token) belong at other names, since nothing reads them "
     "at _mta-sts.",
     ""},
    {v1::TXT_VERSION_MISCASED, v1::SEVERITY_HIGH, "txt",
     "The version tag is not exactly \"v=STSv1\"",
     "The record looks like an MTA-STS record, but its version is spelled "
     "with different letter case (such as `V=STSv1` or `v=stsv1`). The "
     "version is case-sensitive (RFC 8461 §3.1: %s\"v=STSv1\"), so senders "
     "ignore the record.",
     "Begin the record with exactly `v=STSv1;`, for example `v=STSv1; "
     "id=20240131T120000;`.",
     ""},
    {v1::TXT_VERSION_NOT_FIRST, v1::SEVERITY_HIGH, "txt",
     "v=STSv1 is not at the start of the record",
     "The record contains v=STSv1, but not as its first characters. Senders "
     "consider only records that begin with v=STSv1 (RFC 8461 §3.1), so they "
     "ignore this one.",
     "Put the version first, with nothing (not even a space) before it: "
     "`v=STSv1; id=20240131T120000;`.",
     ""},
    {v1::TXT_SYNTAX_ERROR, v1::SEVERITY_HIGH, "txt",
     "The v=STSv1 record does not follow the RFC 8461 syntax",
     "RFC 8461 §3.1 defines the record as `v=STSv1` followed by `;`-separated "
     "`name=value` fields in printable ASCII, each with a value. A record "
     "that does not follow it is invalid and senders treat the domain as "
     "having no MTA-STS policy; some senders parse leniently, but a record "
     "that only they accept protects nothing against the others.",
     "Publish the record in its plain form: `v=STSv1; id=20240131T120000;` "
     "(fields separated by `;`, no spaces around `=`, printable ASCII only, "
     "no empty fields or values).",
     ""},
    {v1::TXT_ID_MISSING, v1::SEVERITY_HIGH, "txt",
     "The v=STSv1 record has no id",
     "The id field is required (RFC 8461 §3.1): senders compare it with the "
     "id of the policy they cached to learn that the policy changed. Without "
     "it the record is invalid and senders treat the domain as having no "
     "MTA-STS policy.",
     "Add an id of 1 to 32 letters and digits: `v=STSv1; "
     "id=20240131T120000;`. Field names are case-sensitive: write `id`, not "
     "`ID`.",
     ""},
    {v1::TXT_ID_INVALID, v1::SEVERITY_HIGH, "txt",
     "The id is not 1 to 32 letters and digits",
     "RFC 8461 §3.1 allows only 1 to 32 ASCII letters and digits in the id: "
     "no punctuation (`-`, `+`, `.`, `:`), no spaces. With any other id the "
     "record is invalid and senders that follow the RFC treat the domain as "
     "having no MTA-STS policy. Some lenient senders (postfix-mta-sts-resolver, "
     "as our end-to-end lab found) apply the policy anyway, so senders "
     "disagree about this domain.",
     "Use a timestamp without separators, for example `v=STSv1; "
     "id=20240131T120000;`, and change it whenever you change the policy.",
     ""},
    {v1::TXT_ID_DUPLICATED, v1::SEVERITY_LOW, "txt",
     "The id field appears more than once",
     "The record has more than one id field. This checker keeps the first, "
     "as RFC 8461 does for repeated policy fields; senders that keep another "
     "one or reject the record behave differently, and an edit to one copy "
     "may go unnoticed.",
     "Keep a single id field: `v=STSv1; id=20240131T120000;`.", ""},
    {v1::TXT_UNKNOWN_FIELD, v1::SEVERITY_INFO, "txt",
     "Unknown field in the v=STSv1 record",
     "RFC 8461 §3.1 allows extension fields, and senders ignore those they do "
     "not know. None besides id is defined today, so such a field usually is "
     "a typo or a leftover.",
     "Nothing is required. If the field was meant as the id, spell it `id` in "
     "lower case; otherwise you may remove it.",
     ""},
    {v1::TXT_CNAME_FOLLOWED, v1::SEVERITY_INFO, "txt",
     "_mta-sts is an alias (CNAME)",
     "The TXT record was found through a CNAME at _mta-sts.<domain>. RFC 8461 "
     "§8.2 allows this to delegate the record to a provider that manages the "
     "policy; senders follow the alias.",
     "Nothing to do if you meant to delegate MTA-STS to that provider. The "
     "provider then controls the id, and so when senders fetch your policy "
     "again.",
     ""},
    {v1::TXT_SPACE_AROUND_EQUALS, v1::SEVERITY_HIGH, "txt",
     "Whitespace around \"=\" in the STS record",
     "RFC 8461 §3.1 allows spaces only around the `;` separators, never "
     "around `=`: `id = 2024` is invalid, and `v = STSv1` does not begin with "
     "v=STSv1. Senders that follow the syntax treat such a record as invalid "
     "or do not recognise it as an STS record at all.",
     "Remove the spaces: `v=STSv1; id=20240131T120000;`.", ""},
    {v1::TXT_VERSION_SPACE_BEFORE_SEMICOLON, v1::SEVERITY_MEDIUM, "txt",
     "Whitespace between v=STSv1 and the first \";\"",
     "The RFC 8461 §3.1 syntax allows spaces before `;`, but the same section "
     "tells senders to discard records that do not begin with `v=STSv1;` "
     "(erratum 6285 notes the conflict). Senders that apply that sentence "
     "literally ignore this record.",
     "Write the semicolon straight after the version: `v=STSv1; "
     "id=20240131T120000;`.",
     ""},

    // --- tls_rpt: _smtp._tls TXT record, RFC 8460 §3 ---
    {v1::TLSRPT_VALID, v1::SEVERITY_INFO, "tls_rpt",
     "A valid v=TLSRPTv1 record is published",
     "Exactly one TXT record at _smtp._tls.<domain> begins with v=TLSRPTv1 "
     "and names at least one usable destination, so senders that support TLS "
     "reporting (RFC 8460) send it daily reports of their TLS successes and "
     "failures.",
     "Read the reports, above all before moving an MTA-STS policy from `mode: "
     "testing` to `mode: enforce`.",
     ""},
    {v1::TLSRPT_MISSING, v1::SEVERITY_MEDIUM, "tls_rpt", "No TLS-RPT record",
     "No TXT record at _smtp._tls.<domain> begins with v=TLSRPTv1, so senders "
     "do not report TLS failures to the domain (RFC 8460 §3): certificate, "
     "STARTTLS or MTA-STS problems that make them defer or bounce mail go "
     "unnoticed.",
     "Publish `_smtp._tls.example.com. 3600 IN TXT \"v=TLSRPTv1; "
     "rua=mailto:tlsrpt@example.com\"`, with a mailbox (or an `https:` "
     "endpoint) that receives the reports.",
     ""},
    {v1::TLSRPT_LOOKUP_FAILED, v1::SEVERITY_HIGH, "tls_rpt",
     "The _smtp._tls TXT lookup failed",
     "The TXT query for _smtp._tls.<domain> returned SERVFAIL or REFUSED, or "
     "timed out. That is not the same as an absent record: reporters that "
     "get the same answer cannot learn where to send reports, so TLS "
     "failures go unreported.",
     "Make sure every authoritative name server answers the query (test each "
     "with `dig @ns1.example.com _smtp._tls.example.com TXT`). With DNSSEC, "
     "check the signatures and the DS record at the registrar.",
     ""},
    {v1::TLSRPT_MULTIPLE_RECORDS, v1::SEVERITY_HIGH, "tls_rpt",
     "More than one v=TLSRPTv1 record",
     "RFC 8460 §3: when more than one TXT record at _smtp._tls.<domain> "
     "begins with v=TLSRPTv1, senders must assume that the domain does not "
     "implement TLS reporting, so no reports are sent.",
     "Merge them into one record; one rua field may list several "
     "destinations separated by commas: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@example.com,https://tlsrpt.example.com/v1`.",
     ""},
    {v1::TLSRPT_IGNORED_RECORD, v1::SEVERITY_INFO, "tls_rpt",
     "A TXT record that is not a TLS-RPT record was ignored",
     "Reporters ignore TXT records at _smtp._tls.<domain> that do not begin "
     "with v=TLSRPTv1 (RFC 8460 §3). That is harmless for unrelated records, "
     "but a record meant as the TLS-RPT record (with the version not first, "
     "or spaces around `=`) receives no reports.",
     "Nothing to do if the record is unrelated. If it was meant as your "
     "TLS-RPT record, begin it with exactly `v=TLSRPTv1;`, for example "
     "`v=TLSRPTv1; rua=mailto:tlsrpt@example.com`.",
     ""},
    {v1::TLSRPT_VERSION_MISCASED, v1::SEVERITY_HIGH, "tls_rpt",
     "The version tag is not exactly \"v=TLSRPTv1\"",
     "The record looks like a TLS-RPT record, but its version is spelled with "
     "different letter case (such as `V=TLSRPTv1` or `v=tlsrptv1`). The "
     "version is case-sensitive (RFC 8460 §3: %s\"v=TLSRPTv1\"), so reporters "
     "ignore the record.",
     "Begin the record with exactly `v=TLSRPTv1;`, for example `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@example.com`.",
     ""},
    {v1::TLSRPT_SYNTAX_ERROR, v1::SEVERITY_HIGH, "tls_rpt",
     "The v=TLSRPTv1 record does not follow the RFC 8460 syntax",
     "RFC 8460 §3 defines the record as `v=TLSRPTv1` followed by "
     "`;`-separated `name=value` fields in printable ASCII, each with a "
     "value, with no spaces around `=`. Reporters that follow the syntax "
     "ignore a record that does not, and send no reports.",
     "Publish the record in its plain form: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@example.com` (fields separated by `;`, no spaces "
     "around `=`, printable ASCII only, no empty fields or values).",
     ""},
    {v1::TLSRPT_RUA_MISSING, v1::SEVERITY_HIGH, "tls_rpt",
     "The TLS-RPT record has no rua field",
     "The rua field, which says where reports go, is required (RFC 8460 §3). "
     "Without it reporters have nowhere to send reports.",
     "Add the destination: `v=TLSRPTv1; rua=mailto:tlsrpt@example.com`. "
     "Field names are case-sensitive: write `rua`, not `RUA`.",
     ""},
    {v1::TLSRPT_RUA_NO_SCHEME, v1::SEVERITY_HIGH, "tls_rpt",
     "An rua destination has no URI scheme",
     "Each rua destination must be a URI with a scheme (RFC 8460 §3), such as "
     "`mailto:tlsrpt@example.com`. A bare address such as "
     "`tlsrpt@example.com` is not a URI: reporters skip it, and the reports "
     "meant for it are never sent.",
     "Prefix e-mail addresses with `mailto:`: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@example.com`.",
     ""},
    {v1::TLSRPT_RUA_UNSUPPORTED_SCHEME, v1::SEVERITY_HIGH, "tls_rpt",
     "An rua destination uses a scheme other than mailto: or https:",
     "RFC 8460 §3 defines delivery of reports by e-mail (`mailto:`) and by "
     "HTTPS POST (`https:`) only. Reporters skip destinations with any other "
     "scheme, plain `http:` included.",
     "Use a `mailto:` address or an `https:` URL, for example "
     "`rua=https://tlsrpt.example.com/v1/report` instead of `http://...`.",
     ""},
    {v1::TLSRPT_RUA_INVALID_URI, v1::SEVERITY_HIGH, "tls_rpt",
     "An rua destination is not a valid URI",
     "Each rua destination must be a URI (RFC 3986) in which commas and "
     "exclamation points are percent-encoded (RFC 8460 §3), since a `,` "
     "separates destinations and a `;` ends the field; a `mailto:` URI needs "
     "an address with a domain and an `https:` URI needs a host. Reporters "
     "skip destinations that are not valid URIs.",
     "Write each destination as a complete URI without spaces, encoding `,` "
     "as `%2C`, `!` as `%21` and `;` as `%3B`, for example "
     "`rua=mailto:tlsrpt@example.com,https://tlsrpt.example.com/v1/report`.",
     ""},
    {v1::TLSRPT_RUA_REPEATED, v1::SEVERITY_INFO, "tls_rpt",
     "rua appears more than once",
     "The record has more than one rua field. The RFC 8460 §3 syntax allows "
     "that, and this checker merges their destinations, but a reporter may "
     "use only one of the fields.",
     "List all destinations in one field, separated by commas: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@example.com,https://tlsrpt.example.com/v1/report`.",
     ""},
    {v1::TLSRPT_UNKNOWN_FIELD, v1::SEVERITY_INFO, "tls_rpt",
     "Unknown field in the TLS-RPT record",
     "RFC 8460 §3 allows extension fields, and reporters ignore those they do "
     "not know. None besides rua is defined today, so such a field usually "
     "is a typo (or `ruf=` copied from DMARC) or a leftover.",
     "Nothing is required. If the field was meant as rua, spell it `rua` in "
     "lower case; otherwise you may remove it.",
     ""},
    {v1::TLSRPT_CNAME_FOLLOWED, v1::SEVERITY_INFO, "tls_rpt",
     "_smtp._tls is an alias (CNAME)",
     "The TLS-RPT record was found through a CNAME at _smtp._tls.<domain>, "
     "which lets a reporting provider manage it; reporters follow the alias.",
     "Nothing to do if you meant to delegate TLS reporting to that provider.",
     ""},
    {v1::TLSRPT_RUA_EMPTY, v1::SEVERITY_HIGH, "tls_rpt",
     "An rua field is empty",
     "The record has `rua=` with no destination after it. RFC 8460 §3 "
     "requires at least one URI, so an empty rua gives reporters nowhere to "
     "send reports.",
     "Put the destination after `rua=`: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@example.com`.",
     ""},
    {v1::TLSRPT_RUA_DUPLICATE_URI, v1::SEVERITY_LOW, "tls_rpt",
     "The same rua destination is listed twice",
     "A destination appears more than once in rua; reporters may send two "
     "copies of every report to it.",
     "List each destination once: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@example.com`.",
     ""},
    {v1::TLSRPT_VERSION_SPACE_BEFORE_SEMICOLON, v1::SEVERITY_MEDIUM, "tls_rpt",
     "Whitespace between v=TLSRPTv1 and the first \";\"",
     "The RFC 8460 §3 syntax allows spaces before `;`, but the same section "
     "tells reporters to discard records that do not begin with "
     "`v=TLSRPTv1;`. Reporters that apply that sentence literally ignore this "
     "record and send no reports.",
     "Write the semicolon straight after the version: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@example.com`.",
     ""},
    // --- policy_content: the policy file, RFC 8461 §3.2 ---
    // Defects that make senders reject the policy carry sts-policy-invalid
    // (RFC 8460 §4.3.2.1): a sender that fetched the policy and could not use
    // it reports that.
    {v1::POLICY_VALID, v1::SEVERITY_INFO, "policy_content",
     "The policy file is valid",
     "The policy follows the RFC 8461 §3.2 syntax: `version: STSv1`, a mode, "
     "a max_age and (unless the mode is none) mx patterns, so senders accept "
     "it and cache it for max_age seconds.",
     "When you edit the policy, also change the id of the _mta-sts TXT "
     "record, or senders keep their cached copy until it expires.",
     ""},
    {v1::POLICY_EMPTY, v1::SEVERITY_HIGH, "policy_content",
     "The policy file is empty",
     "The policy URL returned an empty body (or only whitespace). Senders "
     "find no version, mode or max_age in it, reject it as invalid and, "
     "unless they cached an earlier valid policy, deliver without MTA-STS.",
     "Serve the policy text at "
     "https://mta-sts.example.com/.well-known/mta-sts.txt, one field per "
     "line: `version: STSv1`, `mode: testing`, `mx: mail.example.com`, "
     "`max_age: 86400`.",
     "sts-policy-invalid"},
    {v1::POLICY_TOO_LARGE, v1::SEVERITY_HIGH, "policy_content",
     "The policy file is larger than 64 KiB",
     "A policy is a few lines long. Senders bound what they read (this "
     "checker reads at most 64 KiB, 65536 bytes) and give up on a larger "
     "body, so the policy is not applied; such a body is usually a web page "
     "or a file served by mistake.",
     "Serve only the policy text at the policy URL: `version`, `mode`, one "
     "`mx` line per mail host and `max_age`, a few hundred bytes in all.",
     "sts-policy-fetch-error"},
    {v1::POLICY_NOT_A_POLICY, v1::SEVERITY_HIGH, "policy_content",
     "The policy URL serves a web page, not a policy",
     "The body is HTML, not `key: value` lines. Typical causes: a custom "
     "error or \"not found\" page returned with status 200, a site builder "
     "or catch-all rule answering every path, a login page, or a CDN's "
     "browser check in front of the policy host. Senders reject it as an "
     "invalid policy.",
     "Serve the plain-text policy file itself at "
     "/.well-known/mta-sts.txt on mta-sts.example.com (Content-Type "
     "text/plain), and exempt that path from redirects, rewrites and bot "
     "protection. Check with `curl -s "
     "https://mta-sts.example.com/.well-known/mta-sts.txt`.",
     "sts-policy-invalid"},
    {v1::POLICY_SYNTAX_ERROR, v1::SEVERITY_HIGH, "policy_content",
     "A line of the policy does not follow the RFC 8461 syntax",
     "RFC 8461 §3.2 defines the policy as lines of `name: value`, ending in "
     "LF or CRLF: the name starts the line, `:` follows it directly, the "
     "value is printable text. A line that does not follow it makes the "
     "policy invalid for senders that parse to the letter; lenient parsers "
     "may read it differently, so different senders see different policies.",
     "Write each line as `name: value` with nothing before the name and no "
     "tabs or control characters, for example `mode: enforce`. Save the file "
     "as plain text (UTF-8 without byte order mark) with LF or CRLF line "
     "ends.",
     "sts-policy-invalid"},
    {v1::POLICY_SPACE_BEFORE_COLON, v1::SEVERITY_HIGH, "policy_content",
     "Whitespace between a field name and \":\"",
     "RFC 8461 §3.2 allows whitespace after the `:` but not before it (`mode "
     ": enforce`). Lenient parsers strip it; parsers that follow the syntax "
     "reject the policy, or see an unknown field and then miss the required "
     "one.",
     "Write the colon straight after the name: `mode: enforce`, `max_age: "
     "604800`.",
     "sts-policy-invalid"},
    {v1::POLICY_BOM, v1::SEVERITY_HIGH, "policy_content",
     "The policy file begins with a byte order mark",
     "The body starts with the bytes EF BB BF (a UTF-8 byte order mark, which "
     "some Windows editors add). Senders read it as part of the first "
     "field's name, so that field (usually `version`) is not recognised and "
     "the policy is invalid for them.",
     "Save the file as UTF-8 without BOM (or plain ASCII), so that its first "
     "bytes are `version: STSv1`.",
     "sts-policy-invalid"},
    {v1::POLICY_VERSION_MISSING, v1::SEVERITY_HIGH, "policy_content",
     "The policy has no version field",
     "`version: STSv1` is required (RFC 8461 §3.2); without it senders "
     "reject the policy.",
     "Add the line `version: STSv1` (field names are lower case).",
     "sts-policy-invalid"},
    {v1::POLICY_VERSION_INVALID, v1::SEVERITY_HIGH, "policy_content",
     "The policy version is not \"STSv1\"",
     "The version must be exactly `STSv1`, case-sensitive (RFC 8461 §3.2: "
     "%s\"STSv1\"); senders reject a policy with any other version.",
     "Write the line as `version: STSv1`.",
     "sts-policy-invalid"},
    {v1::POLICY_MODE_MISSING, v1::SEVERITY_HIGH, "policy_content",
     "The policy has no mode field",
     "The mode (`enforce`, `testing` or `none`) is required (RFC 8461 "
     "§3.2); without it senders reject the policy.",
     "Add a mode line, for example `mode: testing` while you check TLS "
     "reports, then `mode: enforce`. Field names are lower case.",
     "sts-policy-invalid"},
    {v1::POLICY_MODE_INVALID, v1::SEVERITY_HIGH, "policy_content",
     "The policy mode is not enforce, testing or none",
     "The mode must be exactly `enforce`, `testing` or `none`, in lower case "
     "(RFC 8461 §3.2). Any other value (`Enforce`, `report` from an early "
     "draft, `strict`, ...) makes the policy invalid for senders.",
     "Write one of the three values in lower case, for example `mode: "
     "enforce`.",
     "sts-policy-invalid"},
    {v1::POLICY_MAX_AGE_MISSING, v1::SEVERITY_HIGH, "policy_content",
     "The policy has no max_age field",
     "max_age, the number of seconds senders may cache the policy, is "
     "required (RFC 8461 §3.2); without it senders reject the policy. The "
     "name is spelled with an underscore: `max-age` or `maxage` is an "
     "unknown field.",
     "Add `max_age: 604800` (one week) for mode enforce, or `max_age: 86400` "
     "(one day) while testing.",
     "sts-policy-invalid"},
    {v1::POLICY_MAX_AGE_INVALID, v1::SEVERITY_HIGH, "policy_content",
     "max_age is not a plain number of seconds",
     "max_age must be 1 to 10 decimal digits and nothing else (RFC 8461 "
     "§3.2: 1*10DIGIT): no sign, unit, exponent, decimal point or digit "
     "separator. Senders reject a policy whose max_age does not parse.",
     "Write the number of seconds as plain digits, for example `max_age: "
     "604800`.",
     "sts-policy-invalid"},
    {v1::POLICY_MAX_AGE_TOO_LARGE, v1::SEVERITY_HIGH, "policy_content",
     "max_age is above one year (31557600 seconds)",
     "RFC 8461 §3.2 caps max_age at 31557600 seconds (about one year; "
     "erratum 7282 notes that the 10 digits the syntax allows go further). "
     "Senders that follow the text reject the policy; others shorten the "
     "value, so the policy means different things to different senders.",
     "Use at most `max_age: 31557600`; one to a few weeks, such as "
     "`max_age: 604800` or `max_age: 1209600`, is typical for mode enforce.",
     "sts-policy-invalid"},
    {v1::POLICY_MX_MISSING, v1::SEVERITY_HIGH, "policy_content",
     "The policy lists no mx patterns",
     "In mode enforce or testing at least one `mx` line is required (RFC "
     "8461 §3.2). Senders that follow the syntax reject the policy; a "
     "lenient sender applying an enforce policy without patterns would "
     "accept none of the MX hosts and hold back all mail.",
     "Add one `mx` line per mail host named by your MX records, for example "
     "`mx: mail.example.com`, or one `mx: *.example.com` covering hosts one "
     "label below example.com.",
     "sts-policy-invalid"},
    {v1::POLICY_MX_INVALID, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern is not a host name",
     "Each mx value must be a host name, optionally with `*.` as its whole "
     "first label (RFC 8461 §3.2: [\"*.\"] Domain): letters, digits and "
     "hyphens in dot-separated labels of 1 to 63 characters. A value that "
     "is not (empty, underscores, spaces, several names on one line, a URL) "
     "makes the policy invalid for senders that follow the syntax and "
     "matches no MX host for the others.",
     "Write one host name per `mx` line, for example `mx: mail.example.com` "
     "and `mx: backup.example.com` on separate lines.",
     "sts-policy-invalid"},
    {v1::POLICY_MX_ULABEL, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern is written in Unicode (U-label)",
     "mx values must be ASCII host names; internationalised names must be "
     "written as A-labels (`xn--...`, RFC 5890). MX records in DNS always "
     "hold A-labels, so a Unicode pattern matches no MX host, and senders "
     "that follow the syntax reject the policy.",
     "Convert the name to its A-label form (for example with `idn2 "
     "bücher.example`, which prints `xn--bcher-kva.example`) and write that "
     "in the `mx` line.",
     "sts-policy-invalid"},
    {v1::POLICY_MX_IP_LITERAL, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern is an IP address",
     "Patterns are matched against the host names in MX records (RFC 8461 "
     "§4.1), and the MX host's certificate is checked against that name; an "
     "IP address matches no MX host name, so it protects nothing. An IPv6 "
     "or bracketed address is not even valid syntax and makes the policy "
     "invalid.",
     "List the host names your MX records point to, for example `mx: "
     "mail.example.com`, not their addresses.",
     "sts-policy-invalid"},
    {v1::POLICY_MX_WILDCARD_INVALID, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern uses \"*\" other than as the whole first label",
     "RFC 8461 §3.2 and §4.1 allow a wildcard only as `*.` at the start of a "
     "pattern, standing for exactly one label: `*.example.com` matches "
     "`mx1.example.com`. `mail.*.example.com`, `*example.com`, "
     "`*.*.example.com` and a bare `*` are invalid: senders that follow the "
     "syntax reject the policy, the others match nothing with them.",
     "Use `*.` only at the start (`mx: *.example.com`), or list each host "
     "name on its own `mx` line; a wildcard never covers the parent name "
     "(`example.com`) nor two labels (`a.b.example.com`).",
     "sts-policy-invalid"},
    {v1::POLICY_MX_TRAILING_DOT, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern ends with a dot",
     "In zone files an MX target ends with a dot (`mail.example.com.`), but "
     "a policy's mx value must not (RFC 8461 §3.2: Domain has no trailing "
     "dot). Senders that follow the syntax reject the policy; some others "
     "compare the name with the dot and match nothing.",
     "Drop the final dot: `mx: mail.example.com`.",
     "sts-policy-invalid"},
    {v1::POLICY_UNKNOWN_FIELD, v1::SEVERITY_INFO, "policy_content",
     "Unknown field in the policy",
     "RFC 8461 §3.2 allows extension fields, and senders ignore those they "
     "do not know. None is defined besides version, mode, max_age and mx, "
     "so such a field is usually a typo (field names are case-sensitive: "
     "`Mode` and `max-age` are not `mode` and `max_age`) or a leftover.",
     "Nothing is required. If the field was meant as one of the four, spell "
     "it exactly `version`, `mode`, `max_age` or `mx`.",
     ""},
    {v1::POLICY_DUPLICATE_FIELD, v1::SEVERITY_MEDIUM, "policy_content",
     "A policy field appears more than once",
     "RFC 8461 §3.2: when version, mode or max_age appears more than once, "
     "senders must use the first value. This checker does so; many tools "
     "and some senders keep the last value instead, so senders may disagree "
     "about the policy (for example one applying testing and another "
     "enforce).",
     "Keep one line per field (mx excepted, which may repeat), with the "
     "value you mean, and change the TXT record's id after the edit.",
     ""},
    {v1::POLICY_TESTING_MODE, v1::SEVERITY_MEDIUM, "policy_content",
     "The policy is in testing mode",
     "In mode testing senders check TLS and the MX hosts and report "
     "failures (to the TLS-RPT address), but deliver anyway, so an attacker "
     "can still strip STARTTLS. It is the right first step of a rollout, "
     "not the destination.",
     "Roll out in stages: keep mode testing with a short max_age (`max_age: "
     "86400`) while TLS reports show failures; once they show none for a "
     "few weeks, publish `mode: enforce` with `max_age` of at least 86400, "
     "commonly `max_age: 604800` or more, and change the TXT record's id.",
     ""},
    {v1::POLICY_NONE_MODE, v1::SEVERITY_MEDIUM, "policy_content",
     "The policy is in mode none",
     "Mode none tells senders to treat the domain as having no active "
     "policy (RFC 8461 §5), replacing any policy they cached: MTA-STS is "
     "switched off and mail gets no protection from it. It is the right way "
     "to withdraw MTA-STS, not to run it.",
     "If you are withdrawing MTA-STS, keep this policy (and the TXT record) "
     "for at least the previous policy's max_age, then remove both (RFC 8461 "
     "§8.3). Otherwise roll out in stages: `mode: testing` with `max_age: "
     "86400`, then `mode: enforce` with `max_age: 604800` once TLS reports "
     "are clean, changing the TXT record's id each time.",
     ""},
    {v1::POLICY_MAX_AGE_SHORT, v1::SEVERITY_MEDIUM, "policy_content",
     "max_age is below one day in enforce mode",
     "Senders keep an enforce policy for max_age seconds, and it is that "
     "cached copy that protects mail when an attacker blocks the policy "
     "fetch or the TXT lookup. With less than a day (86400 seconds) the "
     "protection lapses quickly; RFC 8461 §3.2 expects weeks or more.",
     "Raise it to at least `max_age: 86400`, commonly `max_age: 604800` "
     "(one week) or more, and change the TXT record's id so senders fetch "
     "the new policy.",
     ""},
    {v1::POLICY_MAX_AGE_LONG_FOR_TESTING, v1::SEVERITY_LOW, "policy_content",
     "max_age is longer than testing needs",
     "A testing policy protects nothing, so a long cache lifetime gains "
     "nothing either, while senders that cannot reach the TXT record keep "
     "the cached testing copy (and its mx list) for up to max_age after you "
     "change it.",
     "While testing, use a short lifetime such as `max_age: 86400` (one "
     "day); raise it to `max_age: 604800` or more when you switch to `mode: "
     "enforce`.",
     ""},
    {v1::POLICY_UNAVAILABLE, v1::SEVERITY_INFO, "policy_content",
     "No policy could be fetched, so none is in force",
     "Without a policy file that senders can fetch, there is no mode, no "
     "list of MX hosts and no max_age: MTA-STS does not protect the "
     "domain's mail. The policy_fetch findings say why the fetch failed.",
     "Fix the policy fetch first; the suggested policy in this report is a "
     "starting point for the file to serve.",
     ""},

    // --- mx_match: MX hosts against the policy, RFC 8461 §4.1 ---
    {v1::MX_MATCH_ALL_COVERED, v1::SEVERITY_INFO, "mx_match",
     "Every MX host matches a policy mx pattern",
     "Each host named by the domain's MX records matches an mx pattern of "
     "the policy (RFC 8461 §4.1), so senders applying the policy accept all "
     "of them, provided each presents a valid certificate for its name.",
     "When you add or rename an MX host, add it to the policy's `mx` lines "
     "first and change the TXT record's id, then change the MX records.",
     ""},
    {v1::MX_MATCH_HOST_UNMATCHED, v1::SEVERITY_CRITICAL, "mx_match",
     "An MX host matches no policy mx pattern",
     "RFC 8461 §4.1: senders accept only MX hosts that match one of the "
     "policy's mx patterns (exactly, or by a `*.` wildcard standing for one "
     "label). Under mode enforce compliant senders do not deliver to an "
     "unmatched host: they try the other MX hosts, and hold and finally "
     "bounce the mail when none matches. Under mode testing they deliver "
     "but report a failure.",
     "Add the host to the policy, for example `mx: mx2.example.com`, and "
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
    {v1::POLICY_FETCH_OK, v1::SEVERITY_INFO, "policy_fetch",
     "The policy file was fetched as senders fetch it",
     "Every address of mta-sts.<domain> answered over HTTPS with a "
     "certificate valid for that name, HTTP 200 and Content-Type "
     "text/plain, within the size and time limits of RFC 8461 §3.3.",
     "",
     ""},
    {v1::POLICY_HOST_NOT_FOUND, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host mta-sts.<domain> does not exist",
     "Senders fetch the policy from "
     "https://mta-sts.<domain>/.well-known/mta-sts.txt (RFC 8461 §3.3). "
     "That name does not exist (NXDOMAIN), so no sender can fetch a "
     "policy; a sender that cached one keeps it until max_age runs out, "
     "then delivers without MTA-STS.",
     "Publish an A and/or AAAA record (or a CNAME to your policy hosting) "
     "for mta-sts.<domain>, and serve the policy there over HTTPS.",
     "sts-policy-fetch-error"},
    {v1::POLICY_HOST_NO_ADDRESS, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host has no IPv4 or IPv6 address",
     "mta-sts.<domain> exists but has neither an A nor an AAAA record, so "
     "senders cannot connect to fetch the policy (RFC 8461 §3.3).",
     "Add an A and/or AAAA record for mta-sts.<domain> pointing at the web "
     "server that serves the policy.",
     "sts-policy-fetch-error"},
    {v1::POLICY_HOST_LOOKUP_FAILED, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host's address lookup failed",
     "The A/AAAA lookups of mta-sts.<domain> failed (server failure or no "
     "answer), so senders cannot fetch the policy right now. This is a "
     "problem of the zone's name servers, not a missing record.",
     "Check the name servers of the zone that holds mta-sts.<domain> "
     "(delegation, DNSSEC signatures, reachability).",
     "sts-policy-fetch-error"},
    {v1::POLICY_HOST_ADDRESS_REFUSED, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host points at a non-public address",
     "mta-sts.<domain> resolves to an address that is not reachable from "
     "the internet (loopback, private, link-local, CGNAT, documentation or "
     "another special range). Senders on the internet cannot fetch the "
     "policy from it, and this checker does not connect to such addresses.",
     "Point mta-sts.<domain> at the public address of the web server that "
     "serves the policy.",
     "sts-policy-fetch-error"},
    {v1::POLICY_CONNECT_FAILED, v1::SEVERITY_HIGH, "policy_fetch",
     "Cannot connect to the policy host on port 443",
     "The TCP connection to mta-sts.<domain> on port 443 failed, so "
     "senders cannot fetch the policy (RFC 8461 §3.3).",
     "Make sure a web server listens on port 443 at every address of "
     "mta-sts.<domain> and that no firewall blocks it.",
     "sts-policy-fetch-error"},
    {v1::POLICY_FETCH_TIMEOUT, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy fetch timed out",
     "The policy host did not complete a phase of the fetch in time. "
     "Senders bound the fetch too (RFC 8461 §3.3 suggests timeouts of a "
     "minute or less and many use a few seconds), and a slow policy host "
     "makes them give up.",
     "Serve the policy file as a small static file; check that the web "
     "server and any CDN in front of it answer promptly.",
     "sts-policy-fetch-error"},
    {v1::POLICY_CONNECTION_DROPPED, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host closed the connection before the response was "
     "complete",
     "The connection was reset or closed before a whole HTTP response "
     "arrived, so senders get no usable policy.",
     "Check the web server's error log for mta-sts.<domain>; the policy "
     "file should be served as a small static file.",
     "sts-policy-fetch-error"},
    {v1::POLICY_TLS_HANDSHAKE_FAILED, v1::SEVERITY_HIGH, "policy_fetch",
     "The TLS handshake with the policy host failed",
     "Senders fetch the policy only over HTTPS (RFC 8461 §3.3). The TLS "
     "handshake with mta-sts.<domain> failed, so no sender can fetch the "
     "policy.",
     "Serve HTTPS on mta-sts.<domain> with TLS 1.2 or 1.3, a modern cipher "
     "suite and a certificate for that name (check the server's SNI "
     "configuration).",
     "sts-policy-fetch-error"},
    {v1::POLICY_TLS_PROTOCOL_TOO_OLD, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host offers only TLS versions below 1.2",
     "The policy host negotiates nothing at TLS 1.2 or above. Current "
     "senders refuse such connections, so they cannot fetch the policy.",
     "Enable TLS 1.2 and TLS 1.3 on the web server that serves "
     "mta-sts.<domain>.",
     "sts-policy-fetch-error"},
    {v1::POLICY_CERT_EXPIRED, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host's certificate has expired",
     "RFC 8461 §3.3 requires a valid certificate for the policy host. "
     "Senders reject the expired certificate and cannot fetch the policy; "
     "once their cached copy expires they deliver without MTA-STS.",
     "Renew the certificate for mta-sts.<domain> and automate renewal (for "
     "example with an ACME client).",
     "sts-webpki-invalid"},
    {v1::POLICY_CERT_NOT_YET_VALID, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host's certificate is not valid yet",
     "The certificate's validity starts in the future, so senders reject "
     "it and cannot fetch the policy. Often a clock problem where the "
     "certificate was issued, or a certificate installed too early.",
     "Install a certificate that is valid now; check the clocks of the "
     "issuing and serving systems.",
     "sts-webpki-invalid"},
    {v1::POLICY_CERT_SELF_SIGNED, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host's certificate is self-signed",
     "RFC 8461 §3.3 requires a certificate that chains to a root senders "
     "trust. A self-signed certificate is trusted by no sender, so none "
     "can fetch the policy.",
     "Install a certificate from a publicly trusted CA (for example Let's "
     "Encrypt) for mta-sts.<domain>.",
     "sts-webpki-invalid"},
    {v1::POLICY_CERT_UNKNOWN_ISSUER, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host's certificate is not from a trusted CA",
     "The certificate does not chain to a root in the trust store, so "
     "senders reject it and cannot fetch the policy (RFC 8461 §3.3).",
     "Install a certificate from a publicly trusted CA for "
     "mta-sts.<domain>, with its full intermediate chain.",
     "sts-webpki-invalid"},
    {v1::POLICY_CERT_INCOMPLETE_CHAIN, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host does not send its intermediate certificate",
     "The server sends its certificate without the intermediate CA "
     "certificate that links it to a trusted root. Browsers often repair "
     "this; mail senders do not, and reject the certificate.",
     "Configure the web server with the full chain (the certificate "
     "followed by its intermediates, e.g. fullchain.pem).",
     "sts-webpki-invalid"},
    {v1::POLICY_CERT_NAME_MISMATCH, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host's certificate does not cover mta-sts.<domain>",
     "Senders check that the certificate names the policy host (RFC 8461 "
     "§3.3, RFC 6125). This certificate is for other names, so they reject "
     "it and cannot fetch the policy. A common cause is a web server "
     "without an SNI site for mta-sts.<domain> answering with its default "
     "certificate.",
     "Issue a certificate whose subjectAltName includes mta-sts.<domain> "
     "(or *.<domain>) and serve it for that name.",
     "sts-webpki-invalid"},
    {v1::POLICY_CERT_INVALID, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host's certificate failed validation",
     "The certificate failed validation for a reason other than dates, "
     "issuer or name (the detail names it), so senders cannot fetch the "
     "policy.",
     "Replace the certificate for mta-sts.<domain> with a standard one "
     "from a publicly trusted CA.",
     "sts-webpki-invalid"},
    {v1::POLICY_CERT_EXPIRING_SOON, v1::SEVERITY_MEDIUM, "policy_fetch",
     "The policy host's certificate expires soon",
     "The certificate is valid today but expires within 14 days. When it "
     "expires senders can no longer fetch the policy.",
     "Renew the certificate now and check that automatic renewal works.",
     ""},
    {v1::POLICY_HTTP_REDIRECT, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy URL redirects; senders do not follow redirects",
     "RFC 8461 §3.3: senders must not follow HTTP redirects when fetching "
     "the policy. The policy URL answered with a redirect, so senders get "
     "no policy.",
     "Serve the policy file directly at "
     "https://mta-sts.<domain>/.well-known/mta-sts.txt with status 200 "
     "(exempt that path from any HTTPS or www redirect).",
     "sts-policy-fetch-error"},
    {v1::POLICY_HTTP_NOT_FOUND, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy URL answers 404 Not Found",
     "There is no file at /.well-known/mta-sts.txt on mta-sts.<domain>, so "
     "senders find no policy.",
     "Publish the policy file at /.well-known/mta-sts.txt on "
     "mta-sts.<domain> (see the suggested policy in this report).",
     "sts-policy-fetch-error"},
    {v1::POLICY_HTTP_STATUS, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy URL answers with an error status",
     "RFC 8461 §3.3: only a 200 response carries a policy. Any other "
     "status means senders find no policy.",
     "Make the web server answer 200 with the policy file at "
     "/.well-known/mta-sts.txt.",
     "sts-policy-fetch-error"},
    {v1::POLICY_HTTP_BOT_PROTECTION, v1::SEVERITY_HIGH, "policy_fetch",
     "Bot protection blocks the policy fetch",
     "The policy URL answered 403 with an HTML page. This is what a CDN's "
     "or firewall's browser check sends to clients it takes for bots, and "
     "mail servers fetching the policy are such clients: they get no "
     "policy.",
     "Exempt https://mta-sts.<domain>/.well-known/mta-sts.txt from bot "
     "protection, browser challenges and rate limiting at the CDN or "
     "firewall.",
     "sts-policy-fetch-error"},
    {v1::POLICY_HTTP_MALFORMED, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy host's response is not valid HTTP",
     "The response could not be read as an HTTP/1.x response (the detail "
     "says why), so senders get no policy.",
     "Check the web server or proxy in front of mta-sts.<domain>; serve "
     "the policy as a plain static file.",
     "sts-policy-fetch-error"},
    {v1::POLICY_HTTP_HEADERS_TOO_LARGE, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy response's headers are too large",
     "The response's header block is larger than the limit senders and "
     "this checker apply, so the response is rejected.",
     "Remove oversized headers (cookies, debugging headers) from responses "
     "for the policy URL.",
     "sts-policy-fetch-error"},
    {v1::POLICY_BODY_TOO_LARGE, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy file is too large",
     "The body is larger than 64 KiB. Senders stop reading there (RFC 8461 "
     "§3.3 allows them to), so they reject it; a real policy is a few "
     "hundred bytes.",
     "Serve only the policy (version, mode, mx and max_age lines) at the "
     "policy URL.",
     "sts-policy-fetch-error"},
    {v1::POLICY_CONTENT_TYPE_WRONG, v1::SEVERITY_HIGH, "policy_fetch",
     "The policy is not served as text/plain",
     "RFC 8461 §3.2 defines the policy as a text/plain resource, and "
     "strict senders (for example postfix-mta-sts-resolver) reject a "
     "policy served with another Content-Type, or none.",
     "Serve /.well-known/mta-sts.txt with `Content-Type: text/plain; "
     "charset=utf-8`.",
     "sts-policy-fetch-error"},
    {v1::POLICY_CONTENT_TYPE_CHARSET, v1::SEVERITY_LOW, "policy_fetch",
     "The policy is served with an unusual charset",
     "The Content-Type is text/plain with a charset other than utf-8 or "
     "us-ascii. The policy syntax is ASCII, so most senders cope, but some "
     "may reject it.",
     "Serve the policy with `Content-Type: text/plain; charset=utf-8`.",
     ""},
    {v1::POLICY_CONTENT_TYPE_NO_CHARSET, v1::SEVERITY_LOW, "policy_fetch",
     "The policy's Content-Type has no charset",
     "The policy is served as text/plain without a charset parameter. "
     "Senders accept it, but naming the charset removes any doubt.",
     "Serve the policy with `Content-Type: text/plain; charset=utf-8`.",
     ""},
    {v1::POLICY_ADDRESSES_INCONSISTENT, v1::SEVERITY_HIGH, "policy_fetch",
     "Some addresses of the policy host fail",
     "mta-sts.<domain> has several addresses and senders may use any of "
     "them. Some serve the policy, others fail (the detail lists them), so "
     "some senders get no policy and report a fetch error.",
     "Fix or remove the failing addresses (often a stale A or AAAA record, "
     "or IPv6 not configured on the web server).",
     "sts-policy-fetch-error"},
    {v1::POLICY_ADDRESSES_DIFFER, v1::SEVERITY_MEDIUM, "policy_fetch",
     "Addresses of the policy host serve different policies",
     "mta-sts.<domain> has several addresses and they serve different "
     "policy files, so senders see different policies depending on the "
     "address they reach.",
     "Deploy the same policy file on every server behind mta-sts.<domain>.",
     ""},
    {v1::POLICY_ADDRESSES_NOT_ALL_FETCHED, v1::SEVERITY_INFO, "policy_fetch",
     "Not every address of the policy host was tried",
     "mta-sts.<domain> has more addresses than this checker fetches from; "
     "the rest were not contacted.",
     "",
     ""},
    {v1::POLICY_WITHOUT_TXT, v1::SEVERITY_MEDIUM, "policy_fetch",
     "A policy is published, but senders will not fetch it",
     "Senders fetch the policy only after they find a valid v=STSv1 TXT "
     "record at _mta-sts.<domain> (RFC 8461 §3.1, §3.3). That record is "
     "missing or invalid, so the policy served here is never used.",
     "Publish the TXT record shown in this report's suggested TXT record.",
     ""},

    // --- mx_tls: STARTTLS on every MX address (RFC 8461 §4.2) ---
    {v1::MX_TLS_VALID, v1::SEVERITY_INFO, "mx_tls",
     "Every MX host passes MTA-STS TLS validation",
     "Every address of every MX host offers STARTTLS, negotiates TLS 1.2 or "
     "above and presents a certificate that chains to a trusted root, is "
     "within its validity dates and names the MX host: what senders verify "
     "under MTA-STS (RFC 8461 §4.2).",
     "", ""},
    {v1::MX_TLS_STARTTLS_MISSING, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host does not offer STARTTLS",
     "The host's EHLO reply does not advertise STARTTLS (RFC 3207), so mail "
     "to it cannot be encrypted. MTA-STS senders treat this as a failure: "
     "under mode enforce they do not deliver to the host.",
     "Enable STARTTLS on the mail server (Postfix: smtpd_tls_security_level = "
     "may with a certificate and key) and check that nothing in front of it "
     "(a firewall doing SMTP inspection) strips the STARTTLS line.",
     "starttls-not-supported"},
    {v1::MX_TLS_STARTTLS_REFUSED, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host advertises STARTTLS but refuses it",
     "The host lists STARTTLS in its EHLO reply but answers the STARTTLS "
     "command with an error (often 454 \"TLS not available\"), usually "
     "because its certificate or key cannot be loaded. Senders cannot "
     "encrypt the session.",
     "Check the mail server's log for TLS errors at startup and the paths "
     "and permissions of its certificate and key files.",
     "starttls-not-supported"},
    {v1::MX_TLS_GREETING_REJECTED, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host refuses SMTP sessions in its greeting",
     "The host greets with a 4xx or 5xx reply (such as 554 \"no service\") "
     "instead of 220, so no sender can deliver to it (RFC 5321 §3.1). A "
     "refusal aimed only at the checker's address (a blocklist) looks the "
     "same from here.",
     "Make the host greet with 220, or remove it from the MX records if it "
     "is not meant to receive mail.",
     ""},
    {v1::MX_TLS_EHLO_REJECTED, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host refuses EHLO",
     "The host answers EHLO with an error, so no SMTP extension, STARTTLS "
     "included, can be used (RFC 5321 §4.1.1.1).",
     "Allow EHLO on the mail server; check restrictions on the HELO/EHLO "
     "name that could refuse every client.",
     "starttls-not-supported"},
    {v1::MX_TLS_HANDSHAKE_FAILED, v1::SEVERITY_HIGH, "mx_tls",
     "The TLS handshake with an MX host fails",
     "The host accepts STARTTLS but the TLS handshake then fails (an alert, "
     "no common cipher or protocol, or data that is not TLS), so senders "
     "cannot encrypt the session.",
     "Check the TLS configuration of the mail server with `openssl s_client "
     "-starttls smtp -connect mx.example.com:25 -servername mx.example.com` "
     "and its log.",
     "validation-failure"},
    {v1::MX_TLS_PROTOCOL_TOO_OLD, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host offers only TLS versions below 1.2",
     "The host offers nothing at TLS 1.2 or above. RFC 8996 deprecates TLS "
     "1.0 and 1.1, and current senders refuse them.",
     "Enable TLS 1.2 and 1.3 on the mail server (Postfix: "
     "smtpd_tls_protocols = >=TLSv1.2).",
     "validation-failure"},
    {v1::MX_TLS_CERT_EXPIRED, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host's certificate has expired",
     "RFC 8461 §4.2 requires a certificate within its validity period. "
     "Senders enforcing MTA-STS reject this host.",
     "Renew the certificate, install it on the mail server and reload it; "
     "automate renewal.",
     "certificate-expired"},
    {v1::MX_TLS_CERT_NOT_YET_VALID, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host's certificate is not valid yet",
     "The certificate's validity starts in the future (or the server's "
     "clock is wrong), so senders reject it.",
     "Install a certificate that is valid now and check the server's clock.",
     "validation-failure"},
    {v1::MX_TLS_CERT_EXPIRING_SOON, v1::SEVERITY_MEDIUM, "mx_tls",
     "An MX host's certificate expires soon",
     "The certificate is valid today but expires within 14 days. When it "
     "expires, senders enforcing MTA-STS stop delivering to the host.",
     "Renew the certificate now and check that automatic renewal reaches "
     "the mail server (not only the web server).",
     ""},
    {v1::MX_TLS_CERT_SELF_SIGNED, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host's certificate is self-signed",
     "MTA-STS requires a certificate that chains to a root senders trust "
     "(RFC 8461 §4.2). A self-signed certificate is trusted by none.",
     "Install a certificate from a publicly trusted CA (for example Let's "
     "Encrypt) for the MX host name.",
     "certificate-not-trusted"},
    {v1::MX_TLS_CERT_UNKNOWN_ISSUER, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host's certificate chains to no trusted root",
     "The certificate was issued by a CA that senders do not trust (a "
     "private CA, or a root missing from public trust stores).",
     "Install a certificate from a publicly trusted CA.",
     "certificate-not-trusted"},
    {v1::MX_TLS_CERT_INCOMPLETE_CHAIN, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host leaves out an intermediate certificate",
     "The server sends its own certificate without the intermediate CA "
     "certificate that links it to a trusted root. Senders do not fetch "
     "missing intermediates, so they cannot validate the chain.",
     "Configure the full chain file (leaf followed by intermediates), e.g. "
     "Let's Encrypt's fullchain.pem, on the mail server.",
     "certificate-not-trusted"},
    {v1::MX_TLS_CERT_NAME_MISMATCH, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host's certificate does not name the MX host",
     "Senders check that a subjectAltName dNSName of the certificate covers "
     "the MX host name (RFC 8461 §4.2, RFC 6125; a wildcard covers exactly "
     "one label). This certificate names other hosts.",
     "Install a certificate whose subjectAltName includes the MX host name "
     "exactly as the MX record gives it.",
     "certificate-host-mismatch"},
    {v1::MX_TLS_CERT_INVALID, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host's certificate fails validation",
     "The certificate failed validation for a reason other than its dates, "
     "issuer or names (for example a bad signature, a weak key or a wrong "
     "key usage).",
     "Replace the certificate with one issued by a publicly trusted CA.",
     "validation-failure"},
    {v1::MX_TLS_CONNECT_FAILED, v1::SEVERITY_MEDIUM, "mx_tls",
     "An MX address does not accept connections on port 25",
     "Other MX addresses accepted connections from the checker, so this "
     "one is unreachable because of the domain: senders that pick it "
     "retry elsewhere or queue the mail.",
     "Make the host listen on port 25 on every address its A and AAAA "
     "records give, or remove the addresses that do not serve mail.",
     ""},
    {v1::MX_TLS_TIMEOUT, v1::SEVERITY_MEDIUM, "mx_tls",
     "An MX host stops answering during the SMTP exchange",
     "The host accepted the TCP connection but then did not send its "
     "greeting, EHLO reply, STARTTLS reply or TLS handshake in time.",
     "Check the mail server's load and any greeting delay or tarpitting "
     "applied to unknown clients.",
     ""},
    {v1::MX_TLS_PORT25_BLOCKED, v1::SEVERITY_INFO, "mx_tls",
     "Port 25 seems blocked from the checker",
     "No MX address accepted a TCP connection on port 25 from the checker. "
     "Many networks block outbound port 25, so this says nothing about the "
     "domain: the check is inconclusive and its points are left out of the "
     "score.",
     "Nothing to change on the domain. Run the checker from a network that "
     "allows outbound SMTP to verify the MX hosts.",
     ""},
    {v1::MX_TLS_ADDRESS_REFUSED, v1::SEVERITY_MEDIUM, "mx_tls",
     "An MX address is not a public address",
     "The MX host resolves to a private, loopback or otherwise non-public "
     "address, which senders on the internet cannot reach. The checker does "
     "not connect to such addresses.",
     "Publish only the public addresses of the mail server in its A and "
     "AAAA records.",
     ""},
    {v1::MX_TLS_HOST_NO_ADDRESS, v1::SEVERITY_MEDIUM, "mx_tls",
     "An MX host has no address",
     "The MX record names a host without A or AAAA records (or whose "
     "lookups fail), so senders cannot deliver to it.",
     "Publish the host's A/AAAA records or remove the MX record.",
     ""},
    {v1::MX_TLS_PROTOCOL_ERROR, v1::SEVERITY_MEDIUM, "mx_tls",
     "An MX host does not speak SMTP as expected",
     "The host's replies are not SMTP replies (RFC 5321 §4.2), are too "
     "long, or the connection closed in the middle of the exchange.",
     "Check that port 25 reaches the mail server itself, not another "
     "service or a broken proxy.",
     ""},
    // --- dnssec: answers validated from a trust anchor; DANE as information ---
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
     "example.com MX` and a validating resolver: the `ad` flag shows.",
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
     "while you fix the signing). Test with https://dnsviz.net/.",
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
     "Fix the signatures of the zone holding _25._tcp.<mx host> (see "
     "https://dnsviz.net/), or its DS record at the parent.",
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

const FindingInfo kUnknown = {
    v1::FINDING_CODE_UNSPECIFIED,
    v1::SEVERITY_UNSPECIFIED,
    "unknown",
    "Unknown finding",
    "This server has no description of this finding code.",
    "",
    ""};

// Headings of docs/findings.md, one per check name in the table.
struct CheckHeading {
  const char* check;
  const char* heading;
};
const CheckHeading kHeadings[] = {
    {"engine", "Engine: any check"},
    {"mx", "MX lookup: the domain as a whole"},
    {"txt", "txt: the _mta-sts TXT record (RFC 8461 §3.1)"},
    {"tls_rpt", "tls_rpt: the _smtp._tls TXT record (RFC 8460 §3)"},
    {"policy_content", "policy_content: the policy file (RFC 8461 §3.2)"},
    {"mx_match", "mx_match: MX hosts against the policy (RFC 8461 §4.1)"},
};

std::string HeadingFor(const char* check) {
  for (const CheckHeading& h : kHeadings) {
    if (absl::string_view(h.check) == check) return h.heading;
  }
  return check;
}

const char* SeverityWord(Severity severity) {
  switch (severity) {
    case v1::SEVERITY_INFO:
      return "info";
    case v1::SEVERITY_LOW:
      return "low";
    case v1::SEVERITY_MEDIUM:
      return "medium";
    case v1::SEVERITY_HIGH:
      return "high";
    case v1::SEVERITY_CRITICAL:
      return "critical";
    default:
      return "unspecified";
  }
}

// Ends `text` with a full stop unless it already ends a sentence.
std::string AsSentence(std::string text) {
  if (!text.empty()) {
    char last = text.back();
    if (last != '.' && last != '!' && last != '?' && last != ':') {
      text.push_back('.');
    }
  }
  return text;
}

}  // namespace

const std::vector<FindingInfo>& AllFindings() {
  static const auto* const kAll =
      new std::vector<FindingInfo>(std::begin(kTable), std::end(kTable));
  return *kAll;
}

const FindingInfo& InfoFor(FindingCode code) {
  static const auto* const kIndex = [] {
    auto* index = new absl::flat_hash_map<int, const FindingInfo*>();
    for (const FindingInfo& info : kTable) index->emplace(info.code, &info);
    return index;
  }();
  auto it = kIndex->find(code);
  return it == kIndex->end() ? kUnknown : *it->second;
}

v1::Finding MakeFinding(FindingCode code, std::string detail,
                        std::string subject) {
  return MakeFinding(code, InfoFor(code).severity, std::move(detail),
                     std::move(subject));
}

v1::Finding MakeFinding(FindingCode code, Severity severity, std::string detail,
                        std::string subject) {
  const FindingInfo& info = InfoFor(code);
  v1::Finding finding;
  finding.set_code(code);
  finding.set_severity(severity);
  finding.set_title(info.title);
  if (detail.empty()) {
    finding.set_detail(info.explanation);
  } else {
    finding.set_detail(
        absl::StrCat(AsSentence(std::move(detail)), " ", info.explanation));
  }
  finding.set_recommendation(info.recommendation);
  finding.set_tlsrpt_result_type(info.tlsrpt_result_type);
  finding.set_subject(std::move(subject));
  return finding;
}

std::string RenderFindingsMarkdown() {
  std::string out;
  absl::StrAppend(
      &out, "# Findings\n\n",
      "<!-- Generated from checks/findings_table.cc; do not edit. Regenerate "
      "with\n     bazel run //tools:gen_findings_doc > docs/findings.md "
      "-->\n\n",
      "Every finding in a report carries a stable code (the enum\n",
      "`mtasts.v1.FindingCode`; switch on it, not on the title), a "
      "severity, a\n",
      "one-line title, a plain-English explanation and a recommendation. "
      "In a report\n",
      "the finding's `detail` starts with what was observed for the domain "
      "and goes\n",
      "on with the explanation below. The severity listed is the default; "
      "a check\n",
      "may raise or lower it for one domain (an ignored record that was "
      "meant as\n",
      "the real one, say).\n\n",
      "Severities: **info** nothing to fix; **low** worth tidying up; "
      "**medium**\n",
      "weakens protection or reporting; **high** MTA-STS or TLS reporting "
      "does not\n",
      "work as published; **critical** compliant senders fail to deliver "
      "mail, or\n",
      "protection is void.\n\n",
      "The TLS-RPT result type is what a sending MTA puts in its RFC 8460 "
      "report\n",
      "for the same problem. A sender reports only TLS negotiations and "
      "policies\n",
      "it found but could not fetch or apply; a missing or invalid TXT "
      "record is\n",
      "\"no policy\" to it, and is not reported.\n\n");

  absl::StrAppend(&out, "| Code | Number | Check | Severity | Title |\n",
                  "|---|---|---|---|---|\n");
  for (const FindingInfo& info : AllFindings()) {
    absl::StrAppend(&out, "| [`", v1::FindingCode_Name(info.code), "`](#",
                    absl::AsciiStrToLower(v1::FindingCode_Name(info.code)),
                    ") | ", static_cast<int>(info.code), " | ", info.check,
                    " | ", SeverityWord(info.severity), " | ", info.title,
                    " |\n");
  }

  std::string current_check;
  for (const FindingInfo& info : AllFindings()) {
    if (current_check != info.check) {
      current_check = info.check;
      absl::StrAppend(&out, "\n## ", HeadingFor(info.check), "\n");
    }
    absl::StrAppend(
        &out, "\n### ", v1::FindingCode_Name(info.code), "\n\n", "`",
        v1::FindingCode_Name(info.code), "` = ", static_cast<int>(info.code),
        " · severity **", SeverityWord(info.severity),
        "** · TLS-RPT result type: ",
        *info.tlsrpt_result_type == '\0'
            ? std::string("none")
            : absl::StrCat("`", info.tlsrpt_result_type, "`"),
        "\n\n", "**", info.title, "**\n\n", info.explanation, "\n\n",
        "*What to do:* ",
        *info.recommendation == '\0' ? "nothing." : info.recommendation, "\n");
  }
  return out;
}

std::string QuoteForDetail(absl::string_view value, size_t max_chars) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size(); ++i) {
    if (i == max_chars) {
      out += "...";
      break;
    }
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    }
  }
  out.push_back('"');
  return out;
}

std::string QuoteListForDetail(const std::vector<absl::string_view>& values,
                               size_t max_items) {
  std::string out;
  for (size_t i = 0; i < values.size() && i < max_items; ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ", ", QuoteForDetail(values[i]));
  }
  if (values.size() > max_items) {
    absl::StrAppend(&out, " and ", values.size() - max_items, " more");
  }
  return out;
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 §4: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8SequenceLength(absl::string_view s, size_t i) {
  const auto byte = [&s](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return len;
}

namespace {

bool IsControl(unsigned char c) { return (c < 0x20 && c != '\t') || c == 0x7f; }

}  // namespace

std::string SanitizeForReport(absl::string_view text) {
  bool clean = true;
  for (size_t i = 0; i < text.size() && clean;) {
    const size_t len = Utf8SequenceLength(text, i);
    clean = len != 0 && !(len == 1 && IsControl(text[i]));
    i += len;
  }
  if (clean) return std::string(text);
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0 || (len == 1 && IsControl(text[i]))) {
      absl::StrAppend(
          &out, "\\x",
          absl::Hex(static_cast<unsigned char>(text[i]), absl::kZeroPad2));
      ++i;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
  }
  return out;
}

void FindingList::Add(FindingCode code, std::string detail) {
  findings_.push_back(MakeFinding(code, std::move(detail), subject_));
}

void FindingList::Add(FindingCode code, Severity severity, std::string detail) {
  findings_.push_back(MakeFinding(code, severity, std::move(detail), subject_));
}

Severity FindingList::Worst() const {
  Severity worst = v1::SEVERITY_UNSPECIFIED;
  for (const v1::Finding& f : findings_) worst = std::max(worst, f.severity());
  return worst;
}

bool FindingList::Has(FindingCode code) const {
  return std::any_of(findings_.begin(), findings_.end(),
                     [code](const v1::Finding& f) { return f.code() == code; });
}

std::vector<v1::Finding> FindingList::Take() && {
  std::stable_sort(findings_.begin(), findings_.end(),
                   [](const v1::Finding& a, const v1::Finding& b) {
                     return a.severity() > b.severity();
                   });
  return std::move(findings_);
}

const char* DnsOutcomeWords(net::DnsOutcome outcome) {
  switch (outcome) {
    case net::DnsOutcome::kServFail:
      return "SERVFAIL: a name server failed to answer (often a broken or "
             "unreachable authoritative server, or a DNSSEC validation "
             "failure)";
    case net::DnsOutcome::kRefused:
      return "REFUSED: the name server refused the query";
    case net::DnsOutcome::kTimeout:
      return "TIMEOUT: no name server answered in time";
    case net::DnsOutcome::kError:
      return "ERROR: the answer was malformed, or the CNAME chain looped or "
             "was too long";
    case net::DnsOutcome::kUnreachable:
      return "UNREACHABLE: the checker's own DNS resolver could not be contacted";
    default:
      return net::DnsOutcomeName(outcome);
  }
}

CheckVerdict InconclusiveLookupVerdict(const net::DnsResult& lookup, absl::string_view what) {
  CheckVerdict verdict;
  verdict.status = v1::CHECK_STATUS_INCONCLUSIVE;
  if (lookup.outcome == net::DnsOutcome::kUnreachable) {
    FindingList findings(lookup.name);
    findings.Add(v1::RESOLVER_UNREACHABLE,
                 absl::StrCat("The ", what, " could not be made: ", lookup.detail, "."));
    verdict.findings = std::move(findings).Take();
    verdict.summary = absl::StrCat("The ", what,
                                   " never reached a DNS server, so nothing is known; "
                                   "left out of the score.");
  } else {
    verdict.summary = absl::StrCat("The ", what, " was cancelled before it finished.");
  }
  return verdict;
}

}  // namespace mtasts::checks
