"""A local fake of the WeCom HTTP API on 127.0.0.1: tokens, app messages, app group chats, robot webhooks, file
uploads (the app's media/upload and a robot's webhook/upload_media), media/get (what a member sent the app, and the
app's own uploads), the contacts' user/get (the names of the members it knows), AI bot response_urls and the AI bot's
image links (encrypted files, each served only at the URL issued and for five minutes), with WeCom's error codes.
It records every call, and it can also play WeCom's part in callbacks: encrypt a message the way WeCom does and POST
it to the bot's callback route.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.wecom_crypto import WeComCrypto

CORP_ID = "wwlinlitest0001"
AGENT_ID = 1000002
APP_SECRET = "fake-app-secret-for-tests"
APP_TOKEN = "linliAppCallbackToken"
BOT_TOKEN = "linliBotCallbackToken"
APP_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
BOT_AES_KEY = "GFEDCBA9876543210zyxwvutsrqponmlkjihgfedcba"
TEXT_LIMIT_BYTES = 2048
FILE_MIN_BYTES, FILE_MAX_BYTES = 6, 20 * 1024 * 1024  # "larger than 5 bytes", type=file up to 20 MB
APP = "app"  # who may send a media_id from media/upload: the corp's apps (a robot's media is only that robot's)
IMAGE_LINK_TTL = 300.0  # an AI bot image link: "valid for five minutes"
IMAGE_PATH = "/aibot/image/"


@dataclass(frozen=True)
class Media:
    """An uploaded file: what a chat shows when a `file` message names its media_id."""

    filename: str
    content: bytes
    owner: str  # APP, or the webhook key of the robot that uploaded it
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class ImageLink:
    """An image an AI bot callback names by URL: the file as WeCom serves it (encrypted) and when it was issued."""

    sign: str
    encrypted: bytes
    issued_at: float


@dataclass
class WeComCall:
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    errcode: int

    @property
    def ok(self) -> bool:
        return self.errcode == 0

    @property
    def content(self) -> str:
        """The text a person would see: text or markdown content."""
        kind = self.body.get("msgtype", "text")
        return str((self.body.get(kind) or {}).get("content", ""))


@dataclass
class FakeWeCom:
    """The WeCom API as the bot sees it; `robot_limit` messages per robot per `window` seconds, like WeCom's 20/min."""

    token_ttl: int = 7200
    robot_limit: int = 20
    window: float = 60.0
    calls: list[WeComCall] = field(default_factory=list)
    robots: set[str] = field(default_factory=set)
    outsiders: set[str] = field(default_factory=set)  # userids not in the corp: the app cannot message them 1:1
    members: dict[str, str] = field(default_factory=dict)  # userid → name in the contacts ("": hidden from the app)
    appchats: dict[str, list[str]] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    images: dict[str, ImageLink] = field(default_factory=dict)  # link id → the file it serves
    clock: Callable[[], float] = time.time  # what "five minutes" is measured with (tests move it, never sleep)
    _tokens: dict[str, float] = field(default_factory=dict)
    _robot_sends: dict[str, deque[float]] = field(default_factory=dict)
    _response_codes: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    base_url: str = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        app.router.add_post("/cgi-bin/message/send", self._message_send)
        app.router.add_post("/cgi-bin/appchat/create", self._appchat_create)
        app.router.add_post("/cgi-bin/appchat/send", self._appchat_send)
        app.router.add_post("/cgi-bin/webhook/send", self._webhook_send)
        app.router.add_post("/cgi-bin/media/upload", self._media_upload)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_get("/cgi-bin/user/get", self._user_get)
        app.router.add_post("/cgi-bin/webhook/upload_media", self._webhook_upload)
        app.router.add_post("/cgi-bin/aibot/response", self._aibot_response)
        app.router.add_get(IMAGE_PATH + "{link}", self._image)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- what tests set up and look at ----------------------------------------------------------------------

    def robot(self) -> str:
        """A new group robot; returns its webhook URL."""
        key = secrets.token_hex(8)
        self.robots.add(key)
        return f"{self.base_url}/cgi-bin/webhook/send?key={key}"

    def response_url(self) -> str:
        """A one-shot reply URL, as WeCom puts into an AI bot callback."""
        code = secrets.token_hex(8)
        self._response_codes.add(code)
        return f"{self.base_url}/cgi-bin/aibot/response?response_code={code}"

    def image_received(self, content: bytes, content_type: str = "image/jpeg") -> str:
        """What WeCom does when a member sends the app an image: keeps it under a new media_id (the callback's
        MediaId), for media/get."""
        media_id = f"media-{next(self._counter)}-{secrets.token_hex(4)}"
        self.media[media_id] = Media(f"{media_id}.jpg", content, APP, content_type)
        return media_id

    def image_link(self, content: bytes) -> str:
        """What WeCom does with an image sent to the AI bot: the file encrypted with the bot's EncodingAESKey (as
        messages are, without their header), downloadable at the returned URL for five minutes."""
        link, sign = secrets.token_hex(8), secrets.token_hex(16)
        self.images[link] = ImageLink(sign, BOT_CRYPTO.encrypt_file(content), self.clock())
        return f"{self.base_url}{IMAGE_PATH}{link}?sign={sign}"

    def expire_tokens(self) -> None:
        """Every issued access_token is now past its expiry (the next use gets errcode 42001)."""
        self._tokens = dict.fromkeys(self._tokens, 0.0)

    def sent(self, path: str, *, ok: bool = True) -> list[WeComCall]:
        return [c for c in self.calls if c.path == path and c.ok == ok]

    def files_sent(self, path: str) -> list[Media]:
        """The files that reached a chat through `path`, in order: what each accepted `file` message named."""
        return [self.media[c.body["file"]["media_id"]] for c in self.sent(path) if c.body.get("msgtype") == "file"]

    async def wait_for(self, predicate: Callable[[WeComCall], bool], timeout: float = 8.0) -> WeComCall:
        """The first recorded call matching `predicate`, waiting for it if needed."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls:
                if predicate(call):
                    return call
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no such WeCom call; calls were: {[(c.path, c.errcode) for c in self.calls]}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                continue

    # ---- the API ----------------------------------------------------------------------------------------------

    def _record(self, request: web.Request, body: dict[str, Any], errcode: int, **extra: Any) -> web.Response:
        self.calls.append(WeComCall(request.path, dict(request.query), body, errcode))
        self._changed.set()
        return web.json_response({"errcode": errcode, "errmsg": "ok" if errcode == 0 else "error", **extra})

    async def _body(self, request: web.Request) -> dict[str, Any] | None:
        try:
            data = json.loads(await request.read())
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _token_error(self, request: web.Request) -> int:
        token = request.query.get("access_token", "")
        if not token:
            return 41001  # "access_token missing"
        expires = self._tokens.get(token)
        if expires is None:
            return 40014
        return 42001 if expires <= time.monotonic() else 0

    async def _gettoken(self, request: web.Request) -> web.Response:
        if request.query.get("corpid") != CORP_ID or request.query.get("corpsecret") != APP_SECRET:
            return self._record(request, {}, 40001)
        token = f"token-{next(self._counter)}"
        self._tokens[token] = time.monotonic() + self.token_ttl
        return self._record(request, {}, 0, access_token=token, expires_in=self.token_ttl)

    async def _with_token(self, request: web.Request, check: Callable[[dict[str, Any]], int]) -> web.Response:
        body = await self._body(request)
        if body is None:
            return self._record(request, {}, 44004)
        errcode = self._token_error(request) or check(body)
        return self._record(request, body, errcode)

    async def _message_send(self, request: web.Request) -> web.Response:
        return await self._with_token(
            request,
            lambda b: 40056 if b.get("agentid") != AGENT_ID else self._person_error(b) or self._message_error(b, APP),
        )

    def _person_error(self, body: dict[str, Any]) -> int:
        """81013 when every addressee is outside the corp (WeCom's "user & party & tag all invalid")."""
        users = [u for u in str(body.get("touser") or "").split("|") if u]
        return 81013 if users and all(u in self.outsiders for u in users) else 0

    async def _appchat_create(self, request: web.Request) -> web.Response:
        body = await self._body(request) or {}
        errcode = self._token_error(request)
        chatid = str(body.get("chatid") or f"wrAppChat{next(self._counter)}")
        if errcode == 0:
            self.appchats[chatid] = list(body.get("userlist") or [])
        return self._record(request, body, errcode, **({"chatid": chatid} if errcode == 0 else {}))

    async def _appchat_send(self, request: web.Request) -> web.Response:
        return await self._with_token(
            request, lambda b: 86003 if b.get("chatid") not in self.appchats else self._message_error(b, APP)
        )

    async def _webhook_send(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        body = await self._body(request) or {}
        if key not in self.robots:
            return self._record(request, body, 93000)
        sends = self._robot_sends.setdefault(key, deque())
        now = time.monotonic()
        while sends and sends[0] <= now - self.window:
            sends.popleft()
        if len(sends) >= self.robot_limit:
            return self._record(request, body, 45009)
        errcode = self._message_error(body, key)
        if errcode == 0:
            sends.append(now)
        return self._record(request, body, errcode)

    async def _media_upload(self, request: web.Request) -> web.Response:
        return await self._upload(request, APP, self._token_error(request))

    async def _webhook_upload(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        return await self._upload(request, key, 0 if key in self.robots else 93000)

    async def _upload(self, request: web.Request, owner: str, errcode: int) -> web.Response:
        """Store the multipart `media` part as `owner`'s file; answer its media_id like WeCom does."""
        filename, content = await media_part(request)
        errcode = errcode or upload_error(request.query.get("type", ""), content)
        body = {"type": request.query.get("type"), "filename": filename, "size": len(content or b"")}
        if errcode != 0:
            return self._record(request, body, errcode)
        media_id = f"media-{next(self._counter)}-{secrets.token_hex(4)}"
        self.media[media_id] = Media(filename, content or b"", owner)
        return self._record(request, body, 0, type="file", media_id=media_id, created_at=str(int(time.time())))

    async def _media_get(self, request: web.Request) -> web.Response:
        """The bytes of media the corp's apps may fetch, with WeCom's headers; a bad token or a media_id it never
        issued (or a robot's, which only that robot may use) is answered with WeCom's errcode JSON."""
        media_id = request.query.get("media_id", "")
        media = self.media.get(media_id)
        errcode = self._token_error(request) or (0 if media is not None and media.owner == APP else 40007)
        if errcode != 0 or media is None:
            return self._record(request, {}, errcode)
        self.calls.append(WeComCall(request.path, dict(request.query), {}, 0))
        self._changed.set()
        disposition = f'attachment; filename="{media.filename}"'
        headers = {"Content-disposition": disposition}
        return web.Response(body=media.content, content_type=media.content_type, headers=headers)

    async def _image(self, request: web.Request) -> web.Response:
        """The encrypted file, only at the URL issued (its link and its signature) and only within five minutes of
        issuing it; otherwise 403 with a storage-style XML body, not a WeCom errcode (the link is not an API)."""
        image = self.images.get(request.match_info["link"])
        valid = image is not None and secrets.compare_digest(request.query.get("sign", ""), image.sign)
        fresh = image is not None and self.clock() - image.issued_at <= IMAGE_LINK_TTL
        self.calls.append(WeComCall(request.path, dict(request.query), {}, 0 if valid and fresh else 403))
        self._changed.set()
        if image is None or not valid or not fresh:
            reason = "Request has expired" if valid else "AccessDenied"
            body = f"<Error><Code>{reason}</Code></Error>"
            return web.Response(status=403, text=body, content_type="application/xml")
        return web.Response(body=image.encrypted, content_type="application/octet-stream")

    async def _user_get(self, request: web.Request) -> web.Response:
        """A member of the contacts: their userid and name (left out when the app may not see it, as WeCom does for
        newer apps); 60111 for a userid not in the contacts, WeCom's token errors before anything."""
        userid = request.query.get("userid", "")
        errcode = self._token_error(request) or (0 if userid in self.members else 60111)
        if errcode != 0:
            return self._record(request, {}, errcode)
        name = self.members[userid]
        return self._record(request, {}, 0, userid=userid, **({"name": name} if name else {}), status=1)

    def _message_error(self, body: dict[str, Any], sender: str) -> int:
        """40007 for a file whose media_id is unknown or not `sender`'s to send; text is checked as text."""
        if body.get("msgtype") != "file":
            return text_error(body)
        media = self.media.get(str((body.get("file") or {}).get("media_id")))
        return 0 if media is not None and media.owner == sender else 40007

    async def _aibot_response(self, request: web.Request) -> web.Response:
        code = request.query.get("response_code", "")
        body = await self._body(request) or {}
        if code not in self._response_codes:
            return self._record(request, body, 40001)
        self._response_codes.discard(code)
        return self._record(request, body, 0)


def text_error(body: dict[str, Any]) -> int:
    """40058 (invalid parameter) for a missing or over-long text."""
    kind = body.get("msgtype")
    content = (body.get(kind) or {}).get("content") if isinstance(kind, str) else None
    if not isinstance(content, str) or not content or len(content.encode()) > TEXT_LIMIT_BYTES:
        return 40058
    return 0


async def media_part(request: web.Request) -> tuple[str, bytes | None]:
    """The filename and bytes of the multipart part named `media`; no bytes when there is none."""
    if not request.content_type.startswith("multipart/"):
        return "", None
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, aiohttp.BodyPartReader) and part.name == "media":
            return part.filename or "", bytes(await part.read())
    return "", None


def upload_error(kind: str, content: bytes | None) -> int:
    """40005 for a type other than file, 41005 without a `media` part, 40006 for a size WeCom refuses."""
    if kind != "file":
        return 40005
    if content is None:
        return 41005
    return 0 if FILE_MIN_BYTES <= len(content) <= FILE_MAX_BYTES else 40006


# ---- playing WeCom's part in callbacks ----------------------------------------------------------------------

BOT_CRYPTO = WeComCrypto(BOT_TOKEN, BOT_AES_KEY, "")
APP_CRYPTO = WeComCrypto(APP_TOKEN, APP_AES_KEY, CORP_ID)


def signed_query(crypto: WeComCrypto, encrypt: str, timestamp: int | None = None) -> dict[str, str]:
    ts, nonce = str(timestamp or int(time.time())), secrets.token_hex(5)
    return {"msg_signature": crypto.signature(ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}


async def post_callback(url: str, crypto: WeComCrypto, plaintext: str, *, xml: bool) -> aiohttp.ClientResponse:
    """What WeCom does: encrypt, sign, POST to the callback URL (JSON envelope for the AI bot, XML for the app)."""
    encrypt = crypto.encrypt(plaintext)
    if xml:
        body = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    else:
        body = json.dumps({"encrypt": encrypt})
    async with aiohttp.ClientSession() as http, http.post(url, params=signed_query(crypto, encrypt), data=body) as r:
        await r.read()
        return r


def wecom_settings(api: FakeWeCom, **overrides: Any) -> dict[str, Any]:
    """Settings that turn on both WeCom callbacks and point the API at the fake."""
    return {
        "wecom_corp_id": CORP_ID,
        "wecom_agent_id": AGENT_ID,
        "wecom_app_secret": APP_SECRET,
        "wecom_app_token": APP_TOKEN,
        "wecom_app_aes_key": APP_AES_KEY,
        "wecom_bot_token": BOT_TOKEN,
        "wecom_bot_aes_key": BOT_AES_KEY,
        "wecom_api_base_url": api.base_url,
    } | overrides
