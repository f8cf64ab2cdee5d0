"""The few WeCom HTTP API calls Linli makes, with WeCom's limits and error codes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
import structlog

from bot.outbox_sender import DeliveryError, Failure
from models.payloads import Attachment

log = structlog.get_logger(__name__)
T = TypeVar("T")

TEXT_LIMIT_BYTES = 2048  # robot webhook, appchat/send and message/send text content
TOKEN_MARGIN_SECONDS = 300.0  # refresh an access_token this long before WeCom says it expires
RATE_LIMIT_WAIT_SECONDS = 60.0  # 45009 on a robot: its one-minute window is full
FILE_MIN_BYTES = 6  # WeCom: "所有文件size必须大于5个字节" (the robot's upload says 5 B to 20 MB)
FILE_MAX_BYTES = 20 * 1024 * 1024  # WeCom: an ordinary file (type=file) up to 20 MB
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=10)

ERR_BUSY = -1
ERR_RATE_LIMIT = 45009
ERR_TOKEN_INVALID = 40014
ERR_TOKEN_EXPIRED = 42001
ERR_ROBOT_GONE = 93000  # the webhook key is invalid or the robot was removed from its group
TOKEN_ERRORS = (ERR_TOKEN_INVALID, ERR_TOKEN_EXPIRED)
ERR_ALL_INVALID = 81013  # message/send: "user & party & tag all invalid" (not a member the app may reach)
ERR_USER_NOT_FOUND = 60111  # no such userid in the corp
NOT_REACHABLE = (ERR_ALL_INVALID, ERR_USER_NOT_FOUND)


def text_message(text: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": text}}


def file_message(media_id: str) -> dict[str, Any]:
    return {"msgtype": "file", "file": {"media_id": media_id}}


def media_form(document: Attachment) -> aiohttp.MultipartWriter:
    """The multipart body WeCom's uploads take: one part named `media` with filename and filelength."""
    form = aiohttp.MultipartWriter("form-data")
    part = form.append(document.content, {"Content-Type": "application/octet-stream"})
    # quote_fields=False: the filename goes as UTF-8, as browsers send it, not percent-encoded
    part.set_content_disposition(
        "form-data", quote_fields=False, name="media", filename=document.filename, filelength=str(len(document.content))
    )
    return form


async def media_or_error(response: aiohttp.ClientResponse) -> bytes:
    """media/get answers the file's bytes, or a JSON errcode (40007: no such media_id) as WeCom's other calls do."""
    data = await response.read()
    answer = json.loads(data) if data[:1] == b"{" else None  # no image starts with a brace; an error answer does
    if isinstance(answer, dict) and "errcode" in answer:
        checked(answer)
    return data


def size_problem(document: Attachment) -> str | None:
    """Why WeCom would refuse this file for its size, or None when it fits."""
    size = len(document.content)
    if size < FILE_MIN_BYTES:
        return f"WeCom refuses files of 5 bytes or less ({size} bytes)"
    if size > FILE_MAX_BYTES:
        return f"WeCom refuses files over 20 MB ({size} bytes)"
    return None


class WeComError(DeliveryError):
    """A non-zero errcode from WeCom, with what the outbox sender should do about it."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        reason = f"WeCom errcode {errcode}: {errmsg}"[:300]
        if errcode == ERR_RATE_LIMIT:
            super().__init__(Failure.RETRY_AFTER, reason, RATE_LIMIT_WAIT_SECONDS)
        elif errcode in (ERR_BUSY, *TOKEN_ERRORS):  # a token error left after one refresh: try again later
            super().__init__(Failure.TRANSIENT, reason)
        elif errcode == ERR_ROBOT_GONE or errcode in NOT_REACHABLE:  # a person the app cannot reach: its group route
            super().__init__(Failure.CHAT_GONE, reason)
        else:
            super().__init__(Failure.PERMANENT, reason)
        self.errcode = errcode

    @property
    def bad_token(self) -> bool:
        return self.errcode in TOKEN_ERRORS


def checked(data: dict[str, Any]) -> dict[str, Any]:
    """WeCom's answer, or a WeComError for its non-zero errcode."""
    errcode = int(data.get("errcode", 0))
    if errcode != 0:
        raise WeComError(errcode, str(data.get("errmsg", "")))
    return data


