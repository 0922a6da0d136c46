"""Counters exposed at ``GET /__admin/metrics`` in the Prometheus text format."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from fakeservices.core.store import Counted

_HELP = {
    "fakeservices_requests_total": ("counter", "Requests served by the fakes (HTTP and SMTP)."),
    "fakeservices_faults_fired_total": ("counter", "Injected faults that fired."),
    "fakeservices_store_items": ("gauge", "Items held now in each store."),
    "fakeservices_store_added_total": ("counter", "Items ever added to each store."),
    "fakeservices_store_evicted_total": ("counter", "Items evicted from each store by the cap."),
}


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    inner = ",".join(
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + inner + "}"


class Metrics:
    def __init__(self) -> None:
        self.counters: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()

    def inc(self, name: str, **labels: str) -> None:
        self.counters[(name, tuple(sorted(labels.items())))] += 1

    def render(self, stores: Mapping[str, Counted]) -> str:
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
        lines: list[str] = []
        for name, rows in samples.items():
            kind, text = _HELP.get(name, ("counter", name))
            lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *rows]
        return "\n".join(lines) + "\n"
