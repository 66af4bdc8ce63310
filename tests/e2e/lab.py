"""Builds the e2e lab inside the current network namespace, runs the service
against it and checks every scenario. Started by run.sh through
`ip netns exec`; every daemon is a child started here, its PID appended to
<lab>/pids so run.sh's trap can end it even if this process dies.

Usage (from run.sh): lab.py --lab DIR --server BIN --cli BIN [scenario ...]
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios as sc  # noqa: E402

GRPC_ADDR = "127.0.0.1:50051"
# The same service resolving over DNS over HTTPS and DNS over TLS
# (--dns_transport) from the lab unbound's DoH and DoT listeners.
DOH_GRPC_ADDR = "127.0.0.1:50052"
DOT_GRPC_ADDR = "127.0.0.1:50053"
RESOLVER_NAME = f"resolver.{sc.TLD}"
CHILDREN = []


def log(msg):
  print(f"[lab {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, cwd=None):
  r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=60)
  if r.returncode != 0:
    raise RuntimeError(f"{' '.join(cmd)} failed ({r.returncode}): "
                       f"{r.stderr.strip()} {r.stdout.strip()[-500:]}")
  return r.stdout


def write(path, text, mode=0o644):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "w") as f:
    f.write(text)
  os.chmod(path, mode)


def start(lab, name, cmd):
  out = open(os.path.join(lab, f"{name}.out"), "w")
  p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                       start_new_session=True)
  CHILDREN.append((name, p))
  with open(os.path.join(lab, "pids"), "a") as f:
    f.write(f"{p.pid}\n")
  return p


def stop_all():
  for name, p in reversed(CHILDREN):
    if p.poll() is None:
      p.terminate()
  deadline = time.monotonic() + 5
  for name, p in CHILDREN:
    try:
      p.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
      p.kill()
      p.wait(timeout=5)


def wait_port(addr, port, what, timeout=15):
  """Until addr:port accepts a TCP connection; fails early if a child died."""
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    for name, p in CHILDREN:
      if p.poll() is not None:
        raise RuntimeError(f"{name} exited with {p.returncode}; see its .out file")
    try:
      socket.create_connection((addr, port), timeout=1).close()
      return
    except OSError:
      pass
    time.sleep(0.1)
  raise RuntimeError(f"{what} not listening on {addr}:{port} after {timeout}s")


def wait_dns(addr, name, what, timeout=15):
  """Until addr answers an A query for name with NOERROR and an answer."""
  qname = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
  # Id 0x1234, RD set, one question: name, type A, class IN.
  query = (b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + qname
           + b"\x00\x01\x00\x01")
  deadline = time.monotonic() + timeout
  while time.monotonic() < deadline:
    for pname, p in CHILDREN:
      if p.poll() is not None:
        raise RuntimeError(f"{pname} exited with {p.returncode}; see its .out file")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
      sock.settimeout(0.5)
      try:
        sock.sendto(query, (addr, 53))
        reply = sock.recv(4096)
        # Same id, rcode NOERROR, at least one answer.
        if reply[:2] == b"\x12\x34" and reply[3] & 0x0F == 0 and reply[6:8] != b"\0\0":
          return
      except OSError:
        pass
    time.sleep(0.1)
  raise RuntimeError(f"{what} at {addr} did not answer {name} A within {timeout}s")


# ---------------------------------------------------------------- certificates

CA_CNF = """[ca]
default_ca = lab
[lab]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}/issued
serial = {dir}/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
email_in_dn = no
[any]
commonName = supplied
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical,CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
authorityKeyIdentifier = keyid
"""


class Pki:
  def __init__(self, lab):
    self.dir = os.path.join(lab, "ca")
    os.makedirs(os.path.join(self.dir, "issued"))
    write(os.path.join(self.dir, "index.txt"), "")
    write(os.path.join(self.dir, "serial"), "1000\n")
    self.cnf = os.path.join(self.dir, "ca.cnf")
    write(self.cnf, CA_CNF.format(dir=self.dir))
    self.key = os.path.join(self.dir, "ca.key")
    self.crt = os.path.join(self.dir, "ca.crt")
    run(["openssl", "req", "-x509", "-new", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", self.key,
         "-out", self.crt, "-days", "30", "-subj", "/CN=mtasts e2e lab CA",
         "-config", self.cnf, "-extensions", "v3_ca"])

  def leaf(self, name, sans, kind="good"):
    """Key and certificate for sans; kind: good, expired or selfsigned."""
    keyopts = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    key = os.path.join(self.dir, f"{name}.key")
    crt = os.path.join(self.dir, f"{name}.crt")
    san = "subjectAltName=" + ",".join(f"DNS:{s}" for s in sans)
    subj = f"/CN={sans[0]}"
    if kind == "selfsigned":
      run(["openssl", "req", "-x509", "-new"] + keyopts + [
           "-nodes", "-keyout", key,
           "-out", crt, "-days", "30", "-subj", subj, "-addext", san,
           "-config", self.cnf])
      return key, crt
    csr = os.path.join(self.dir, f"{name}.csr")
    run(["openssl", "req", "-new"] + keyopts + ["-nodes", "-keyout", key,
         "-out", csr, "-subj", subj, "-addext", san, "-config", self.cnf])
    dates = (["-startdate", "20200101000000Z", "-enddate", "20210101000000Z"]
             if kind == "expired" else ["-days", "30"])
    run(["openssl", "ca", "-batch", "-notext", "-config", self.cnf,
         "-extensions", "leaf", "-cert", self.crt, "-keyfile", self.key,
         "-in", csr, "-out", crt] + dates)
    return key, crt


# ------------------------------------------------------------------------ DNS

SOA = "@ 300 IN SOA ns.{tld}. hostmaster.{tld}. 1 3600 600 86400 300\n"


def txt_rdata(text):
  # One string per 255 bytes, or the strings a scenario gives as a tuple;
  # receivers join them without spaces.
  parts = (list(text) if isinstance(text, tuple) else
           [text[i:i + 255] for i in range(0, len(text), 255)] or [""])
  return " ".join('"' + p.replace("\\", "\\\\").replace('"', '\\"') + '"'
                  for p in parts)


def scenario_zone(s, mx_spki):
  d = s["d"]
  z = [f"$ORIGIN {d}.\n$TTL 300\n", SOA.format(tld=sc.TLD),
       f"@ IN NS ns.{sc.TLD}.\n"]
  if s["null_mx"]:
    z.append("@ IN MX 0 .\n")
  for pref, host, addr in s["mx"]:
    z.append(f"@ IN MX {pref} {host}.\n")
    if s["mx_cname"]:
      # The MX names an alias (RFC 2181 §10.3 forbids it); the address is
      # the target's.
      z.append(f"{host}. IN CNAME target-{host}.\n")
      host = f"target-{host}"
    z.append(f"{host}. IN A {addr or sc.MX_GOOD_ADDR}\n")
    if s["dane"]:
      z.append(f"_25._tcp.{host}. IN TLSA 3 1 1 {mx_spki}\n")
  if s["policy_host_addr"]:
    z.append(f"mta-sts IN A {s['policy_host_addr']}\n")
  if s["txt"] is not None:
    owner = "_mta-sts-target" if s["txt_cname"] else "_mta-sts"
    if s["txt_cname"]:
      z.append(f"_mta-sts IN CNAME _mta-sts-target.{d}.\n")
    for t in s["txt"]:
      z.append(f"{owner} IN TXT {txt_rdata(t)}\n")
  for t in s["tlsrpt"] or []:
    z.append(f"_smtp._tls IN TXT {txt_rdata(t)}\n")
  if s["tlsrpt_host"]:
    z.append(f"tlsrpt IN A {sc.HTTPS_ADDR}\n")
  for line in s["extra_records"]:
    z.append(line + "\n")
  return "".join(z)


class Dns:
  """Root, TLD and scenario zones, signed with keys made now, for nsd."""

  def __init__(self, lab):
    self.dir = os.path.join(lab, "nsd")
    os.makedirs(self.dir)
    self.zones = []  # (zone name, signed file name)

  def keygen(self, zone):
    # One combined signing key (KSK flag) per zone keeps the lab small.
    out = run(["ldns-keygen", "-a", "ECDSAP256SHA256", "-k", zone or "."],
              cwd=self.dir).strip()
    ds = run(["ldns-key2ds", "-n", "-2", f"{out}.key"], cwd=self.dir).strip()
    return out, ds

  def add(self, zone, text, sign):
    base = zone.rstrip(".").replace(".", "_") or "root"
    path = os.path.join(self.dir, f"{base}.zone")
    write(path, text)
    ds = None
    if sign:
      key, ds = self.keygen(zone)
      run(["ldns-signzone", "-o", zone or ".", path, key], cwd=self.dir)
      path += ".signed"
    self.zones.append((zone or ".", os.path.basename(path)))
    return ds

  def build(self, scens, mx_spki):
    tld = []
    for s in scens:
      ds = self.add(f"{s['d']}.", scenario_zone(s, mx_spki),
                    s["dnssec"] != "unsigned")
      tld.append(f"{s['d']}. IN NS ns.{sc.TLD}.\n")
      if s["dnssec"] == "signed":
        tld.append(ds + "\n")
      elif s["dnssec"] == "bogus":
        # A DS for a key the zone never published: the chain breaks here.
        _, wrong = self.keygen(f"{s['d']}.")
        tld.append(wrong + "\n")
    self.build_tld_and_root(tld)

  def build_tld_and_root(self, tld_records):
    """The signed TLD zone with tld_records (zone-file lines) after its SOA,
    NS and ns A, and the signed root delegating to it; sets trust_anchor."""
    tld = [f"$ORIGIN {sc.TLD}.\n$TTL 300\n", SOA.format(tld=sc.TLD),
           f"@ IN NS ns.{sc.TLD}.\n", f"ns IN A {sc.NSD_ADDR}\n"] + tld_records
    tld_ds = self.add(f"{sc.TLD}.", "".join(tld), True)
    root = ["$ORIGIN .\n$TTL 300\n",
            f". 300 IN SOA ns.{sc.TLD}. hostmaster.{sc.TLD}. 1 3600 600 86400 300\n",
            f". IN NS ns.{sc.TLD}.\n", f"ns.{sc.TLD}. IN A {sc.NSD_ADDR}\n",
            f"{sc.TLD}. IN NS ns.{sc.TLD}.\n", tld_ds + "\n"]
    root_ds = self.add("", "".join(root), True)
    self.trust_anchor = os.path.join(self.dir, "root.ds")
    write(self.trust_anchor, root_ds + "\n")

  def nsd_conf(self):
    c = [f"""server:
  ip-address: {sc.NSD_ADDR}
  port: 53
  username: ""
  chroot: ""
  zonesdir: "{self.dir}"
  pidfile: "{self.dir}/nsd.pid"
  database: ""
  zonelistfile: "{self.dir}/zone.list"
  xfrdfile: "{self.dir}/xfrd.state"
  xfrdir: "{self.dir}"
  logfile: "{self.dir}/nsd.log"
  server-count: 1
  rrl-ratelimit: 0
  hide-version: yes
  verbosity: 1
