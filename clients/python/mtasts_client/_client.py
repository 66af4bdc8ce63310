"""The client: a channel to an mtasts server and its two calls.

Client.check() wraps CheckDomain (retried with backoff on RESOURCE_EXHAUSTED
and UNAVAILABLE: the call is read-only). Client.fleet() wraps StreamFleet as
an iterator of events that reads the caller's entries only as answers come
back, so a fleet of any size is never buffered. Client.spread_fleet()
spreads one fleet over every backend of the target, with failover
(_spread.py).
"""

from __future__ import annotations

import dataclasses
import os
import random
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Optional, Tuple, Union, cast

import grpc

from mtasts.v1 import report_pb2, service_pb2, service_pb2_grpc

if TYPE_CHECKING:
    from mtasts_client._backends import Backend
    from mtasts_client._spread import SpreadFleet

#: One fleet entry: a domain, a (domain, tag) pair, or a FleetRequest as is.
FleetEntry = Union[str, Tuple[str, str], service_pb2.FleetRequest]

_RETRYABLE = frozenset(
    {grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE})

# Largest file TlsOptions reads (PEM certificates and keys are a few KiB).
_MAX_PEM_BYTES = 1 << 20


class MtaStsError(Exception):
    """A call ended with a gRPC status other than OK.

    Attributes:
      code: the grpc.StatusCode, e.g. INVALID_ARGUMENT for a bad domain.
      details: the server's (or gRPC's) message.
    """

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details

    @classmethod
    def _from_rpc_error(cls, error: grpc.RpcError) -> MtaStsError:
        code = grpc.StatusCode.UNKNOWN
        details = str(error)
        if isinstance(error, grpc.Call):
            code = error.code() or grpc.StatusCode.UNKNOWN
            details = error.details() or ""
        return cls(code, details)


@dataclasses.dataclass(frozen=True)
class TlsOptions:
    """TLS to the server; with cert_file and key_file, mutual TLS.

    Attributes:
      ca_file: PEM CA certificates that verify the server; None for the
        system's roots (gRPC's default).
      cert_file: PEM client certificate chain, leaf first (mutual TLS).
      key_file: PEM private key of cert_file's leaf, unencrypted.
      server_name: the name expected in the server's certificate when it
        differs from the target's host (e.g. an IP address target).
    """

    ca_file: Optional[Union[str, os.PathLike[str]]] = None
    cert_file: Optional[Union[str, os.PathLike[str]]] = None
    key_file: Optional[Union[str, os.PathLike[str]]] = None
    server_name: Optional[str] = None

    def __post_init__(self) -> None:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("TlsOptions: cert_file and key_file go together")

    def _credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(
            root_certificates=_read_pem(self.ca_file, "ca_file"),
            private_key=_read_pem(self.key_file, "key_file"),
            certificate_chain=_read_pem(self.cert_file, "cert_file"))


