"""mtasts_client against an in-process server built on the generated
servicer, which fails or stalls on purpose: retry and backoff, fleet replay,
the entries window, errors from the caller's entries, option checks."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest

from mtasts.v1 import report_pb2, service_pb2, service_pb2_grpc
from mtasts_client import (NO_RETRY, Client, FleetEvent, MtaStsError,
                           RetryPolicy, TlsOptions)

FAST_RETRY = RetryPolicy(max_attempts=4, initial_backoff=0.1, max_backoff=0.4)


class FakeChecker(service_pb2_grpc.MtaStsCheckerServicer):
    """Scripted server: check_codes / fleet_plans say what each call does."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.check_times: list[float] = []
        # Status code for each CheckDomain call in turn; OK past the end.
        self.check_codes: list[grpc.StatusCode] = []
        # One function per StreamFleet call: (requests, context) -> events.
        self.fleet_plans: list[Callable[[Iterator[Any], Any],
                                        Iterator[FleetEvent]]] = []
        self.fleet_calls = 0
        self.fleet_ended = threading.Event()  # the last fleet call ended

    def CheckDomain(self, request: Any, context: Any) -> Any:
        with self.lock:
            self.check_times.append(time.monotonic())
            n = len(self.check_times)
            code = (self.check_codes[n - 1]
                    if n <= len(self.check_codes) else grpc.StatusCode.OK)
        if code != grpc.StatusCode.OK:
            context.abort(code, f"scripted failure {n}")
        return report_pb2.DomainReport(domain=request.domain, score=n)

    def StreamFleet(self, request_iterator: Any, context: Any) -> Any:
        with self.lock:
            plan = self.fleet_plans[self.fleet_calls]
            self.fleet_calls += 1
        if not context.add_callback(self.fleet_ended.set):
            self.fleet_ended.set()  # it already had
        yield from plan(request_iterator, context)


def answer_all(requests: Iterator[Any], context: Any) -> Iterator[FleetEvent]:
    """A well-behaved fleet: a result per entry, then the summary."""
    received = 0
    for request in requests:
        received += 1
        yield service_pb2.FleetEvent(result=service_pb2.FleetResult(
            tag=request.tag,
            report=report_pb2.DomainReport(domain=request.domain)))
    yield service_pb2.FleetEvent(summary=service_pb2.FleetSummary(
        received=received, reported=received))


@pytest.fixture
def server() -> Iterator[tuple[FakeChecker, str]]:
    checker = FakeChecker()
    srv = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    service_pb2_grpc.add_MtaStsCheckerServicer_to_server(checker, srv)
    port = srv.add_insecure_port("127.0.0.1:0")
    srv.start()
    yield checker, f"127.0.0.1:{port}"
    srv.stop(grace=None)


def counting(items: list[Any], pulled: list[int]) -> Iterator[Any]:
    """Yields items, counting in pulled[0] how many were taken."""
    for item in items:
        pulled[0] += 1
        yield item


def failed_check(server: tuple[FakeChecker, str],
                 codes: list[grpc.StatusCode], retry: RetryPolicy,
                 **kwargs: Any) -> tuple[MtaStsError, int]:
    """Scripts codes, then checks example.com, which must fail: the error
    and how many attempts reached the server."""
    checker, target = server
    checker.check_codes = codes
    with Client(target, retry=retry) as client:
        with pytest.raises(MtaStsError) as info:
            client.check("example.com", **kwargs)
    return info.value, len(checker.check_times)


def test_check_retries_resource_exhausted_with_growing_backoff(server):
    checker, target = server
    checker.check_codes = [grpc.StatusCode.RESOURCE_EXHAUSTED,
                           grpc.StatusCode.UNAVAILABLE,
                           grpc.StatusCode.RESOURCE_EXHAUSTED]
    with Client(target, retry=FAST_RETRY) as client:
        report = client.check("example.com")
    assert report.score == 4  # the fourth attempt answered
    gaps = [b - a for a, b in zip(checker.check_times,
                                  checker.check_times[1:])]
    # Pauses are drawn from [d/2, d] with d = 0.1, 0.2, 0.4.
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1 and gaps[2] >= 0.2, gaps


def test_check_gives_up_after_max_attempts(server):
    error, attempts = failed_check(
        server, [grpc.StatusCode.UNAVAILABLE] * 10, FAST_RETRY)
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert error.details == "scripted failure 4"
    assert attempts == 4


def test_check_does_not_retry_other_codes(server):
    error, attempts = failed_check(
        server, [grpc.StatusCode.INVALID_ARGUMENT], FAST_RETRY)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert attempts == 1


def test_check_retries_stop_at_the_timeout(server):
    # Every pause (2.5 to 5 s) would end past the 2 s timeout.
    slow = RetryPolicy(max_attempts=10, initial_backoff=5, max_backoff=5)
    started = time.monotonic()
    error, attempts = failed_check(
        server, [grpc.StatusCode.UNAVAILABLE] * 10, slow, timeout=2)
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert time.monotonic() - started < 2
    assert attempts == 1


