"""Client.spread_fleet against real replicas: three mtasts_server processes
this test starts itself (so it can SIGKILL and SIGTERM them by PID), wired
to the fake DNS, HTTPS and SMTP servers of //tests/clientlab:client_lab, all
on 127.0.0.1. Mid-fleet one replica is SIGKILLed and another SIGTERMed (it
drains); every entry must be answered exactly once with its own verdict,
the summary must be exact, and the dead replicas' unanswered entries must
have been re-sent."""

from __future__ import annotations

import collections
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any, Optional

import grpc
import pytest

from conftest import _runfile
from mtasts_client import (CheckStatus, Client, FindingCode, FleetEvent,
                           Grade, MtaStsError, MtaStsState, TlsOptions)
from mtasts_client._fleet_summary import FleetSummaryBuilder

SIX = ["txt", "policy_fetch", "policy_content", "mx_match", "tls_rpt",
       "mx_tls"]
_START_SECONDS = 60


class Replica:
    """One mtasts_server child: its PID, port and stderr lines."""

    def __init__(self, argv: list[str]) -> None:
        # Its stderr (start-up and shutdown events) and stdout (the call
        # log) both end up in self.log.
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.log: list[str] = []
        self.port = 0
        assert self.proc.stdout is not None
        give_up = time.monotonic() + _START_SECONDS
        while self.port == 0:
            ready, _, _ = select.select([self.proc.stdout], [], [],
                                        max(0.0, give_up - time.monotonic()))
            line = self.proc.stdout.readline().decode(errors="replace")
            if not ready or not line:
                self.proc.kill()
                self.proc.wait()
                pytest.fail(f"mtasts_server did not start: {self.log}")
            self.log.append(line)
            if '"event":"serving"' in line:
                digits = line.split('"port":', 1)[1]
                self.port = int(digits[:len(digits) -
                                       len(digits.lstrip("0123456789"))])
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.log.append(raw.decode(errors="replace"))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()  # by PID: only the process this test started
        self.proc.wait()
        self._reader.join(10)


@pytest.fixture
def replicas(lab: dict[str, Any]) -> Iterator[list[Replica]]:
    """Three replicas over the lab's fakes, as client_lab starts its own."""
    argv = [
        _runfile("server/mtasts_server"),
        "--listen=127.0.0.1:0",
        f"--dns_servers={lab['dns']}",
        "--allow_targets=127.0.0.0/8",
        f"--ca_file={lab['policy_ca_file']}",
        f"--https_port={lab['https_port']}",
        f"--smtp_port={lab['smtp_port']}",
        f"--dnssec_forwarder={lab['dns']}",
    ]
    started: list[Replica] = []
    try:
        for _ in range(3):
            started.append(Replica(argv))
        yield started
    finally:
        for r in started:
            r.stop()


def target(replicas: list[Replica]) -> str:
    return "ipv4:" + ",".join(r.address for r in replicas)


def fleet_entries(lab: dict[str, Any],
                  rounds: int) -> list[tuple[str, str, Optional[str]]]:
    """(domain, tag, domain expected in the report or None for an invalid
    entry): the lab's 100 healthy domains `rounds` times, each with a tag of
    its own, and an invalid entry after every 100."""
    entries: list[tuple[str, str, Optional[str]]] = []
    for r in range(rounds):
        for i, domain in enumerate(lab["fleet"]):
            entries.append((domain, f"r{r}-{i}", domain))
        entries.append((f"bad {r}!", f"bad-{r}", None))
    return entries