def _read_pem(path: Optional[Union[str, os.PathLike[str]]],
              what: str) -> Optional[bytes]:
    if path is None:
        return None
    with open(path, "rb") as f:
        data = f.read(_MAX_PEM_BYTES + 1)
    if len(data) > _MAX_PEM_BYTES:
        raise ValueError(f"TlsOptions.{what}: {os.fspath(path)!r} is over "
                         f"{_MAX_PEM_BYTES} bytes")
    if b"-----BEGIN " not in data:
        raise ValueError(f"TlsOptions.{what}: {os.fspath(path)!r} is not PEM")
    return data


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff for RESOURCE_EXHAUSTED and UNAVAILABLE.

    Attempt n (from 1) that fails with one of those codes is followed, if
    attempts remain and the call's timeout allows, by a pause drawn evenly
    from [d/2, d] where d = min(max_backoff, initial_backoff *
    multiplier**(n-1)) seconds. check() is always retried this way (it only
    reads); a fleet only when its stream fails before any event arrived
    (its entries so far are then sent again, in order).
    """

    max_attempts: int = 5
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be at least 1")
        if not 0 <= self.initial_backoff <= self.max_backoff:
            raise ValueError(
                "RetryPolicy: need 0 <= initial_backoff <= max_backoff")
        if self.multiplier < 1:
            raise ValueError("RetryPolicy.multiplier must be at least 1")

    def backoff(self, failed_attempts: int) -> float:
        """Seconds to wait after failed_attempts (>= 1) failures."""
        ceiling = min(self.max_backoff, self.initial_backoff *
                      self.multiplier**(failed_attempts - 1))
        return random.uniform(ceiling / 2, ceiling)


#: No retry at all.
NO_RETRY = RetryPolicy(max_attempts=1)


def _check_options(checks: Optional[Sequence[str]],
                   skip_mx_probe: bool) -> service_pb2.CheckOptions:
    if isinstance(checks, (str, bytes)):
        raise TypeError("checks is a sequence of check names, not one string")
    return service_pb2.CheckOptions(checks=list(checks or ()),
                                    skip_mx_probe=skip_mx_probe)


def _remaining(deadline: Optional[float]) -> Optional[float]:
    return None if deadline is None else deadline - time.monotonic()


class Client:
    """A channel to one mtasts server (or several, balanced round-robin).

    Use it as a context manager, or call close(); it is safe to share
    between threads.

    Args:
      target: a gRPC target: "host:port", "dns:///host:port" (every address
        the name resolves to), "ipv4:10.0.0.1:50051,10.0.0.2:50051", ...
      tls: TLS (and mutual TLS) settings; None for a plaintext channel.
      retry: backoff for RESOURCE_EXHAUSTED / UNAVAILABLE; NO_RETRY turns
        it off.
      load_balancing: the gRPC load-balancing policy across the target's
        addresses, "round_robin" (a connection to each, calls spread) or
        "pick_first".
      channel_options: further gRPC channel arguments, passed as given.
    """

    def __init__(self,
                 target: str,
                 *,
                 tls: Optional[TlsOptions] = None,
                 retry: RetryPolicy = RetryPolicy(),
                 load_balancing: str = "round_robin",
                 channel_options: Sequence[Tuple[str, Any]] = ()) -> None:
        options: list[Tuple[str, Any]] = [("grpc.lb_policy_name",
                                           load_balancing)]
        self._target = target
        self._tls = tls
        self._credentials: Optional[grpc.ChannelCredentials] = None
        if tls is None:
            self._channel = grpc.insecure_channel(
                target, options + list(channel_options))
        else:
            if tls.server_name is not None:
                options.append(("grpc.ssl_target_name_override",
                                tls.server_name))
            self._credentials = tls._credentials()
            self._channel = grpc.secure_channel(
                target, self._credentials, options + list(channel_options))
        # What a spread fleet's per-backend channels are built with.
        self._channel_options = options + list(channel_options)
        stub = service_pb2_grpc.MtaStsCheckerStub  # generated, unannotated
        self._stub = stub(self._channel)  # type: ignore[no-untyped-call]
        self._retry = retry

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Closes the channel; calls still running end with CANCELLED."""
        self._channel.close()

    def check(self,
              domain: str,
              checks: Optional[Sequence[str]] = None,
              timeout: Optional[float] = 30.0,
              *,
              skip_mx_probe: bool = False) -> report_pb2.DomainReport:
        """Checks one domain and returns its report.

        Args:
          domain: a host name (Unicode names are accepted).
          checks: names of the checks to run (txt, policy_fetch,
            policy_content, mx_match, mx_tls, tls_rpt, dnssec); None: all.
          timeout: seconds for the whole call, retries included; None: none.
          skip_mx_probe: do not connect to the MX hosts (mx_tls NOT_RUN).

        Raises:
          MtaStsError: INVALID_ARGUMENT for a domain that is not a host name
            or an unknown check name; RESOURCE_EXHAUSTED / UNAVAILABLE once
            retries are spent; DEADLINE_EXCEEDED; ... Problems with the
            domain itself are findings in the report, not errors.
        """
        request = service_pb2.CheckDomainRequest(
            domain=domain, options=_check_options(checks, skip_mx_probe))
        deadline = None if timeout is None else time.monotonic() + timeout
        failures = 0
        while True:
            try:
                return cast(
                    report_pb2.DomainReport,
                    self._stub.CheckDomain(request,
                                           timeout=_remaining(deadline)))
            except grpc.RpcError as e:
                error = MtaStsError._from_rpc_error(e)
            failures += 1
            if (error.code not in _RETRYABLE or
                    failures >= self._retry.max_attempts):
                raise error
            pause = self._retry.backoff(failures)
            left = _remaining(deadline)
            if left is not None and pause >= left:
                raise error
            time.sleep(pause)

    def fleet(self,
              entries: Iterable[FleetEntry],
              *,
              checks: Optional[Sequence[str]] = None,
              timeout: Optional[float] = None,
              skip_mx_probe: bool = False,
              window: int = 1024) -> FleetStream:
        """Checks a stream of domains; returns an iterator of FleetEvent.

        Events come in the server's order (completion order): one per
        entry, a `result` (tag + report) or an `error` (an entry the server
        refused, e.g. not a host name), then one `summary`, then the
        iterator ends. An error of the whole stream raises MtaStsError.

        entries is read lazily, from the gRPC sending thread, one entry
        at a time: the next entry only once the previous one has gone out
        under gRPC's flow control (the server stops reading at its
        per-stream limit), and never more than `window` entries ahead of
        the events read so far. An exception from entries (or an entry of
        the wrong type) cancels the call and is raised by the iterator.

        Args:
          entries: domains, (domain, tag) pairs, or FleetRequest messages
            (sent as they are, their own options included).
          checks: check names for every str / pair entry; None: all.
          timeout: seconds for the whole stream; None: no limit.
          skip_mx_probe: for every str / pair entry.
          window: most entries sent and not yet answered.

        Close the iterator (close(), or leave its `with` block) or call
        cancel() to cancel the call.
        """
        if window < 1:
            raise ValueError("window must be at least 1")
        return FleetStream(self._stub, entries,
                           _check_options(checks, skip_mx_probe), timeout,
                           self._retry, window)

    def spread_fleet(self,
                     entries: Iterable[FleetEntry],
                     *,
                     checks: Optional[Sequence[str]] = None,
                     timeout: Optional[float] = None,
                     skip_mx_probe: bool = False,
                     window: int = 100,
                     max_stream_failures: int = 5,
                     retry_backoff: float = 0.25,
                     max_retry_backoff: float = 4.0) -> SpreadFleet:
        """Checks a fleet spread over every backend of the target, with
        failover; returns an iterator of FleetEvent.

        The backends are resolve_backends(target): each address of an
        ipv4:/ipv6: list, each address the system resolver gives for a
        dns:/// name (looked up again after a stream fails, so replicas
        that replace a dead one join), or the target itself. Each backend
        gets one StreamFleet call at a time, and an entry goes to whichever
        call has fewer than `window` unanswered. When a backend goes away
        (killed, draining after SIGTERM, unreachable) the entries it had
        not answered are re-sent to the others; a backend whose health says
        NOT_SERVING is sent nothing more. The iterator gives exactly one
        `result` or `error` event per entry, with the caller's tag, in
        completion order, then a `summary` built from those events (so it
        covers the whole fleet; the servers' `groupings` are merged in),
        then ends. `stats` says what the spreading did (stats.resent:
        entries sent again).

        entries is read lazily from gRPC's sending threads, one entry at a
        time, only when a stream has room; the writers also wait while
        window x backends events are waiting for the caller.

        Args:
          entries, checks, timeout, skip_mx_probe: as for fleet(); timeout
            bounds the whole fleet, failovers included.
          window: entries sent to one backend and not yet answered. The
            server's own per-stream limit (--fleet_max_inflight, default
            100) is the natural value: more only waits in transport
            buffers, and is re-sent if that backend dies.
          max_stream_failures: a backend whose streams fail this many times
            in a row without answering anything is given up.
          retry_backoff, max_retry_backoff: seconds before a failed
            backend's next stream, doubling per failure in a row, capped.

        Raises (from the iterator, after the events passed on so far; no
        summary then):
          MtaStsError: UNAVAILABLE once every backend was given up;
            DEADLINE_EXCEEDED (timeout); CANCELLED (cancel()); a status
            every backend would repeat (UNAUTHENTICATED, PERMISSION_DENIED,
            UNIMPLEMENTED, INVALID_ARGUMENT, FAILED_PRECONDITION,
            OUT_OF_RANGE) at once.
          The exception of `entries`, or TypeError for an entry of the
          wrong type.
        Raises (from this call): ValueError for bad arguments or a
        malformed target; MtaStsError(UNAVAILABLE) when a dns:/// name
        does not resolve.
        """
        # pylint: disable=import-outside-toplevel
        from mtasts_client._spread import SpreadFleet
        if window < 1 or max_stream_failures < 1:
            raise ValueError(
                "window and max_stream_failures must be at least 1")
        if not 0 < retry_backoff <= max_retry_backoff:
            raise ValueError(
                "need 0 < retry_backoff <= max_retry_backoff")
        return SpreadFleet(entries, _check_options(checks, skip_mx_probe),
                           timeout, window, max_stream_failures,
                           retry_backoff, max_retry_backoff, self._target,
                           self._backend_channel)

    def _backend_channel(self, backend: Backend) -> Tuple[grpc.Channel, bool]:
        """The channel of one backend of a spread fleet, and whether the
        fleet closes it (the client's own channel it does not)."""
        if backend.target == self._target:
            return self._channel, False
        options = list(self._channel_options)
        if backend.authority is not None:
            # The name the caller gave, not the address: TLS checks the
            # server's certificate against it.
            options.append(("grpc.default_authority", backend.authority))
            if self._tls is not None and self._tls.server_name is None:
                host = (backend.authority.rpartition(":")[0] or
                        backend.authority)
                options.append(("grpc.ssl_target_name_override",
                                host.strip("[]")))
        if self._credentials is None:
            return grpc.insecure_channel(backend.target, options), True
        return grpc.secure_channel(backend.target, self._credentials,
                                   options), True


