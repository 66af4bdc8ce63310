"""The e2e lab's scenario table: what each domain publishes, what a correct
service must report for it.

Every scenario is a zone <name>.mtasts-lab. served by nsd, its policy host
mta-sts.<name>.mtasts-lab on nginx, its MX hosts on Postfix. Fields left
out take the values of BASE: a signed zone, one MX host with a valid
certificate, a valid enforce policy, one valid TLS-RPT record.

Expectation fields:
  state     allowed MtaStsState suffixes, "|"-separated ("ENFORCED")
  checks    check -> allowed CheckStatus suffixes ("FAIL|WARN"); "!PASS" means
            anything but PASS; a check not listed must PASS
  codes     FindingCodes that must appear (in any check or domain finding)
  absent    FindingCodes that must not appear
  score     inclusive (low, high)
  known     a known service bug (reported, not yet fixed): the scenario is
            run and its failures printed as XFAIL without failing the suite;
            once it passes it fails as XPASS until the marker is removed
"""

TLD = "mtasts-lab"

# Addresses on the namespace's loopback. Policy hosts share one nginx (SNI);
# MX hosts share one Postfix with a listener per certificate kind.
NSD_ADDR = "10.53.0.1"
UNBOUND_ADDR = "10.53.0.2"
HTTPS_ADDR = "10.80.0.10"
MX_GOOD_ADDR = "10.25.0.10"      # certificate with every scenario's MX names
MX_EXPIRED_ADDR = "10.25.0.11"   # lab-CA certificate that expired in 2021
MX_PLAIN_ADDR = "10.25.0.12"     # no STARTTLS offered
LAB_ADDRS = [NSD_ADDR, UNBOUND_ADDR, HTTPS_ADDR, MX_GOOD_ADDR,
             MX_EXPIRED_ADDR, MX_PLAIN_ADDR]
ALLOW_TARGETS = "10.53.0.0/24,10.80.0.0/24,10.25.0.0/24"

ENFORCE = "version: STSv1\nmode: enforce\nmx: {mx}\nmax_age: 604800\n"

BASE = {
    # DNS
    "dnssec": "signed",        # signed | unsigned | bogus
    "txt": ["v=STSv1; id=2026a1;"],
    "txt_cname": False,        # _mta-sts is a CNAME to the record
    "tlsrpt": ["v=TLSRPTv1; rua=mailto:tlsrpt@{d}"],
    # (pref, host, address); address None: MX_GOOD_ADDR, but the certificate
    # there does not name the host.
    "mx": [(10, "mx.{d}", MX_GOOD_ADDR)],
    "null_mx": False,
    "dane": False,             # TLSA 3 1 1 for each MX host, matching
    # A TXT value given as a tuple is published as that many strings.
    "policy_host_addr": HTTPS_ADDR,          # None: no mta-sts record
    # HTTPS
    "policy": ENFORCE.format(mx="mx.{d}"),
    # ok | nocharset | chunked | 404 | redirect | html | oversized | slow
    "http": "ok",
    "cert": "good",  # good | expired | selfsigned | wrongname
    # Expectations
    "state": "ENFORCED",
    "checks": {},
    "codes": ["TXT_VALID", "POLICY_FETCH_OK", "POLICY_VALID",
              "MX_MATCH_ALL_COVERED", "MX_TLS_VALID", "TLSRPT_VALID",
              "DNSSEC_SECURE"],
    "absent": [],
    "score": (100, 100),
    "known": None,
}

# A CRITICAL finding (an MX host compliant senders refuse under enforce)
# caps the score at 59, however many points the rest earns.
CAPPED = (55, 59)

# Checks downstream of a failed policy fetch: anything but a pass.
NO_POLICY = {"policy_content": "!PASS", "mx_match": "!PASS"}


def broken_fetch(code, **extra):
  s = dict(state="BROKEN", codes=["TXT_VALID", code],
           checks=dict(NO_POLICY, policy_fetch="FAIL"), score=(42, 46))
  s.update(extra)
  return s


