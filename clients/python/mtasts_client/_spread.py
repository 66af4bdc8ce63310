"""Client.spread_fleet: one fleet spread over every backend of the target,
with failover. The design is the C++ library's Client::Fleet
(clients/cpp/fleet.cc; docs/design.md, "Spreading a fleet (client)").

Each backend gets a worker thread that keeps one StreamFleet call open at a
time. The call's request iterator (run by gRPC's sending thread) hands it
entries while it has fewer than `window` unanswered: resends first, then
new entries from the caller's iterable (one thread at a time); the worker
reads the events. Every entry carries a sequence number in its tag on the
wire ("<n>:<caller's tag>"), so an event names its entry whatever stream it
came on; the caller's tag is put back before the event is passed on. When a
stream ends without answering all it was sent (killed server, draining
server, GOAWAY, broken connection), its unanswered entries go to the front
of the queue for any stream with room, and the backend gets a new stream
after a backoff, or is given up after max_stream_failures failures in a row
that answered nothing. A backend whose health turns NOT_SERVING (it got
SIGTERM and drains) is sent nothing more until it serves again.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, Callable, Optional, Tuple

import grpc

from mtasts.v1 import service_pb2, service_pb2_grpc
from mtasts_client import _health
from mtasts_client._backends import Backend, resolve_backends
from mtasts_client._client import FleetEntry, MtaStsError, _to_request
from mtasts_client._fleet_summary import FleetSummaryBuilder, merge_groupings

# Codes that end the whole fleet: another backend would say the same (the
# caller's credentials, an API the server lacks) or the caller's own limit.
_ENDS_FLEET = frozenset({
    grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED,
    grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.OUT_OF_RANGE,
})

# How long close() waits for the worker threads after cancelling their calls.
_JOIN_SECONDS = 10.0


@dataclasses.dataclass
class BackendStats:
    """What one backend did in a spread fleet.

    Attributes:
      address: the backend's target, e.g. "ipv4:10.0.0.1:50051".
      sent: entries written to it (re-sends included).
      answered: entries it answered (the events passed on).
      streams: streams opened to it.
      failed_streams: streams that ended without answering all they got.
      resent_from: of its entries, re-sent elsewhere.
      given_up: max_stream_failures reached.
      not_serving: its health said NOT_SERVING at some point.
      last_error: the last failed stream's status, "CODE: message".
    """

    address: str
    sent: int = 0
    answered: int = 0
    streams: int = 0
    failed_streams: int = 0
    resent_from: int = 0
    given_up: bool = False
    not_serving: bool = False
    last_error: str = ""


@dataclasses.dataclass
class FleetStats:
    """What a spread fleet did (SpreadFleet.stats), for a summary line.

    Attributes:
      backends: backends used (those found by a later resolution included).
      entries: entries taken from the caller's iterable.
      answered: entries passed on (each once).
      resent: entries sent again after their stream ended unanswered.
      duplicates: answers dropped because their entry already had one.
      per_backend: a BackendStats per backend, in the order found.
    """

    backends: int = 0
    entries: int = 0
    answered: int = 0
    resent: int = 0
    duplicates: int = 0
    per_backend: list[BackendStats] = dataclasses.field(default_factory=list)


def _entry_index(tag: str) -> int:
    """"<n>:<caller's tag>" -> n; -1 when the tag is not one of ours."""
    head, colon, _ = tag.partition(":")
    if not colon or not head.isascii() or not head.isdigit():
        return -1
    return int(head)


def _caller_tag(tag: str) -> str:
    return tag.partition(":")[2]


def _fleet_position_message(message: str, index: int) -> str:
    """The server names an entry it could not read by its position in the
    stream ('entry 7 (tag "12:cust"): ...'); on a spread fleet that is the
    position in one stream of several, so it becomes the entry's position
    in the caller's fleet, counting from 1, and the caller's tag."""
    if not message.startswith("entry "):
        return message
    rest = message[len("entry "):]
    digits = len(rest) - len(rest.lstrip("0123456789"))
    if digits == 0:
        return message
    rest = rest[digits:]
    ours = f' (tag "{index}:'
    if rest.startswith(ours):
        rest = ' (tag "' + rest[len(ours):]
    return f"entry {index + 1}{rest}"


class _Entry:
    __slots__ = ("request", "stream")

    def __init__(self, request: service_pb2.FleetRequest) -> None:
        self.request = request  # tag already "<n>:<caller's tag>"
        self.stream = -1  # the stream it was last sent on; -1: queued


class _BackendState:

    def __init__(self, backend: Backend, channel: grpc.Channel,
                 own_channel: bool) -> None:
        self.backend = backend
        self.channel = channel
        self.own_channel = own_channel  # closed when the fleet ends
        stub = service_pb2_grpc.MtaStsCheckerStub  # generated, unannotated
        self.stub = stub(channel)  # type: ignore[no-untyped-call]
        self.inflight = 0  # entries sent on the current stream, unanswered
        self.failures = 0  # streams in a row that failed
        self.serving = True  # health, as last watched
        self.health_call: Any = None
        self.stats = BackendStats(address=backend.target)


#: Builds a backend's channel: (channel, whether the fleet should close it).
ChannelFactory = Callable[[Backend], Tuple[grpc.Channel, bool]]


class SpreadFleet(Iterator[service_pb2.FleetEvent]):
    """The events of a fleet spread over every backend (see
    Client.spread_fleet). Not thread-safe except cancel()."""

    def __init__(self, entries: Iterable[FleetEntry],
                 options: service_pb2.CheckOptions, timeout: Optional[float],
                 window: int, max_stream_failures: int, retry_backoff: float,
                 max_retry_backoff: float, target: str,
                 make_channel: ChannelFactory) -> None:
        self._source = iter(entries)
        self._options = options
        self._window = window
        self._max_stream_failures = max_stream_failures
        self._retry_backoff = retry_backoff
        self._max_retry_backoff = max_retry_backoff
        self._deadline = (None if timeout is None else time.monotonic() +
                          timeout)
        self._make_channel = make_channel
        self._started = time.monotonic()
        self._builder = FleetSummaryBuilder()
        self._summary: Optional[service_pb2.FleetSummary] = None
        self._stats = FleetStats()
        self._done = False

        self._cond = threading.Condition(threading.Lock())
        self._backends: list[_BackendState] = []
        self._workers: list[threading.Thread] = []  # not joined yet
        self._outstanding: dict[int, _Entry] = {}  # taken, unanswered
        self._pending: collections.deque[int] = collections.deque()
        self._deliver: collections.deque[service_pb2.FleetEvent] = (
            collections.deque())
        self._open_calls: dict[int, Any] = {}
        self._dead_streams: set[int] = set()
        self._next_index = 0
        self._next_stream = 0
        self._source_done = False
        self._source_busy = False
        self._complete = False
        self._fatal: Optional[BaseException] = None
        self._answered = 0
        self._resent = 0
        self._duplicates = 0
        self._given_up = 0
        self._server_summaries: list[service_pb2.FleetSummary] = []
        # Only names can change their addresses: a dns: target is looked up
        # again after a stream fails, at most once per max_retry_backoff.
        backends = resolve_backends(target)
        self._target = target
        self._reresolve = target.startswith("dns:") and not (
            len(backends) == 1 and backends[0].target == target)
        self._next_resolve = 0.0
        self._add_backends(backends)

    # -- the caller's side ------------------------------------------------

    @property
    def summary(self) -> Optional[service_pb2.FleetSummary]:
        """The whole fleet's summary, once its event has been read."""
        return self._summary

    @property
    def stats(self) -> FleetStats:
        """What the spreading did; complete once the iterator has ended
        (normally or with an error)."""
        return self._stats

    def __iter__(self) -> SpreadFleet:
        return self

    def __next__(self) -> service_pb2.FleetEvent:
        if self._done:
            raise StopIteration
        event: Optional[service_pb2.FleetEvent] = None
        with self._cond:
            while not self._deliver and not self._over():
                left = (None if self._deadline is None else self._deadline -
                        time.monotonic())
                if left is not None and left <= 0:
                    self._end_locked(
                        MtaStsError(grpc.StatusCode.DEADLINE_EXCEEDED,
                                    "the fleet's timeout passed"))
                    break
                self._cond.wait(left)
            if self._deliver:
                event = self._deliver.popleft()
                self._cond.notify_all()  # room for the writers again
        if event is not None:
            self._builder.add(event)
            return event
        return self._finish()

    def _finish(self) -> service_pb2.FleetEvent:
        """Every entry answered or the fleet failed: joins the workers,
        fills stats, returns the summary event or raises."""
        self._done = True
        self._join(None)
        with self._cond:
            self._fill_stats()
            fatal = self._fatal
            summaries = list(self._server_summaries)
        if fatal is not None:
            raise fatal
        summary = self._builder.build(time.monotonic() - self._started)
        merge_groupings(summaries, _caller_tag, summary)
        self._summary = summary
        return service_pb2.FleetEvent(summary=summary)

    def cancel(self) -> None:
        """Cancels every stream; the iterator then raises
        MtaStsError(CANCELLED). Safe from any thread."""
        with self._cond:
            self._end_locked(
                MtaStsError(grpc.StatusCode.CANCELLED,
                            "cancelled by the caller"))

    def close(self) -> None:
        """Cancels the fleet if it is still running; the iterator ends."""
        if self._done:
            return
        self.cancel()
        self._done = True
        self._join(_JOIN_SECONDS)
        with self._cond:
            self._fill_stats()

    def __enter__(self) -> SpreadFleet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            if not self._done:
                self.cancel()
        except Exception:  # pylint: disable=broad-except
            pass

    def _join(self, timeout: Optional[float]) -> None:
        # Workers added by a re-resolution while the first ones ran too.
        give_up = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._cond:
                workers, self._workers = self._workers, []
            if not workers:
                break
            for worker in workers:
                worker.join(None if give_up is None else
                            max(0.0, give_up - time.monotonic()))
        with self._cond:
            backends = list(self._backends)
        for b in backends:
            if b.health_call is not None:
                b.health_call.cancel()
            if b.own_channel:
                b.channel.close()

    def _fill_stats(self) -> None:
        self._stats.backends = len(self._backends)
        self._stats.entries = self._next_index
        self._stats.answered = self._answered
        self._stats.resent = self._resent
        self._stats.duplicates = self._duplicates
        self._stats.per_backend = [
            dataclasses.replace(b.stats) for b in self._backends
        ]

    # -- shared state (self._cond held) ------------------------------------

    def _over(self) -> bool:
        return self._complete or self._fatal is not None

    def _end_locked(self, error: BaseException) -> None:
        if self._over():
            return
        self._fatal = error
        for call in self._open_calls.values():
            call.cancel()
        self._cond.notify_all()

    def _check_complete_locked(self) -> None:
        if (self._source_done and not self._outstanding and
                self._fatal is None):
            self._complete = True
            self._cond.notify_all()

    def _remaining(self) -> Optional[float]:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def _add_backends(self, found: list[Backend]) -> None:
        """A worker for each backend not seen yet, unless the fleet is over."""
        for backend in found:
            with self._cond:
                if self._over():
                    return
                if any(b.backend.target == backend.target
                       for b in self._backends):
                    continue
            channel, own = self._make_channel(backend)
            state = _BackendState(backend, channel, own)
            worker = threading.Thread(target=self._work, args=(state,),
                                      name=f"mtasts-fleet {backend.target}",
                                      daemon=True)
            with self._cond:
                if self._over():
                    if own:
                        channel.close()
                    return
                self._backends.append(state)
                self._workers.append(worker)
            state.health_call = _health.watch(channel, state, self._cond)
            worker.start()

    # -- one backend ---------------------------------------------------------

    def _work(self, backend: _BackendState) -> None:
        """Streams one after the other until the fleet is over or the
        backend is given up."""
        while True:
            with self._cond:
                if self._over():
                    return
                if backend.failures > 0:
                    # Backoff before another stream: 1x, 2x, 4x ... capped.
                    wait = min(
                        self._max_retry_backoff, self._retry_backoff *
                        2**min(backend.failures - 1, 30))
                    left = self._remaining()
                    if left is not None:
                        wait = min(wait, left)
                    until = time.monotonic() + wait
                    while not self._over() and time.monotonic() < until:
                        self._cond.wait(until - time.monotonic())
                    if self._over():
                        return
            try:
                if not self._run_stream(backend):
                    return
            except BaseException as e:  # a bug here must not hang the fleet
                with self._cond:
                    self._end_locked(e)
                return

    def _run_stream(self, backend: _BackendState) -> bool:
        """One stream to backend. False when the backend is done with (the
        fleet is over, or it was given up)."""
        with self._cond:
            if self._over():
                return False
            stream = self._next_stream
            self._next_stream += 1
            backend.inflight = 0
            backend.stats.streams += 1
        call = backend.stub.StreamFleet(self._requests(backend, stream),
                                        timeout=self._remaining())
        with self._cond:
            self._open_calls[stream] = call
            if self._over():
                call.cancel()
        answered_here = 0
        summary = False
        error: Optional[MtaStsError] = None
        try:
            for event in call:
                kind = event.WhichOneof("event")
                if kind == "summary":
                    summary = True
                    # The fleet's counts are built from the events; the
                    # servers' groups are merged from each stream's summary.
                    with self._cond:
                        self._server_summaries.append(event.summary)
                    continue
                if kind not in ("result", "error"):
                    continue
                body = event.result if kind == "result" else event.error
                index = _entry_index(body.tag)
                with self._cond:
                    entry = self._outstanding.pop(index, None)
                    if entry is None:
                        # Already answered (or not ours): each entry once.
                        self._duplicates += 1
                        continue
                    if entry.stream == stream:
                        backend.inflight -= 1
                    self._answered += 1
                    answered_here += 1
                    backend.stats.answered += 1
                    body.tag = _caller_tag(body.tag)
                    if kind == "error":
                        event.error.message = _fleet_position_message(
                            event.error.message, index)
                    self._deliver.append(event)
                    self._check_complete_locked()
                    self._cond.notify_all()
        except grpc.RpcError as e:
            error = MtaStsError._from_rpc_error(e)
        reresolve = False
        with self._cond:
            # The call is over: its request iterator must stop waiting.
            self._dead_streams.add(stream)
            self._open_calls.pop(stream, None)
            # What this stream was sent and did not answer goes back to the
            # front of the queue, in fleet order, for any stream with room.
            back = sorted(i for i, e in self._outstanding.items()
                          if e.stream == stream)
            for i in back:
                self._outstanding[i].stream = -1
            self._pending.extendleft(reversed(back))
            self._resent += len(back)
            backend.stats.resent_from += len(back)
            backend.inflight = 0
            self._cond.notify_all()
            if error is None and summary and not back:
                return False  # a normal end: the fleet is complete
            if self._over():
                return False
            why = error or MtaStsError(
                grpc.StatusCode.INTERNAL,
                "the stream ended without answering every entry")
            backend.stats.last_error = str(why)
            backend.stats.failed_streams += 1
            if why.code in _ENDS_FLEET:
                self._end_locked(why)
                return False
            backend.failures = (1 if answered_here > 0 else
                                backend.failures + 1)
            given_up = backend.failures >= self._max_stream_failures
            if given_up:
                backend.stats.given_up = True
                self._given_up += 1
            if self._reresolve and time.monotonic() >= self._next_resolve:
                reresolve = True
                self._next_resolve = (time.monotonic() +
                                      self._max_retry_backoff)
        if reresolve:
            # Without the lock: getaddrinfo may take its time. The name may
            # point at replicas that replaced a dead one.
            try:
                self._add_backends(resolve_backends(self._target))
            except (MtaStsError, ValueError):
                pass  # the backends known so far carry on
        with self._cond:
            if given_up and self._given_up == len(self._backends):
                self._end_locked(
                    MtaStsError(
                        grpc.StatusCode.UNAVAILABLE,
                        f"every backend failed; {len(self._outstanding)} "
                        f"entries unanswered; last: {why}"))
            return not given_up

    def _can_send(self, backend: _BackendState, stream: int) -> bool:
        if self._over() or stream in self._dead_streams:
            return True
        # A slow caller holds the fleet back instead of filling memory.
        if (backend.inflight >= self._window or
                len(self._deliver) >= self._window * len(self._backends)):
            return False
        # A draining backend gets nothing more while another one (not given
        # up) serves; otherwise the servers' answers decide.
        if not backend.serving and any(b.serving and not b.stats.given_up
                                       for b in self._backends):
            return False
        return bool(self._pending) or (not self._source_done and
                                       not self._source_busy)

    def _requests(self, backend: _BackendState,
                  stream: int) -> Iterator[service_pb2.FleetRequest]:
        """The entries of one stream, run by gRPC's sending thread: entries
        while it has room; it returns (gRPC half-closes, the server answers
        with its summary) once the whole fleet is answered."""
        while True:
            request: Optional[service_pb2.FleetRequest] = None
            with self._cond:
                while not self._can_send(backend, stream):
                    self._cond.wait()
                if stream in self._dead_streams or self._over():
                    return
                if self._pending:
                    request = self._take_locked(backend, stream,
                                                self._pending.popleft())
                else:
                    self._source_busy = True
            if request is None:
                # The caller's entries, one thread at a time, without the
                # lock (the iterable may block, reading a file or stdin).
                try:
                    entry = next(self._source)
                    new: Optional[service_pb2.FleetRequest] = _to_request(
                        entry, self._options)
                except StopIteration:
                    new = None
                except BaseException as e:  # the caller's iterable failed
                    with self._cond:
                        self._source_busy = False
                        self._end_locked(e)
                    return
                with self._cond:
                    self._source_busy = False
                    self._cond.notify_all()
                    if new is None:
                        self._source_done = True
                        self._check_complete_locked()
                        continue
                    index = self._next_index
                    self._next_index += 1
                    tagged = service_pb2.FleetRequest()
                    tagged.CopyFrom(new)
                    tagged.tag = f"{index}:{new.tag}"
                    self._outstanding[index] = _Entry(tagged)
                    if stream in self._dead_streams or self._over():
                        # Its stream died meanwhile: queued for another.
                        self._pending.append(index)
                        return
                    request = self._take_locked(backend, stream, index)
            yield request

    def _take_locked(self, backend: _BackendState, stream: int,
                     index: int) -> service_pb2.FleetRequest:
        entry = self._outstanding[index]
        entry.stream = stream
        backend.inflight += 1
        backend.stats.sent += 1
        return entry.request