@dataclass
class CachedToken:
    value: str
    refresh_at: float  # monotonic seconds


class WeComApi:
    """The few WeCom calls Linli makes; an access_token is fetched once and reused until shortly before expiry.

    URLs carry keys and tokens, so they are never logged.
    """

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        base_url: str,
        corp_id: str = "",
        secret: str = "",
        agent_id: int | None = None,
    ) -> None:
        self._http, self.base_url = http, base_url.rstrip("/")
        self._corp_id, self._secret, self._agent_id = corp_id, secret, agent_id
        self._token: CachedToken | None = None
        self._token_lock = asyncio.Lock()
        self.tokens_fetched = 0

    @property
    def has_app(self) -> bool:
        return bool(self._corp_id and self._secret)

    async def close(self) -> None:
        await self._http.close()

    async def _request(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """One HTTP call answered with a JSON object."""
        data = await self._exchange(method, url, lambda response: response.json(content_type=None), **kwargs)
        if not isinstance(data, dict):
            raise DeliveryError(Failure.UNCERTAIN, "WeCom answered something other than a JSON object")
        return data

    async def _exchange(
        self, method: str, url: str, read: Callable[[aiohttp.ClientResponse], Awaitable[T]], **kwargs: Any
    ) -> T:
        """One HTTP call read by `read`; errors become DeliveryErrors that say whether the request may have landed."""
        try:
            kwargs.setdefault("timeout", REQUEST_TIMEOUT)
            async with self._http.request(method, url, **kwargs) as response:
                if response.status >= 500:
                    raise DeliveryError(Failure.UNCERTAIN, f"WeCom answered HTTP {response.status}")
                if response.status >= 400:
                    raise DeliveryError(Failure.PERMANENT, f"WeCom answered HTTP {response.status}")
                return await read(response)
        except TimeoutError:
            raise DeliveryError(Failure.UNCERTAIN, "timed out waiting for WeCom") from None
        except aiohttp.ClientConnectorError as error:
            raise DeliveryError(Failure.TRANSIENT, f"cannot connect to WeCom: {type(error).__name__}") from None
        except (aiohttp.ClientError, ValueError) as error:
            raise DeliveryError(Failure.UNCERTAIN, f"bad answer from WeCom: {type(error).__name__}") from None

    async def _get(self, url: str) -> dict[str, Any]:
        return checked(await self._request("GET", url))

    async def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        return checked(await self._request("POST", url, data=json.dumps(body, ensure_ascii=False).encode()))

    async def _upload(self, url: str, document: Attachment) -> str:
        """POST the file as multipart; returns the media_id WeCom gives it (valid three days)."""
        data = checked(await self._request("POST", url, data=media_form(document)))
        if not data.get("media_id"):
            raise DeliveryError(Failure.TRANSIENT, "WeCom answered an upload without a media_id")
        return str(data["media_id"])

    async def access_token(self) -> str:
        """The app's access_token, from the cache while it is fresh."""
        async with self._token_lock:
            if self._token is None or time.monotonic() >= self._token.refresh_at:
                self._token = await self._fetch_token()
            return self._token.value

    async def _fetch_token(self) -> CachedToken:
        if not self.has_app:
            raise DeliveryError(Failure.PERMANENT, "the WeCom app is not configured (WECOM_CORP_ID/WECOM_APP_SECRET)")
        url = f"{self.base_url}/cgi-bin/gettoken"
        data = await self._request("GET", url, params={"corpid": self._corp_id, "corpsecret": self._secret})
        errcode = int(data.get("errcode", 0))
        if errcode != 0 or not data.get("access_token"):
            raise WeComError(errcode, f"gettoken: {data.get('errmsg', '')}")
        self.tokens_fetched += 1
        expires_in = float(data.get("expires_in", 7200))
        return CachedToken(str(data["access_token"]), time.monotonic() + max(0.0, expires_in - TOKEN_MARGIN_SECONDS))

    def _forget_token(self, token: str) -> None:
        if self._token is not None and self._token.value == token:
            self._token = None

    async def _with_token(self, path: str, call: Callable[[str], Awaitable[T]]) -> T:
        """`call(url)` with the access_token in `url`; an invalid or expired token is refreshed and called once more."""
        separator = "&" if "?" in path else "?"
        token = await self.access_token()
        try:
            return await call(f"{self.base_url}{path}{separator}access_token={token}")
        except WeComError as error:
            if not error.bad_token:
                raise
            log.info("wecom.token_refresh", path=path.partition("?")[0], errcode=error.errcode)
            self._forget_token(token)
        token = await self.access_token()
        return await call(f"{self.base_url}{path}{separator}access_token={token}")

    async def _post_with_token(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._with_token(path, lambda url: self._post(url, body))

    async def media(self, media_id: str) -> bytes:
        """A temporary media file's bytes (media/get: an image a member sent the app, kept three days by WeCom)."""
        path = f"/cgi-bin/media/get?media_id={quote(media_id, safe='')}"
        return await self._with_token(path, lambda url: self._exchange("GET", url, media_or_error))

    async def download(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """The bytes at `url` (an AI bot image link, not a WeCom API call: no token, no errcode), at most `max_bytes`
        and within `timeout` seconds; a bigger answer is refused as soon as it is seen to be bigger."""

        async def bounded(response: aiohttp.ClientResponse) -> bytes:
            if (response.content_length or 0) > max_bytes:
                raise DeliveryError(Failure.PERMANENT, f"the file is over {max_bytes} bytes")
            data = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                data += chunk
                if len(data) > max_bytes:
                    raise DeliveryError(Failure.PERMANENT, f"the file is over {max_bytes} bytes")
            return bytes(data)

        return await self._exchange("GET", url, bounded, timeout=aiohttp.ClientTimeout(total=timeout))

    async def member_name(self, userid: str) -> str:
        """The member's name in the corp's contacts (user/get); "" when WeCom leaves it out (an app that may not see
        names: WeCom has withheld more fields from newer apps since 2022). 60111: no such member."""
        path = f"/cgi-bin/user/get?userid={quote(userid, safe='')}"
        data = await self._with_token(path, self._get)
        name = data.get("name")
        return name.strip() if isinstance(name, str) else ""

    async def upload_app_file(self, document: Attachment) -> str:
        """Upload a file for the app's messages (1:1 and app group chats); returns its media_id."""
        return await self._with_token("/cgi-bin/media/upload?type=file", lambda url: self._upload(url, document))

    async def upload_robot_file(self, key: str, document: Attachment) -> str:
        """Upload a file for this robot's group (a robot's media_id works only for that robot); returns its media_id."""
        return await self._upload(f"{self.base_url}/cgi-bin/webhook/upload_media?key={key}&type=file", document)

    async def send_robot(self, key: str, message: dict[str, Any]) -> None:
        await self._post(f"{self.base_url}/cgi-bin/webhook/send?key={key}", message)

    async def send_appchat(self, chatid: str, message: dict[str, Any]) -> None:
        await self._post_with_token("/cgi-bin/appchat/send", {"chatid": chatid, **message, "safe": 0})

    async def send_private(self, userid: str, message: dict[str, Any]) -> None:
        body = {"touser": userid, "agentid": self._agent_id, **message, "safe": 0}
        await self._post_with_token("/cgi-bin/message/send", body)

    async def respond(self, response_url: str, text: str) -> None:
        """The one reply an AI bot callback allows, as markdown (the only text kind response_url takes)."""
        await self._post(response_url, {"msgtype": "markdown", "markdown": {"content": text}})

    async def create_appchat(self, *, name: str, owner: str, userids: list[str]) -> str:
        """Create an app group chat with these members; returns its chatid."""
        body = {"name": name, "owner": owner, "userlist": userids}
        data = await self._post_with_token("/cgi-bin/appchat/create", body)
        return str(data["chatid"])