def test_no_retry_policy(server):
    error, _ = failed_check(
        server, [grpc.StatusCode.RESOURCE_EXHAUSTED], NO_RETRY)
    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_fleet_failing_before_any_event_is_replayed_in_order(server):
    checker, target = server
    seen_by_first: list[str] = []

    def fail_after_three(requests, context):
        for request in requests:
            seen_by_first.append(request.domain)
            if len(seen_by_first) == 3:
                context.abort(grpc.StatusCode.UNAVAILABLE, "going away")
        yield from ()

    checker.fleet_plans = [fail_after_three, answer_all]
    domains = [f"d{i}.example" for i in range(10)]
    pulled = [0]
    with Client(target, retry=FAST_RETRY) as client:
        events = list(client.fleet(counting(
            [(d, f"t{i}") for i, d in enumerate(domains)], pulled)))
    assert seen_by_first == domains[:3]
    assert [e.result.report.domain for e in events[:-1]] == domains
    assert [e.result.tag for e in events[:-1]] == [
        f"t{i}" for i in range(10)]
    assert events[-1].summary.received == 10
    assert pulled[0] == 10  # each entry taken from the iterable once
    assert checker.fleet_calls == 2


def test_fleet_failing_after_an_event_is_not_retried(server):
    checker, target = server

    def fail_after_one_event(requests, context):
        request = next(requests)
        yield service_pb2.FleetEvent(result=service_pb2.FleetResult(
            tag=request.tag))
        context.abort(grpc.StatusCode.UNAVAILABLE, "going away")

    checker.fleet_plans = [fail_after_one_event, answer_all]
    with Client(target, retry=FAST_RETRY) as client:
        stream = client.fleet(["a.example", "b.example"])
        first = next(stream)
        assert first.result.tag == ""
        with pytest.raises(MtaStsError) as info:
            next(stream)
        assert info.value.code == grpc.StatusCode.UNAVAILABLE
        assert info.value.details == "going away"
        with pytest.raises(StopIteration):
            next(stream)
    assert checker.fleet_calls == 1


def test_fleet_reads_at_most_window_entries_ahead(server):
    checker, target = server
    release = threading.Event()

    def read_all_answer_later(requests, context):
        # Reads every entry it is sent (no server-side flow control), and
        # answers none until released.
        def read() -> None:
            try:
                for _ in requests:
                    pass
            except grpc.RpcError:
                pass  # cancelled

        threading.Thread(target=read, daemon=True).start()
        release.wait(10)
        yield from ()

    checker.fleet_plans = [read_all_answer_later]
    pulled = [0]
    with Client(target) as client:
        stream = client.fleet(counting(
            [f"d{i}.example" for i in range(1000)], pulled), window=5)
        time.sleep(1.0)  # the server reads everything it is sent
        assert pulled[0] == 5
        stream.cancel()
        release.set()
        with pytest.raises(MtaStsError) as info:
            next(stream)
        assert info.value.code == grpc.StatusCode.CANCELLED
    assert checker.fleet_ended.wait(5)


def test_fleet_window_moves_with_the_events_read(server):
    checker, target = server
    checker.fleet_plans = [answer_all]
    pulled = [0]
    with Client(target) as client:
        with client.fleet(counting([f"d{i}.example" for i in range(50)],
                                   pulled), window=3) as stream:
            for answered, event in enumerate(stream, start=1):
                if event.WhichOneof("event") == "result":
                    # Never more than the window beyond what was read.
                    assert pulled[0] <= answered + 3
    assert pulled[0] == 50


def test_an_exception_from_the_entries_cancels_and_is_raised(server):
    checker, target = server
    checker.fleet_plans = [answer_all]

    def entries():
        yield "a.example"
        raise RuntimeError("the caller's file went away")

    with Client(target) as client:
        with pytest.raises(RuntimeError, match="went away"):
            list(client.fleet(entries()))
    assert checker.fleet_ended.wait(5)


def test_a_wrong_entry_type_is_a_type_error(server):
    checker, target = server
    checker.fleet_plans = [answer_all]
    with Client(target) as client:
        with pytest.raises(TypeError, match="fleet entry"):
            list(client.fleet(["a.example", ("b.example", 7)]))


def test_close_cancels_and_ends_the_iteration(server):
    checker, target = server
    stalled = threading.Event()

    def stall(requests, context):
        next(requests)
        stalled.set()
        while context.is_active():
            time.sleep(0.05)
        yield from ()

    checker.fleet_plans = [stall]
    with Client(target) as client:
        stream = client.fleet(iter(["a.example"]))
        assert stalled.wait(5)
        stream.close()
        with pytest.raises(StopIteration):
            next(stream)
    assert checker.fleet_ended.wait(5)


def test_option_checks():
    with pytest.raises(ValueError, match="go together"):
        TlsOptions(cert_file="client.pem")
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with Client("127.0.0.1:1") as client:
        with pytest.raises(TypeError, match="sequence of check names"):
            client.check("example.com", checks="txt")
        with pytest.raises(ValueError, match="window"):
            client.fleet([], window=0)


def test_tls_files_must_be_pem(tmp_path):
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("hello")
    with pytest.raises(ValueError, match="not PEM"):
        Client("127.0.0.1:1", tls=TlsOptions(ca_file=not_pem))
    with pytest.raises(FileNotFoundError):
        Client("127.0.0.1:1", tls=TlsOptions(ca_file=tmp_path / "missing"))


def test_unreachable_server_is_unavailable_after_retries():
    # Port 1 on loopback: nothing listens, the connection is refused.
    with Client("127.0.0.1:1", retry=FAST_RETRY) as client:
        started = time.monotonic()
        with pytest.raises(MtaStsError) as info:
            client.check("example.com", timeout=10)
        assert info.value.code == grpc.StatusCode.UNAVAILABLE
        assert time.monotonic() - started >= 0.05 + 0.1 + 0.2
