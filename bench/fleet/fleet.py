"""The fleet benchmark: N healthy domains in the e2e lab's network namespace,
sent through `mtasts fleet --json` at several in-flight limits, beside
postfix-mta-sts-resolver's library and `openssl s_time -new` (the TLS floor).

Started by tests/e2e/run.sh (MTASTS_LAB_SCRIPT=bench/fleet/fleet.py) inside
the namespace it creates; bench/fleet/run.sh is the one command. The daemons
and helpers (nsd, unbound, nginx, Postfix, zone signing, the lab CA) come
from tests/e2e/lab.py.

Every domain is healthy: one signed zone (the lab TLD) holds all of them,
each with a valid `_mta-sts` TXT record, an enforce policy on nginx under its
own SNI certificate, one MX host (shared by all, STARTTLS on Postfix with a
valid certificate) and a valid TLS-RPT record. So a correct service reports
every domain ENFORCED with every requested check PASS. A result is a WRONG
VERDICT when its state is not ENFORCED, a requested check is missing or not
PASS, or a check that was not requested is anything but NOT_RUN (or absent).
An entry is LOST when the stream carries neither a result nor an error for
it; REFUSED when it got a FleetError (every entry here can be checked, so a
refusal is wrong too). --check exits 1 on any lost, refused or wrong entry
(never on timing): that is the 500-domain test in the test command.
"""

import argparse
import collections
import datetime
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "e2e"))
import lab as L  # noqa: E402
import scenarios as sc  # noqa: E402

MX_HOST = f"mx.{sc.TLD}"
POLICY = sc.ENFORCE.format(mx=MX_HOST)
STS_ID = "2026a1"
POLICY_CHECKS = ("txt", "policy_fetch", "policy_content")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def domain(i):
  return f"fleet{i:05d}.{sc.TLD}"


def slow_domain(i):
  """A domain of the slow slice (--slow-fraction): its policy host answers
  --slow-delay seconds late, inside the server's fetch timeout."""
  return f"slow{i:05d}.{sc.TLD}"


# ---------------------------------------------------------------- the lab

def zone_records(n, slow=0):
  """The TLD zone lines for n domains (and `slow` slow ones) and their
  shared MX host."""
  recs = [f"mx IN A {sc.MX_GOOD_ADDR}\n"]
  for d in [f"fleet{i:05d}" for i in range(n)] + [f"slow{i:05d}" for i in range(slow)]:
    recs.append(
        f"{d} IN MX 10 {MX_HOST}.\n"
        f"_mta-sts.{d} IN TXT {L.txt_rdata(f'v=STSv1; id={STS_ID};')}\n"
        f"mta-sts.{d} IN A {sc.HTTPS_ADDR}\n"
        f"_smtp._tls.{d} IN TXT "
        f"{L.txt_rdata(f'v=TLSRPTv1; rua=mailto:tlsrpt@{d}.{sc.TLD}')}\n")
  return recs


