"""Fails when a dependency points the wrong way.

Reads the dependency graph Bazel wrote at build time (genquery, --output=graph)
and checks every direct edge between this repository's targets:
  - layers: server -> engine -> checks -> net, each may use proto/; clients/
    call the API only; fleet/ (what server and clients both compute about a
    fleet) uses proto/ only, and both may use it; tools/ may use anything;
  - a check plugin (checks/<name>/) never depends on another plugin;
  - the shared parts of checks/ (the contract, common/, findings/, inputs/)
    depend on no plugin; only //checks:registry lists them;
  - the engine reaches plugins only through //checks:registry.
Usage: layering_test.py GRAPH_FILE
"""
import re
import sys

# Packages under checks/ that are not plugins.
SHARED_CHECKS = {"checks", "checks/common", "checks/findings", "checks/inputs",
                 "checks/scoring", "checks/testing"}

# Which layers each layer may depend on directly.
ALLOWED = {
    "net": {"net", "proto"},
    "checks": {"checks", "net", "proto"},
    "engine": {"engine", "checks", "net", "proto"},
    "server": {"server", "engine", "checks", "net", "fleet", "proto"},
    "clients": {"clients", "fleet", "proto"},
    "fleet": {"fleet", "proto"},
    "proto": {"proto"},
}


def package(label):
    m = re.match(r"^//([^:]*):", label)
    return m.group(1) if m else None


def layer(pkg):
    return pkg.split("/")[0] if pkg else None


def violations(edges):
    found = []
    for src, dst in edges:
        sp, dp = package(src), package(dst)
        if sp is None or dp is None or sp == dp:
            continue  # external repositories, files of the same package
        sl, dl = layer(sp), layer(dp)
        if sl in ALLOWED and dl not in ALLOWED[sl]:
            found.append(f"{src} -> {dst}: {sl}/ may not depend on {dl}/")
            continue
        d_plugin = dl == "checks" and dp not in SHARED_CHECKS
        if not d_plugin:
            continue
        s_plugin = sl == "checks" and sp not in SHARED_CHECKS
        if s_plugin:
            found.append(f"{src} -> {dst}: a check plugin may not depend on another plugin")
        elif sl == "checks" and src != "//checks:registry":
            # Scoring reads one row table (POLICY_WITHOUT_TXT, a policy_fetch
            # code the aggregator reports); rows are data, not a plugin.
            if sp == "checks/scoring" and dst.endswith("_findings"):
                continue
            found.append(f"{src} -> {dst}: shared checks code may not depend on a plugin "
                         "(only //checks:registry lists them)")
        elif sl == "engine":
            found.append(f"{src} -> {dst}: the engine reaches plugins only through "
                         "//checks:registry")
    return found


def main():
    edges = []
    with open(sys.argv[1]) as graph:
        for line in graph:
            m = re.match(r'\s*"([^"]+)"\s*->\s*"([^"]+)"', line)
            if m:
                edges.append((m.group(1), m.group(2)))
    # A graph without the edges we know exist would make the test vacuous.
    required = [("//engine:engine", "//checks:registry"),
                ("//checks:registry", "//checks/txt:txt_check"),
                ("//checks:check", "//net:reactor"),
                ("//clients/cpp:client", "//fleet:summary_counts")]
    missing = [e for e in required if e not in edges]
    if missing:
        print(f"dependency graph lacks expected edges {missing}: is the query right?")
        return 1
    found = violations(edges)
    for v in found:
        print(v)
    print(f"{len(edges)} edges checked, {len(found)} violations")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