SCENARIOS = [
    dict(name="enforce-ok"),
    dict(name="testing",
         policy="version: STSv1\nmode: testing\nmx: mx.{d}\nmax_age: 86400\n",
         state="TESTING", checks={"policy_content": "WARN|PASS"},
         codes=["POLICY_TESTING_MODE", "POLICY_FETCH_OK"], score=(75, 90)),
    dict(name="mode-none", policy="version: STSv1\nmode: none\nmax_age: 86400\n",
         state="DISABLED",
         checks={"policy_content": "!PASS", "mx_match": "*"},
         codes=["POLICY_NONE_MODE"], score=(59, 63)),
    dict(name="no-txt", txt=None, state="ABSENT",
         checks={"txt": "FAIL", "policy_fetch": "*", "policy_content": "*",
                 "mx_match": "*", "dnssec": "*"},
         codes=["TXT_MISSING"], absent=["TXT_VALID"], score=(38, 42)),
    dict(name="two-txt", txt=["v=STSv1; id=2026a1;", "v=STSv1; id=2026b2;"],
         state="BROKEN",
         checks={"txt": "FAIL", "policy_fetch": "*", "policy_content": "*",
                 "mx_match": "*"},
         codes=["TXT_MULTIPLE_RECORDS"], absent=["TXT_VALID"], score=(38, 42)),
    dict(name="bad-id", txt=["v=STSv1; id=2026-a1!;"], state="BROKEN",
         checks={"txt": "FAIL", "policy_fetch": "*", "policy_content": "*",
                 "mx_match": "*"},
         codes=["TXT_ID_INVALID"], absent=["TXT_VALID"], score=(38, 42)),
    dict(name="txt-cname", txt_cname=True, checks={"txt": "PASS|WARN"},
         codes=["TXT_CNAME_FOLLOWED", "TXT_VALID", "POLICY_FETCH_OK"],
         score=(95, 100)),
    dict(name="txt-multistring", txt=[("v=STSv1; ", "id=2026a1;")],
         codes=["TXT_VALID"]),
    # RFC 8461 erratum 6253: CRLF and LF line endings are both valid.
    dict(name="policy-crlf",
         policy="version: STSv1\r\nmode: enforce\r\nmx: mx.{d}\r\n"
                "max_age: 604800\r\n"),
    dict(name="policy-chunked", http="chunked"),
    dict(name="policy-404", http="404",
         **broken_fetch("POLICY_HTTP_NOT_FOUND")),
    dict(name="policy-redirect", http="redirect",
         **broken_fetch("POLICY_HTTP_REDIRECT")),
    # A policy senders reject for its Content-Type protects nothing, so its
    # content must not earn points.
    dict(name="policy-html", http="html",
         **broken_fetch("POLICY_CONTENT_TYPE_WRONG")),
    dict(name="policy-no-charset", http="nocharset",
         checks={"policy_fetch": "WARN|PASS"},
         codes=["POLICY_CONTENT_TYPE_NO_CHARSET", "POLICY_VALID"], score=(90, 99)),
    dict(name="policy-oversized", http="oversized",
         **broken_fetch("POLICY_BODY_TOO_LARGE")),
    dict(name="policy-slow", http="slow",
         **broken_fetch("POLICY_FETCH_TIMEOUT")),
    dict(name="cert-expired", cert="expired",
         **broken_fetch("POLICY_CERT_EXPIRED")),
    dict(name="cert-selfsigned", cert="selfsigned",
         **broken_fetch("POLICY_CERT_SELF_SIGNED")),
    dict(name="cert-wrongname", cert="wrongname",
         **broken_fetch("POLICY_CERT_NAME_MISMATCH")),
    dict(name="policy-host-missing", policy_host_addr=None,
         **broken_fetch("POLICY_HOST_NOT_FOUND")),
    # The policy host is on loopback, which --allow_targets does not cover.
    dict(name="policy-loopback", policy_host_addr="127.0.0.1",
         **broken_fetch("POLICY_HOST_ADDRESS_REFUSED")),
    dict(name="policy-syntax",
         policy="version: STSv1\nmode enforce\nmx: mx.{d}\nmax_age: 604800\n",
         state="BROKEN", checks={"policy_content": "FAIL", "mx_match": "*"},
         codes=["POLICY_SYNTAX_ERROR", "POLICY_FETCH_OK"], score=(59, 63)),
    dict(name="max-age-too-large",
         policy="version: STSv1\nmode: enforce\nmx: mx.{d}\nmax_age: 31557601\n",
         state="BROKEN", checks={"policy_content": "FAIL", "mx_match": "*"},
         codes=["POLICY_MAX_AGE_TOO_LARGE"], score=(59, 63)),
    dict(name="enforce-no-mx",
         policy="version: STSv1\nmode: enforce\nmax_age: 604800\n",
         state="BROKEN", checks={"policy_content": "FAIL", "mx_match": "!PASS"},
         codes=["POLICY_MX_MISSING"], score=(57, 59)),
    dict(name="mx-uncovered", policy=ENFORCE.format(mx="other.{d}"),
         state="ENFORCED|BROKEN", checks={"mx_match": "FAIL"},
         codes=["MX_MATCH_HOST_UNMATCHED", "MX_MATCH_STALE_PATTERN"],
         absent=["MX_MATCH_ALL_COVERED"], score=CAPPED),
    dict(name="wildcard-one-label", policy=ENFORCE.format(mx="*.mail.{d}"),
         mx=[(10, "a.mail.{d}", MX_GOOD_ADDR)]),
    dict(name="wildcard-two-labels", policy=ENFORCE.format(mx="*.mail.{d}"),
         mx=[(10, "a.b.mail.{d}", MX_GOOD_ADDR)],
         state="ENFORCED|BROKEN", checks={"mx_match": "FAIL"},
         codes=["MX_MATCH_HOST_UNMATCHED"], absent=["MX_MATCH_ALL_COVERED"],
         score=CAPPED),
    dict(name="wildcard-base", policy=ENFORCE.format(mx="*.mail.{d}"),
         mx=[(10, "mail.{d}", MX_GOOD_ADDR)],
         state="ENFORCED|BROKEN", checks={"mx_match": "FAIL"},
         codes=["MX_MATCH_HOST_UNMATCHED"], absent=["MX_MATCH_ALL_COVERED"],
         score=CAPPED),
    dict(name="tlsrpt-https", tlsrpt=["v=TLSRPTv1; rua=https://tlsrpt.{d}/r"],
         codes=["TLSRPT_VALID"]),
    dict(name="tlsrpt-missing", tlsrpt=None, checks={"tls_rpt": "FAIL"},
         codes=["TLSRPT_MISSING"], score=(88, 92)),
    dict(name="tlsrpt-no-scheme", tlsrpt=["v=TLSRPTv1; rua=tlsrpt@{d}"],
         checks={"tls_rpt": "FAIL"}, codes=["TLSRPT_RUA_NO_SCHEME"],
         score=(88, 92)),
    dict(name="tlsrpt-duplicated",
         tlsrpt=["v=TLSRPTv1; rua=mailto:a@{d}", "v=TLSRPTv1; rua=mailto:b@{d}"],
         checks={"tls_rpt": "FAIL"}, codes=["TLSRPT_MULTIPLE_RECORDS"],
         score=(88, 92)),
    dict(name="dnssec-unsigned", dnssec="unsigned", checks={"dnssec": "FAIL|WARN"},
         codes=["DNSSEC_INSECURE", "TXT_VALID", "MX_TLS_VALID"],
         absent=["DNSSEC_SECURE"], score=(93, 97)),
    # DS in the TLD matches no DNSKEY: the validating resolver answers
    # SERVFAIL for every name in the zone, so nothing can be checked.
    dict(name="dnssec-bogus", dnssec="bogus",
         state="BROKEN|UNDETERMINED",
         checks={"dnssec": "FAIL", "txt": "!PASS", "policy_fetch": "*",
                 "policy_content": "*", "mx_match": "*", "mx_tls": "*",
                 "tls_rpt": "!PASS"},
         codes=["DNSSEC_BOGUS", "TXT_LOOKUP_FAILED"], absent=["TXT_VALID"],
         score=(0, 10)),
    dict(name="mx-cert-expired", mx=[(10, "mx.{d}", MX_EXPIRED_ADDR)],
         checks={"mx_tls": "FAIL"}, codes=["MX_TLS_CERT_EXPIRED"],
         absent=["MX_TLS_VALID"], score=CAPPED),
    dict(name="mx-no-starttls", mx=[(10, "mx.{d}", MX_PLAIN_ADDR)],
         checks={"mx_tls": "FAIL"}, codes=["MX_TLS_STARTTLS_MISSING"],
         absent=["MX_TLS_VALID"], score=CAPPED),
    # mx2 shares mx's address, but the certificate there does not name it.
    dict(name="mx-cert-wrongname",
         policy="version: STSv1\nmode: enforce\nmx: mx.{d}\nmx: mx2.{d}\n"
                "max_age: 604800\n",
         mx=[(10, "mx.{d}", MX_GOOD_ADDR), (20, "mx2.{d}", None)],
         checks={"mx_tls": "FAIL|WARN"}, codes=["MX_TLS_CERT_NAME_MISMATCH"],
         score=CAPPED),
    # The second MX host's certificate expired: half the hosts validate.
    dict(name="mx-one-of-two-expired",
         policy="version: STSv1\nmode: enforce\nmx: mx.{d}\nmx: mx2.{d}\n"
                "max_age: 604800\n",
         mx=[(10, "mx.{d}", MX_GOOD_ADDR), (20, "mx2.{d}", MX_EXPIRED_ADDR)],
         checks={"mx_tls": "FAIL|WARN"},
         codes=["MX_TLS_CERT_EXPIRED"], absent=["MX_TLS_VALID"], score=CAPPED),
    dict(name="dane-match", dane=True,
         codes=BASE["codes"] + ["DANE_USABLE", "DANE_MATCHES"]),
    dict(name="null-mx", null_mx=True, mx=[],
         policy="version: STSv1\nmode: none\nmax_age: 86400\n", state="DISABLED",
         checks={"policy_content": "*", "mx_match": "*", "mx_tls": "*",
                 "dnssec": "*"},
         codes=["MX_NULL"], absent=["MX_TLS_VALID"], score=(54, 58)),
    dict(name="idn", domain="bücher-idn", codes=BASE["codes"]),
]


def scenario(entry):
  """BASE overlaid with one table entry; {d} filled with the A-label domain."""
  s = dict(BASE)
  s.update(entry)
  label = s.get("domain", s["name"])
  s["unicode"] = f"{label}.{TLD}"
  s["d"] = s["unicode"].encode("idna").decode("ascii")
  fill = lambda v: v.format(d=s["d"]) if isinstance(v, str) else v
  for key in ("txt", "tlsrpt"):
    if s[key] is not None:
      s[key] = [tuple(map(fill, v)) if isinstance(v, tuple) else fill(v)
                for v in s[key]]
  s["policy"] = fill(s["policy"])
  s["mx"] = [(p, fill(h), a) for p, h, a in s["mx"]]
  return s


def all_scenarios():
  return [scenario(e) for e in SCENARIOS]
