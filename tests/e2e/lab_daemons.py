"""The lab's daemons, configured for the scenario table: the lab CA and its
certificates, the signed zones for nsd, unbound, nginx and Postfix, and the
addresses the service listens on.
"""

import hashlib
import os
import shutil
import subprocess

import scenarios as sc
from lab_procs import run, write

GRPC_ADDR = "127.0.0.1:50051"
# The same service resolving over DNS over HTTPS and DNS over TLS
# (--dns_transport) from the lab unbound's DoH and DoT listeners.
DOH_GRPC_ADDR = "127.0.0.1:50052"
DOT_GRPC_ADDR = "127.0.0.1:50053"
RESOLVER_NAME = f"resolver.{sc.TLD}"


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