def issue_certificates(pki, names, out_dir):
  """One EC P-256 key and certificate per name, signed by the lab CA, all in
  this process with `cryptography` (about 0.5 ms each; two openssl processes
  per name, as lab.Pki.leaf does, take about 130 ms each). Returns
  {name: path of a PEM holding key and certificate}."""
  from cryptography import x509
  from cryptography.hazmat.primitives import hashes, serialization
  from cryptography.hazmat.primitives.asymmetric import ec
  from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

  with open(pki.key, "rb") as f:
    ca_key = serialization.load_pem_private_key(f.read(), None)
  with open(pki.crt, "rb") as f:
    ca_crt = x509.load_pem_x509_certificate(f.read())
  aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
  now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
  os.makedirs(out_dir, exist_ok=True)
  paths = {}
  for serial, name in enumerate(names, start=2000):
    key = ec.generate_private_key(ec.SECP256R1())
    crt = (x509.CertificateBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
           .issuer_name(ca_crt.subject)
           .public_key(key.public_key())
           .serial_number(serial)
           .not_valid_before(now - datetime.timedelta(days=1))
           .not_valid_after(now + datetime.timedelta(days=30))
           .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
           .add_extension(x509.KeyUsage(True, False, False, False, False, False,
                                        False, False, False), True)
           .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                          False)
           .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False)
           .add_extension(aki, False)
           .sign(ca_key, hashes.SHA256()))
    path = os.path.join(out_dir, f"{name}.pem")
    with open(path, "wb") as f:
      f.write(key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
      f.write(crt.public_bytes(serialization.Encoding.PEM))
    paths[name] = path
  return paths


def nginx_for_fleet(lab, pki, n, max_inflight, slow=0, slow_delay=0):
  d = os.path.join(lab, "nginx")
  os.makedirs(os.path.join(d, "logs"))
  root = os.path.join(d, "www")
  L.write(os.path.join(root, ".well-known", "mta-sts.txt"), POLICY)
  slow_hosts = {f"mta-sts.{slow_domain(i)}" for i in range(slow)}
  hosts = [f"mta-sts.{domain(i)}" for i in range(n)] + sorted(slow_hosts)
  t0 = time.monotonic()
  certs = issue_certificates(pki, hosts + [f"default.{sc.TLD}"],
                             os.path.join(lab, "certs"))
  secs = time.monotonic() - t0
  default = certs[f"default.{sc.TLD}"]
  servers = [f"""  server {{
    listen {sc.HTTPS_ADDR}:443 ssl default_server;
    ssl_certificate {default};
    ssl_certificate_key {default};
    return 421;
  }}
"""]
  fast = "types { } default_type text/plain; charset utf-8;"
  # The echo module's timer holds the request without holding a worker.
  late = (f"default_type text/plain; charset utf-8; echo_sleep {slow_delay}; "
          f"echo -n {L.nginx_quote(POLICY)};")
  for h in hosts:
    servers.append(f"""  server {{
    listen {sc.HTTPS_ADDR}:443 ssl;
    server_name {h};
    ssl_certificate {certs[h]};
    ssl_certificate_key {certs[h]};
    root {root};
    location = /.well-known/mta-sts.txt {{ {late if h in slow_hosts else fast} }}
  }}
""")
  # Every domain's policy fetch may be open at once, plus the peer's and
  # s_time's connections.
  conns = max(1024, 2 * max_inflight + 256)
  path = L.write_nginx_conf(
      d, servers, workers=2, connections=conns,
      http_extra=f"  server_names_hash_max_size {max(512, 4 * len(hosts))};\n")
  return d, path, secs


def postfix_for_fleet(lab, pki, max_inflight):
  good = pki.leaf("mx-good", [MX_HOST])
  d = L.postfix_conf(lab, (good, good))
  # Enough smtpd processes and no per-client limits: the MX probes of a whole
  # fleet come from one address.
  with open(os.path.join(d, "main.cf"), "a") as f:
    f.write(f"default_process_limit = {min(1000, max(100, max_inflight // 4))}\n"
            "smtpd_client_connection_count_limit = 0\n"
            "smtpd_client_connection_rate_limit = 0\n"
            "smtpd_client_new_tls_session_rate_limit = 0\n")
  return d


# Caches large enough that no run evicts another's answers, and answers kept
# for the whole benchmark (the zone's TTL is 300 s): every run after the
# warm-up sees the same warm resolver. Query limits stay unbound's defaults.
UNBOUND_EXTRA = """  msg-cache-size: 256m
  rrset-cache-size: 512m
  key-cache-size: 32m
  cache-min-ttl: 86400
"""


class Lab:
  def __init__(self, lab, n, max_inflight, slow=0, slow_delay=0):
    self.lab = lab
    t0 = time.monotonic()
    self.pki = L.Pki(lab)
    self.dns = L.Dns(lab)
    self.dns.build_tld_and_root(zone_records(n, slow))
    t_dns = time.monotonic() - t0
    self.ngx_dir, self.ngx, self.cert_secs = nginx_for_fleet(
        lab, self.pki, n, max_inflight, slow, slow_delay)
    self.postfix_dir = postfix_for_fleet(lab, self.pki, max_inflight)
    L.log(f"{n} domains: zone signed in {t_dns:.1f}s, {n + 1} certificates "
          f"issued in {self.cert_secs:.1f}s; set-up {time.monotonic() - t0:.1f}s")

  def start(self):
    t0 = time.monotonic()
    L.start(self.lab, "nsd", ["nsd", "-d", "-c", self.dns.nsd_conf()])
    L.wait_dns(sc.NSD_ADDR, f"ns.{sc.TLD}", "nsd", timeout=120)
    L.start(self.lab, "unbound", ["unbound", "-d", "-c", L.unbound_conf(
        self.lab, self.dns.trust_anchor, UNBOUND_EXTRA)])
    L.start(self.lab, "nginx", ["nginx", "-p", self.ngx_dir, "-c", self.ngx, "-e",
                                os.path.join(self.ngx_dir, "logs", "error.log"),
                                "-g", "daemon off;"])
    L.start(self.lab, "postfix", ["/usr/lib/postfix/sbin/master", "-d", "-c",
                                  self.postfix_dir])
    L.wait_dns(sc.UNBOUND_ADDR, f"mta-sts.{domain(0)}", "unbound", timeout=60)
    L.wait_port(sc.HTTPS_ADDR, 443, what="nginx", timeout=300)
    L.wait_port(sc.MX_GOOD_ADDR, 25, what="postfix", timeout=60)
    L.log(f"daemons up ({time.monotonic() - t0:.1f}s)")


# ------------------------------------------------------------------- runs

def proc_cpu_ms(pid):
  with open(f"/proc/{pid}/stat") as f:
    # Fields after the parenthesised command: utime and stime are 14 and 15.
    fields = f.read().rsplit(")", 1)[1].split()
  return (int(fields[11]) + int(fields[12])) * 1000.0 / CLK_TCK


def proc_hwm_mib(pid):
  with open(f"/proc/{pid}/status") as f:
    for line in f:
      if line.startswith("VmHWM:"):
        return int(line.split()[1]) / 1024.0
  return float("nan")


def run_measured(cmd, stdout_path, env=None, timeout=None, sizes=None):
  """Runs cmd; returns (exit code, wall s, CPU ms of the child, its max RSS MiB).
  With `sizes` (a list), appends (seconds since start, bytes of stdout so
  far) whenever the output grew, polled every 20 ms: when each line came."""
  t0 = time.monotonic()
  with open(stdout_path, "w") as out, open(stdout_path + ".err", "w") as err:
    p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
    deadline = None if timeout is None else t0 + timeout
    while True:
      pid, status, ru = os.wait4(p.pid, os.WNOHANG)
      if pid:
        break
      if sizes is not None:
        size = os.path.getsize(stdout_path)
        if not sizes or sizes[-1][1] != size:
          sizes.append((time.monotonic() - t0, size))
      if deadline and time.monotonic() > deadline:
        p.kill()
        pid, status, ru = os.wait4(p.pid, 0)
        break
      time.sleep(0.02)
    p.returncode = os.waitstatus_to_exitcode(status)
  wall = time.monotonic() - t0
  if sizes is not None:
    sizes.append((wall, os.path.getsize(stdout_path)))
  return (p.returncode, wall, (ru.ru_utime + ru.ru_stime) * 1000.0,
          ru.ru_maxrss / 1024.0)


def judge(report, checks, slow=False):
  """Why report is a wrong verdict for a healthy domain ([] if right). A
  slow domain's policy_fetch must be WARN with POLICY_FETCH_SLOW (the
  policy judged as usual), not a failure."""
  why = []
  if report.get("state") != "MTA_STS_STATE_ENFORCED":
    why.append(report.get("state", "no state").replace("MTA_STS_STATE_", "state "))
  statuses = {c.get("check"): c for c in report.get("checks", [])}
  for name in sc.CHECKS:
    c = statuses.get(name)
    status = c.get("status", "none") if c else None
    if name in checks and slow and name == "policy_fetch":
      codes = sorted({f["code"] for f in (c or {}).get("findings", [])})
      if status != "CHECK_STATUS_WARN" or "POLICY_FETCH_SLOW" not in codes:
        why.append(f"slow {name} {str(status).replace('CHECK_STATUS_', '')}"
                   f" {'/'.join(codes)}")
    elif name in checks:
      if status != "CHECK_STATUS_PASS":
        codes = sorted({f["code"] for f in (c or {}).get("findings", [])})
        why.append(f"{name} {str(status).replace('CHECK_STATUS_', '')}"
                   f" {'/'.join(codes)}")
    elif status not in (None, "CHECK_STATUS_NOT_RUN"):
      why.append(f"{name} {status} (not requested)")
  return why


class Server:
  def __init__(self, lab, binary, inflight, label):
    self.proc = L.start(lab.lab, f"server-{label}", [
        binary, f"--listen={L.GRPC_ADDR}", f"--dns_servers={sc.UNBOUND_ADDR}",
        f"--allow_targets={sc.ALLOW_TARGETS}", f"--ca_file={lab.pki.crt}",
        f"--trust_anchor_file={lab.dns.trust_anchor}",
        f"--dnssec_forwarder={sc.UNBOUND_ADDR}",
        f"--ehlo_name=checker.{sc.TLD}",
        f"--fleet_max_inflight={inflight}",
        f"--max_inflight={max(2000, inflight)}"])
    L.wait_port("127.0.0.1", int(L.GRPC_ADDR.rsplit(":", 1)[1]),
                what="mtasts_server")

  def stop(self):
    self.proc.terminate()
    try:
      self.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
      self.proc.kill()
      self.proc.wait()
    L.CHILDREN[:] = [(n, p) for n, p in L.CHILDREN if p is not self.proc]


def fleet_run(lab, a, listing, n, checks, inflight, label, perf=False, slow=0):
  """One fleet through a fresh server; returns the row. n entries, of which
  `slow` are slow_domain()s; healthy_rate counts the others only, up to the
  last of them."""
  srv = Server(lab, a.server, inflight, label)
  try:
    pid = srv.proc.pid
    cpu0 = proc_cpu_ms(pid)
    perf_proc = None
    if perf:
      perf_data = os.path.join(lab.lab, f"perf-{label}.data")
      perf_proc = subprocess.Popen(
          ["perf", "record", "-g", "-F", "999", "-o", perf_data, "-p", str(pid)],
          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # --window: without it the CLI keeps at most 100 entries unanswered, and
    # the server's larger limits would never fill.
    cmd = [a.cli, "--server", L.GRPC_ADDR, "--json", "--no-color", "fleet",
           listing, "--timeout", f"{a.stream_timeout}s",
           "--window", str(inflight)]
    if checks != "all":
      cmd += ["--checks", ",".join(checks)]
    out = os.path.join(lab.lab, f"fleet-{label}.jsonl")
    sizes = []
    rc, wall, cli_cpu, _ = run_measured(cmd, out, timeout=a.stream_timeout + 30,
                                        sizes=sizes)
    cpu = proc_cpu_ms(pid) - cpu0
    hwm = proc_hwm_mib(pid)
    if perf_proc:
      perf_proc.send_signal(2)
      perf_proc.wait(timeout=120)
      perf_summary(perf_data, os.path.join(a.out_dir or lab.lab,
                                           f"perf-{label}.txt"))
  finally:
    srv.stop()
  want = set(sc.CHECKS) if checks == "all" else set(checks)
  results, errors, summaries, reasons = {}, {}, [], collections.Counter()
  wrong = inconclusive = 0
  dup = 0
  offset, stamp = 0, 0
  last_healthy = last_slow = 0.0
  healthy_done = 0
  with open(out, "rb") as f:
    for raw in f:
      offset += len(raw)
      line = raw.decode()
      if not line.strip():
        continue
      # When this line had arrived: the first poll that saw it.
      while stamp < len(sizes) - 1 and sizes[stamp][1] < offset:
        stamp += 1
      at = sizes[stamp][0] if sizes else wall
      e = json.loads(line)
      if "result" in e:
        tag = e["result"].get("tag")
        dup += tag in results or tag in errors
        results[tag] = True
        is_slow = str(tag).startswith("slow")
        if is_slow:
          last_slow = max(last_slow, at)
        else:
          last_healthy = max(last_healthy, at)
          healthy_done += 1
        why = judge(e["result"].get("report", {}), want, slow=is_slow)
        if why:
          wrong += 1
          # The checker could not tell (no false alarm, still no answer).
          inconclusive += all(" INCONCLUSIVE" in w for w in why)
          reasons.update(why)
      elif "error" in e:
        tag = e["error"].get("tag")
        dup += tag in results or tag in errors
        errors[tag] = e["error"].get("message", "")
      elif "summary" in e:
        summaries.append(e["summary"])
  lost = n - len(set(results) | set(errors))
  notes = []
  broken = rc != 0 or len(summaries) != 1 or summaries[0].get("received") != n
  if rc != 0:
    with open(out + ".err") as f:
      notes.append(f"CLI exit {rc}: {f.read().strip()[-300:]}")
  if len(summaries) != 1:
    notes.append(f"{len(summaries)} summaries")
  elif summaries[0].get("received") != n:
    notes.append(f"summary received={summaries[0].get('received')}")
  if dup:
    notes.append(f"{dup} duplicate events")
  if errors:
    notes.append("refused: " + "; ".join(
        f"{m} ({c}x)" for m, c in collections.Counter(errors.values()).most_common(3)))
  if reasons:
    notes.append("wrong: " + "; ".join(
        f"{r} ({c}x)" for r, c in reasons.most_common(4)))
  row = {
      "run": ("policy path" if checks != "all" else "all seven checks") +
             (f" + {slow} slow" if slow else ""),
      "healthy_rate": healthy_done / last_healthy if last_healthy else None,
      "last_healthy_s": last_healthy, "last_slow_s": last_slow if slow else None,
      "inflight": inflight, "domains": n, "wall_s": wall, "rate": n / wall,
      "server_cpu_ms": cpu / n, "cli_cpu_ms": cli_cpu / n, "rss_mib": hwm,
      "lost": lost, "refused": len(errors), "wrong": wrong + dup,
      "inconclusive": inconclusive,
      "broken": broken, "notes": notes,
  }
  L.log(f"{row['run']} @{inflight}: {row['rate']:.0f} domains/s "
        f"(healthy {fmt(row['healthy_rate'], '.0f')}/s, last healthy at "
        f"{last_healthy:.1f}s{f', last slow at {last_slow:.1f}s' if slow else ''}), server "
        f"{row['server_cpu_ms']:.2f} ms/domain, CLI {row['cli_cpu_ms']:.2f} "
        f"ms/domain, RSS {hwm:.0f} MiB, lost {lost}, refused {len(errors)}, "
        f"wrong {row['wrong']} ({inconclusive} only INCONCLUSIVE) {' | '.join(notes)}")
  return row


def perf_summary(data, out):
  """Self time by shared object, then by symbol (libcrypto's internal
  functions show as addresses without debug symbols)."""
  text = []
  for sort, limit in (("dso", "0.5"), ("dso,symbol", "0.7")):
    r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                        "--sort", sort, "-g", "none", "--percent-limit", limit],
                       capture_output=True, text=True, timeout=600)
    text.append("\n".join(l.rstrip() for l in r.stdout.splitlines()
                          if l.strip() and not l.startswith("#")))
  L.write(out, "\n\n".join(text) + "\n")
  L.log(f"perf profile: {out}")


