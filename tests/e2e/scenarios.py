"""The e2e lab's scenario table: what each domain publishes, what a correct
service must report for it.

Every scenario is a zone <name>.mtasts-lab. served by nsd, its policy host
mta-sts.<name>.mtasts-lab on nginx, its MX hosts on Postfix. Fields left
out take the values of BASE: a signed zone, one MX host with a valid
certificate, a valid enforce policy, one valid TLS-RPT record.

Expectation fields (each states exactly what the scoring rules and the RFCs
give; no wildcards, so a report that changes in any of them fails):
  state     allowed MtaStsState suffixes, "|"-separated ("ENFORCED")
  checks    check -> its CheckStatus suffix ("FAIL"); a check not listed must
            PASS. Every check in CHECKS must be in the report exactly once,
            and no other.
  codes     FindingCodes that must appear (in any check or domain finding)
  absent    FindingCodes that must not appear
  score     the exact score
  known     a known service bug (reported, not yet fixed): the scenario is
            run and its failures printed as XFAIL without failing the suite;
            once it passes it fails as XPASS until the marker is removed

Scores follow the scoring rules (README "Scoring", checks/scoring/): the
weights are txt 15, policy_fetch 15, policy_content 35, mx_match 10, mx_tls
10, tls_rpt 10, dnssec 5; a check earns its share of its weight; SKIPPED
(and INCONCLUSIVE, NOT_RUN) checks leave the denominator; the score is
100 * earned / possible rounded half up; a policy no valid TXT record
announces, or one not served as text/plain, earns no policy_content or
mx_match points (a PASS there becomes WARN); a CRITICAL finding caps the
score at 59. Each scenario's comment shows its sum.
"""

TLD = "mtasts-lab"

# Addresses on the namespace's loopback. Policy hosts share one nginx (SNI);
# MX hosts share one Postfix with a listener per certificate kind.
NSD_ADDR = "10.53.0.1"
UNBOUND_ADDR = "10.53.0.2"
HTTPS_ADDR = "10.80.0.10"
HTTPS_OLD_TLS_ADDR = "10.80.0.11"  # nginx with TLS 1.0 and 1.1 only
MX_GOOD_ADDR = "10.25.0.10"      # certificate with every scenario's MX names
MX_EXPIRED_ADDR = "10.25.0.11"   # lab-CA certificate that expired in 2021
MX_PLAIN_ADDR = "10.25.0.12"     # no STARTTLS offered
MX_OLD_TLS_ADDR = "10.25.0.13"   # the good certificate, TLS 1.0 and 1.1 only
MX_ADDRS = [MX_GOOD_ADDR, MX_EXPIRED_ADDR, MX_PLAIN_ADDR, MX_OLD_TLS_ADDR]
LAB_ADDRS = [NSD_ADDR, UNBOUND_ADDR, HTTPS_ADDR, HTTPS_OLD_TLS_ADDR] + MX_ADDRS
ALLOW_TARGETS = "10.53.0.0/24,10.80.0.0/24,10.25.0.0/24"
# The lab server's policy fetch limits (--policy_fetch_slow_after,
# --policy_fetch_timeout) and the delays of the slow policy hosts around
# them: seconds, so the lab stays quick, with margins wide enough that a
# prompt host on a loaded machine (the fleet pass checks every scenario at
# once; fetches of over 1 s were seen there) is never taken for a slow one.
SLOW_FETCH_AFTER_S = 4
SLOW_FETCH_TIMEOUT_S = 10
SLOW_POLICY_DELAY_S = 6
TOO_SLOW_POLICY_DELAY_S = 20

ENFORCE = "version: STSv1\nmode: enforce\nmx: {mx}\nmax_age: 604800\n"

