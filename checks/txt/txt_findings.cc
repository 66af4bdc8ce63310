#include "checks/txt/sts_record.h"

namespace mtasts::checks {
namespace {

const FindingInfo kRows[] = {
    {v1::TXT_VALID, v1::SEVERITY_INFO, "txt",
     "A valid v=STSv1 record is published",
     "Exactly one TXT record at _mta-sts.<domain> begins with v=STSv1 and "
     "follows the RFC 8461 §3.1 syntax, so senders go on to fetch the policy. "
     "They fetch it again only when the id changes.",
     "",
     ""},
    {v1::TXT_MISSING, v1::SEVERITY_MEDIUM, "txt", "No MTA-STS TXT record",
     "No TXT record at _mta-sts.<domain> begins with `v=STSv1;`, so senders "
     "conclude that the domain has no MTA-STS policy (RFC 8461 §3.1) and "
     "deliver over whatever TLS they can negotiate, or none: an attacker on "
     "the path can strip STARTTLS unnoticed.",
     "Publish the suggested policy at "
     "https://mta-sts.<domain>/.well-known/mta-sts.txt, then the suggested "
     "TXT record at _mta-sts.<domain>. Move to `mode: enforce` once TLS "
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
     "record or with a proper NXDOMAIN or empty answer (`dig +trace "
     "_mta-sts.<domain> TXT` follows the delegation). With DNSSEC, check the "
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
     "`v=STSv1;` (RFC 8461 §3.1), such as records of another version; they "
     "do no harm.",
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
     "before counting them (erratum 6285 notes the conflict). This checker "
     "applies that sentence, as strict senders do: the record does not "
     "count, and without another record the domain has no MTA-STS.",
     "Write the semicolon straight after the version: `v=STSv1; "
     "id=20240131T120000;`.",
     ""},
    {v1::TXT_NAME_TOO_LONG, v1::SEVERITY_MEDIUM, "txt",
     "The domain is too long to have an _mta-sts record",
     "_mta-sts.<domain> would be longer than the 253 octets a DNS name may "
     "have (RFC 1035 §2.3.4), so no TXT record can exist there. Senders look "
     "the policy up at that name (RFC 8461 §3.1) and cannot either, so no "
     "MTA-STS policy ever applies to this domain: it is absent, not broken, "
     "and mail to it is as exposed as with no record (hence medium, like a "
     "missing record). No DNS change on this name can fix it.",
     "MTA-STS cannot be deployed for a name this long. To protect mail to it, "
     "use DANE (RFC 7672), whose TLSA records sit under the MX host names "
     "(`_25._tcp.` and the host name), or receive mail at a shorter domain.",
     ""},
};
constexpr FindingTable kTable(
    "txt: the _mta-sts TXT record (RFC 8461 §3.1)", kRows);

}  // namespace

const FindingTable& TxtFindings() { return kTable; }

}  // namespace mtasts::checks
