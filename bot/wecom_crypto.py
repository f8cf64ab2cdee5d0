"""WeCom (企业微信) callback cryptography: signatures, the AES envelope, reply builders and AI bot image files.

Implements the "加解密方案说明" scheme (https://developer.work.weixin.qq.com/document/path/90968):

* ``aes_key = base64decode(EncodingAESKey + "=")`` (43 chars -> 32 bytes);
* AES-256-CBC with ``IV = aes_key[:16]`` and PKCS#7 padding to a **32**-byte block;
* plaintext layout ``random(16) || uint32_be(len(msg)) || msg || receive_id``;
* ``msg_signature = sha1_hex("".join(sorted([token, timestamp, nonce, encrypt])))``.

An AI bot image link (智能机器人 接收消息 ``image.url``) serves a file encrypted with the same key, IV and padding
but without the envelope: the whole download is the ciphertext of the raw bytes (``encrypt_file``/``decrypt_file``).

``receive_id`` is the corp id for self-built apps, the suite id for third-party suite
callbacks, and ``""`` for enterprise-internal AI-bot (智能机器人) callbacks.

Everything here is pure (no I/O, no clock, no logging).  Errors are raised as
:class:`WeComCryptoError` carrying the official WXBizMsgCrypt error code; their messages are
fixed strings and never contain the token, the key, a ciphertext or a plaintext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import string
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = [
    "ENCODING_AES_KEY_LENGTH",
    "MAX_BODY_BYTES",
    "PKCS7_BLOCK_SIZE",
    "RANDOM_PREFIX_LENGTH",
    "ErrorCode",
    "WeComCrypto",
    "WeComCryptoError",
    "extract_encrypt_from_json",
    "extract_encrypt_from_xml",
    "parse_xml_without_dtd",
]

ENCODING_AES_KEY_LENGTH: Final = 43
AES_KEY_LENGTH: Final = 32
PKCS7_BLOCK_SIZE: Final = 32  # WeCom pads to 32 bytes, not the AES block size of 16
RANDOM_PREFIX_LENGTH: Final = 16
MAX_BODY_BYTES: Final = 64 * 1024  # callback bodies are a few KiB; refuse anything bigger

_AES_BLOCK: Final = 16
_LENGTH_FIELD: Final = struct.Struct(">I")
_HEADER_LENGTH: Final = RANDOM_PREFIX_LENGTH + _LENGTH_FIELD.size
_RANDOM_ALPHABET: Final = string.ascii_letters + string.digits
_BASE64_KEY_RE: Final = re.compile(rf"[A-Za-z0-9+/]{{{ENCODING_AES_KEY_LENGTH}}}")
_TIMESTAMP_RE: Final = re.compile(r"[0-9]{1,20}")
_NONCE_RE: Final = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, no spaces
_DTD_MARKERS: Final = ("<!doctype", "<!entity")

_REPLY_XML_TEMPLATE: Final = (
    "<xml>\n"
    "<Encrypt><![CDATA[{encrypt}]]></Encrypt>\n"
    "<MsgSignature><![CDATA[{signature}]]></MsgSignature>\n"
    "<TimeStamp>{timestamp}</TimeStamp>\n"
    "<Nonce><![CDATA[{nonce}]]></Nonce>\n"
    "</xml>"
)


class ErrorCode(IntEnum):
    """Official WXBizMsgCrypt error codes."""

    VALIDATE_SIGNATURE = -40001
    PARSE = -40002  # ParseXml / ParseJson
    COMPUTE_SIGNATURE = -40003
    ILLEGAL_AES_KEY = -40004
    VALIDATE_RECEIVE_ID = -40005  # ValidateCorpid
    ENCRYPT_AES = -40006
    DECRYPT_AES = -40007
    ILLEGAL_BUFFER = -40008
    ENCODE_BASE64 = -40009
    DECODE_BASE64 = -40010
    GEN_RETURN = -40011  # GenReturnXml (also used for the JSON reply)


class WeComCryptoError(Exception):
    """A WeCom callback failed a cryptographic or format check.

    ``code`` is the official (negative) WXBizMsgCrypt error code.  The message is a fixed
    description: it never echoes secrets or message content, so it is safe to log.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(f"{message} (WeCom error {int(code)})")
        self.code: ErrorCode = code


