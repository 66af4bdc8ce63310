"""Client.spread_fleet's rules against in-process servers built on the
generated servicer, scripted to misbehave; resolve_backends; the summary
arithmetic and the merge of the servers' groups."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from google.protobuf import duration_pb2

from mtasts.v1 import findings_pb2, report_pb2, service_pb2, service_pb2_grpc
from mtasts_client import (Backend, Client, FleetEvent, MtaStsError,
                           _health, resolve_backends)
from mtasts_client._fleet_summary import FleetSummaryBuilder, merge_groupings
from mtasts_client._spread import _fleet_position_message

Plan = Callable[[Iterator[Any], Any], Iterator[FleetEvent]]


def result(request: Any, score: int = 100) -> FleetEvent:
    return FleetEvent(result=service_pb2.FleetResult(
        tag=request.tag, report=report_pb2.DomainReport(
            domain=request.domain, score=score)))


def answer_all(requests: Iterator[Any], context: Any) -> Iterator[FleetEvent]:
    n = 0
    for request in requests:
        n += 1
        yield result(request)
    yield FleetEvent(summary=service_pb2.FleetSummary(received=n, reported=n))


class Scripted(service_pb2_grpc.MtaStsCheckerServicer):
    """Each StreamFleet call runs the next plan; past the end, answer_all."""

    def __init__(self, plans: list[Plan]) -> None:
        self.lock = threading.Lock()
        self.plans = plans
        self.calls = 0
        self.seen: list[str] = []  # tags of the entries read, as sent

    def StreamFleet(self, request_iterator: Any, context: Any) -> Any:
        with self.lock:
            plan = (self.plans[self.calls] if self.calls < len(self.plans)
                    else answer_all)
            self.calls += 1

        def recorded() -> Iterator[Any]:
            for request in request_iterator:
                with self.lock:
                    self.seen.append(request.tag)
                yield request
        yield from plan(recorded(), context)


def health(status: int) -> grpc.GenericRpcHandler:
    """A grpc.health.v1 Watch that says `status` and holds the call."""

    def watch(request: Any, context: Any) -> Iterator[Any]:
        yield _health.HealthCheckResponse(status=status)
        ended = threading.Event()
        context.add_callback(ended.set)
        ended.wait(30)

    return grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Watch": grpc.unary_stream_rpc_method_handler(
            watch, request_deserializer=_health.HealthCheckRequest.FromString,
            response_serializer=lambda m: m.SerializeToString())})


@pytest.fixture
def servers() -> Iterator[Callable[..., tuple[list[Scripted], str]]]:
    started: list[grpc.Server] = []

    def start(*plans: list[Plan],
              not_serving: tuple[int, ...] = ()) -> tuple[list[Scripted], str]:
        checkers, addresses = [], []
        for n, p in enumerate(plans):
            checker = Scripted(list(p))
            srv = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
            if n in not_serving:
                srv.add_generic_rpc_handlers((health(2),))  # NOT_SERVING
            service_pb2_grpc.add_MtaStsCheckerServicer_to_server(checker, srv)
            port = srv.add_insecure_port("127.0.0.1:0")
            srv.start()
            started.append(srv)
            checkers.append(checker)
            addresses.append(f"127.0.0.1:{port}")
        return checkers, "ipv4:" + ",".join(addresses)

    yield start
    for srv in started:
        srv.stop(grace=None)


def entries(n: int) -> list[tuple[str, str]]:
    return [(f"d{i}.test", f"t{i}") for i in range(n)]


def tags_of(events: list[FleetEvent]) -> list[str]:
    return [e.result.tag if e.HasField("result") else e.error.tag
            for e in events if not e.HasField("summary")]


FAST = {"retry_backoff": 0.01, "max_retry_backoff": 0.05, "timeout": 30}


def test_a_stream_cut_after_some_answers_has_the_rest_resent(servers):
    def two_then_abort(requests, context):
        taken = [next(requests) for _ in range(5)]
        yield result(taken[0])
        yield result(taken[1])
        context.abort(grpc.StatusCode.UNAVAILABLE, "server draining: 2")

    (cut, other), target = servers([two_then_abort], [])
    with Client(target) as client:
        with client.spread_fleet(entries(40), window=5, **FAST) as fleet:
            events = list(fleet)
    assert sorted(tags_of(events)) == sorted(t for _, t in entries(40))
    assert events[-1].summary.received == 40
    stats = fleet.stats
    assert stats.resent >= 3 and stats.duplicates == 0
    assert stats.per_backend[0].resent_from == stats.resent
    assert stats.per_backend[0].failed_streams == 1
    assert "server draining" in stats.per_backend[0].last_error
    # On the wire: "<sequence>:<caller's tag>"; the resent ones twice.
    assert all(t.split(":", 1)[1] == f"t{t.split(':')[0]}"
               for t in cut.seen + other.seen)


def test_an_answer_for_an_entry_already_answered_is_dropped(servers):
    def echo_twice(requests, context):
        n = 0
        for request in requests:
            n += 1
            yield result(request)
            yield result(request)
            # And one for a tag that is not the library's.
            yield FleetEvent(result=service_pb2.FleetResult(tag="stray"))
        yield FleetEvent(summary=service_pb2.FleetSummary(received=n))

    _, target = servers([echo_twice])
    with Client(target) as client:
        with client.spread_fleet(entries(10), **FAST) as fleet:
            events = list(fleet)
    assert sorted(tags_of(events)) == sorted(t for _, t in entries(10))
    assert fleet.stats.duplicates == 20
    assert events[-1].summary.received == 10


def test_a_status_every_backend_would_repeat_ends_the_fleet(servers):
    def refuse(requests, context):
        next(requests)
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "not you")
        yield  # pragma: no cover

    _, target = servers([refuse], [refuse])
    with Client(target) as client:
        fleet = client.spread_fleet(entries(10), **FAST)
        with pytest.raises(MtaStsError) as info:
            list(fleet)
    assert info.value.code == grpc.StatusCode.PERMISSION_DENIED
    assert info.value.details == "not you"
    assert fleet.summary is None


def test_a_stream_that_ends_ok_without_answering_is_a_failure(servers):
    def forget(requests, context):
        next(requests)
        return
        yield  # pragma: no cover

    _, target = servers([forget])
    with Client(target) as client:
        with client.spread_fleet(entries(3), **FAST) as fleet:
            events = list(fleet)
    assert sorted(tags_of(events)) == ["t0", "t1", "t2"]
    b = fleet.stats.per_backend[0]
    assert b.failed_streams == 1 and b.streams == 2
    assert "INTERNAL: the stream ended without answering" in b.last_error
    assert fleet.stats.resent >= 1


def test_window_bounds_what_one_backend_holds(servers):
    answered = [0]

    def in_fours(requests, context):
        # Answers nothing until it holds 4 entries: a client that sent
        # beyond its window of 4 would be caught below.
        batch = []
        for request in requests:
            batch.append(request)
            if len(batch) == 4:
                for r in batch:
                    answered[0] += 1
                    yield result(r)
                batch = []
        yield FleetEvent(summary=service_pb2.FleetSummary())

    _, target = servers([in_fours])
    unanswered_at_pull: list[int] = []

    def source() -> Iterator[tuple[str, str]]:
        for n, e in enumerate(entries(32)):
            unanswered_at_pull.append(n - answered[0])
            yield e

    with Client(target) as client:
        with client.spread_fleet(source(), window=4, **FAST) as fleet:
            events = list(fleet)
    assert len(tags_of(events)) == 32
    # Entry n is taken only while fewer than 4 are out unanswered.
    assert max(unanswered_at_pull) == 3, unanswered_at_pull


def test_error_events_get_the_callers_tag_and_fleet_position(servers):
    def unreadable(requests, context):
        for request in requests:
            yield FleetEvent(error=service_pb2.FleetError(
                tag=request.tag, code=3,
                message=f'entry 1 (tag "{request.tag}"): not UTF-8'))
        yield FleetEvent(summary=service_pb2.FleetSummary())

    _, target = servers([unreadable])
    with Client(target) as client:
        events = list(client.spread_fleet(entries(3), **FAST))
    messages = sorted(e.error.message for e in events if e.HasField("error"))
    assert messages == [f'entry {i + 1} (tag "t{i}"): not UTF-8'
                        for i in range(3)]
    assert (events[-1].summary.received, events[-1].summary.errors) == (3, 3)


def test_an_empty_fleet_is_a_zero_summary(servers):
    (checker,), target = servers([])
    with Client(target) as client:
        with client.spread_fleet([], **FAST) as fleet:
            events = list(fleet)
    assert len(events) == 1 and events[0].summary.received == 0
    assert fleet.stats.entries == 0 and checker.seen == []


def test_a_not_serving_backend_is_used_once_no_other_can_be(servers):
    # Backend 0 says NOT_SERVING but answers; backend 1 is gone. Once 1 is
    # given up, 0 must get the fleet rather than nothing forever.
    _, target = servers([], [], not_serving=(0,))
    gone = target.rpartition(",")[2]
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    dead_port = free.getsockname()[1]
    free.close()  # nothing listens there now
    target = target.replace(gone, f"127.0.0.1:{dead_port}")
    with Client(target) as client:
        with client.spread_fleet(entries(10), max_stream_failures=2,
                                 **FAST) as fleet:
            events = list(fleet)
    assert sorted(tags_of(events)) == sorted(t for _, t in entries(10))
    drained, dead = fleet.stats.per_backend
    assert drained.not_serving and drained.answered == 10
    assert dead.given_up and dead.answered == 0


def test_fleet_position_message() -> None:
    assert _fleet_position_message('entry 7 (tag "12:cust"): bad', 12) == (
        'entry 13 (tag "cust"): bad')
    assert _fleet_position_message("entry 7: bad", 0) == "entry 1: bad"
    assert _fleet_position_message("not a host name", 4) == "not a host name"
    assert _fleet_position_message("entry x", 4) == "entry x"


def test_resolve_backends() -> None:
    assert resolve_backends("ipv4:10.0.0.1:1,10.0.0.2:2,10.0.0.1:1") == [
        Backend("ipv4:10.0.0.1:1"), Backend("ipv4:10.0.0.2:2")]
    assert resolve_backends("ipv6:[::1]:1,[::1]:2") == [
        Backend("ipv6:[::1]:1"), Backend("ipv6:[::1]:2")]
    assert resolve_backends("localhost:50051") == [Backend("localhost:50051")]
    assert resolve_backends("unix:/run/x") == [Backend("unix:/run/x")]
    assert resolve_backends("dns://10.0.0.53/h:1") == [
        Backend("dns://10.0.0.53/h:1")]
    v4 = {a[4][0] for a in socket.getaddrinfo("localhost", 1, socket.AF_INET)}
    found = resolve_backends("dns:///localhost:50051")
    assert {f"ipv4:{a}:50051" for a in v4} <= {b.target for b in found}
    assert {b.authority for b in found} == {"localhost:50051"}
    assert resolve_backends("dns:localhost:7")[0].authority == "localhost:7"
    for bad in ("", "ipv4:", "ipv4:10.0.0.1:1,", "ipv4:10.0.0.1",
                "ipv4:10.0.0.1:0", "ipv4:10.0.0.1:65536", "ipv4::1",
                "ipv4:10.0.0.1:https", "dns:///", "dns:///h:0",
                "dns:///[::1", "ipv4:" + "1.2.3.4:5," * 2000 + "1.2.3.4:5"):
        with pytest.raises(ValueError):
            resolve_backends(bad)


def report_event(tag: str, domain: str, score: int, grade: int, state: int,
                 millis: int) -> FleetEvent:
    report = report_pb2.DomainReport(domain=domain, score=score, grade=grade,
                                     state=state)
    report.duration.CopyFrom(duration_pb2.Duration(
        seconds=millis // 1000, nanos=(millis % 1000) * 1_000_000))
    return FleetEvent(result=service_pb2.FleetResult(tag=tag, report=report))


def test_summary_builder_arithmetic() -> None:
    b = FleetSummaryBuilder()
    b.add(report_event("a", "a.test", 100, 1, 3, 50))
    b.add(report_event("b", "b.test", 55, 3, 1, 900))
    b.add(report_event("c", "c.test", 0, 5, 1, 900))  # as slow as b: after it
    b.add(FleetEvent(error=service_pb2.FleetError(tag="e")))
    b.add(FleetEvent(summary=service_pb2.FleetSummary(received=99)))  # ignored
    for i in range(12):
        b.add(report_event(f"x{i}", f"x{i}.test", 90, 1, 3, 10 + i))
    s = b.build(1.5)
    assert (s.received, s.reported, s.errors) == (16, 15, 1)
    by_grade = [(g.grade, g.count) for g in s.by_grade]
    assert by_grade == [(1, 13), (3, 1), (5, 1)]
    assert [(x.state, x.count) for x in s.by_state] == [(1, 2), (3, 13)]
    assert list(s.score_histogram) == [1, 0, 0, 0, 0, 1, 0, 0, 0, 13]
    assert s.mean_score == pytest.approx((100 + 55 + 0 + 90 * 12) / 15)
    assert [d.tag for d in s.slowest] == (["b", "c", "a"] +
                                          [f"x{i}" for i in range(11, 4, -1)])
    assert s.duration.ToMilliseconds() == 1500
    assert FleetSummaryBuilder().build(0).mean_score == 0


def group(key: str, count: int, severity: int, outcome: str,
          outcome_count: int, *tags: str) -> service_pb2.FleetGroup:
    return service_pb2.FleetGroup(
        key=key, count=count, severity=severity, outcome=outcome,
        outcome_count=outcome_count,
        examples=[service_pb2.FleetGroupExample(domain=f"{t}.test", tag=t)
                  for t in tags])


def test_merge_groupings_as_the_cpp_library() -> None:
    mx = service_pb2.FLEET_GROUP_KIND_MX_HOST
    code = service_pb2.FLEET_GROUP_KIND_FINDING_CODE
    high = findings_pb2.SEVERITY_HIGH
    low = findings_pb2.SEVERITY_LOW
    one = service_pb2.FleetSummary(groupings=[
        service_pb2.FleetGrouping(
            kind=mx, keys_tracked=2, keys_not_sent=1, untracked=4, groups=[
                group("mx.a", 5, low, "ok", 5, "1:p", "2:q"),
                group("mx.b", 1, low, "ok", 1, "3:r")])])
    two = service_pb2.FleetSummary(groupings=[
        service_pb2.FleetGrouping(
            kind=mx, keys_tracked=3, keys_not_sent=2, untracked=1, groups=[
                group("mx.a", 2, high, "refused", 2, "4:s", "5:t"),
                group("mx.b", 3, low, "ok", 3, "6:u")]),
        service_pb2.FleetGrouping(kind=code, groups=[
            group(f"CODE_{i:02}", 30 - i, low, "", 0, "7:v")
            for i in range(22)])])
    into = service_pb2.FleetSummary()
    merge_groupings([one, two], lambda t: t.partition(":")[2], into)
    got_code, got_mx = into.groupings  # by kind: FINDING_CODE (1), MX_HOST (2)
    assert (got_mx.kind, got_mx.keys_tracked, got_mx.keys_not_sent,
            got_mx.untracked) == (mx, 3, 3, 5)
    a, b = got_mx.groups  # largest first
    assert (a.key, a.count, a.severity, a.outcome, a.outcome_count) == (
        "mx.a", 7, high, "refused", 2)
    assert [e.tag for e in a.examples] == ["p", "q", "s"]  # at most 3
    assert (b.key, b.count, b.outcome, b.outcome_count) == ("mx.b", 4, "ok", 4)
    assert [e.tag for e in b.examples] == ["r", "u"]
    assert len(got_code.groups) == 20 and got_code.keys_not_sent == 2
    assert got_code.groups[0].key == "CODE_00"