BASE = {
    # DNS
    "dnssec": "signed",        # signed | unsigned | bogus
    "txt": ["v=STSv1; id=2026a1;"],
    "txt_cname": False,        # _mta-sts is a CNAME to the record
    "tlsrpt": ["v=TLSRPTv1; rua=mailto:tlsrpt@{d}"],
    # An https: rua collector at tlsrpt.{d} on nginx (answering 405 to the
    # checker's GET): None (no such host) | good | selfsigned.
    "tlsrpt_host": None,
    # More zone lines, relative to {d} ("nomail IN MX 0 .").
    "extra_records": [],
    # (pref, host, address); address None: MX_GOOD_ADDR, but the certificate
    # there does not name the host.
    "mx": [(10, "mx.{d}", MX_GOOD_ADDR)],
    "null_mx": False,
    "mx_cname": False,         # each MX host is a CNAME to target-<host>
    "dane": False,             # TLSA 3 1 1 for each MX host, matching
    # A TXT value given as a tuple is published as that many strings.
    "policy_host_addr": HTTPS_ADDR,          # None: no mta-sts record
    # HTTPS
    "policy": ENFORCE.format(mx="mx.{d}"),
    # ok | nocharset | chunked | 404 | redirect | html | oversized | slow |
    # tooslow
    "http": "ok",
    "cert": "good",  # good | expired | selfsigned | wrongname
    # Expectations
    "state": "ENFORCED",
    "checks": {},
    "codes": ["TXT_VALID", "POLICY_FETCH_OK", "POLICY_VALID",
              "MX_MATCH_ALL_COVERED", "MX_TLS_VALID", "TLSRPT_VALID",
              "DNSSEC_SECURE"],
    "absent": [],
    # Finding code -> text its detail must contain (the exact cause named).
    "details": {},
    "score": 100,
    "known": None,
}

# The checks of every report, in report order.
CHECKS = ("txt", "policy_fetch", "policy_content", "mx_match", "mx_tls",
          "tls_rpt", "dnssec")
STATUSES = ("PASS", "WARN", "FAIL", "INCONCLUSIVE", "SKIPPED", "NOT_RUN")
STATES = ("ENFORCED", "TESTING", "DISABLED", "ABSENT", "BROKEN",
          "UNDETERMINED")

# A CRITICAL finding (an MX host compliant senders refuse under enforce)
# caps the score at 59, however many points the rest earns.
CAPPED = 59

# No policy was fetched: policy_content has none to judge (FAIL, 0 of 35) and
# mx_match nothing to match against (SKIPPED: senders match only against a
# valid policy, RFC 8461 §4.1).
NO_POLICY = {"policy_content": "FAIL", "mx_match": "SKIPPED"}

# A policy no valid TXT record announces is never fetched by senders (RFC
# 8461 §3.3): it is fetched and valid, but its content and MX coverage earn
# nothing. txt 0 + fetch 15 + 0 + 0 + mx_tls 10 + tls_rpt 10 + dnssec 5 = 40.
NOT_ANNOUNCED = {"txt": "FAIL", "policy_content": "WARN", "mx_match": "WARN"}


def broken_fetch(code, **extra):
  # txt 15 + mx_tls 10 + tls_rpt 10 + dnssec 5 = 40 of 90 (mx_match
  # skipped) = 44.4 -> 44.
  s = dict(state="BROKEN", codes=["TXT_VALID", code, "POLICY_UNAVAILABLE"],
           absent=["POLICY_FETCH_OK", "POLICY_VALID"],
           checks=dict(NO_POLICY, policy_fetch="FAIL"), score=44)
  s.update(extra)
  return s


