#include "checks/tls_rpt/tlsrpt_record.h"

namespace mtasts::checks {
namespace {

const FindingInfo kRows[] = {
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
     "No TXT record at _smtp._tls.<domain> begins with `v=TLSRPTv1;`, so senders "
     "do not report TLS failures to the domain (RFC 8460 §3): certificate, "
     "STARTTLS or MTA-STS problems that make them defer or bounce mail go "
     "unnoticed.",
     "Publish `_smtp._tls.<domain>. 3600 IN TXT \"v=TLSRPTv1; "
     "rua=mailto:tlsrpt@<domain>\"`, with a mailbox (or an `https:` "
     "endpoint) that receives the reports.",
     ""},
    {v1::TLSRPT_LOOKUP_FAILED, v1::SEVERITY_HIGH, "tls_rpt",
     "The _smtp._tls TXT lookup failed",
     "The TXT query for _smtp._tls.<domain> returned SERVFAIL or REFUSED, or "
     "timed out. That is not the same as an absent record: reporters that "
     "get the same answer cannot learn where to send reports, so TLS "
     "failures go unreported.",
     "Make sure every authoritative name server answers the query (test "
     "with `dig +trace _smtp._tls.<domain> TXT`). With DNSSEC, "
     "check the signatures and the DS record at the registrar.",
     ""},
    {v1::TLSRPT_MULTIPLE_RECORDS, v1::SEVERITY_HIGH, "tls_rpt",
     "More than one v=TLSRPTv1 record",
     "RFC 8460 §3: when more than one TXT record at _smtp._tls.<domain> "
     "begins with v=TLSRPTv1, senders must assume that the domain does not "
     "implement TLS reporting, so no reports are sent.",
     "Merge them into one record; one rua field may list several "
     "destinations separated by commas: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@<domain>`.",
     ""},
    {v1::TLSRPT_IGNORED_RECORD, v1::SEVERITY_INFO, "tls_rpt",
     "A TXT record that is not a TLS-RPT record was ignored",
     "Reporters ignore TXT records at _smtp._tls.<domain> that do not begin "
     "with `v=TLSRPTv1;` (RFC 8460 §3), such as records of another version. "
     "That is harmless for unrelated records, "
     "but a record meant as the TLS-RPT record (with the version not first, "
     "or spaces around `=`) receives no reports.",
     "Nothing to do if the record is unrelated. If it was meant as your "
     "TLS-RPT record, begin it with exactly `v=TLSRPTv1;`, for example "
     "`v=TLSRPTv1; rua=mailto:tlsrpt@<domain>`.",
     ""},
    {v1::TLSRPT_VERSION_MISCASED, v1::SEVERITY_HIGH, "tls_rpt",
     "The version tag is not exactly \"v=TLSRPTv1\"",
     "The record looks like a TLS-RPT record, but its version is spelled with "
     "different letter case (such as `V=TLSRPTv1` or `v=tlsrptv1`). The "
     "version is case-sensitive (RFC 8460 §3: %s\"v=TLSRPTv1\"), so reporters "
     "ignore the record.",
     "Begin the record with exactly `v=TLSRPTv1;`, for example `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@<domain>`.",
     ""},
    {v1::TLSRPT_SYNTAX_ERROR, v1::SEVERITY_HIGH, "tls_rpt",
     "The v=TLSRPTv1 record does not follow the RFC 8460 syntax",
     "RFC 8460 §3 defines the record as `v=TLSRPTv1` followed by "
     "`;`-separated `name=value` fields in printable ASCII, each with a "
     "value, with no spaces around `=`. Reporters that follow the syntax "
     "ignore a record that does not, and send no reports.",
     "Publish the record in its plain form: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@<domain>` (fields separated by `;`, no spaces "
     "around `=`, printable ASCII only, no empty fields or values).",
     ""},
    {v1::TLSRPT_RUA_MISSING, v1::SEVERITY_HIGH, "tls_rpt",
     "The TLS-RPT record has no rua field",
     "The rua field, which says where reports go, is required (RFC 8460 §3). "
     "Without it reporters have nowhere to send reports.",
     "Add the destination: `v=TLSRPTv1; rua=mailto:tlsrpt@<domain>`. "
     "Field names are case-sensitive: write `rua`, not `RUA`.",
     ""},
    {v1::TLSRPT_RUA_NO_SCHEME, v1::SEVERITY_HIGH, "tls_rpt",
     "An rua destination has no URI scheme",
     "Each rua destination must be a URI with a scheme (RFC 8460 §3), such as "
     "`mailto:tlsrpt@<domain>`. A bare address such as "
     "`tlsrpt@<domain>` is not a URI: reporters skip it, and the reports "
     "meant for it are never sent.",
     "Prefix e-mail addresses with `mailto:`: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@<domain>`.",
     ""},
    {v1::TLSRPT_RUA_UNSUPPORTED_SCHEME, v1::SEVERITY_HIGH, "tls_rpt",
     "An rua destination uses a scheme other than mailto: or https:",
     "RFC 8460 §3 defines delivery of reports by e-mail (`mailto:`) and by "
     "HTTPS POST (`https:`) only. Reporters skip destinations with any other "
     "scheme, plain `http:` included.",
     "Use a `mailto:` address or an `https:` URL, for example "
     "`rua=https://` and your collector's URL instead of `http://...`.",
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
     "`rua=mailto:tlsrpt@<domain>`.",
     ""},
    {v1::TLSRPT_RUA_REPEATED, v1::SEVERITY_INFO, "tls_rpt",
     "rua appears more than once",
     "The record has more than one rua field. The RFC 8460 §3 syntax allows "
     "that, and this checker merges their destinations, but a reporter may "
     "use only one of the fields.",
     "List all destinations in one field, separated by commas: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@<domain>`.",
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
     "rua=mailto:tlsrpt@<domain>`.",
     ""},
    {v1::TLSRPT_RUA_DUPLICATE_URI, v1::SEVERITY_INFO, "tls_rpt",
     "The same rua destination is listed twice",
     "A destination appears more than once in rua; reporters may send two "
     "copies of every report to it.",
     "List each destination once: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@<domain>`.",
     ""},
    {v1::TLSRPT_VERSION_SPACE_BEFORE_SEMICOLON, v1::SEVERITY_MEDIUM, "tls_rpt",
     "Whitespace between v=TLSRPTv1 and the first \";\"",
     "The RFC 8460 §3 syntax allows spaces before `;`, but the same section "
     "tells reporters to discard records that do not begin with "
     "`v=TLSRPTv1;` before counting them. This checker applies that "
     "sentence, as strict reporters do: the record does not count, and "
     "without another record no reports are sent.",
     "Write the semicolon straight after the version: `v=TLSRPTv1; "
     "rua=mailto:tlsrpt@<domain>`.",
     ""},
    {v1::TLSRPT_NAME_TOO_LONG, v1::SEVERITY_MEDIUM, "tls_rpt",
     "The domain is too long to have an _smtp._tls record",
     "_smtp._tls.<domain> would be longer than the 253 octets a DNS name may "
     "have (RFC 1035 §2.3.4), so no TXT record can exist there and reporters, "
     "who look it up at that name (RFC 8460 §3), never learn where to send "
     "reports. The effect is that of a missing record (hence medium), but no "
     "DNS change on this name can fix it.",
     "TLS-RPT cannot be deployed for a name this long. Watch delivery "
     "failures another way, or receive mail at a shorter domain.",
     ""},
    {v1::TLSRPT_RUA_NOT_PUBLIC, v1::SEVERITY_LOW, "tls_rpt",
     "An rua destination cannot work from the public internet",
     "The destination is a valid URI, but reporters on the public internet "
     "cannot use it as written: a single-label host or mail domain (such as "
     "`localhost` or `reports`) resolves only inside one network, an "
     "`https:` URI with an IP address needs a certificate issued for that "
     "address, and mail to an address literal (`user@[192.0.2.1]`) is "
     "refused by most mail systems. Reports sent there are likely lost.",
     "Name a mailbox or web server by a fully qualified host name that "
     "resolves on the public internet, such as one under the domain itself.",
     ""},
    {v1::TLSRPT_RUA_REACHABLE, v1::SEVERITY_INFO, "tls_rpt",
     "An rua destination can receive reports",
     "Checked from this server: the `mailto:` address's domain has a mail "
     "server with an address (an MX host, or the domain itself when it has "
     "no MX), or the `https:` URL's host resolves to a public address, "
     "completes TLS with a valid certificate for the host and answers HTTP. "
     "Any status below 500 counts, since reporters POST reports (RFC 8460 "
     "§3) and the checker only sends a GET, never a fake report: 405 is the "
     "usual answer. The mailbox itself is not tested.",
     "Nothing to do.",
     ""},
    {v1::TLSRPT_RUA_MAILTO_NO_MAIL, v1::SEVERITY_MEDIUM, "tls_rpt",
     "A mailto: rua destination's domain accepts no mail",
     "The domain's own DNS says no mail can be delivered to the address: it "
     "publishes a null MX (`0 .`, RFC 7505), does not exist (NXDOMAIN), has "
     "no MX and no address, or its MX hosts have no address. Every reporter "
     "gets the same answer, so the reports sent there are lost (medium, as "
     "for a missing record; the check fails when no destination works).",
     "Send reports to a domain that receives mail, or publish MX records "
     "for this one: `rua=mailto:tlsrpt@<domain>` with a mailbox that "
     "exists.",
     ""},
    {v1::TLSRPT_RUA_HTTPS_BROKEN, v1::SEVERITY_MEDIUM, "tls_rpt",
     "An https: rua destination cannot work for any reporter",
     "The URL's host does not resolve (NXDOMAIN or no address), resolves "
     "only to addresses that are not public (private, loopback, "
     "documentation ranges), or serves a certificate that does not validate "
     "for the host (expired, self-signed, unknown issuer, wrong name). "
     "Reporters validate the certificate as any HTTPS client does, so their "
     "POST fails there too and the reports are lost.",
     "Publish an address for the host and serve a certificate from a public "
     "CA that names it (test with `curl -v <url>`), or point rua at a "
     "working collector.",
     ""},
    {v1::TLSRPT_RUA_UNREACHABLE, v1::SEVERITY_INFO, "tls_rpt",
     "An rua destination did not work from this server",
     "The destination failed in a way that may belong to this checker's "
     "network or a passing outage: the connection was refused or timed out, "
     "the TLS handshake failed, the server answered HTTP 5xx, or the "
     "domain's name servers answered SERVFAIL or not at all. Information "
     "only: it does not change the score.",
     "Check that the collector accepts connections from the internet, or "
     "that the mail domain's name servers answer; ignore it if it works from "
     "elsewhere.",
     ""},
    {v1::TLSRPT_RUA_CHECK_INCONCLUSIVE, v1::SEVERITY_INFO, "tls_rpt",
     "An rua destination was not checked",
     "This server could not tell whether the destination works: its own "
     "resolver was overloaded or unreachable, the report's deadline came "
     "first, the destination names an address literal, or the record lists "
     "more destinations than are checked (the first 5). Nothing is known "
     "about the destination; it does not change the score.",
     "Nothing to do; check again later for an answer.",
     ""},
};
constexpr FindingTable kTable(
    "tls_rpt: the _smtp._tls TXT record and its rua destinations (RFC 8460 §3)",
    kRows);

}  // namespace

const FindingTable& TlsRptFindings() { return kTable; }

}  // namespace mtasts::checks
