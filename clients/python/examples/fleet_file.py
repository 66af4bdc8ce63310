#!/usr/bin/env python3
"""Checks every domain in a file over one stream and prints a summary.

    python3 fleet_file.py domains.txt          # or - for stdin
    python3 fleet_file.py --target dns:///checker.internal:50051 domains.txt
    # Spread over every replica, re-sending what one that dies did not answer:
    python3 fleet_file.py --spread \
        --target ipv4:10.0.0.1:50051,10.0.0.2:50051 domains.txt

One entry a line: `domain [tag]`; blank lines and lines starting with # are
skipped. The file is read as the server takes entries, so it can be
arbitrarily long. Prints one line per domain (in completion order) and the
summary. Exit status: 0 when every entry got a report, 3 when some got an
error event, 1 when the stream failed, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import TextIO

from mtasts_client import (Client, FleetEvent, FleetStream, Grade,
                           MtaStsError, MtaStsState, SpreadFleet)


def entries(lines: TextIO) -> Iterator[tuple[str, str]]:
    for line in lines:
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        yield fields[0], fields[1] if len(fields) > 1 else ""


def show(event: FleetEvent) -> int:
    """Prints a result or error event; 1 for an error event."""
    kind = event.WhichOneof("event")
    if kind == "result":
        report = event.result.report
        print(f"{report.domain} {event.result.tag} "
              f"{Grade.Name(report.grade)[6:]} {report.score}")
    elif kind == "error":
        print(f"{event.error.domain} {event.error.tag} "
              f"error {event.error.code}: {event.error.message}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", help="domains, one a line; - for stdin")
    parser.add_argument("--target", default="127.0.0.1:50051",
                        help="gRPC target (default %(default)s)")
    parser.add_argument("--checks", help="comma-separated check names")
    parser.add_argument("--spread", action="store_true",
                        help="one stream per backend of the target, with "
                        "failover (Client.spread_fleet)")
    args = parser.parse_args(argv)
    checks = args.checks.split(",") if args.checks else None

    if args.file == "-":
        lines = sys.stdin
    else:
        try:
            lines = open(args.file, encoding="utf-8")
        except OSError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    errors = 0
    stream: FleetStream | SpreadFleet
    try:
        with lines, Client(args.target) as client:
            if args.spread:
                stream = client.spread_fleet(entries(lines), checks=checks)
            else:
                stream = client.fleet(entries(lines), checks=checks)
            with stream:
                for event in stream:
                    errors += show(event)
                summary = stream.summary
    except MtaStsError as e:
        print(f"error: {e.code.name}: {e.details}", file=sys.stderr)
        return 1
    except ValueError as e:  # a malformed target
        print(f"error: {e}", file=sys.stderr)
        return 2

    assert summary is not None  # the stream ends with it
    print(f"received {summary.received}, reported {summary.reported}, "
          f"errors {summary.errors}, mean score {summary.mean_score:.1f}")
    for count in summary.by_grade:
        print(f"  grade {Grade.Name(count.grade)[6:]}: {count.count}")
    for count in summary.by_state:
        name = MtaStsState.Name(count.state)[len("MTA_STS_STATE_"):]
        print(f"  {name}: {count.count}")
    if isinstance(stream, SpreadFleet):
        stats = stream.stats
        answered = ", ".join(f"{b.address} {b.answered}"
                             for b in stats.per_backend)
        print(f"spread over {stats.backends} backends: {answered}; "
              f"{stats.resent} entries re-sent")
    return 3 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
