"""The summary of a fleet spread over several backends, built from the events
passed on (each entry exactly once), because no single server saw the whole
fleet and a stream that failed sends no summary. The same arithmetic as the
server's own (server/fleet_summary) and the C++ library's
(clients/cpp/fleet_summary): a fleet sent over one stream gets the same
counts, grades, states, histogram, mean and slowest domains either way.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable

from mtasts.v1 import service_pb2

#: How many of the slowest domains the summary names.
SLOWEST = 10
# The servers' own limits on groups (server/fleet_summary): groups per kind,
# examples per group.
_GROUPS_PER_KIND = 20
_EXAMPLES_PER_GROUP = 3


def _nanos(d: service_pb2.DomainDuration) -> int:
    return int(d.duration.seconds) * 1_000_000_000 + int(d.duration.nanos)


class FleetSummaryBuilder:
    """Counts answered entries; not thread-safe."""

    def __init__(self) -> None:
        self._reported = 0
        self._errors = 0
        self._by_grade: dict[int, int] = {}
        self._by_state: dict[int, int] = {}
        self._histogram = [0] * 10
        self._score_sum = 0.0
        # Slowest first, at most SLOWEST; _keys are their -nanos, ascending.
        self._slowest: list[service_pb2.DomainDuration] = []
        self._keys: list[int] = []

    def add(self, event: service_pb2.FleetEvent) -> None:
        """Counts a result or an error event; any other kind is ignored.
        On equal durations the earlier result stays ahead."""
        kind = event.WhichOneof("event")
        if kind == "error":
            self._errors += 1
            return
        if kind != "result":
            return
        report = event.result.report
        self._reported += 1
        self._by_grade[report.grade] = self._by_grade.get(report.grade, 0) + 1
        self._by_state[report.state] = self._by_state.get(report.state, 0) + 1
        self._histogram[min(max(report.score // 10, 0), 9)] += 1
        self._score_sum += report.score
        slow = service_pb2.DomainDuration(domain=report.domain,
                                          tag=event.result.tag)
        slow.duration.CopyFrom(report.duration)
        key = -_nanos(slow)
        at = bisect.bisect_right(self._keys, key)  # after every equal one
        if at >= SLOWEST:
            return
        self._keys.insert(at, key)
        self._slowest.insert(at, slow)
        del self._keys[SLOWEST:], self._slowest[SLOWEST:]

    def build(self, elapsed_seconds: float) -> service_pb2.FleetSummary:
        """Everything added so far, with elapsed_seconds as its duration."""
        summary = service_pb2.FleetSummary(
            received=self._reported + self._errors,
            reported=self._reported,
            errors=self._errors,
            score_histogram=self._histogram,
            mean_score=(self._score_sum / self._reported
                        if self._reported else 0.0),
            slowest=self._slowest)
        for grade in sorted(self._by_grade):
            summary.by_grade.add(grade=grade, count=self._by_grade[grade])
        for state in sorted(self._by_state):
            summary.by_state.add(state=state, count=self._by_state[state])
        summary.duration.FromNanoseconds(int(elapsed_seconds * 1e9))
        return summary


def merge_groupings(summaries: Iterable[service_pb2.FleetSummary],
                    caller_tag: Callable[[str], str],
                    into: service_pb2.FleetSummary) -> None:
    """The groups of the streams' own summaries, as one, into `into`.

    As the C++ library does: counts of the same key added, the most severe
    outcome kept, examples up to 3 (their tags passed through caller_tag),
    largest groups first, 20 per kind (the rest counted in keys_not_sent).
    Streams that ended without a summary (a killed or draining backend) add
    none: their entries are in the counts but not in the groups.
    """
    kinds: dict[int, service_pb2.FleetGrouping] = {}
    groups: dict[tuple[int, str], service_pb2.FleetGroup] = {}
    for summary in summaries:
        for grouping in summary.groupings:
            merged_kind = kinds.setdefault(
                grouping.kind, service_pb2.FleetGrouping(kind=grouping.kind))
            merged_kind.keys_tracked = max(merged_kind.keys_tracked,
                                           grouping.keys_tracked)
            merged_kind.keys_not_sent += grouping.keys_not_sent
            merged_kind.untracked += grouping.untracked
            for group in grouping.groups:
                key = (grouping.kind, group.key)
                merged = groups.get(key)
                if merged is None:
                    merged = service_pb2.FleetGroup()
                    merged.CopyFrom(group)
                    del merged.examples[:]
                    groups[key] = merged
                else:
                    merged.count += group.count
                    if group.severity > merged.severity:
                        merged.severity = group.severity
                        merged.outcome = group.outcome
                        merged.outcome_count = group.outcome_count
                    elif group.outcome == merged.outcome:
                        merged.outcome_count += group.outcome_count
                for example in group.examples:
                    if len(merged.examples) >= _EXAMPLES_PER_GROUP:
                        break
                    merged.examples.add(domain=example.domain,
                                        tag=caller_tag(example.tag))
    for (kind, _), group in sorted(groups.items()):
        kinds[kind].groups.append(group)
    for kind in sorted(kinds):
        grouping = kinds[kind]
        ordered = sorted(grouping.groups,
                         key=lambda g: (-g.count, -g.severity, g.key))
        grouping.keys_not_sent += max(0, len(ordered) - _GROUPS_PER_KIND)
        del grouping.groups[:]
        grouping.groups.extend(ordered[:_GROUPS_PER_KIND])
        into.groupings.append(grouping)
