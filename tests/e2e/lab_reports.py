"""Checking the service's reports: each domain through `mtasts check`, judged
against its scenario; the whole table through `mtasts fleet`, whose summary
must add up; and what postfix-mta-sts-resolver, a sender, makes of a domain.
"""

import json
import os
import re
import subprocess

import scenarios as sc
from lab_daemons import GRPC_ADDR
from lab_procs import write


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
