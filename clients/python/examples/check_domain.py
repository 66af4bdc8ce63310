#!/usr/bin/env python3
"""Checks one domain and prints its grade, findings and what to do.

    python3 check_domain.py example.com
    python3 check_domain.py --target 10.0.0.5:50051 --ca-file ca.pem \\
        --cert-file client.pem --key-file client.key example.com

Exit status: 0 with a report, 1 when the call fails (the gRPC code is
printed), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import sys

from mtasts_client import (CheckStatus, Client, Grade, MtaStsError,
                           MtaStsState, Severity, TlsOptions)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("domain")
    parser.add_argument("--target", default="127.0.0.1:50051",
                        help="gRPC target (default %(default)s)")
    parser.add_argument("--checks", help="comma-separated check names")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--ca-file", help="TLS: CA that verifies the server")
    parser.add_argument("--cert-file", help="mutual TLS: client certificate")
    parser.add_argument("--key-file", help="mutual TLS: client key")
    parser.add_argument("--server-name",
                        help="TLS: name in the server's certificate")
    args = parser.parse_args(argv)

    tls = None
    if args.ca_file or args.cert_file or args.server_name:
        tls = TlsOptions(ca_file=args.ca_file, cert_file=args.cert_file,
                         key_file=args.key_file, server_name=args.server_name)
    checks = args.checks.split(",") if args.checks else None
    try:
        with Client(args.target, tls=tls) as client:
            report = client.check(args.domain, checks=checks,
                                  timeout=args.timeout)
    except MtaStsError as e:
        print(f"error: {e.code.name}: {e.details}", file=sys.stderr)
        return 1

    print(f"{report.domain}: grade {Grade.Name(report.grade)[6:]}, "
          f"score {report.score}, state "
          f"{MtaStsState.Name(report.state)[len('MTA_STS_STATE_'):]}")
    print(report.summary)
    for check in report.checks:
        status = CheckStatus.Name(check.status)[len("CHECK_STATUS_"):]
        print(f"  {check.check:<15} {status}")
        for finding in check.findings:
            severity = Severity.Name(finding.severity)[len("SEVERITY_"):]
            print(f"    [{severity}] {finding.title}")
    for finding in report.domain_findings:
        severity = Severity.Name(finding.severity)[len("SEVERITY_"):]
        print(f"  [{severity}] {finding.title}")
    if report.actions:
        print("What to do, most urgent first:")
    for action in report.actions:
        priority = Severity.Name(action.priority)[len("SEVERITY_"):]
        print(f"  [{priority}] {action.action}")
    for practice in report.good_practice:
        print(f"  (good practice) {practice}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