def _to_request(entry: FleetEntry,
                options: service_pb2.CheckOptions) -> service_pb2.FleetRequest:
    if isinstance(entry, service_pb2.FleetRequest):
        return entry
    if isinstance(entry, str):
        return service_pb2.FleetRequest(domain=entry, options=options)
    if (isinstance(entry, tuple) and len(entry) == 2 and
            isinstance(entry[0], str) and isinstance(entry[1], str)):
        return service_pb2.FleetRequest(domain=entry[0], tag=entry[1],
                                        options=options)
    raise TypeError("a fleet entry is a domain, a (domain, tag) pair of str "
                    f"or a FleetRequest, not {entry!r:.80}")


class _Attempt:
    """One StreamFleet call: its request iterator and its window.

    The request iterator runs on gRPC's sending thread; answered() and
    stop() are called by the consuming thread.
    """

    def __init__(self, source: _EntrySource, window: int) -> None:
        self.source = source
        self.window = window
        self.cond = threading.Condition()
        self.sent = 0
        self.answered = 0
        self.stopped = False
        self.source_error: Optional[BaseException] = None
        self.call: Any = None  # the gRPC call (a response iterator)

    def requests(self) -> Iterator[service_pb2.FleetRequest]:
        position = 0
        while True:
            with self.cond:
                while not self.stopped and (self.sent - self.answered >=
                                            self.window):
                    self.cond.wait()
                if self.stopped:
                    return
            try:
                request = self.source.get(self, position)
            except BaseException as e:  # the caller's iterable failed
                self.source_error = e
                self.stop()
                return
            if request is None:
                return  # end of entries: gRPC half-closes
            with self.cond:
                if self.stopped:
                    return
                self.sent += 1
            position += 1
            yield request

    def answer(self) -> None:
        with self.cond:
            self.answered += 1
            self.cond.notify_all()

    def stop(self) -> None:
        """Ends the request iterator and cancels the call."""
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        if self.call is not None:
            self.call.cancel()


