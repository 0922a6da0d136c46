"""The async client (AsyncTwilioHttpClient) and the recipe for pointing the SDK at fakeservices."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from fakeservices.server import EmbeddedServer

from .helpers import new_sid, point, wait_for


# aiohttp deprecates the BasicAuth object twilio's async client still passes; not ours to fix.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
@pytest.mark.filterwarnings("ignore:The 'auth' parameter is deprecated:DeprecationWarning")
async def test_async_client_create_fetch_list(server: EmbeddedServer) -> None:
    sid = new_sid()
    http = AsyncTwilioHttpClient()
    try:
        client = Client(sid, "async-token", http_client=http)
        client.api.base_url = server.url
        m = await client.messages.create_async(
            to="+15558675310",
            from_="+15005550006",
            body="async hello",
            media_url=["https://example.com/a.png"],
        )
        assert m.sid.startswith("MM") and m.status == "queued" and m.num_media == "1"
        for i in range(3):
            await client.messages.create_async(to="+15558675311", from_="+15005550006", body=f"{i}")
        fetched = await client.messages(m.sid).fetch_async()
        assert fetched.body == "async hello"
        listed = await client.messages.list_async(to="+15558675311", page_size=2)
        assert [x.body for x in listed] == ["2", "1", "0"]
        streamed = [x.body async for x in await client.messages.stream_async(limit=3, page_size=1)]
        assert streamed == ["2", "1", "0"]
        with pytest.raises(TwilioRestException) as info:
            await client.messages.create_async(to="+15005550004", from_="+15005550006", body="x")
        assert (info.value.status, info.value.code) == (400, 21610)
    finally:
        await http.close()
    async with httpx.AsyncClient(base_url=server.url) as admin:
        r = await admin.get("/__admin/sms", params={"account": sid})
    assert len(r.json()["data"]) == 4


def test_recipe_one_assignment(server: EmbeddedServer, admin: httpx.Client) -> None:
    sid = new_sid()
    client = Client(sid, "token")
    client.api.base_url = server.url
    m = client.messages.create(to="+15558675310", from_="+15005550006", body="recipe")
    # client.messages and client.api.v2010.accounts(...) share the redirected domain.
    assert client.api.v2010.accounts(sid).messages(m.sid).fetch().body == "recipe"
    assert wait_for(admin, sid, "delivered")[0]["sid"] == m.sid


def test_region_or_edge_breaks_the_recipe_unless_cleared(
    server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    sid = new_sid()
    client = point(Client(sid, "token"), server.url)
    # The SDK rewrites the host *after* the base URL is applied: the fake is no longer reached.
    mangled = client.get_hostname(server.url + "/2010-04-01/Accounts/x/Messages.json")
    assert not mangled.startswith(server.url)
    # Clearing both on the client (or unsetting the variables) restores the recipe.
    client.region = None
    client.edge = None
    m = client.messages.create(to="+15558675310", from_="+15005550006", body="no region")
    assert m.status == "queued"


def test_env_credentials(server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sid = new_sid()
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "env-token")
    client = point(Client(), server.url)
    assert (
        client.messages.create(to="+15558675310", from_="+15005550006", body="e").account_sid == sid
    )


def test_redirecting_http_client_covers_region_and_edge(
    server: EmbeddedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented alternative: rewrite every *.twilio.com URL in a TwilioHttpClient."""
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    target = httpx.URL(server.url)

    class Redirect(TwilioHttpClient):
        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
            parsed = httpx.URL(url)
            if parsed.host.endswith(".twilio.com"):
                url = str(
                    parsed.copy_with(scheme=target.scheme, host=target.host, port=target.port)
                )
            return super().request(method, url, *args, **kwargs)

    sid = new_sid()
    client = Client(sid, "token", http_client=Redirect())
    m = client.messages.create(to="+15558675310", from_="+15005550006", body="redirected")
    assert client.messages(m.sid).fetch().body == "redirected"
    client.messages.create(to="+15558675310", from_="+15005550006", body="two")
    # Paging links come back as api.twilio.com URLs: the redirect covers them as well.
    assert [x.body for x in client.messages.list(page_size=1)] == ["two", "redirected"]
