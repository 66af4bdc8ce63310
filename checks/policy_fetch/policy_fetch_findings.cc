#include "checks/policy_fetch/policy_fetch_findings.h"

namespace mtasts::checks {
namespace {

const FindingInfo kRows[] = {
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
     "The policy host did not deliver a complete response within the "
     "checker's fetch timeout (by default the one minute RFC 8461 §3.3 "
     "suggests to senders), or a phase of the fetch ran out of its own "
     "time (named in the detail). Senders that follow the RFC give up at "
     "that point too, and many give up much earlier.",
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
     "senders refuse such connections, so they cannot fetch the policy. The "
     "detail names the version the host does speak, learned from one extra "
     "handshake that offered only TLS 1.0 and 1.1.",
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
     "us-ascii, or with us-ascii while the body has non-ASCII bytes. A "
     "sender that decodes the body by the declared charset may read "
     "something other than the policy written, or reject it.",
     "Serve the policy with `Content-Type: text/plain; charset=utf-8`.",
     ""},
    {v1::POLICY_CONTENT_TYPE_NO_CHARSET, v1::SEVERITY_LOW, "policy_fetch",
     "The policy has non-ASCII bytes but its Content-Type has no charset",
     "text/plain without a charset parameter means US-ASCII (RFC 2046 "
     "§4.1.2), which is right for a policy made of ASCII, so a missing "
     "charset is reported only when the body has other bytes: senders may "
     "then decode them differently.",
     "Serve the policy with `Content-Type: text/plain; charset=utf-8`, or "
     "remove the non-ASCII characters (a policy needs none).",
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
    {v1::POLICY_FETCH_SLOW, v1::SEVERITY_LOW, "policy_fetch",
     "The policy host answers slowly",
     "The policy arrived and was judged as usual, but only after several "
     "seconds (the measured time is in the detail). RFC 8461 §3.3 suggests "
     "that senders wait a minute, and senders that do get the policy; "
     "senders with shorter timeouts (some use a few seconds) give up and "
     "deliver without it.",
     "Serve the policy file as a small static file from a server close to "
     "its visitors; check the web server's load and any CDN or proxy in "
     "front of mta-sts.<domain> that delays the answer.",
     ""},
};
constexpr FindingTable kTable(
    "policy_fetch: fetching the policy over HTTPS (RFC 8461 §3.3)", kRows);

}  // namespace

const FindingTable& PolicyFetchFindings() { return kTable; }

}  // namespace mtasts::checks