def _error(code: ErrorCode, message: str) -> WeComCryptoError:
    return WeComCryptoError(code, message)


def _decode_aes_key(encoding_aes_key: str) -> bytes:
    if not isinstance(encoding_aes_key, str) or not _BASE64_KEY_RE.fullmatch(encoding_aes_key):
        raise _error(
            ErrorCode.ILLEGAL_AES_KEY,
            f"EncodingAESKey must be {ENCODING_AES_KEY_LENGTH} base64 characters",
        )
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except ValueError:
        raise _error(ErrorCode.ILLEGAL_AES_KEY, "EncodingAESKey is not valid base64") from None
    if len(key) != AES_KEY_LENGTH:  # pragma: no cover - guaranteed by the regex above
        raise _error(ErrorCode.ILLEGAL_AES_KEY, "EncodingAESKey does not decode to 32 bytes")
    return key


def _random_prefix() -> bytes:
    # Tencent's samples use 16 random alphanumerics; WeCom ignores the content, but keeping
    # it ASCII matches every reference implementation.
    return "".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(RANDOM_PREFIX_LENGTH)).encode("ascii")


def _check_reply_params(timestamp: str | int, nonce: str) -> str:
    ts = str(timestamp) if isinstance(timestamp, int) and not isinstance(timestamp, bool) else timestamp
    if not isinstance(ts, str) or not _TIMESTAMP_RE.fullmatch(ts):
        raise _error(ErrorCode.GEN_RETURN, "reply timestamp must be a decimal integer")
    if not isinstance(nonce, str) or not _NONCE_RE.fullmatch(nonce) or "]]>" in nonce:
        raise _error(ErrorCode.GEN_RETURN, "reply nonce must be 1-128 printable ASCII characters")
    return ts


