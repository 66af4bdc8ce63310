"""Builds the e2e lab inside the current network namespace, runs the service
against it and checks every scenario. Started by run.sh through
`ip netns exec`; every daemon is a child started here, its PID appended to
<lab>/pids so run.sh's trap can end it even if this process dies.

Usage (from run.sh): lab.py --lab DIR --server BIN --cli BIN [scenario ...]

Its parts: lab_procs.py (the children and the waits), lab_daemons.py (CA,
zones, unbound, nginx, Postfix), lab_reports.py (judging the reports) and
scenarios.py (the table).
"""

import argparse
import concurrent.futures
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios as sc  # noqa: E402
# bench/fleet/fleet.py builds its own lab from these blocks, through this
# module: so some are imported here for it alone.
from lab_daemons import (  # noqa: E402,F401
    DOH_GRPC_ADDR, DOT_GRPC_ADDR, GRPC_ADDR, RESOLVER_NAME, Dns, Pki, mx_certs,
    nginx_conf, nginx_quote, postfix_conf, spki_sha256, txt_rdata, unbound_conf,
    write_nginx_conf)
from lab_procs import (  # noqa: E402,F401
    CHILDREN, log, start, stop_all, wait_dns, wait_port, write)
from lab_reports import check_one, fleet, peer_view, report_line  # noqa: E402