remote-control:
  control-enable: no
"""]
    for name, f in self.zones:
      c.append(f'zone:\n  name: "{name}"\n  zonefile: "{f}"\n')
    path = os.path.join(self.dir, "nsd.conf")
    write(path, "".join(c))
    return path


def unbound_conf(lab, trust_anchor, extra=""):
  """extra: more `server:` options, each line indented by two spaces."""
  d = os.path.join(lab, "unbound")
  write(os.path.join(d, "root.hints"),
        f". 3600000 NS ns.{sc.TLD}.\nns.{sc.TLD}. 3600000 A {sc.NSD_ADDR}\n")
  path = os.path.join(d, "unbound.conf")
  write(path, f"""server:
  interface: {sc.UNBOUND_ADDR}
  port: 53
  username: ""
  chroot: ""
  directory: "{d}"
  pidfile: "{d}/unbound.pid"
  use-syslog: no
  logfile: ""
  do-daemonize: no
  do-ip6: no
  access-control: 0.0.0.0/0 allow
  root-hints: "{d}/root.hints"
  trust-anchor-file: "{trust_anchor}"
  val-log-level: 2
  verbosity: 1
  num-threads: 1
{extra}remote-control:
  control-enable: no
""")
  return path


# ---------------------------------------------------------------------- HTTPS

def nginx_quote(text):
  """text as an nginx double-quoted string (which knows \\n escapes)."""
  # nginx has no escape for "$" (a variable); policies here have none.
  assert "$" not in text
  return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace(
      "\n", "\\n") + '"'


def nginx_conf(lab, pki, scens):
  d = os.path.join(lab, "nginx")
  os.makedirs(os.path.join(d, "logs"))
  dkey, dcrt = pki.leaf("default", [f"default.{sc.TLD}"])
  servers = [f"""  server {{
    listen {sc.HTTPS_ADDR}:443 ssl default_server;
    ssl_certificate {dcrt};
    ssl_certificate_key {dkey};
    return 421;
  }}
