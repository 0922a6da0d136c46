"""Counters exposed at ``GET /__admin/metrics`` in the Prometheus text format."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from fakeservices.core.looplag import LoopLag
from fakeservices.core.store import Counted

_HELP = {
    "fakeservices_requests_total": ("counter", "Requests served by the fakes (HTTP and SMTP)."),
    "fakeservices_faults_fired_total": ("counter", "Injected faults that fired."),
    "fakeservices_store_items": ("gauge", "Items held now in each store."),
    "fakeservices_store_added_total": ("counter", "Items ever added to each store."),
    "fakeservices_store_evicted_total": ("counter", "Items evicted from each store by the cap."),
    "fakeservices_event_loop_lag_seconds": (
        "gauge",
        "How late the event loop ran a timer: p99 and max of the recent window.",
    ),
    "fakeservices_event_loop_lag_max_seconds": (
        "gauge",
        "The worst event loop lateness since the server started.",
    ),
    "fakeservices_event_loop_busy_max_seconds": (
        "gauge",
        "The most CPU time the event loop's thread used between two lag probes since start.",
    ),
    "fakeservices_gc_pause_max_seconds": (
        "gauge",
        "The longest garbage-collector pass since start (it holds the GIL).",
    ),
}


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + inner + "}"


CounterKey = tuple[str, tuple[tuple[str, str], ...]]


def counter_key(name: str, **labels: str) -> CounterKey:
    """The key :meth:`Metrics.inc` counts ``name`` with ``labels`` under (labels sorted)."""
    return (name, tuple(sorted(labels.items())))


class Metrics:
    def __init__(self) -> None:
        self.counters: Counter[CounterKey] = Counter()

    def inc(self, name: str, **labels: str) -> None:
        self.counters[counter_key(name, **labels)] += 1

    def inc_key(self, key: CounterKey) -> None:
        """:meth:`inc` with a key made once by :func:`counter_key` (the per-request path)."""
        self.counters[key] += 1

    def render(self, stores: Mapping[str, Counted], loop_lag: LoopLag | None = None) -> str:
        samples: dict[str, list[str]] = {name: [] for name in _HELP}
        for (name, labels), value in sorted(self.counters.items()):
            samples.setdefault(name, []).append(f"{name}{_labels(labels)} {value}")
        for store_name, store in sorted(stores.items()):
            lab = _labels((("store", store_name),))
            samples["fakeservices_store_items"].append(
                f"fakeservices_store_items{lab} {len(store)}"
            )
            samples["fakeservices_store_added_total"].append(
                f"fakeservices_store_added_total{lab} {store.added}"
            )
            samples["fakeservices_store_evicted_total"].append(
                f"fakeservices_store_evicted_total{lab} {store.evicted}"
            )
        if loop_lag is not None:
            recent_max, p99 = loop_lag.recent()
            samples["fakeservices_event_loop_lag_seconds"] += [
                f'fakeservices_event_loop_lag_seconds{{quantile="0.99"}} {p99:.6f}',
                f'fakeservices_event_loop_lag_seconds{{quantile="1"}} {recent_max:.6f}',
            ]
            samples["fakeservices_event_loop_lag_max_seconds"].append(
                f"fakeservices_event_loop_lag_max_seconds {loop_lag.max_seconds:.6f}"
            )
            samples["fakeservices_event_loop_busy_max_seconds"].append(
                f"fakeservices_event_loop_busy_max_seconds {loop_lag.busy_max_seconds:.6f}"
            )
            samples["fakeservices_gc_pause_max_seconds"].append(
                f"fakeservices_gc_pause_max_seconds {loop_lag.gc_max_seconds:.6f}"
            )
        lines: list[str] = []
        for name, rows in samples.items():
            kind, text = _HELP.get(name, ("counter", name))
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *rows]
        return "\n".join(lines) + "\n"
