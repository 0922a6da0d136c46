"""Billing: server time of advancing a test clock over 12 monthly periods of one subscription.

    python3 bench/billing.py [--runs 30] [--json out.json]

Each run makes a fresh test clock, customer (pm_card_visa as its default) and monthly
subscription through stripe-python, then one ``advance`` a year ahead: 12 renewals, each
invoiced, finalized, charged and paid (60 invoice/subscription events, 36 payment events).
Server time is the request journal's ``duration_ms`` of that advance (the gateway's clock,
from the request's arrival to the response), so the client and the network are not in it.
Two variants: no webhook endpoint (the billing work), and one local endpoint receiving every
event (the advance waits for each delivery's first attempt, in order, before answering).
Issue 17's target: under 50 ms without webhooks.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import stripe

from fakeservices.server import start_server

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
YEAR = 365 * 86400


class _Sink(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def one_run(base: str, key: str, hook: str | None) -> tuple[float, int]:
    """Advance one subscription a year; the advance's server time (ms) and events emitted."""
    client = stripe.StripeClient(key, base_addresses={"api": base}, max_network_retries=0)
    if hook is not None:
        client.v1.webhook_endpoints.create(params={"url": hook, "enabled_events": ["*"]})
    clock = client.v1.test_helpers.test_clocks.create(params={"frozen_time": T0})
    cus = client.v1.customers.create(
        params={"test_clock": clock.id, "payment_method": "pm_card_visa"}
    )
    [pm] = client.v1.customers.payment_methods.list(cus.id).data
    client.v1.customers.update(
        cus.id, params={"invoice_settings": {"default_payment_method": pm.id}}
    )
    price = client.v1.prices.create(
        params={
            "currency": "usd",
            "unit_amount": 1000,
            "recurring": {"interval": "month"},
            "product_data": {"name": "Bench"},
        }
    )
    sub = client.v1.subscriptions.create(
        params={"customer": cus.id, "items": [{"price": price.id}]}
    )
    newest = client.v1.events.list(params={"limit": 1}).data[0].id
    done = client.v1.test_helpers.test_clocks.advance(clock.id, params={"frozen_time": T0 + YEAR})
    assert done.status == "ready"
    invoices = client.v1.invoices.list(params={"subscription": sub.id, "limit": 100}).data
    assert len(invoices) == 13 and all(i.status == "paid" for i in invoices), invoices
    journal = httpx.get(
        f"{base}/__admin/requests",
        params={"path": f"/v1/test_helpers/test_clocks/{clock.id}/advance", "account": key},
    ).json()
    [entry] = journal["data"]
    emitted = 0
    for _ in range(100):  # newer events, a page at a time (bounded)
        page = client.v1.events.list(params={"limit": 100, "ending_before": newest})
        emitted += len(page.data)
        if not page.has_more or not page.data:
            break
        newest = page.data[0].id
    return float(entry["duration_ms"]), emitted


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
        "max_ms": round(ordered[-1], 2),
    }


def run(runs: int) -> dict[str, Any]:
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{sink.server_address[1]}/hooks"
    out: dict[str, Any] = {"runs": runs, "periods": 12}
    try:
        with start_server() as server:
            for name, target in (("no_webhooks", None), ("one_webhook_endpoint", hook)):
                times: list[float] = []
                emitted = 0
                for i in range(runs):
                    ms, emitted = one_run(server.url, f"sk_test_bench_{name}_{i}", target)
                    times.append(ms)
                out[name] = {**summary(times), "events_emitted": emitted}
    finally:
        sink.shutdown()
        sink.server_close()
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--json", help="also write the result here")
    args = p.parse_args()
    result = run(max(1, min(args.runs, 1000)))
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
