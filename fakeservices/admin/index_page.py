"""The small HTML page a browser gets at ``/__admin/``: every admin endpoint (``/`` is the web UI).

Plain HTML, no script, nothing loaded from elsewhere; every value is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

STYLE = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}"
    "code{background:#f3f3f3;padding:0 .25rem}table{border-collapse:collapse}"
    "td,th{text-align:left;padding:.2rem .8rem .2rem 0;vertical-align:top}"
)


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}'
        f"</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def _link(url: str) -> str:
    return f'<a href="{escape(url)}">{escape(url)}</a>'


def admin_index_html(index: dict[str, Any]) -> str:
    """``GET /__admin/`` for a browser: every admin endpoint, with links to the docs."""
    rows = "".join(
        f"<tr><td>{escape(e['method'])}</td><td><code>{escape(e['path'])}</code></td>"
        f"<td>{escape(e['summary'])}</td></tr>"
        for e in index["endpoints"]
    )
    body = (
        f"<h1>{escape(index['name'])} {escape(index['version'])}</h1>"
        f"<p>The web UI: {_link(index['ui'])}</p>"
        f"<p>Rendered docs: {_link(index['docs'])}; OpenAPI: {_link(index['openapi'])}</p>"
        f"<table>{rows}</table>"
    )
    return _page("fakeservices admin API", body)
