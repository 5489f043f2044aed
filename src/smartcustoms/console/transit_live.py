"""The alert queue, live: ``/console/transit/ws`` pushes each change of the transit
alerts to the console pages that show them.

Authenticated like the pages, by the console's session cookie; the WebSocket handshake
is not covered by CORS or the CSRF token, so the Origin header must name this host (a
page on another site could otherwise open the socket with the officer's cookie:
cross-site WebSocket hijacking). Refusals close with 1008 (policy violation).

The service calls its listeners from the thread that ingested the batch (an MQTT or
threadpool thread); ``call_soon_threadsafe`` hands each message to this connection's
event loop, into a bounded queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.concurrency import run_in_threadpool

from smartcustoms.errors import AuthenticationFailed
from smartcustoms.http.deps import SESSION_COOKIE, AppContext
from smartcustoms.identity import Permission, Principal, principal_for_token
from smartcustoms.transit.alert_store import Change
from smartcustoms.transit.service import Listener

from .contexts import TRANSIT_PATH

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

WS_PATH = TRANSIT_PATH + "/ws"
POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
# A page that cannot keep up with this many pending changes is disconnected rather than
# sent a queue with holes: dropping the oldest could lose a retraction or a case step,
# and the page would show a wrong queue without knowing it. On close it reconnects and
# reloads the queue from the server, so it ends up right.
MAX_PENDING = 256
_OVERFLOW = "overflow"  # the sentinel a full queue is replaced with


def _ctx(websocket: WebSocket) -> AppContext:
    return websocket.app.state.ctx  # type: ignore[no-any-return]


def same_origin(websocket: WebSocket) -> bool:
    """The Origin header names the host the socket was opened on."""
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host")
    return bool(origin and host) and urlsplit(origin).netloc == host


def _principal(ctx: AppContext, token: str) -> Principal | None:
    try:
        with ctx.sessions() as db:
            return principal_for_token(db, token, now=ctx.clock())
    except AuthenticationFailed:
        return None


async def _authorised(websocket: WebSocket) -> bool:
    if not same_origin(websocket):
        return False
    token = websocket.cookies.get(SESSION_COOKIE)
    if not token:
        return False
    principal = await run_in_threadpool(_principal, _ctx(websocket), token)
    return principal is not None and principal.can(Permission.read_transit)


def message(change: Change, sent_at: str) -> str:
    """One change as the page receives it; ``sent_at`` (service clock) lets a benchmark
    measure the latency from the broker's receipt to the push."""
    body: dict[str, Any] = change.model_dump(mode="json")
    body["sent_at"] = sent_at
    return json.dumps(body)


def _offer(queue: asyncio.Queue[Change | str], item: Change) -> None:
    """On the event loop: enqueue, or replace a full queue by the overflow sentinel."""
    if queue.full():
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(_OVERFLOW)
    else:
        queue.put_nowait(item)


def bridge(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Change | str]
           ) -> Listener:
    """The service listener: runs in the ingesting thread, hands over to the loop."""
    def listener(changes: Sequence[Change]) -> None:
        for change in changes:
            try:
                loop.call_soon_threadsafe(_offer, queue, change)
            except RuntimeError:  # the loop is closed: the socket is gone
                return
    return listener


async def _send(websocket: WebSocket, queue: asyncio.Queue[Change | str]) -> None:
    ctx = _ctx(websocket)
    while True:
        item = await queue.get()
        if isinstance(item, str):  # overflow: see MAX_PENDING
            await websocket.close(code=TRY_AGAIN_LATER, reason="too many pending changes")
            return
        await websocket.send_text(message(item, ctx.clock().isoformat()))


async def _receive(websocket: WebSocket) -> None:
    """Wait for the page to go away (it sends nothing we act on)."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()


@router.websocket(WS_PATH)
async def alert_feed(websocket: WebSocket) -> None:
    if not await _authorised(websocket):
        await websocket.close(code=POLICY_VIOLATION)
        return
    await websocket.accept()
    queue: asyncio.Queue[Change | str] = asyncio.Queue(maxsize=MAX_PENDING)
    unsubscribe = _ctx(websocket).transit.subscribe(bridge(asyncio.get_running_loop(), queue))
    try:
        # An anyio task group, not bare asyncio tasks: the server's cancellation (shutdown,
        # a closed connection) then reaches both halves and ends the feed cleanly.
        async with anyio.create_task_group() as group:
            async def until_done(part: Callable[[], Awaitable[None]]) -> None:
                try:
                    await part()
                except (WebSocketDisconnect, RuntimeError) as exc:  # sent to a closed socket
                    log.info("transit feed closed: %s", exc)
                group.cancel_scope.cancel()  # either half ending ends the feed

            group.start_soon(until_done, lambda: _send(websocket, queue))
            group.start_soon(until_done, lambda: _receive(websocket))
    finally:
        unsubscribe()