@dataclass(frozen=True)
class WeComCrypto:
    """Signature checks and the AES envelope for one WeCom callback configuration.

    The constructor validates the EncodingAESKey (raises ``WeComCryptoError`` with code
    -40004) and refuses an empty token (-40003), which would make signatures forgeable.
    ``repr()`` never shows the token or the key.
    """

    token: str = field(repr=False)
    encoding_aes_key: str = field(repr=False)
    receive_id: str
    _aes_key: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.token, str) or not self.token:
            raise _error(ErrorCode.COMPUTE_SIGNATURE, "token must be a non-empty string")
        if not isinstance(self.receive_id, str):
            raise TypeError("receive_id must be a str ('' for enterprise-internal AI bots)")
        object.__setattr__(self, "_aes_key", _decode_aes_key(self.encoding_aes_key))

    # -- signatures ------------------------------------------------------------------------

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        """``sha1_hex`` of the lexicographically sorted concatenation of token/timestamp/nonce/encrypt."""
        parts = [self.token, str(timestamp), str(nonce), str(encrypt)]
        parts.sort()
        # surrogatepass: an unencodable (hostile) input yields a non-matching digest, not a crash
        return hashlib.sha1("".join(parts).encode("utf-8", "surrogatepass")).hexdigest()

    def verify_signature(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Raise ``WeComCryptoError(-40001)`` unless ``msg_signature`` matches (constant time)."""
        expected = self.signature(timestamp, nonce, encrypt).encode("ascii")
        given = msg_signature.encode("utf-8", "surrogatepass") if isinstance(msg_signature, str) else b""
        if not hmac.compare_digest(expected, given):
            raise _error(ErrorCode.VALIDATE_SIGNATURE, "msg_signature does not match")

    # -- AES envelope ----------------------------------------------------------------------

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._aes_key), modes.CBC(self._aes_key[:_AES_BLOCK]))

    def encrypt(self, plaintext: str, *, random_prefix: bytes | None = None) -> str:
        """Encrypt ``plaintext`` into WeCom's base64 envelope.

        ``random_prefix`` (exactly 16 bytes) is for reproducible tests only; by default a
        fresh random prefix is drawn, which is what makes equal replies encrypt differently
        (the IV is fixed by the protocol).
        """
        prefix = _random_prefix() if random_prefix is None else bytes(random_prefix)
        if len(prefix) != RANDOM_PREFIX_LENGTH:
            raise ValueError(f"random_prefix must be exactly {RANDOM_PREFIX_LENGTH} bytes")
        try:
            msg = plaintext.encode("utf-8")
        except UnicodeEncodeError:
            raise _error(ErrorCode.ENCRYPT_AES, "plaintext is not encodable as UTF-8") from None
        if len(msg) > 0xFFFFFFFF:  # pragma: no cover - 4 GiB replies are not a thing
            raise _error(ErrorCode.ENCRYPT_AES, "plaintext too long")
        body = prefix + _LENGTH_FIELD.pack(len(msg)) + msg + self.receive_id.encode("utf-8")
        return base64.b64encode(self._sealed(body)).decode("ascii")

    def _sealed(self, body: bytes) -> bytes:
        """PKCS#7 padding to 32 bytes, then AES-256-CBC."""
        pad = PKCS7_BLOCK_SIZE - len(body) % PKCS7_BLOCK_SIZE  # 1..32, never 0
        encryptor = self._cipher().encryptor()
        return encryptor.update(body + bytes([pad]) * pad) + encryptor.finalize()

    def _opened(self, ciphertext: bytes) -> bytes:
        """AES-256-CBC, then the PKCS#7(32) padding checked and taken off (-40007, -40008)."""
        if not ciphertext or len(ciphertext) % _AES_BLOCK:
            raise _error(ErrorCode.DECRYPT_AES, "ciphertext length is not a multiple of the AES block")
        decryptor = self._cipher().decryptor()
        padded = decryptor.update(ciphertext) + decryptor.finalize()
        if len(padded) % PKCS7_BLOCK_SIZE:
            raise _error(ErrorCode.ILLEGAL_BUFFER, "plaintext is not a multiple of 32 bytes")
        pad = padded[-1]
        if not 1 <= pad <= PKCS7_BLOCK_SIZE or padded[-pad:] != bytes([pad]) * pad:
            raise _error(ErrorCode.ILLEGAL_BUFFER, "invalid PKCS#7 padding")
        return padded[:-pad]

    def encrypt_file(self, content: bytes) -> bytes:
        """A file as the AI bot's image links serve it: the raw bytes padded and encrypted like a message, with no
        random prefix, length or receive id and no base64 (what WeCom does; tests and the fake use it)."""
        return self._sealed(bytes(content))

    def decrypt_file(self, ciphertext: bytes) -> bytes:
        """The bytes of a file downloaded from an AI bot image link (智能机器人 接收消息 `image.url`): AES-256-CBC
        with this EncodingAESKey's key, IV = its first 16 bytes, PKCS#7 padding to 32 bytes (-40007, -40008)."""
        return self._opened(bytes(ciphertext))

    def decrypt(self, encrypt_b64: str) -> str:
        """Decrypt a base64 envelope and return the message.

        Checks, in order: strict base64 (-40010), ciphertext length (-40007), PKCS#7(32)
        padding, header and declared length (-40008), receive id (-40005, constant time),
        UTF-8 (-40008).  This does **not** authenticate the message: call
        :meth:`decrypt_message` / :meth:`verify_url`, which check the signature first.
        """
        if not isinstance(encrypt_b64, str):
            raise _error(ErrorCode.DECODE_BASE64, "encrypt must be a base64 string")
        try:
            ciphertext = base64.b64decode(encrypt_b64, validate=True)
        except ValueError:
            raise _error(ErrorCode.DECODE_BASE64, "encrypt is not valid base64") from None
        body = self._opened(ciphertext)
        if len(body) < _HEADER_LENGTH:
            raise _error(ErrorCode.ILLEGAL_BUFFER, "plaintext too short for the header")
        (msg_len,) = _LENGTH_FIELD.unpack_from(body, RANDOM_PREFIX_LENGTH)
        if msg_len > len(body) - _HEADER_LENGTH:
            raise _error(ErrorCode.ILLEGAL_BUFFER, "declared message length exceeds the plaintext")
        msg = body[_HEADER_LENGTH : _HEADER_LENGTH + msg_len]
        receive_id = body[_HEADER_LENGTH + msg_len :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode("utf-8")):
            raise _error(ErrorCode.VALIDATE_RECEIVE_ID, "receive id does not match")
        try:
            return msg.decode("utf-8")
        except UnicodeDecodeError:
            raise _error(ErrorCode.ILLEGAL_BUFFER, "message is not valid UTF-8") from None

    # -- callback flows --------------------------------------------------------------------

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): check the signature over ``echostr`` and return its plaintext.

        Pass the query values URL-decoded exactly once; respond with the returned string as
        the plain body (no quotes, BOM or trailing newline).
        """
        self.verify_signature(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def decrypt_message(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> str:
        """Callback (POST): verify the signature over ``encrypt``, then decrypt it."""
        self.verify_signature(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def _sealed_reply(
        self, plaintext: str, timestamp: str | int, nonce: str, random_prefix: bytes | None
    ) -> tuple[str, str, str]:
        ts = _check_reply_params(timestamp, nonce)
        encrypt = self.encrypt(plaintext, random_prefix=random_prefix)
        return encrypt, self.signature(ts, nonce, encrypt), ts

    def encrypt_reply_xml(
        self, plaintext: str, timestamp: str | int, nonce: str, random_prefix: bytes | None = None
    ) -> str:
        """Encrypt a passive reply and wrap it in the official XML envelope."""
        encrypt, signature, ts = self._sealed_reply(plaintext, timestamp, nonce, random_prefix)
        return _REPLY_XML_TEMPLATE.format(encrypt=encrypt, signature=signature, timestamp=ts, nonce=nonce)

    def encrypt_reply_json(
        self, plaintext: str, timestamp: str | int, nonce: str, random_prefix: bytes | None = None
    ) -> str:
        """Encrypt a passive reply as ``{"encrypt", "msgsignature", "timestamp", "nonce"}`` JSON.

        As in Tencent's JSON samples, ``timestamp`` is emitted as a string.
        """
        encrypt, signature, ts = self._sealed_reply(plaintext, timestamp, nonce, random_prefix)
        return json.dumps({"encrypt": encrypt, "msgsignature": signature, "timestamp": ts, "nonce": nonce})


# -- request body parsing ------------------------------------------------------------------


def _check_body(body: bytes | bytearray) -> None:
    if not isinstance(body, bytes | bytearray):
        raise TypeError("body must be bytes")
    if len(body) > MAX_BODY_BYTES:
        raise _error(ErrorCode.PARSE, f"callback body larger than {MAX_BODY_BYTES} bytes")


def extract_encrypt_from_xml(body: bytes | bytearray) -> str:
    """Return the ``<Encrypt>`` text of an XML callback body.

    The body must be UTF-8, at most :data:`MAX_BODY_BYTES`, and contain no DOCTYPE or ENTITY
    declaration (so no entity expansion or external entities can occur).  Raises
    ``WeComCryptoError(-40002)`` otherwise.
    """
    _check_body(body)
    try:
        # Decode ourselves so the DTD scan sees exactly what the parser sees: pyexpat parses a
        # str as UTF-8 whatever the XML declaration claims (no UTF-16 smuggling).
        text = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _error(ErrorCode.PARSE, "XML body is not UTF-8") from None
    root = parse_xml_without_dtd(text)
    node = root.find("Encrypt")
    if node is None or not node.text:
        raise _error(ErrorCode.PARSE, "XML body has no Encrypt element")
    return node.text


def parse_xml_without_dtd(text: str) -> ET.Element:
    """The root of an XML document that declares no DOCTYPE or ENTITY (so no entity is expanded, internal or
    external): the envelope of a callback and the decrypted message inside it alike. Raises
    ``WeComCryptoError(-40002)`` for a declaration or for XML that is not well-formed."""
    lowered = text.lower()
    if any(marker in lowered for marker in _DTD_MARKERS):
        raise _error(ErrorCode.PARSE, "XML must not contain DOCTYPE or ENTITY declarations")
    try:
        return ET.fromstring(text)
    except ET.ParseError:
        raise _error(ErrorCode.PARSE, "XML is not well-formed") from None


def extract_encrypt_from_json(body: bytes | bytearray) -> str:
    """Return the ``encrypt`` field of a JSON callback body (e.g. AI-bot callbacks).

    Raises ``WeComCryptoError(-40002)`` for oversized, malformed or too deeply nested bodies,
    or when ``encrypt`` is missing / not a non-empty string.
    """
    _check_body(body)
    try:
        data = json.loads(bytes(body))
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _error(ErrorCode.PARSE, "JSON body is not valid") from None
    encrypt = data.get("encrypt") if isinstance(data, dict) else None
    if not isinstance(encrypt, str) or not encrypt:
        raise _error(ErrorCode.PARSE, "JSON body has no encrypt string")
    return encrypt
