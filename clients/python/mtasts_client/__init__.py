"""Python client for the mtasts MTA-STS checking service.

    from mtasts_client import Client

    with Client("127.0.0.1:50051") as client:
        report = client.check("example.com")
        print(report.score, Grade.Name(report.grade))
        # One fleet over every replica of the target, with failover.
        for event in client.spread_fleet(["example.com", "example.org"]):
            print(event)

The messages are the generated mtasts.v1 classes (re-exported here):
DomainReport, FleetEvent, FleetSummary, Finding and the enums.
"""

from mtasts.v1.findings_pb2 import Finding, FindingCode, Severity
from mtasts.v1.report_pb2 import (CheckResult, CheckStatus, DomainReport,
                                  Grade, MtaStsState)
from mtasts.v1.service_pb2 import (FleetError, FleetEvent, FleetRequest,
                                   FleetResult, FleetSummary)
from mtasts_client._client import (NO_RETRY, Client, FleetEntry, FleetStream,
                                   MtaStsError, RetryPolicy, TlsOptions)
from mtasts_client._backends import Backend, resolve_backends
from mtasts_client._spread import BackendStats, FleetStats, SpreadFleet

__all__ = [
    "NO_RETRY",
    "Backend",
    "BackendStats",
    "CheckResult",
    "CheckStatus",
    "Client",
    "DomainReport",
    "Finding",
    "FindingCode",
    "FleetEntry",
    "FleetError",
    "FleetEvent",
    "FleetRequest",
    "FleetResult",
    "FleetStats",
    "FleetStream",
    "FleetSummary",
    "Grade",
    "MtaStsError",
    "MtaStsState",
    "RetryPolicy",
    "Severity",
    "SpreadFleet",
    "TlsOptions",
    "resolve_backends",
]
