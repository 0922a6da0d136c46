from __future__ import annotations

import httpx

from fakeservices.server import EmbeddedServer


def test_health_reports_the_bound_ports(server: EmbeddedServer, admin: httpx.Client) -> None:
    body = admin.get("/__admin/health").json()
    assert body["status"] == "ok"
    assert body["http_port"] == server.http_port != 0
    assert body["smtp_port"] == server.smtp_port != 0