SCENARIOS = [
    dict(name="enforce-ok"),
    # Testing mode earns 15 of policy_content's 35 and is a WARN (senders
    # still deliver without TLS, RFC 8461 §5): 100 - 20 = 80.
    dict(name="testing",
         policy="version: STSv1\nmode: testing\nmx: mx.{d}\nmax_age: 86400\n",
         state="TESTING", checks={"policy_content": "WARN"},
         codes=["POLICY_TESTING_MODE", "POLICY_VALID", "POLICY_FETCH_OK",
                "MX_MATCH_ALL_COVERED"], score=80),
    # Mode none earns no policy_content points; without mx lines mx_match is
    # skipped: 15 + 15 + 0 + 10 + 10 + 5 = 55 of 90 = 61.1 -> 61.
    dict(name="mode-none", policy="version: STSv1\nmode: none\nmax_age: 86400\n",
         state="DISABLED",
         checks={"policy_content": "WARN", "mx_match": "SKIPPED"},
         codes=["POLICY_NONE_MODE", "POLICY_VALID", "MX_MATCH_NO_PATTERNS"],
         score=61),
    dict(name="no-txt", txt=None, state="ABSENT", checks=NOT_ANNOUNCED,
         codes=["TXT_MISSING", "POLICY_WITHOUT_TXT", "POLICY_FETCH_OK"],
         absent=["TXT_VALID"], score=40),
    # RFC 8461 §3.1: not exactly one v=STSv1 record means no policy.
    dict(name="two-txt", txt=["v=STSv1; id=2026a1;", "v=STSv1; id=2026b2;"],
         state="BROKEN", checks=NOT_ANNOUNCED,
         codes=["TXT_MULTIPLE_RECORDS", "POLICY_WITHOUT_TXT"],
         absent=["TXT_VALID"], score=40),
    # RFC 8461 §3.1: id is 1*32(ALPHA / DIGIT); an invalid record is none.
    dict(name="bad-id", txt=["v=STSv1; id=2026-a1!;"], state="BROKEN",
         checks=NOT_ANNOUNCED,
         codes=["TXT_ID_INVALID", "POLICY_WITHOUT_TXT"], absent=["TXT_VALID"],
         score=40),
    # A CNAME at _mta-sts is how RFC 8461 §8.2 delegates the record: not a
    # defect, so the record passes in full.
    dict(name="txt-cname", txt_cname=True,
         codes=BASE["codes"] + ["TXT_CNAME_FOLLOWED"]),
    # An MX naming an alias: reported per host; the certificate is still
    # matched against the MX record's name, which it lists, so TLS passes.
    dict(name="mx-cname", mx_cname=True,
         codes=BASE["codes"] + ["MX_TARGET_IS_CNAME"]),
    dict(name="txt-multistring", txt=[("v=STSv1; ", "id=2026a1;")],
         codes=BASE["codes"]),
    # RFC 8461 erratum 6253: CRLF and LF line endings are both valid.
    dict(name="policy-crlf",
         policy="version: STSv1\r\nmode: enforce\r\nmx: mx.{d}\r\n"
                "max_age: 604800\r\n"),
    dict(name="policy-chunked", http="chunked"),
    dict(name="policy-404", http="404",
         **broken_fetch("POLICY_HTTP_NOT_FOUND")),
    dict(name="policy-redirect", http="redirect",
         **broken_fetch("POLICY_HTTP_REDIRECT")),
    # A policy senders reject for its Content-Type (RFC 8461 §3.3) protects
    # nothing, so its content must not earn points: fetch 0.3 x 15 = 4.5,
    # content and mx_match 0 (WARN: valid as written), so 15 + 4.5 + 10 + 10
    # + 5 = 44.5 of 100 -> 45.
    dict(name="policy-html", http="html", state="BROKEN",
         checks={"policy_fetch": "FAIL", "policy_content": "WARN",
                 "mx_match": "WARN"},
         codes=["TXT_VALID", "POLICY_CONTENT_TYPE_WRONG", "POLICY_VALID"],
         absent=["POLICY_FETCH_OK"], score=45),
    # text/plain without a charset means US-ASCII (RFC 2046 §4.1.2), which
    # an ASCII policy is (stock nginx sends exactly this): no finding, the
    # fetch passes in full, 100.
    dict(name="policy-no-charset", http="nocharset",
         codes=BASE["codes"], absent=["POLICY_CONTENT_TYPE_NO_CHARSET"]),
    dict(name="policy-oversized", http="oversized",
         **broken_fetch("POLICY_BODY_TOO_LARGE")),
    # The policy host answers after SLOW_POLICY_DELAY_S: past the lab
    # server's --policy_fetch_slow_after, inside its --policy_fetch_timeout. Senders that wait RFC 8461's minute get the
    # policy, so it is judged as usual; the slowness is a LOW finding and
    # costs a tenth of the fetch's 15 points: 98.5 -> 99.
    dict(name="policy-slow", http="slow",
         checks={"policy_fetch": "WARN"},
         codes=BASE["codes"][:1] + ["POLICY_FETCH_SLOW"] + BASE["codes"][2:],
         absent=["POLICY_FETCH_TIMEOUT", "POLICY_FETCH_OK"], score=99),
    # Later than the fetch timeout: no policy, as for a sender that gives up.
    dict(name="policy-too-slow", http="tooslow",
         **broken_fetch("POLICY_FETCH_TIMEOUT", absent=[
             "POLICY_FETCH_OK", "POLICY_VALID", "POLICY_FETCH_SLOW"])),
    dict(name="cert-expired", cert="expired",
         **broken_fetch("POLICY_CERT_EXPIRED")),
    # The policy host's TLS stops at 1.1 (nginx ssl_protocols, security
    # level 0): senders cannot fetch the policy; the detail names TLS 1.1.
    dict(name="policy-old-tls", policy_host_addr=HTTPS_OLD_TLS_ADDR,
         **broken_fetch("POLICY_TLS_PROTOCOL_TOO_OLD",
                        absent=["POLICY_FETCH_OK", "POLICY_VALID",
                                "POLICY_TLS_HANDSHAKE_FAILED"],
                        details={"POLICY_TLS_PROTOCOL_TOO_OLD": "TLS 1.1"})),
    dict(name="cert-selfsigned", cert="selfsigned",
         **broken_fetch("POLICY_CERT_SELF_SIGNED")),
    dict(name="cert-wrongname", cert="wrongname",
         **broken_fetch("POLICY_CERT_NAME_MISMATCH")),
    dict(name="policy-host-missing", policy_host_addr=None,
         **broken_fetch("POLICY_HOST_NOT_FOUND")),
    # The policy host is on loopback, which --allow_targets does not cover.
    dict(name="policy-loopback", policy_host_addr="127.0.0.1",
         **broken_fetch("POLICY_HOST_ADDRESS_REFUSED")),
    # An invalid policy earns none of the 35 and leaves mx_match nothing to
    # match: 15 + 15 + 10 + 10 + 5 = 55 of 90 = 61.1 -> 61.
    dict(name="policy-syntax",
         policy="version: STSv1\nmode enforce\nmx: mx.{d}\nmax_age: 604800\n",
         state="BROKEN", checks={"policy_content": "FAIL", "mx_match": "SKIPPED"},
         codes=["POLICY_SYNTAX_ERROR", "POLICY_FETCH_OK"],
         absent=["POLICY_VALID"], score=61),
    # RFC 8461 §3.2: max_age is at most 31557600.
    dict(name="max-age-too-large",
         policy="version: STSv1\nmode: enforce\nmx: mx.{d}\nmax_age: 31557601\n",
         state="BROKEN", checks={"policy_content": "FAIL", "mx_match": "SKIPPED"},
         codes=["POLICY_MAX_AGE_TOO_LARGE"], absent=["POLICY_VALID"], score=61),
    # RFC 8461 §3.2: mx is required unless mode is none. 61 as above, but a
    # CRITICAL finding (senders cannot apply it): capped at 59.
    dict(name="enforce-no-mx",
         policy="version: STSv1\nmode: enforce\nmax_age: 604800\n",
         state="BROKEN", checks={"policy_content": "FAIL", "mx_match": "SKIPPED"},
         codes=["POLICY_MX_MISSING"], absent=["POLICY_VALID"], score=CAPPED),
    # A valid enforce policy is in force (state ENFORCED) even when it does
    # not cover an MX host: senders apply it and refuse that host (RFC 8461
    # §4.1, §5), which is CRITICAL. 90 of 100, capped at 59.
    dict(name="mx-uncovered", policy=ENFORCE.format(mx="other.{d}"),
         checks={"mx_match": "FAIL"},
         codes=["MX_MATCH_HOST_UNMATCHED", "MX_MATCH_STALE_PATTERN",
                "POLICY_VALID"],
         absent=["MX_MATCH_ALL_COVERED"], score=CAPPED),
    # RFC 8461 §4.1: "*." matches exactly one leftmost label.
    dict(name="wildcard-one-label", policy=ENFORCE.format(mx="*.mail.{d}"),
         mx=[(10, "a.mail.{d}", MX_GOOD_ADDR)]),
    dict(name="wildcard-two-labels", policy=ENFORCE.format(mx="*.mail.{d}"),
         mx=[(10, "a.b.mail.{d}", MX_GOOD_ADDR)],
         checks={"mx_match": "FAIL"},
         codes=["MX_MATCH_HOST_UNMATCHED", "MX_MATCH_STALE_PATTERN"],
         absent=["MX_MATCH_ALL_COVERED"], score=CAPPED),
    dict(name="wildcard-base", policy=ENFORCE.format(mx="*.mail.{d}"),
         mx=[(10, "mail.{d}", MX_GOOD_ADDR)],
         checks={"mx_match": "FAIL"},
         codes=["MX_MATCH_HOST_UNMATCHED", "MX_MATCH_STALE_PATTERN"],
         absent=["MX_MATCH_ALL_COVERED"], score=CAPPED),
    # The collector answers the GET with 405 over a valid certificate: it
    # can receive reports (information only).
    dict(name="tlsrpt-https", tlsrpt=["v=TLSRPTv1; rua=https://tlsrpt.{d}/r"],
         tlsrpt_host="good", codes=BASE["codes"] + ["TLSRPT_RUA_REACHABLE"]),
    # Every rua destination is broken for every reporter: a mail domain with
    # a null MX, a collector with a self-signed certificate, a collector host
    # that does not exist. The record is valid but reports go nowhere:
    # tls_rpt FAIL, 0 of its 10, so 90.
    dict(name="tlsrpt-rua-broken",
         tlsrpt=["v=TLSRPTv1; rua=mailto:r@nomail.{d},https://tlsrpt.{d}/r,"
                 "https://gone.{d}/r"],
         tlsrpt_host="selfsigned", extra_records=["nomail IN MX 0 ."],
         checks={"tls_rpt": "FAIL"},
         codes=["TLSRPT_VALID", "TLSRPT_RUA_MAILTO_NO_MAIL",
                "TLSRPT_RUA_HTTPS_BROKEN"],
         absent=["TLSRPT_RUA_REACHABLE"], score=90),
    # tls_rpt FAIL: 0 of its 10, so 90.
    dict(name="tlsrpt-missing", tlsrpt=None, checks={"tls_rpt": "FAIL"},
         codes=["TLSRPT_MISSING"], absent=["TLSRPT_VALID"], score=90),
    # RFC 8460 §3: rua is a URI (mailto: or https:).
    dict(name="tlsrpt-no-scheme", tlsrpt=["v=TLSRPTv1; rua=tlsrpt@{d}"],
         checks={"tls_rpt": "FAIL"}, codes=["TLSRPT_RUA_NO_SCHEME"],
         absent=["TLSRPT_VALID"], score=90),
    # RFC 8460 §3: more than one record means none.
    dict(name="tlsrpt-duplicated",
         tlsrpt=["v=TLSRPTv1; rua=mailto:a@{d}", "v=TLSRPTv1; rua=mailto:b@{d}"],
         checks={"tls_rpt": "FAIL"}, codes=["TLSRPT_MULTIPLE_RECORDS"],
         absent=["TLSRPT_VALID"], score=90),
    # INSECURE is a recommendation (WARN), and neither answer is SECURE: 0 of
    # dnssec's 5, so 95.
    dict(name="dnssec-unsigned", dnssec="unsigned", checks={"dnssec": "WARN"},
         codes=["DNSSEC_INSECURE", "TXT_VALID", "MX_TLS_VALID"],
         absent=["DNSSEC_SECURE"], score=95),
    # DS in the TLD matches no DNSKEY: the validating resolver answers
    # SERVFAIL for every name in the zone, so nothing can be checked, and it
    # is the domain's fault. Every lookup-based check fails; mx_tls has no MX
    # host to probe (SKIPPED): 0 of 90.
    dict(name="dnssec-bogus", dnssec="bogus", state="BROKEN",
         checks={"txt": "FAIL", "policy_fetch": "FAIL",
                 "policy_content": "FAIL", "mx_match": "FAIL",
                 "mx_tls": "SKIPPED", "tls_rpt": "FAIL", "dnssec": "FAIL"},
         codes=["DNSSEC_BOGUS", "TXT_LOOKUP_FAILED", "MX_LOOKUP_FAILED",
                "POLICY_HOST_LOOKUP_FAILED", "TLSRPT_LOOKUP_FAILED"],
         absent=["TXT_VALID"], score=0),
    # RFC 8461 §4.2: under enforce, senders refuse an MX host whose
    # certificate does not validate (CRITICAL): mx_tls FAIL, capped at 59.
    dict(name="mx-cert-expired", mx=[(10, "mx.{d}", MX_EXPIRED_ADDR)],
         checks={"mx_tls": "FAIL"}, codes=["MX_TLS_CERT_EXPIRED"],
         absent=["MX_TLS_VALID"], score=CAPPED),
    dict(name="mx-no-starttls", mx=[(10, "mx.{d}", MX_PLAIN_ADDR)],
         checks={"mx_tls": "FAIL"}, codes=["MX_TLS_STARTTLS_MISSING"],
         absent=["MX_TLS_VALID"], score=CAPPED),
    # A Postfix whose TLS stops at 1.1 (smtpd_tls_protocols, security level
    # 0): current senders refuse it (RFC 8996), so under enforce it is
    # CRITICAL, not a generic handshake failure, and the detail names the
    # version the host speaks, learned by one diagnostic handshake.
    dict(name="mx-old-tls", mx=[(10, "mx.{d}", MX_OLD_TLS_ADDR)],
         checks={"mx_tls": "FAIL"}, codes=["MX_TLS_PROTOCOL_TOO_OLD"],
         absent=["MX_TLS_VALID", "MX_TLS_HANDSHAKE_FAILED"],
         details={"MX_TLS_PROTOCOL_TOO_OLD": "speaks TLS 1.1 at most"}, score=CAPPED),
    # mx2 shares mx's address, but the certificate there does not name it:
    # one of two hosts refused under enforce, FAIL (5 of 10), capped at 59.
    dict(name="mx-cert-wrongname",
         policy="version: STSv1\nmode: enforce\nmx: mx.{d}\nmx: mx2.{d}\n"
                "max_age: 604800\n",
         mx=[(10, "mx.{d}", MX_GOOD_ADDR), (20, "mx2.{d}", None)],
         checks={"mx_tls": "FAIL"}, codes=["MX_TLS_CERT_NAME_MISMATCH"],
         absent=["MX_TLS_VALID"], score=CAPPED),
    # The second MX host's certificate expired: as above.
    dict(name="mx-one-of-two-expired",
         policy="version: STSv1\nmode: enforce\nmx: mx.{d}\nmx: mx2.{d}\n"
                "max_age: 604800\n",
         mx=[(10, "mx.{d}", MX_GOOD_ADDR), (20, "mx2.{d}", MX_EXPIRED_ADDR)],
         checks={"mx_tls": "FAIL"},
         codes=["MX_TLS_CERT_EXPIRED"], absent=["MX_TLS_VALID"], score=CAPPED),
    dict(name="dane-match", dane=True,
         codes=BASE["codes"] + ["DANE_USABLE", "DANE_MATCHES"]),
    # RFC 7505 null MX: no mail host to match or probe (both SKIPPED); mode
    # none earns no policy_content points; the TLS-RPT mailbox is at the
    # domain itself, which accepts no mail, so tls_rpt FAILs: 15 + 15 + 0 +
    # 0 + 5 = 35 of 80 = 43.75 -> 44.
    dict(name="null-mx", null_mx=True, mx=[],
         policy="version: STSv1\nmode: none\nmax_age: 86400\n", state="DISABLED",
         checks={"policy_content": "WARN", "mx_match": "SKIPPED",
                 "mx_tls": "SKIPPED", "tls_rpt": "FAIL"},
         codes=["MX_NULL", "MX_MATCH_NULL_MX", "POLICY_NONE_MODE",
                "DNSSEC_SECURE", "TLSRPT_RUA_MAILTO_NO_MAIL"],
         absent=["MX_TLS_VALID"], score=44),
    dict(name="idn", domain="bücher-idn", codes=BASE["codes"]),
]


def _validate(s):
  """Refuses a table entry whose expectations could not be judged exactly
  (a typo in a check or status name, a score range)."""
  where = f"scenario {s['name']}"
  for state in s["state"].split("|"):
    if state not in STATES:
      raise ValueError(f"{where}: unknown state {state!r}")
  for check, want in s["checks"].items():
    if check not in CHECKS:
      raise ValueError(f"{where}: unknown check {check!r}")
    if want not in STATUSES:
      raise ValueError(f"{where}: {check} wants {want!r}, not one of {STATUSES}")
  if not isinstance(s["score"], int) or not 0 <= s["score"] <= 100:
    raise ValueError(f"{where}: score {s['score']!r} is not one number 0-100")

def scenario(entry):
  """BASE overlaid with one table entry; {d} filled with the A-label domain."""
  s = dict(BASE)
  s.update(entry)
  _validate(s)
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