class _EntrySource:
    """The caller's entries, pulled one at a time under a lock.

    Entries are kept while a retry may send them again; after the first
    event, only those a later request may still read (at most the window
    plus one pulled by a stopped attempt).
    """

    def __init__(self, entries: Iterable[FleetEntry],
                 options: service_pb2.CheckOptions) -> None:
        self._iterator = iter(entries)
        self._options = options
        self._lock = threading.Lock()
        self._kept: list[service_pb2.FleetRequest] = []
        self._base = 0  # stream position of _kept[0]
        self._replayable = True
        self._exhausted = False

    def get(self, attempt: _Attempt,
            position: int) -> Optional[service_pb2.FleetRequest]:
        """Entry `position` (from 0) for attempt, None at the end."""
        with self._lock:
            if attempt.stopped:
                return None
            if position < self._base + len(self._kept):
                request = self._kept[position - self._base]
            elif self._exhausted:
                return None
            else:
                try:
                    entry = next(self._iterator)
                except StopIteration:
                    self._exhausted = True
                    return None
                request = _to_request(entry, self._options)
                self._kept.append(request)
            if not self._replayable:
                drop = position + 1 - self._base
                del self._kept[:drop]
                self._base += drop
            return request

    def stop_replay(self) -> None:
        with self._lock:
            self._replayable = False


