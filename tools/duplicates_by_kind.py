#!/usr/bin/python3
"""Sorts the counted rows of a `duplicates` listing by what they repeat.

    duplicates --seconds 300 --most 200 > /tmp/d.txt
    tools/duplicates_by_kind.py /tmp/d.txt

`duplicates` (a tool of the development machine, not of this repository)
pairs places that share six or more lines of the same shape. Rows it marks
boilerplate are left out here, as they are there. The rest are sorted by the
files they name, so that repeated logic (code, test bodies) can be told from
pairs of finding-table rows, BUILD stanzas and declarations, which share a
shape but no logic. The kinds are decided by path alone, in this order.
"""

import re
import sys


def is_build(path):
  return path.endswith(("BUILD.bazel", ".bzl"))


def is_test(path):
  return "_test" in path or "test_" in path or path.startswith("tests/")


def kind(a, b):
  (fa, sa), (fb, sb) = a, b
  if is_build(fa) and is_build(fb):
    return "BUILD files"
  if fa.endswith(".proto") or fb.endswith(".proto"):
    return "proto messages"
  if any(f.endswith(("_findings.cc", "_rfc_cases.cc")) for f in (fa, fb)) or (
      fa == fb and fa.endswith("mx_pattern_test.cc")):
    return "finding and case tables (data rows)"
  if fa.endswith(".h") and fb.endswith(".h"):
    return "declarations in headers"
  if is_test(fa) or is_test(fb):
    # Both runs near the top of two files: includes and `using` lines.
    if sa < 40 and sb < 40 and fa != fb:
      return "test preludes (includes, usings)"
    return "test bodies"
  return "code"


def main(listing):
  kinds = {}
  for line in open(listing):
    if not re.match(r"^D\d+ ", line) or "boilerplate" in line:
      continue
    places = re.findall(r"(\S+?):(\d+)-\d+", line)[:2]
    (fa, sa), (fb, sb) = places
    k = kind((fa, int(sa)), (fb, int(sb)))
    kinds.setdefault(k, []).append((line.split()[0], " shape" not in line))
  total = 0
  for k, rows in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
    same = sum(1 for _, identical in rows if identical)
    total += len(rows)
    print(f"{len(rows):4d} ({same} identical)  {k}: "
          + " ".join(r for r, _ in rows))
  print(f"{total:4d} counted rows")


if __name__ == "__main__":
  main(sys.argv[1])