"""]
  for s in scens:
    host = f"mta-sts.{s['d']}"
    names = [f"wrong.{sc.TLD}"] if s["cert"] == "wrongname" else [host]
    kind = s["cert"] if s["cert"] in ("expired", "selfsigned") else "good"
    key, crt = pki.leaf(s["name"], names, kind)
    root = os.path.join(d, "www", s["name"])
    body = s["policy"]
    if s["http"] == "oversized":
      # A valid policy padded past the 64 KiB limit with ignored fields.
      body += "".join(f"x-pad{i}: {'a' * 60}\n" for i in range(1500))
    write(os.path.join(root, ".well-known", "mta-sts.txt"), body)
    loc = {
        "ok": "types { } default_type text/plain; charset utf-8;",
        "nocharset": "types { } default_type text/plain;",
        "oversized": "types { } default_type text/plain; charset utf-8;",
        "html": "types { } default_type text/html;",
        "404": "return 404;",
        "redirect": f"return 301 https://mta-sts.enforce-ok.{sc.TLD}"
                    "/.well-known/mta-sts.txt;",
        # No Content-Length: the echo module sends the body chunked.
        "chunked": "default_type text/plain; charset utf-8; echo -n %s;"
                   % nginx_quote(body),
        # Answers after the slow threshold, inside the fetch timeout.
        "slow": "default_type text/plain; charset utf-8; echo_sleep %d; echo -n %s;"
                % (sc.SLOW_POLICY_DELAY_S, nginx_quote(body)),
        # Answers after the fetch timeout.
        "tooslow": "default_type text/plain; charset utf-8; echo_sleep %d; echo -n %s;"
                   % (sc.TOO_SLOW_POLICY_DELAY_S, nginx_quote(body)),
    }[s["http"]]
    listen = f"{sc.HTTPS_ADDR}:443 ssl"
    if s["policy_host_addr"] == sc.HTTPS_OLD_TLS_ADDR:
      # The only server on its address, so its protocols are the ones
      # negotiated (nginx picks them before it reads the SNI name).
      listen = (f"{sc.HTTPS_OLD_TLS_ADDR}:443 ssl default_server;\n"
                "    ssl_protocols TLSv1 TLSv1.1;\n"
                "    ssl_ciphers DEFAULT:@SECLEVEL=0")
    servers.append(f"""  server {{
    listen {listen};
    server_name {host};
    ssl_certificate {crt};
    ssl_certificate_key {key};
    root {root};
    location = /.well-known/mta-sts.txt {{ {loc} }}
  }}