def main():
  ap = argparse.ArgumentParser()
  ap.add_argument("--lab", required=True)
  ap.add_argument("--server", required=True)
  ap.add_argument("--cli", required=True)
  ap.add_argument("--no-fleet", action="store_true")
  ap.add_argument("only", nargs="*")
  a = ap.parse_args()
  lab = a.lab
  scens = sc.all_scenarios()
  names = {s["name"] for s in scens}
  unknown = [n for n in a.only if n not in names]
  if unknown:
    print(f"unknown scenario(s) {unknown}; known: {' '.join(sorted(names))}")
    return 2
  t0 = time.monotonic()
  pki = Pki(lab)
  dns = Dns(lab)
  certs = mx_certs(pki, scens)
  dns.build(scens, spki_sha256(certs[0][1]))
  ngx_dir, ngx = nginx_conf(lab, pki, scens)
  postfix_dir = postfix_conf(lab, certs)
  log(f"zones signed, certificates issued for {len(scens)} scenarios "
      f"({time.monotonic() - t0:.1f}s)")
  try:
    start(lab, "nsd", ["nsd", "-d", "-c", dns.nsd_conf()])
    # unbound would mark a silent nsd as down for minutes: nsd goes first.
    wait_dns(sc.NSD_ADDR, f"ns.{sc.TLD}", "nsd")
    # The resolver also serves DoT (853) and DoH (443) with a lab
    # certificate for RESOLVER_NAME (unbound 1.17 is built with libnghttp2).
    rkey, rcrt = pki.leaf("resolver", [RESOLVER_NAME])
    start(lab, "unbound", ["unbound", "-d", "-c", unbound_conf(
        lab, dns.trust_anchor,
        f"  interface: {sc.UNBOUND_ADDR}@853\n  interface: {sc.UNBOUND_ADDR}@443\n"
        f"  tls-port: 853\n  https-port: 443\n  http-endpoint: \"/dns-query\"\n"
        f"  tls-service-key: \"{rkey}\"\n  tls-service-pem: \"{rcrt}\"\n")])
    start(lab, "nginx", ["nginx", "-p", ngx_dir, "-c", ngx, "-e",
                         os.path.join(ngx_dir, "logs", "error.log"),
                         "-g", "daemon off;"])
    start(lab, "postfix", ["/usr/lib/postfix/sbin/master", "-d", "-c",
                           postfix_dir])
    wait_dns(sc.UNBOUND_ADDR, f"mta-sts.enforce-ok.{sc.TLD}", "unbound")
    wait_port(sc.HTTPS_ADDR, 443, what="nginx")
    if any(s["policy_host_addr"] == sc.HTTPS_OLD_TLS_ADDR for s in scens):
      wait_port(sc.HTTPS_OLD_TLS_ADDR, 443, what="nginx")
    for addr in sc.MX_ADDRS:
      wait_port(addr, 25, what="postfix")
    start(lab, "server", [
        a.server, f"--listen={GRPC_ADDR}", f"--dns_servers={sc.UNBOUND_ADDR}",
        f"--allow_targets={sc.ALLOW_TARGETS}", f"--ca_file={pki.crt}",
        f"--trust_anchor_file={dns.trust_anchor}",
        f"--dnssec_forwarder={sc.UNBOUND_ADDR}",
        f"--ehlo_name=checker.{sc.TLD}",
        f"--policy_fetch_slow_after={sc.SLOW_FETCH_AFTER_S}s",
        f"--policy_fetch_timeout={sc.SLOW_FETCH_TIMEOUT_S}s"])
    wait_port("127.0.0.1", 50051, what="mtasts_server")
    # No --dnssec_forwarder: the dnssec check's queries take the encrypted
    # transport too, and are still validated from the lab's trust anchor.
    transports = [
        ("https", DOH_GRPC_ADDR,
         f"https://{RESOLVER_NAME}/dns-query#{sc.UNBOUND_ADDR}"),
        ("tls", DOT_GRPC_ADDR, f"{sc.UNBOUND_ADDR}:853#{RESOLVER_NAME}"),
    ]
    for transport, addr, servers in transports:
      start(lab, f"server-{transport}", [
          a.server, f"--listen={addr}", f"--dns_transport={transport}",
          f"--dns_servers={servers}",
          f"--allow_targets={sc.ALLOW_TARGETS}", f"--ca_file={pki.crt}",
          f"--trust_anchor_file={dns.trust_anchor}",
          f"--ehlo_name=checker.{sc.TLD}",
          f"--policy_fetch_slow_after={sc.SLOW_FETCH_AFTER_S}s",
          f"--policy_fetch_timeout={sc.SLOW_FETCH_TIMEOUT_S}s"])
      wait_port("127.0.0.1", int(addr.rsplit(":", 1)[1]), what=f"mtasts_server {transport}")
    wait_port(sc.UNBOUND_ADDR, 853, what="unbound DoT")
    wait_port(sc.UNBOUND_ADDR, 443, what="unbound DoH")
    log(f"lab up ({time.monotonic() - t0:.1f}s); checking scenarios")

    chosen = [s for s in scens if not a.only or s["name"] in a.only]
    failed = 0
    peer_diffs = []
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
      futs = {s["name"]: pool.submit(check_one, s, a.cli, lab) for s in chosen}
      have_peer = os.path.exists("/usr/bin/mta-sts-query")
      if not have_peer:
        log("postfix-mta-sts-resolver not installed: no peer comparison")
      peers = {s["name"]: pool.submit(peer_view, s, pki.crt)
               for s in chosen if have_peer}
      for s in chosen:
        bad, ours = futs[s["name"]].result()
        failed += report_line(s["name"], bad, s["known"])
        if not have_peer:
          continue
        theirs = peers[s["name"]].result()
        # Only "which policy applies" is compared, not the reason for none.
        if ours is not None and ours.split(" (")[0] != theirs.split(" (")[0]:
          peer_diffs.append(f"{s['name']}: service says {ours}, "
                            f"postfix-mta-sts-resolver says {theirs}")
    # Informational: the peer is one sender among many, and a lenient one in
    # places; each line is a question for the scenario table or the service.
    for line in peer_diffs:
      print(f"PEER  {line}", flush=True)
    fleet_bad = False
    if not a.only and not a.no_fleet:
      fleet_bad = report_line(f"fleet ({len(scens)} domains)",
                              fleet(scens, a.cli, lab), None)
      # Every scenario again, resolved over DoH and over DoT: the same
      # verdicts, findings and scores.
      for transport, addr, _ in transports:
        fleet_bad |= report_line(
            f"fleet over {transport} ({len(scens)} domains)",
            fleet(scens, a.cli, lab, server=addr, transport=transport), None)
    known = sum(1 for s in chosen if s["known"])
    log(f"{len(chosen) - failed}/{len(chosen)} scenarios as expected "
        f"({known} known bugs among them); "
        f"wall time {time.monotonic() - t0:.1f}s; reports in {lab}/reports")
    return 1 if failed or fleet_bad else 0
  finally:
    stop_all()


if __name__ == "__main__":
  signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
  sys.exit(main())