# ------------------------------------------------------- peer and floor

PEER_CHILD = r"""
import asyncio, json, resource, sys, time
from postfix_mta_sts_resolver.resolver import STSResolver, STSFetchResult
domains = [l.split()[0] for l in open(sys.argv[1]) if l.strip()]
async def main():
  r = STSResolver(loop=asyncio.get_running_loop())
  sem = asyncio.Semaphore(int(sys.argv[2]))
  async def one(d):
    async with sem:
      return await r.resolve(d)
  return await asyncio.gather(*(one(d) for d in domains))
ru0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.monotonic()
res = asyncio.run(main())
wall = time.monotonic() - t0; ru1 = resource.getrusage(resource.RUSAGE_SELF)
wrong = {}
for status, pol in res:
  if not (status == STSFetchResult.VALID and pol and pol[1].get("mode") == "enforce"):
    k = status.name
    wrong[k] = wrong.get(k, 0) + 1
print(json.dumps({"wall": wall, "cpu_ms": 1000 * (ru1.ru_utime + ru1.ru_stime
                  - ru0.ru_utime - ru0.ru_stime), "rss_kib": ru1.ru_maxrss,
                  "wrong": wrong}))
"""


def peer_run(lab, listing, n, concurrency):
  """postfix-mta-sts-resolver's STSResolver on the same domains, through the
  same resolver and trust store; CPU and RSS of its whole process, measured
  around the resolve loop (imports excluded)."""
  env = dict(os.environ, SSL_CERT_FILE=lab.pki.crt)
  out = os.path.join(lab.lab, "peer.json")
  rc, wall, _, _ = run_measured(["/usr/bin/python3", "-c", PEER_CHILD, listing,
                                 str(concurrency)], out, env=env, timeout=3600)
  if rc != 0:
    with open(out + ".err") as f:
      raise RuntimeError(f"peer exited {rc}: {f.read()[-500:]}")
  with open(out) as f:
    r = json.loads(f.read())
  wrong = sum(r["wrong"].values())
  row = {"run": f"postfix-mta-sts-resolver (STSResolver, {concurrency} at once)",
         "inflight": concurrency, "domains": n, "wall_s": r["wall"],
         "rate": n / r["wall"], "server_cpu_ms": r["cpu_ms"] / n,
         "cli_cpu_ms": None, "rss_mib": r["rss_kib"] / 1024.0, "lost": 0,
         "refused": 0, "wrong": wrong, "inconclusive": None,
         "notes": [f"not VALID enforce: {r['wrong']}"] if wrong else []}
  L.log(f"peer: {row['rate']:.0f} domains/s, {row['server_cpu_ms']:.2f} ms/domain, "
        f"RSS {row['rss_mib']:.0f} MiB, wrong {wrong}")
  return row