""")
    if s["tlsrpt_host"]:
      # An rua collector: reports are POSTed; the checker's GET gets 405.
      rhost = f"tlsrpt.{s['d']}"
      rkey, rcrt = pki.leaf(s["name"] + "-tlsrpt", [rhost], s["tlsrpt_host"])
      servers.append(f"""  server {{
    listen {sc.HTTPS_ADDR}:443 ssl;
    server_name {rhost};
    ssl_certificate {rcrt};
    ssl_certificate_key {rkey};
    location / {{ return 405; }}
  }}
""")
  return d, write_nginx_conf(d, servers)


def write_nginx_conf(d, servers, workers=1, connections=256, http_extra=""):
  """d/nginx.conf serving the server blocks; returns its path."""
  path = os.path.join(d, "nginx.conf")
  write(path, f"""load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
user root;
worker_processes {workers};
worker_rlimit_nofile {2 * connections + 64};
pid {d}/nginx.pid;
error_log {d}/logs/error.log;
events {{ worker_connections {connections}; }}
http {{
{http_extra}  access_log {d}/logs/access.log;
  client_body_temp_path {d}/tmp-body;
  proxy_temp_path {d}/tmp-proxy;
  fastcgi_temp_path {d}/tmp-fastcgi;
  uwsgi_temp_path {d}/tmp-uwsgi;
  scgi_temp_path {d}/tmp-scgi;
  server_names_hash_bucket_size 128;
{''.join(servers)}}}
""")
  return path


# ----------------------------------------------------------------------- SMTP

# Postfix daemons the SMTP listeners need; chroot off, so the instance
# lives in the lab directory alone.
POSTFIX_SERVICES = """cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def mx_certs(pki, scens):
  """The MX listeners' keys and certificates: one naming every scenario's MX
  hosts (but the deliberately unnamed ones), one expired."""
  names = [h for s in scens for _, h, a in s["mx"] if a is not None]
  good = pki.leaf("mx-good", sorted(set(names)))
  expired_names = [h for s in scens for _, h, a in s["mx"]
                   if a == sc.MX_EXPIRED_ADDR]
  expired = pki.leaf("mx-expired", expired_names or [f"mx.{sc.TLD}"], "expired")
  return good, expired


