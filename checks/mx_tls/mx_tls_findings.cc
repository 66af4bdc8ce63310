#include "checks/mx_tls/mx_tls_judge.h"

namespace mtasts::checks {
namespace {

const FindingInfo kRows[] = {
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
     "-starttls smtp -connect` with the MX host's name and port 25, and "
     "`-servername` with its name, "
     "and its log.",
     "validation-failure"},
    {v1::MX_TLS_PROTOCOL_TOO_OLD, v1::SEVERITY_HIGH, "mx_tls",
     "An MX host offers only TLS versions below 1.2",
     "The host offers nothing at TLS 1.2 or above. RFC 8996 deprecates TLS "
     "1.0 and 1.1, and current senders refuse them. The detail names the "
     "version the host does speak, learned from one extra handshake that "
     "offered only TLS 1.0 and 1.1.",
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
    {v1::MX_TLS_GREETING_SLOW, v1::SEVERITY_LOW, "mx_tls",
     "An MX host is slow to send its greeting",
     "The host's 220 greeting arrived, but only several seconds after the "
     "TCP connection (the measured time is in the detail); the probe went "
     "on and judged the host as usual. RFC 5321 §4.5.3.2.1 lets senders "
     "wait 5 minutes for the greeting and most do, but senders with "
     "shorter timeouts give up on the host and try another or queue the "
     "mail.",
     "If the delay is deliberate (a greeting pause or tarpit against "
     "spam), keep it short; otherwise check the mail server's load, its "
     "DNS lookups of connecting clients and any filter in front of it.",
     ""},
};
constexpr FindingTable kTable(
    "mx_tls: STARTTLS on every MX host (RFC 8461 §4.2)", kRows);

}  // namespace

const FindingTable& MxTlsFindings() { return kTable; }

}  // namespace mtasts::checks