def floor_run(lab, seconds):
  """`openssl s_time -new` against the same nginx: client CPU per full
  handshake (no SNI: nginx's default server, the same key type)."""
  out = os.path.join(lab.lab, "s_time.txt")
  rc, wall, cpu, _ = run_measured(
      ["openssl", "s_time", "-connect", f"{sc.HTTPS_ADDR}:443", "-new",
       "-time", str(seconds)], out, timeout=seconds + 60)
  with open(out) as f:
    text = f.read()
  m = re.search(r"(\d+) connections in ([\d.]+)s", text)
  if rc != 0 or not m:
    raise RuntimeError(f"s_time exited {rc}: {text[-300:]}")
  conns = int(m.group(1))
  row = {"run": "openssl s_time -new (TLS handshake floor)", "inflight": 1,
         "domains": conns, "wall_s": wall, "rate": conns / wall,
         "server_cpu_ms": cpu / conns, "cli_cpu_ms": None, "rss_mib": None,
         "lost": None, "refused": None, "wrong": None, "inconclusive": None,
         "notes": []}
  L.log(f"floor: {conns} handshakes, {row['server_cpu_ms']:.3f} ms client CPU each")
  return row


# ----------------------------------------------------------------- output

def fmt(v, spec):
  return "–" if v is None else format(v, spec)


