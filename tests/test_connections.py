"""Connections end cleanly: idle HTTP connections are closed by the server (keep-alive 5 s), so
an SDK that leaves one open cannot keep a test runner alive for long after its tests end; a
long-poll cut by shutdown says so (503 ``shutting_down``) instead of claiming a timeout."""

from __future__ import annotations

import socket
import threading

import httpx

from fakeservices.server import KEEP_ALIVE_SECONDS, EmbeddedServer, start_server


def read_response(sock: socket.socket) -> bytes:
    """One HTTP/1.1 response with a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        assert chunk, "closed before the response"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        assert chunk, "closed inside the body"
        body += chunk
    return head


def test_an_idle_keep_alive_connection_is_closed_by_the_server(server: EmbeddedServer) -> None:
    assert KEEP_ALIVE_SECONDS == 5
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=10) as sock:
        sock.sendall(b"GET /__admin/health HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
        head = read_response(sock)
        assert head.startswith(b"HTTP/1.1 200")
        assert b"connection: close" not in head.lower()  # the server means to keep it open
        # Now idle: the server closes it after the keep-alive timeout. The socket timeout (3x the
        # keep-alive, well under the former 30 s) bounds the read; EOF arrives before it.
        sock.settimeout(3 * KEEP_ALIVE_SECONDS)
        assert sock.recv(1) == b""


def test_a_wait_cut_short_by_shutdown_answers_503_shutting_down() -> None:
    server = start_server()
    result: dict[str, httpx.Response] = {}

    def wait() -> None:
        result["r"] = httpx.get(
            f"{server.url}/__admin/emails/wait", params={"timeout": 60}, timeout=30
        )

    thread = threading.Thread(target=wait)
    thread.start()
    emails = server.runtime.stores()["emails"]
    server.run(emails.until_waiting(1), timeout=10)  # the long-poll is registered
    server.stop()
    thread.join(30)
    assert not thread.is_alive()
    r = result["r"]
    assert r.status_code == 503
    err = r.json()["error"]
    assert err["code"] == "shutting_down"
    assert err["message"].startswith("The server is shutting down")
    assert "Timed out" not in err["message"]