def assert_healthy(report: Any, domain: str) -> None:
    """The report of a healthy lab domain: its own, enforced, every check
    passing. On a loaded machine a policy fetch or an MX greeting can take
    long enough for a *_SLOW warning (policy_fetch / mx_tls WARN, score
    in the 90s): still this domain's own verdict."""
    assert report.domain == domain
    assert report.state == MtaStsState.MTA_STS_STATE_ENFORCED, report.summary
    statuses = {c.check: c.status for c in report.checks}
    slow_ok = {"policy_fetch", "mx_tls"}
    for name in SIX:
        allowed = {CheckStatus.CHECK_STATUS_PASS}
        if name in slow_ok:
            allowed.add(CheckStatus.CHECK_STATUS_WARN)
        assert statuses[name] in allowed, (name, report.summary)
    if any(statuses[name] != CheckStatus.CHECK_STATUS_PASS for name in SIX):
        codes = {f.code for c in report.checks for f in c.findings
                 if c.check in slow_ok and f.severity >= 2}  # LOW and up
        assert codes <= {FindingCode.POLICY_FETCH_SLOW,
                         FindingCode.MX_TLS_GREETING_SLOW}, codes
    else:
        assert report.score == 100
    assert report.grade == Grade.GRADE_A


def check_exactly_once(entries: list[tuple[str, str, Optional[str]]],
                       events: list[FleetEvent]) -> collections.Counter[str]:
    """Every entry answered once with its own verdict; the tag counts."""
    by_tag = {tag: expected for _, tag, expected in entries}
    answers: collections.Counter[str] = collections.Counter()
    for event in events:
        if event.HasField("result"):
            tag = event.result.tag
            assert by_tag[tag] is not None, tag
            assert_healthy(event.result.report, by_tag[tag])
        else:
            tag = event.error.tag
            assert by_tag[tag] is None, tag
            invalid_argument = grpc.StatusCode.INVALID_ARGUMENT.value[0]
            assert event.error.code == invalid_argument
        answers[tag] += 1
    assert set(answers) == set(by_tag), set(by_tag) ^ set(answers)
    assert [t for t, n in answers.items() if n != 1] == []
    return answers