def table(rows, floor, peer):
  head = ("| run | in flight | domains | wall s | domains/s | CPU ms/domain "
          "(server; peer: its process; floor: client per handshake) "
          "| CPU vs floor | domains/s vs peer | right verdicts/s | CLI CPU ms/domain "
          "| peak RSS MiB | lost | refused | wrong (of which only INCONCLUSIVE) "
          "| healthy domains/s (to the last healthy one) |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
  lines = []
  for r in rows:
    vs_floor = (r["server_cpu_ms"] / floor["server_cpu_ms"]
                if floor and r is not floor else None)
    vs_peer = (r["rate"] / peer["rate"]
               if peer and r not in (peer, floor) else None)
    # Answers that are right per second: at high in-flight limits a run that
    # times out is cheap and fast, so domains/s alone flatters overload.
    right = (None if r["wrong"] is None else
             (r["domains"] - r["wrong"] - r["lost"] - r["refused"]) / r["wall_s"])
    lines.append(
        f"| {r['run']} | {r['inflight']} | {r['domains']} | {r['wall_s']:.1f} "
        f"| {r['rate']:.0f} | {r['server_cpu_ms']:.2f} | {fmt(vs_floor, '.2f')}x "
        f"| {fmt(vs_peer, '.2f')}x | {fmt(right, '.0f')} "
        f"| {fmt(r['cli_cpu_ms'], '.2f')} "
        f"| {fmt(r['rss_mib'], '.0f')} | {fmt(r['lost'], 'd')} "
        f"| {fmt(r['refused'], 'd')} | {fmt(r['wrong'], 'd')}"
        f"{'' if not r['inconclusive'] else ' (%d)' % r['inconclusive']} "
        f"| {fmt(r.get('healthy_rate'), '.0f')} |")
  notes = [f"- {r['run']} @{r['inflight']}: {n}" for r in rows for n in r["notes"]]
  return head + "\n".join(lines).replace("–x", "–") + "\n" + (
      "\n" + "\n".join(notes) + "\n" if notes else "")


def main():
  ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
  ap.add_argument("--lab", required=True)
  ap.add_argument("--server", required=True)
  ap.add_argument("--cli", required=True)
  ap.add_argument("--domains", type=int, default=1000)
  ap.add_argument("--inflight", default="100,1000,5000",
                  help="comma-separated --fleet_max_inflight values")
  ap.add_argument("--runs", default="policy,all",
                  help="policy (txt,policy_fetch,policy_content) and/or all")
  ap.add_argument("--no-peer", action="store_true")
  ap.add_argument("--peer-concurrency", type=int, default=50)
  ap.add_argument("--no-floor", action="store_true")
  ap.add_argument("--floor-seconds", type=int, default=10)
  ap.add_argument("--no-warmup", action="store_true")
  ap.add_argument("--perf", default="",
                  help="profile these runs with perf, e.g. policy@1000")
  ap.add_argument("--out", help="write the table as markdown here")
  ap.add_argument("--stream-timeout", type=int, default=3600)
  ap.add_argument("--slow-fraction", type=float, default=0.0,
                  help="add this many slow domains per healthy one (0.05: 5%%), "
                       "their policy --slow-delay s late; each run is then made "
                       "twice, healthy alone and with the slow slice")
  ap.add_argument("--slow-delay", type=int, default=6,
                  help="seconds a slow domain's policy host waits (default 6: "
                       "past the server's 5 s slow threshold, inside its 60 s "
                       "fetch timeout)")
  ap.add_argument("--check", action="store_true",
                  help="exit 1 on any lost, refused or wrong entry")
  a = ap.parse_args()
  a.out_dir = os.path.dirname(os.path.abspath(a.out)) if a.out else None
  n = a.domains
  inflights = [int(x) for x in a.inflight.split(",") if x]
  runs = [r for r in a.runs.split(",") if r]
  if set(runs) - {"policy", "all"} or not inflights or n < 1:
    ap.error("--runs takes policy,all; --inflight at least one number")
  perf = set(x for x in a.perf.split(",") if x)
  t0 = time.monotonic()
  load = os.getloadavg()[0]
  slow = round(a.slow_fraction * n)
  lab = Lab(a.lab, n, max(inflights) + slow, slow, a.slow_delay)
  listing = os.path.join(a.lab, "fleet.txt")
  L.write(listing, "".join(f"{domain(i)} {domain(i)}\n" for i in range(n)))
  # The same healthy domains with the slow ones spread evenly among them.
  mixed = os.path.join(a.lab, "fleet-mixed.txt")
  entries = [domain(i) for i in range(n)]
  for j in range(slow):
    entries.insert(j * (n + slow) // slow, slow_domain(j))
  L.write(mixed, "".join(f"{d} {d}\n" for d in entries))
  rows, peer, floor = [], None, None
  try:
    lab.start()
    if not a.no_warmup:
      # Fills unbound's cache (kept for the whole benchmark) so that no
      # measured run pays for cold lookups the others do not.
      L.log("warm-up: all checks at 100 in flight (not measured)")
      fleet_run(lab, a, listing, n, "all", 100, "warmup")
    if not a.no_peer:
      peer = peer_run(lab, listing, n, a.peer_concurrency)
    if not a.no_floor:
      floor = floor_run(lab, a.floor_seconds)
    for run in runs:
      checks = POLICY_CHECKS if run == "policy" else "all"
      for inflight in inflights:
        label = f"{run}@{inflight}"
        rows.append(fleet_run(lab, a, listing, n, checks, inflight, label,
                              perf=label in perf))
        if slow:
          rows.append(fleet_run(lab, a, mixed, n + slow, checks, inflight,
                                label + "+slow", slow=slow))
  finally:
    L.stop_all()
  all_rows = rows + [r for r in (peer, floor) if r]
  text = table(all_rows, floor, peer)
  meta = (f"{n} domains"
          f"{f' (+{slow} slow, policy {a.slow_delay} s late)' if slow else ''}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} CPUs, load average before the runs "
          f"{load:.1f}; certificates issued in {lab.cert_secs:.1f}s; "
          f"whole benchmark {time.monotonic() - t0:.0f}s\n\n")
  print("\n" + meta + text, flush=True)
  if a.out:
    L.write(os.path.abspath(a.out), meta + text)
  bad = sum(r["lost"] + r["refused"] + r["wrong"] + r["broken"] for r in rows)
  if a.check and bad:
    L.log(f"FAIL: {bad} lost, refused or wrong entries (or broken streams)")
    return 1
  return 0


if __name__ == "__main__":
  import signal
  signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
  sys.exit(main())
