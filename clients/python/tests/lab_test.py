"""mtasts_client against the real server: //tests/clientlab:client_lab runs
four mtasts_server processes (plaintext, a second plaintext replica, TLS,
mutual TLS) over fake DNS, HTTPS and SMTP servers on loopback."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import pytest

from mtasts_client import (NO_RETRY, CheckStatus, Client, FleetEvent, Grade,
                           MtaStsError, MtaStsState, TlsOptions)

# Every check but dnssec, which is INCONCLUSIVE in the lab.
SIX = ["txt", "policy_fetch", "policy_content", "mx_match", "tls_rpt",
       "mx_tls"]
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                        "examples")


def assert_healthy(report: Any, domain: str) -> None:
    assert report.domain == domain
    assert report.state == MtaStsState.MTA_STS_STATE_ENFORCED
    statuses = {c.check: c.status for c in report.checks}
    assert {name: statuses[name] for name in SIX} == {
        name: CheckStatus.CHECK_STATUS_PASS for name in SIX}
    assert report.score == 100 and report.grade == Grade.GRADE_A


def counting(entries: list[Any], pulled: list[int]) -> Iterator[Any]:
    for entry in entries:
        pulled[0] += 1
        yield entry


def wait_until_pulled(pulled: list[int], want: int) -> None:
    """Waits (up to 10 s) for want entries to be taken, then 0.5 s more to
    see whether more are."""
    deadline = time.monotonic() + 10
    while pulled[0] < want and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)


def kinds(events: list[FleetEvent]) -> collections.Counter[str]:
    return collections.Counter(e.WhichOneof("event") for e in events)


def test_check_healthy(lab):
    with Client(lab["plaintext"]) as client:
        report = client.check(lab["healthy"], checks=SIX)
    assert_healthy(report, lab["healthy"])


def test_check_without_txt_record_is_not_enforced(lab):
    with Client(lab["plaintext"]) as client:
        report = client.check(lab["no_txt"], checks=SIX)
    assert report.domain == lab["no_txt"]
    assert report.state != MtaStsState.MTA_STS_STATE_ENFORCED
    assert report.grade != Grade.GRADE_A


def test_invalid_domain_is_invalid_argument(lab):
    with Client(lab["plaintext"]) as client:
        with pytest.raises(MtaStsError) as info:
            client.check("not a domain!")
        assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert info.value.details
        with pytest.raises(MtaStsError) as info:
            client.check(lab["healthy"], checks=["no_such_check"])
        assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
        assert "no_such_check" in info.value.details


def test_timeout_is_the_calls_deadline(lab):
    # The server fits its work into the call's deadline: the slow domains'
    # checks come back INCONCLUSIVE before it, rather than after 30 s. 3 s,
    # not 1: the server keeps min(250 ms, a tenth) of the deadline back to
    # answer in, and 100 ms was too little on a loaded 2-core machine.
    with Client(lab["plaintext"]) as client:
        started = time.monotonic()
        report = client.check(lab["slow"][0], checks=SIX, timeout=3)
        assert time.monotonic() - started < 3
        assert report.state == MtaStsState.MTA_STS_STATE_UNDETERMINED
        assert {c.status for c in report.checks if c.check in SIX} == {
            CheckStatus.CHECK_STATUS_INCONCLUSIVE}
        started = time.monotonic()
        events = list(client.fleet(lab["slow"][1:3], checks=SIX, timeout=3))
        assert time.monotonic() - started < 3
        assert kinds(events) == {"result": 2, "summary": 1}


def test_fleet_result_error_and_summary(lab):
    with Client(lab["plaintext"]) as client:
        events = list(client.fleet([(lab["healthy"], "ok"),
                                    ("not a domain!", "bad")], checks=SIX))
    assert kinds(events) == {"result": 1, "error": 1, "summary": 1}
    assert events[-1].WhichOneof("event") == "summary"
    result = next(e.result for e in events if e.HasField("result"))
    assert result.tag == "ok"
    assert_healthy(result.report, lab["healthy"])
    error = next(e.error for e in events if e.HasField("error"))
    assert (error.tag, error.domain) == ("bad", "not a domain!")
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    summary = events[-1].summary
    assert (summary.received, summary.reported, summary.errors) == (2, 1, 1)


def test_fleet_of_100_answers_each_once(lab):
    domains = lab["fleet"]
    assert len(domains) == 100
    with Client(lab["plaintext"]) as client:
        stream = client.fleet(((d, f"tag-{i}") for i, d in enumerate(domains)),
                              checks=SIX, timeout=120)
        events = list(stream)
    assert kinds(events) == {"result": 100, "summary": 1}
    assert events[-1].WhichOneof("event") == "summary"
    tags = collections.Counter(e.result.tag for e in events[:-1])
    assert tags == collections.Counter(f"tag-{i}" for i in range(100))
    for event in events[:-1]:
        i = int(event.result.tag[len("tag-"):])
        assert_healthy(event.result.report, domains[i])
    summary = stream.summary
    assert summary == events[-1].summary
    assert (summary.received, summary.reported, summary.errors) == (100, 100,
                                                                    0)
    assert {(c.state, c.count) for c in summary.by_state} == {
        (MtaStsState.MTA_STS_STATE_ENFORCED, 100)}
    assert {(c.grade, c.count) for c in summary.by_grade} == {
        (Grade.GRADE_A, 100)}


def test_cancelled_fleet_ends_promptly_and_server_stays_healthy(lab):
    pulled = [0]
    outcome: dict[str, Any] = {}
    with Client(lab["plaintext"]) as client:
        stream = client.fleet(counting(lab["slow"], pulled), checks=SIX)

        def consume() -> None:
            try:
                outcome["events"] = list(stream)
            except MtaStsError as e:
                outcome["error"] = e
                outcome["at"] = time.monotonic()

        consumer = threading.Thread(target=consume)
        consumer.start()
        # The 20 slow domains go in flight (their DNS answers are held 30 s).
        wait_until_pulled(pulled, len(lab["slow"]))
        assert pulled[0] == len(lab["slow"])
        assert "events" not in outcome and "error" not in outcome
        cancelled_at = time.monotonic()
        stream.cancel()
        consumer.join(10)
        assert not consumer.is_alive()
        assert outcome["error"].code == grpc.StatusCode.CANCELLED
        assert outcome["at"] - cancelled_at < 1.0
        with pytest.raises(StopIteration):
            next(stream)

        # The server dropped the cancelled work and still answers at once.
        started = time.monotonic()
        assert_healthy(client.check(lab["healthy"], checks=SIX, timeout=10),
                       lab["healthy"])
        events = list(client.fleet(lab["fleet"][:10], checks=SIX, timeout=30))
        assert kinds(events) == {"result": 10, "summary": 1}
        assert time.monotonic() - started < 10


def test_closing_a_fleet_cancels_it(lab):
    with Client(lab["plaintext"]) as client:
        with client.fleet(lab["slow"][:5] + [lab["healthy"]],
                          checks=SIX) as stream:
            first = next(stream)  # the healthy one answers first
            assert first.result.report.domain == lab["healthy"]
        started = time.monotonic()
        with pytest.raises(StopIteration):
            next(stream)
        assert time.monotonic() - started < 1
        assert_healthy(client.check(lab["healthy"], checks=SIX, timeout=10),
                       lab["healthy"])


def test_entries_are_read_lazily(lab):
    # 300 entries (the 100 healthy domains, three times); a window of 50.
    entries = [(d, f"{round_}-{d}") for round_ in range(3)
               for d in lab["fleet"]]
    pulled = [0]
    with Client(lab["plaintext"]) as client:
        stream = client.fleet(counting(entries, pulled), checks=SIX,
                              timeout=300, window=50)
        # The server answers what it is sent; nobody reads the answers.
        wait_until_pulled(pulled, 50)
        assert pulled[0] == 50
        answered = 0
        for event in stream:
            if event.WhichOneof("event") != "summary":
                answered += 1
                assert pulled[0] <= answered + 50
        assert answered == 300 and pulled[0] == 300
        assert stream.summary.received == 300


def tls_options(lab: dict[str, Any], client_cert: bool) -> TlsOptions:
    if not client_cert:
        return TlsOptions(ca_file=lab["ca_file"],
                          server_name=lab["server_name"])
    return TlsOptions(ca_file=lab["ca_file"], cert_file=lab["client_cert"],
                      key_file=lab["client_key"],
                      server_name=lab["server_name"])


def assert_unavailable(call: Callable[[], Any]) -> None:
    """call() fails with UNAVAILABLE: no TLS session came about."""
    with pytest.raises(MtaStsError) as info:
        call()
    assert info.value.code == grpc.StatusCode.UNAVAILABLE


def test_tls(lab):
    with Client(lab["tls"], tls=tls_options(lab, False)) as client:
        assert_healthy(client.check(lab["healthy"], checks=SIX),
                       lab["healthy"])
        events = list(client.fleet([lab["healthy"]], checks=SIX))
        assert kinds(events) == {"result": 1, "summary": 1}


def test_tls_server_not_trusted_without_the_lab_ca(lab):
    # System roots do not know the lab's CA.
    with Client(lab["tls"], tls=TlsOptions(server_name=lab["server_name"]),
                retry=NO_RETRY) as client:
        assert_unavailable(
            lambda: client.check(lab["healthy"], checks=SIX, timeout=10))


def test_tls_to_a_plaintext_server_fails(lab):
    with Client(lab["plaintext"], tls=tls_options(lab, False),
                retry=NO_RETRY) as client:
        assert_unavailable(
            lambda: client.check(lab["healthy"], checks=SIX, timeout=10))


def test_mutual_tls(lab):
    with Client(lab["mtls"], tls=tls_options(lab, True)) as client:
        assert_healthy(client.check(lab["healthy"], checks=SIX),
                       lab["healthy"])
        events = list(client.fleet([(lab["healthy"], "m")], checks=SIX))
        assert kinds(events) == {"result": 1, "summary": 1}


def test_mutual_tls_without_client_certificate_fails(lab):
    with Client(lab["mtls"], tls=tls_options(lab, False),
                retry=NO_RETRY) as client:
        assert_unavailable(
            lambda: client.check(lab["healthy"], checks=SIX, timeout=10))
        assert_unavailable(
            lambda: list(client.fleet([lab["healthy"]], checks=SIX,
                                      timeout=10)))


def connected_ports(ports: set[int]) -> set[int]:
    """Which of ports this process has an established TCP connection to."""
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:["):-1])
    found = set()
    # gRPC may use IPv6 sockets with IPv4-mapped addresses: both tables.
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as f:
            next(f)
            for line in f:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if (fields[3] == "01" and fields[9] in inodes and
                        remote_port in ports):
                    found.add(remote_port)
    return found


def replica_ports(lab: dict[str, Any]) -> set[int]:
    return {int(lab["plaintext"].rsplit(":", 1)[1]),
            int(lab["plaintext2"].rsplit(":", 1)[1])}


def wait_for_connections(ports: set[int], want: int) -> set[int]:
    deadline = time.monotonic() + 5
    found = connected_ports(ports)
    while len(found) < want and time.monotonic() < deadline:
        time.sleep(0.1)
        found = connected_ports(ports)
    return found


def test_round_robin_over_two_replicas(lab):
    ports = replica_ports(lab)
    target = f"ipv4:{lab['plaintext']},{lab['plaintext2']}"
    with Client(target) as client:
        for _ in range(4):
            assert_healthy(client.check(lab["healthy"], checks=SIX),
                           lab["healthy"])
        assert wait_for_connections(ports, 2) == ports
        events = list(client.fleet(lab["fleet"][:10], checks=SIX))
        assert kinds(events) == {"result": 10, "summary": 1}


def test_pick_first_uses_one_replica(lab):
    # The contrast that makes the round-robin test meaningful.
    ports = replica_ports(lab)
    target = f"ipv4:{lab['plaintext']},{lab['plaintext2']}"
    with Client(target, load_balancing="pick_first") as client:
        for _ in range(4):
            client.check(lab["healthy"], checks=SIX)
        time.sleep(0.5)
        assert len(connected_ports(ports)) == 1


def test_dns_target(lab):
    port = lab["plaintext"].rsplit(":", 1)[1]
    with Client(f"dns:///localhost:{port}") as client:
        assert_healthy(client.check(lab["healthy"], checks=SIX),
                       lab["healthy"])


def run_example(*args: str,
                stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-s", *args], input=stdin,
                          capture_output=True, text=True, timeout=120,
                          check=False)


def test_check_domain_example(lab):
    done = run_example(os.path.join(EXAMPLES, "check_domain.py"),
                       "--target", lab["mtls"], "--checks", ",".join(SIX),
                       "--ca-file", lab["ca_file"],
                       "--cert-file", lab["client_cert"],
                       "--key-file", lab["client_key"],
                       "--server-name", lab["server_name"], lab["healthy"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        f"{lab['healthy']}: grade A, score 100, state ENFORCED\n")
    assert "  mx_tls          PASS\n" in done.stdout

    # No record: the report's actions say what to publish, most urgent first.
    done = run_example(os.path.join(EXAMPLES, "check_domain.py"), "--target",
                       lab["plaintext"], lab["no_txt"])
    assert done.returncode == 0, done.stderr
    assert "\nWhat to do, most urgent first:\n  [" in done.stdout, done.stdout

    done = run_example(os.path.join(EXAMPLES, "check_domain.py"), "--target",
                       lab["plaintext"], "not a domain!")
    assert done.returncode == 1
    assert done.stderr.startswith("error: INVALID_ARGUMENT: ")


def test_fleet_file_example(lab, tmp_path):
    listing = tmp_path / "domains.txt"
    listing.write_text("# customers\n" + "".join(
        f"{d} cust-{i}\n" for i, d in enumerate(lab["fleet"][:5])) +
                       "\nnot-a-domain! cust-x\n")
    done = run_example(os.path.join(EXAMPLES, "fleet_file.py"), "--target",
                       lab["plaintext"], "--checks", ",".join(SIX),
                       str(listing))
    assert done.returncode == 3, done.stderr
    lines = done.stdout.splitlines()
    # Completion order: the refused entry may come first.
    errors = [line for line in lines[:6] if " error " in line]
    assert len(errors) == 1
    assert errors[0].startswith("not-a-domain! cust-x error 3: ")
    assert sorted(set(lines[:6]) - set(errors)) == sorted(
        f"{d} cust-{i} A 100" for i, d in enumerate(lab["fleet"][:5]))
    assert lines[6] == "received 6, reported 5, errors 1, mean score 100.0"


def python_blocks(markdown_path: str) -> list[str]:
    with open(markdown_path, encoding="utf-8") as f:
        text = f.read()
    return [block.split("```", 1)[0]
            for block in text.split("```python\n")[1:]]


@pytest.mark.parametrize("readme", ["clients/python/README.md", "README.md"])
def test_readme_example_runs_as_written(lab, tmp_path, readme):
    blocks = python_blocks(os.path.join(os.environ["MTASTS_TEST_ROOT"],
                                        readme))
    assert blocks, f"no python example in {readme}"
    # Only the servers' addresses and the domains differ from the README.
    code = (blocks[0].replace("127.0.0.1:50051", lab["plaintext"])
            .replace("127.0.0.1:50052", lab["plaintext2"])
            .replace("example.com", lab["healthy"])
            .replace("example.org", lab["fleet"][0]))
    (tmp_path / "domains.txt").write_text(
        "".join(d + "\n" for d in lab["fleet"][:3]))
    done = subprocess.run([sys.executable, "-s", "-c", code], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert lab["healthy"] in done.stdout