def spki_sha256(crt):
  """TLSA 3 1 1 data: SHA-256 of the certificate's SubjectPublicKeyInfo."""
  pub = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-pubkey"],
                       capture_output=True, check=True, timeout=30).stdout
  der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                       capture_output=True, check=True, timeout=30).stdout
  return hashlib.sha256(der).hexdigest()


def postfix_conf(lab, certs):
  """A Postfix instance with one SMTP listener per MX address: the good
  certificate, the expired one, no TLS at all, and the good certificate
  with nothing newer than TLS 1.1."""
  d = os.path.join(lab, "postfix")
  os.makedirs(d)
  (gkey, gcrt), (ekey, ecrt) = certs
  write(os.path.join(d, "main.cf"), f"""compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.{sc.TLD}
mydestination =
relay_domains =
inet_interfaces = {", ".join(sc.MX_ADDRS)}
inet_protocols = ipv4
smtpd_relay_restrictions = reject
smtpd_recipient_restrictions = reject
maillog_file_prefixes = {d}
maillog_file = {d}/maillog
smtpd_tls_loglevel = 1
""")
  tls = "-o smtpd_tls_security_level=may -o smtpd_tls_chain_files="
  write(os.path.join(d, "master.cf"), f"""{sc.MX_GOOD_ADDR}:25 inet n - n - - smtpd
  -o myhostname=mx-good.{sc.TLD} {tls}{gkey},{gcrt}
{sc.MX_EXPIRED_ADDR}:25 inet n - n - - smtpd
  -o myhostname=mx-expired.{sc.TLD} {tls}{ekey},{ecrt}
{sc.MX_PLAIN_ADDR}:25 inet n - n - - smtpd
  -o myhostname=mx-plain.{sc.TLD} -o smtpd_tls_security_level=none
{sc.MX_OLD_TLS_ADDR}:25 inet n - n - - smtpd
  -o myhostname=mx-old-tls.{sc.TLD} {tls}{gkey},{gcrt}
  -o {{ smtpd_tls_protocols = >=TLSv1, <=TLSv1.1 }} -o smtpd_tls_ciphers=low
  -o tls_low_cipherlist=DEFAULT:@SECLEVEL=0
{POSTFIX_SERVICES}""")
  os.makedirs(os.path.join(d, "queue"))
  os.makedirs(os.path.join(d, "data"))
  shutil.chown(os.path.join(d, "data"), user="postfix")
  # Creates the queue's subdirectories with the owners Postfix insists on.
  run(["script", "-qec", f"postfix -c {d} check", "/dev/null"])
  return d


# --------------------------------------------------------------------- checks

