#include "checks/common/policy.h"

namespace mtasts::checks {
namespace {

const FindingInfo kRows[] = {
    // Defects that make senders reject the policy carry sts-policy-invalid
    // (RFC 8460 §4.3.2.1): a sender that fetched the policy and could not use
    // it reports that.
    {v1::POLICY_VALID, v1::SEVERITY_INFO, "policy_content",
     "The policy file is valid",
     "The policy follows the RFC 8461 §3.2 syntax: `version: STSv1`, a mode, "
     "a max_age and (unless the mode is none) mx patterns, so senders accept "
     "it and cache it for max_age seconds.",
     "",
     ""},
    {v1::POLICY_EMPTY, v1::SEVERITY_HIGH, "policy_content",
     "The policy file is empty",
     "The policy URL returned an empty body (or only whitespace). Senders "
     "find no version, mode or max_age in it, reject it as invalid and, "
     "unless they cached an earlier valid policy, deliver without MTA-STS.",
     "Serve the policy text at "
     "https://mta-sts.<domain>/.well-known/mta-sts.txt, one field per line: "
     "`version`, `mode`, one `mx` line per MX host and `max_age` (the "
     "suggested policy in this report is such a file).",
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
     "/.well-known/mta-sts.txt on mta-sts.<domain> (Content-Type "
     "text/plain), and exempt that path from redirects, rewrites and bot "
     "protection. Check with `curl -s "
     "https://mta-sts.<domain>/.well-known/mta-sts.txt`.",
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
     "Add one `mx` line per mail host named by your MX records (the "
     "suggested policy in this report lists them), or one `mx: *.<domain>` "
     "covering the hosts one label below <domain>.",
     "sts-policy-invalid"},
    {v1::POLICY_MX_INVALID, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern is not a host name",
     "Each mx value must be a host name, optionally with `*.` as its whole "
     "first label (RFC 8461 §3.2: [\"*.\"] Domain): letters, digits and "
     "hyphens in dot-separated labels of 1 to 63 characters. A value that "
     "is not (empty, underscores, spaces, several names on one line, a URL) "
     "makes the policy invalid for senders that follow the syntax and "
     "matches no MX host for the others.",
     "Write one host name per `mx` line, each MX host on a line of its own "
     "(the suggested policy in this report lists them).",
     "sts-policy-invalid"},
    {v1::POLICY_MX_ULABEL, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern is written in Unicode (U-label)",
     "mx values must be ASCII host names; internationalised names must be "
     "written as A-labels (`xn--...`, RFC 5890). MX records in DNS always "
     "hold A-labels, so a Unicode pattern matches no MX host, and senders "
     "that follow the syntax reject the policy.",
     "Convert the name to its A-label form (`idn2` turns the label `bücher` "
     "into `xn--bcher-kva`) and write that in the `mx` line.",
     "sts-policy-invalid"},
    {v1::POLICY_MX_IP_LITERAL, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern is an IP address",
     "Patterns are matched against the host names in MX records (RFC 8461 "
     "§4.1), and the MX host's certificate is checked against that name; an "
     "IP address matches no MX host name, so it protects nothing. An IPv6 "
     "or bracketed address is not even valid syntax and makes the policy "
     "invalid.",
     "List the host names your MX records point to (the suggested policy in "
     "this report lists them), not their addresses.",
     "sts-policy-invalid"},
    {v1::POLICY_MX_WILDCARD_INVALID, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern uses \"*\" other than as the whole first label",
     "RFC 8461 §3.2 and §4.1 allow a wildcard only as `*.` at the start of a "
     "pattern, standing for exactly one label: `*.<domain>` matches any host "
     "one label below <domain>. `mail.*.<domain>`, `*<domain>`, "
     "`*.*.<domain>` and a bare `*` are invalid: senders that follow the "
     "syntax reject the policy, the others match nothing with them.",
     "Use `*.` only at the start (`mx: *.<domain>`), or list each host "
     "name on its own `mx` line; a wildcard never covers the parent name "
     "(<domain> itself) nor two labels.",
     "sts-policy-invalid"},
    {v1::POLICY_MX_TRAILING_DOT, v1::SEVERITY_HIGH, "policy_content",
     "An mx pattern ends with a dot",
     "In zone files an MX target ends with a dot, but "
     "a policy's mx value must not (RFC 8461 §3.2: Domain has no trailing "
     "dot). Senders that follow the syntax reject the policy; some others "
     "compare the name with the dot and match nothing.",
     "Drop the final dot from the `mx` value named in the detail.",
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
};
constexpr FindingTable kTable(
    "policy_content: the policy file (RFC 8461 §3.2)", kRows);

}  // namespace

const FindingTable& PolicyFindings() { return kTable; }

}  // namespace mtasts::checks