class FleetStream(Iterator[service_pb2.FleetEvent]):
    """The events of one fleet (see Client.fleet); not thread-safe except
    cancel(), which any thread may call."""

    def __init__(self, stub: service_pb2_grpc.MtaStsCheckerStub,
                 entries: Iterable[FleetEntry],
                 options: service_pb2.CheckOptions, timeout: Optional[float],
                 retry: RetryPolicy, window: int) -> None:
        self._stub = stub
        self._source = _EntrySource(entries, options)
        self._retry = retry
        self._window = window
        self._deadline = (None if timeout is None else time.monotonic() +
                          timeout)
        self._failures = 0
        self._any_event = False
        self._done = False
        self._cancelled = threading.Event()
        self._summary: Optional[service_pb2.FleetSummary] = None
        self._attempt = self._start()

    def _start(self) -> _Attempt:
        attempt = _Attempt(self._source, self._window)
        attempt.call = self._stub.StreamFleet(
            attempt.requests(), timeout=_remaining(self._deadline))
        if attempt.stopped:  # stop() ran on the sending thread before
            attempt.call.cancel()  # the call was stored
        return attempt

    @property
    def summary(self) -> Optional[service_pb2.FleetSummary]:
        """The summary event's totals, once it has been read."""
        return self._summary

    def __iter__(self) -> FleetStream:
        return self

    def __next__(self) -> service_pb2.FleetEvent:
        while True:
            if self._done:
                raise StopIteration
            attempt = self._attempt
            try:
                event = cast(service_pb2.FleetEvent, next(attempt.call))
            except StopIteration:
                self._done = True
                if attempt.source_error is not None:
                    raise attempt.source_error from None
                if self._summary is None:
                    raise MtaStsError(
                        grpc.StatusCode.INTERNAL,
                        "the stream ended without a summary") from None
                raise
            except grpc.RpcError as e:
                error = MtaStsError._from_rpc_error(e)
                if self._should_retry(error):
                    continue
                self._done = True
                attempt.stop()
                if attempt.source_error is not None:
                    raise attempt.source_error
                if self._cancelled.is_set():
                    raise MtaStsError(grpc.StatusCode.CANCELLED,
                                      "cancelled by the caller") from None
                raise error from None
            if not self._any_event:
                self._any_event = True
                self._source.stop_replay()
            kind = event.WhichOneof("event")
            if kind in ("result", "error"):
                attempt.answer()
            elif kind == "summary":
                self._summary = event.summary
            return event

    def _should_retry(self, error: MtaStsError) -> bool:
        """Starts the next attempt after a backoff if the failure allows."""
        if (self._any_event or self._cancelled.is_set() or
                error.code not in _RETRYABLE or
                self._attempt.source_error is not None):
            return False
        self._failures += 1
        if self._failures >= self._retry.max_attempts:
            return False
        pause = self._retry.backoff(self._failures)
        left = _remaining(self._deadline)
        if left is not None and pause >= left:
            return False
        self._attempt.stop()
        if self._cancelled.wait(pause):
            return False
        self._attempt = self._start()
        if self._cancelled.is_set():  # cancel() raced with the restart
            self._attempt.stop()
        return True

    def cancel(self) -> None:
        """Cancels the call; the iterator then raises MtaStsError(CANCELLED)
        (at once if another thread is waiting in it). Safe from any thread."""
        self._cancelled.set()
        self._attempt.stop()

    def close(self) -> None:
        """Cancels the call if it is still running; the iterator ends."""
        if not self._done:
            self.cancel()
            self._done = True

    def __enter__(self) -> FleetStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # An abandoned stream must not keep the call (and its sending
        # thread, waiting on the window) alive.
        try:
            self.close()
        except Exception:  # pylint: disable=broad-except
            pass