def test_killed_and_drained_replicas_lose_and_duplicate_nothing(
        lab: dict[str, Any], replicas: list[Replica]) -> None:
    entries = fleet_entries(lab, rounds=9)
    total = len(entries)
    assert total == 909
    killed = terminated = False
    at_kill = at_term = 0
    events: list[FleetEvent] = []
    summaries = []
    with Client(target(replicas)) as client:
        fleet = client.spread_fleet(((d, t) for d, t, _ in entries),
                                    checks=SIX, timeout=600)
        with fleet:
            for event in fleet:
                if event.HasField("summary"):
                    summaries.append(event.summary)
                    continue
                events.append(event)
                # The triggers: a third of the fleet answered, then a half.
                # No clock involved.
                if not killed and len(events) >= total // 3:
                    killed, at_kill = True, len(events)
                    replicas[0].proc.send_signal(signal.SIGKILL)
                if not terminated and len(events) >= total // 2:
                    terminated, at_term = True, len(events)
                    replicas[1].proc.send_signal(signal.SIGTERM)
        stats = fleet.stats
    assert killed and terminated

    check_exactly_once(entries, events)
    assert len(events) == total

    # One summary, last, covering the whole fleet exactly.
    assert len(summaries) == 1 and fleet.summary == summaries[0]
    summary = summaries[0]
    assert (summary.received, summary.reported, summary.errors) == (
        total, 900, 9)
    assert {s.state: s.count for s in summary.by_state} == {
        MtaStsState.MTA_STS_STATE_ENFORCED: 900}
    assert {g.grade: g.count for g in summary.by_grade} == {Grade.GRADE_A: 900}
    scores = [e.result.report.score for e in events if e.HasField("result")]
    histogram = [0] * 10
    for score in scores:
        histogram[min(score // 10, 9)] += 1
    assert list(summary.score_histogram) == histogram
    assert histogram[9] == 900
    assert summary.mean_score == pytest.approx(sum(scores) / 900)
    assert len(summary.slowest) == 10
    durations = [s.duration.ToNanoseconds() for s in summary.slowest]
    assert durations == sorted(durations, reverse=True)
    assert all(s.tag.startswith("r") and ":" not in s.tag
               for s in summary.slowest)

    # What the library did: all three used, the dead ones' entries re-sent,
    # nothing answered twice.
    assert stats.backends == 3
    assert (stats.entries, stats.answered) == (total, total)
    assert stats.duplicates == 0
    assert stats.resent > 0
    assert sum(b.answered for b in stats.per_backend) == total
    dead, drained, survivor = stats.per_backend
    assert [b.address for b in stats.per_backend] == [
        f"ipv4:{r.address}" for r in replicas]
    assert dead.failed_streams >= 1 and dead.resent_from > 0, dead
    assert drained.failed_streams >= 1 and drained.not_serving, drained
    assert survivor.failed_streams == 0, survivor.last_error
    assert not survivor.not_serving
    assert survivor.answered > total - at_term
    assert stats.resent == sum(b.resent_from for b in stats.per_backend)
    print(f"spread: answered {dead.answered} / {drained.answered} / "
          f"{survivor.answered}; killed at {at_kill}, terminated at "
          f"{at_term}; re-sent {stats.resent} ({dead.resent_from} from the "
          f"killed, {drained.resent_from} from the drained)")

    # The killed one died of the signal; the drained one ended its stream
    # as draining and exited cleanly within its grace.
    assert replicas[0].proc.wait(30) == -signal.SIGKILL
    assert replicas[1].proc.wait(30) == 0
    replicas[1]._reader.join(10)
    log = "".join(replicas[1].log)
    assert '"event":"shutting_down"' in log and '"event":"stopped"' in log
    assert any("StreamFleet" in line and "UNAVAILABLE" in line
               for line in replicas[1].log), log
    assert replicas[2].proc.poll() is None


def test_every_replica_takes_part_and_nothing_is_resent(
        lab: dict[str, Any], replicas: list[Replica]) -> None:
    entries = fleet_entries(lab, rounds=3)
    with Client(target(replicas)) as client:
        with client.spread_fleet(((d, t) for d, t, _ in entries), checks=SIX,
                                 timeout=300, window=20) as fleet:
            events = list(fleet)
    assert events[-1].HasField("summary")
    check_exactly_once(entries, events[:-1])
    assert events[-1].summary.received == len(entries)
    stats = fleet.stats
    assert (stats.backends, stats.resent, stats.duplicates) == (3, 0, 0)
    assert all(b.answered > 0 and b.failed_streams == 0 and b.streams == 1
               for b in stats.per_backend), stats
    # The servers' own groups, merged: every healthy report has the one MX
    # host, so its group counts each of them once.
    mx = [g for grouping in events[-1].summary.groupings
          if grouping.kind == 2 for g in grouping.groups]  # MX_HOST
    assert [(g.key, g.count) for g in mx] == [("mx.good.test", 300)], mx
    assert all(":" not in e.tag for g in mx for e in g.examples)


def test_a_dead_backend_is_given_up_and_the_others_finish(
        lab: dict[str, Any], replicas: list[Replica]) -> None:
    replicas[0].stop()  # nothing listens on its port any more
    entries = fleet_entries(lab, rounds=1)
    with Client(target(replicas)) as client:
        with client.spread_fleet(((d, t) for d, t, _ in entries), checks=SIX,
                                 timeout=300, retry_backoff=0.05,
                                 max_retry_backoff=0.2) as fleet:
            events = list(fleet)
    check_exactly_once(entries, events[:-1])
    dead = fleet.stats.per_backend[0]
    assert dead.answered == 0 and dead.failed_streams >= 1
    assert "UNAVAILABLE" in dead.last_error


def test_every_backend_dead_is_unavailable(
        lab: dict[str, Any], replicas: list[Replica]) -> None:
    for r in replicas:
        r.stop()
    with Client(target(replicas)) as client:
        fleet = client.spread_fleet(lab["fleet"][:5], checks=SIX, timeout=60,
                                    max_stream_failures=2,
                                    retry_backoff=0.05,
                                    max_retry_backoff=0.1)
        with pytest.raises(MtaStsError) as info:
            list(fleet)
    assert info.value.code == grpc.StatusCode.UNAVAILABLE
    # Entries are taken only when a stream has room: some of the five.
    assert re.match(r"every backend failed; [1-5] entries unanswered; last: "
                    r"UNAVAILABLE", info.value.details), info.value.details
    assert all(b.given_up and b.failed_streams == 2
               for b in fleet.stats.per_backend), fleet.stats
    assert fleet.stats.answered == 0
    assert fleet.summary is None


def test_dns_name_is_spread_over_its_addresses(
        lab: dict[str, Any], replicas: list[Replica]) -> None:
    # localhost resolves (through /etc/hosts) to 127.0.0.1 and maybe ::1;
    # the replica listens on 127.0.0.1 only, so a ::1 backend is given up.
    entries = fleet_entries(lab, rounds=1)
    with Client(f"dns:///localhost:{replicas[0].port}") as client:
        with client.spread_fleet(((d, t) for d, t, _ in entries), checks=SIX,
                                 timeout=300, retry_backoff=0.05,
                                 max_retry_backoff=0.2) as fleet:
            events = list(fleet)
    check_exactly_once(entries, events[:-1])
    v4 = [b for b in fleet.stats.per_backend
          if b.address == f"ipv4:127.0.0.1:{replicas[0].port}"]
    assert len(v4) == 1 and v4[0].answered == len(entries)


def test_an_entry_of_the_wrong_type_ends_the_fleet(
        lab: dict[str, Any], replicas: list[Replica]) -> None:
    with Client(target(replicas)) as client:
        fleet = client.spread_fleet([lab["fleet"][0], 42], checks=SIX,
                                    timeout=60)
        with pytest.raises(TypeError, match="a fleet entry is"):
            list(fleet)
        assert fleet.summary is None


def test_cancel_ends_the_fleet(lab: dict[str, Any],
                               replicas: list[Replica]) -> None:
    # Slow domains (DNS held 30 s) keep every entry in flight.
    with Client(target(replicas)) as client:
        fleet = client.spread_fleet(lab["slow"], checks=SIX, timeout=120)
        threading.Timer(0.5, fleet.cancel).start()
        started = time.monotonic()
        with pytest.raises(MtaStsError) as info:
            list(fleet)
        assert time.monotonic() - started < 20
    assert info.value.code == grpc.StatusCode.CANCELLED


def test_bad_arguments(lab: dict[str, Any]) -> None:
    with Client(lab["plaintext"]) as client:
        for kwargs in ({"window": 0}, {"max_stream_failures": 0},
                       {"retry_backoff": 0}, {"retry_backoff": 2,
                                              "max_retry_backoff": 1}):
            with pytest.raises(ValueError):
                client.spread_fleet([], **kwargs)
    with Client("ipv4:127.0.0.1:0") as client:
        with pytest.raises(ValueError, match="port 1-65535"):
            client.spread_fleet([])
    with Client("ipv4:127.0.0.1:1,") as client:
        with pytest.raises(ValueError, match="is not address:port"):
            client.spread_fleet([])


def test_summary_arithmetic_is_the_servers_own(
        lab: dict[str, Any], replicas: list[Replica]) -> None:
    # The library's summary builder over the events of one plain stream
    # gives that stream's server summary: same counts, grades, states,
    # histogram, mean and slowest domains. The no-txt domain and an invalid
    # entry make grades and errors differ from entry to entry.
    entries = ([(d, f"t{i}") for i, d in enumerate(lab["fleet"][:30])] +
               [(lab["no_txt"], "no-txt"), ("not a domain!", "bad")])
    with Client(replicas[0].address) as client:
        events = list(client.fleet(entries, checks=SIX, timeout=300))
    builder = FleetSummaryBuilder()
    for event in events[:-1]:
        builder.add(event)
    ours, server = builder.build(0), events[-1].summary
    for field in ("received", "reported", "errors", "by_grade", "by_state",
                  "score_histogram", "mean_score", "slowest"):
        assert getattr(ours, field) == getattr(server, field), field
    assert (ours.received, ours.errors, len(ours.by_grade)) == (32, 1, 2)
    # Spread, the same fleet's counts that no load can change.
    with Client(target(replicas)) as client:
        spread = list(client.spread_fleet(entries, checks=SIX,
                                          timeout=300))[-1].summary
    for field in ("received", "reported", "errors", "by_state"):
        assert getattr(spread, field) == getattr(server, field), field
    assert {s.tag for s in spread.slowest} <= {t for _, t in entries}


def test_fleet_file_example_spreads(lab: dict[str, Any],
                                    replicas: list[Replica],
                                    tmp_path: Any) -> None:
    listing = tmp_path / "domains.txt"
    listing.write_text("".join(f"{d} cust-{i}\n"
                               for i, d in enumerate(lab["fleet"][:60])))
    example = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                           "examples", "fleet_file.py")
    done = subprocess.run(
        [sys.executable, "-s", example, "--spread", "--target",
         target(replicas), "--checks", ",".join(SIX), str(listing)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # "<domain> <tag> A <score>": 100, or in the 90s for a *_SLOW warning
    # on a loaded machine (see assert_healthy).
    assert sorted(line.rsplit(" ", 1)[0] for line in lines[:60]) == sorted(
        f"{d} cust-{i} A" for i, d in enumerate(lab["fleet"][:60]))
    assert all(90 <= int(line.rsplit(" ", 1)[1]) <= 100
               for line in lines[:60]), lines[:60]
    assert lines[60].startswith("received 60, reported 60, errors 0, ")
    assert re.fullmatch(
        r"spread over 3 backends: " + ", ".join(
            rf"ipv4:{r.address} \d+" for r in replicas) +
        "; 0 entries re-sent", lines[-1]), lines[-1]


def test_tls_backends_get_channels_of_their_own(lab: dict[str, Any]) -> None:
    # Two TLS servers (one also asks for a client certificate), each a
    # backend with its own channel, the client's TLS settings applied.
    tls = TlsOptions(ca_file=lab["ca_file"], cert_file=lab["client_cert"],
                     key_file=lab["client_key"],
                     server_name=lab["server_name"])
    entries = [(d, f"t{i}") for i, d in enumerate(lab["fleet"][:20])]
    with Client(f"ipv4:{lab['tls']},{lab['mtls']}", tls=tls) as client:
        with client.spread_fleet(entries, checks=SIX, timeout=120) as fleet:
            events = list(fleet)
    assert sorted(tags_of(events)) == sorted(t for _, t in entries)
    assert [b.failed_streams for b in fleet.stats.per_backend] == [0, 0]
    # A dns:/// name: the certificate is checked against the name, not the
    # address the resolver gave.
    port = lab["tls"].rpartition(":")[2]
    with Client(f"dns:///{lab['server_name']}:{port}",
                tls=TlsOptions(ca_file=lab["ca_file"])) as client:
        with client.spread_fleet(entries, checks=SIX, timeout=120,
                                 retry_backoff=0.05,
                                 max_retry_backoff=0.2) as fleet:
            events = list(fleet)
    assert sorted(tags_of(events)) == sorted(t for _, t in entries)
    v4 = [b for b in fleet.stats.per_backend
          if b.address == f"ipv4:127.0.0.1:{port}"]
    assert len(v4) == 1 and v4[0].answered == 20, fleet.stats


def tags_of(events: list[FleetEvent]) -> list[str]:
    return [e.result.tag if e.HasField("result") else e.error.tag
            for e in events if not e.HasField("summary")]