def cli(args, cli_bin, timeout=120, server=GRPC_ADDR):
  return subprocess.run([cli_bin, "--server", server, "--json", "--no-color"]
                        + args, capture_output=True, text=True, timeout=timeout)


def judge(s, report):
  """Every expectation of s that report fails, as readable lines."""
  bad = []
  state = report.get("state", "(missing)")
  if state not in ["MTA_STS_STATE_" + v for v in s["state"].split("|")]:
    bad.append(f"state {state}, want {s['state']}")
  # Each check exactly once: a check left out of the report is a failure,
  # never a status some expectation happens to accept.
  statuses = {}
  for c in report.get("checks", []):
    name = c.get("check", "(unnamed)")
    if name in statuses:
      bad.append(f"check {name} appears twice")
    statuses[name] = c.get("status", "(no status)")
  for check in sc.CHECKS:
    want = s["checks"].get(check, "PASS")
    if check not in statuses:
      bad.append(f"check {check} missing from the report, want {want}")
    elif statuses[check] != "CHECK_STATUS_" + want:
      bad.append(f"check {check}: {statuses[check]}, want {want}")
  for check in sorted(set(statuses) - set(sc.CHECKS)):
    bad.append(f"unexpected check {check} ({statuses[check]}): add it to "
               "scenarios.CHECKS with an expectation")
  codes = {f["code"] for c in report.get("checks", []) for f in c.get("findings", [])}
  codes |= {f["code"] for f in report.get("domain_findings", [])}
  for code in s["codes"]:
    if code not in codes:
      bad.append(f"missing finding {code}")
  for code in s["absent"]:
    if code in codes:
      bad.append(f"unexpected finding {code}")
  details = {}
  for f in ([f for c in report.get("checks", []) for f in c.get("findings", [])]
            + report.get("domain_findings", [])):
    details.setdefault(f["code"], []).append(f.get("detail", ""))
  for code, want in s["details"].items():
    if not any(want in d for d in details.get(code, [])):
      bad.append(f"no {code} detail says {want!r}: {details.get(code, [])}")
  score = report.get("score", "(missing)")
  if score != s["score"]:
    bad.append(f"score {score}, want {s['score']}")
  if s["name"] == "idn" and report.get("unicode_domain") != s["unicode"]:
    bad.append(f"unicode_domain {report.get('unicode_domain')!r}, want {s['unicode']!r}")
  if bad:
    bad.append("codes seen: " + ", ".join(sorted(codes)))
  return bad


def sender_view(report):
  """What a sender does with the domain according to our report."""
  state = report.get("state", "").replace("MTA_STS_STATE_", "")
  mode = {"ENFORCED": "enforce", "TESTING": "testing", "DISABLED": "none"}
  return f"VALID {mode[state]}" if state in mode else f"no policy ({state})"


def peer_view(s, ca_file):
  """What postfix-mta-sts-resolver, an independent sender implementation,
  makes of the domain, through the same resolver and trust store."""
  try:
    r = subprocess.run(["/usr/bin/mta-sts-query", s["d"]], capture_output=True,
                       text=True, timeout=30,
                       env=dict(os.environ, SSL_CERT_FILE=ca_file))
  except (OSError, subprocess.TimeoutExpired) as e:
    return f"peer failed: {e}"
  result = re.search(r"STSFetchResult\.(\w+)", r.stdout)
  if not result:
    return f"peer failed: {(r.stdout + r.stderr).strip()[-200:]}"
  if result.group(1) != "VALID":
    return f"no policy ({result.group(1)})"
  mode = re.search(r"'mode': '(\w+)'", r.stdout)
  return f"VALID {mode.group(1) if mode else '?'}"


def check_one(s, cli_bin, lab):
  query = s["unicode"]
  r = cli(["check", query, "--timeout", "60s"], cli_bin)
  if r.returncode != 0:
    return [f"CLI exit {r.returncode}: {r.stderr.strip()[:300]}"], None
  report = json.loads(r.stdout)
  write(os.path.join(lab, "reports", f"{s['name']}.json"),
        json.dumps(report, indent=1, ensure_ascii=False))
  return judge(s, report), sender_view(report)


def fleet(scens, cli_bin, lab, server=GRPC_ADDR, transport="udp"):
  """All domains through one StreamFleet; the summary must add up, and every
  report must name the resolver transport the server was started with."""
  listing = os.path.join(lab, "fleet.txt")
  write(listing, "".join(f"{s['unicode']} {s['name']}\n" for s in scens))
  r = cli(["fleet", listing, "--timeout", "300s"], cli_bin, timeout=330, server=server)
  if r.returncode != 0:
    return [f"fleet CLI exit {r.returncode}: {r.stderr.strip()[:300]}"]
  events = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
  results = {e["result"]["tag"]: e["result"]["report"] for e in events if "result" in e}
  errors = [e["error"] for e in events if "error" in e]
  summaries = [e["summary"] for e in events if "summary" in e]
  bad = []
  if len(summaries) != 1:
    return [f"{len(summaries)} fleet summaries, want 1"]
  summ = summaries[0]
  n = len(scens)
  if summ.get("received") != n or summ.get("reported") != n or summ.get("errors", 0):
    bad.append(f"summary received={summ.get('received')} reported={summ.get('reported')} "
               f"errors={summ.get('errors')}, want {n}/{n}/0")
  if errors:
    bad.append(f"fleet errors: {errors}")
  if set(results) != {s["name"] for s in scens}:
    bad.append(f"fleet results for {sorted(results)}")
  for name, rep in sorted(results.items()):
    resolver = rep.get("resolver", {})
    error = resolver.get("transport_error", resolver.get("transportError", ""))
    if resolver.get("transport") != transport or error:
      bad.append(f"fleet {name}: resolver {resolver}, want transport {transport} "
                 "without a transport error")
    # Who answered is one of the configured resolvers, as configured (never
    # the local forwarder's address).
    answered = resolver.get("answered_by", resolver.get("answeredBy", []))
    stray = [a for a in answered if a not in resolver.get("servers", [])]
    if stray:
      bad.append(f"fleet {name}: answered_by {answered} not among servers "
                 f"{resolver.get('servers')}")
  if results and not any(r.get("resolver", {}).get("answered_by",
                                                    r.get("resolver", {}).get("answeredBy"))
                         for r in results.values()):
    bad.append(f"fleet over {transport}: no report names the resolver that answered")
  by_state = {}
  for rep in results.values():
    by_state[rep["state"]] = by_state.get(rep["state"], 0) + 1
  got = {c["state"]: c["count"] for c in summ.get("by_state", []) if c.get("count")}
  if got != by_state:
    bad.append(f"summary by_state {got}, reports say {by_state}")
  by_grade = {}
  for rep in results.values():
    by_grade[rep["grade"]] = by_grade.get(rep["grade"], 0) + 1
  got = {c["grade"]: c["count"] for c in summ.get("by_grade", []) if c.get("count")}
  if got != by_grade:
    bad.append(f"summary by_grade {got}, reports say {by_grade}")
  hist = summ.get("score_histogram", [])
  if sum(hist) != len(results):
    bad.append(f"score_histogram {hist} counts {sum(hist)}, want {len(results)}")
  if results:
    mean = sum(r["score"] for r in results.values()) / len(results)
    if abs(summ.get("mean_score", -1) - mean) > 0.5:
      bad.append(f"mean_score {summ.get('mean_score')}, reports average {mean:.2f}")
  for s in scens:
    # Known bugs are reported by the single checks already.
    if s["name"] in results and not s["known"]:
      for line in judge(s, results[s["name"]]):
        bad.append(f"fleet {s['name']}: {line}")
  return bad


def report_line(name, bad, known):
  """Prints one result; returns 1 if it fails the suite."""
  if known:
    verdict = "XFAIL" if bad else "XPASS"
    print(f"{verdict} {name} (known: {known})", flush=True)
    if not bad:
      print("       passes now: remove its 'known' marker in scenarios.py")
  else:
    print(f"{'FAIL ' if bad else 'ok   '} {name}", flush=True)
  for line in bad:
    print(f"       {line}", flush=True)
  return int(bool(bad) != bool(known))


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
