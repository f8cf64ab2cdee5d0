"""Tests for bot.wecom_crypto: the official public vectors (tests/fixtures/wecom/vectors.json) plus properties."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import urllib.parse
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.wecom_crypto import (
    MAX_BODY_BYTES,
    ErrorCode,
    WeComCrypto,
    WeComCryptoError,
    extract_encrypt_from_json,
    extract_encrypt_from_xml,
)
from tests.fixtures import WECOM_VECTORS

VECTORS_PATH = WECOM_VECTORS
_DATA: dict[str, Any] = json.loads(VECTORS_PATH.read_text("utf-8"))

KNOWN_KINDS = {"verify_url_get", "decrypt_post_xml", "decrypt_post_json", "encrypt_reply_xml"}
# Free-text "expect" values used by negative cases -> the official error code they mean.
EXPECT_TEXT_TO_CODE = {
    "signature mismatch": ErrorCode.VALIDATE_SIGNATURE,
    "receive_id mismatch": ErrorCode.VALIDATE_RECEIVE_ID,
    "corpid mismatch": ErrorCode.VALIDATE_RECEIVE_ID,
    "bad padding": ErrorCode.ILLEGAL_BUFFER,
    "illegal buffer": ErrorCode.ILLEGAL_BUFFER,
    "bad base64": ErrorCode.DECODE_BASE64,
}

# Test-only configuration for the property tests (not from the vectors).
TOKEN = "linliUnitTestToken42"
KEY = base64.b64encode(bytes(range(32))).decode("ascii").rstrip("=")
RECEIVE_ID = "ww0123456789abcdef"


def _vectors(*kinds: str) -> list[Any]:
    return [pytest.param(v, id=v["id"]) for v in _DATA["vectors"] if v["kind"] in kinds]


def _negative_vectors() -> list[Any]:
    return [pytest.param(v, id=f"{v['id']}-negative") for v in _DATA["vectors"] if "negative_case" in v]


def _crypto_for(vector: dict[str, Any]) -> WeComCrypto:
    config = _DATA["configs"][vector["config"]]
    return WeComCrypto(config["token"], config["encoding_aes_key"], config["receive_id"])


def _ciphertext_of(vector: dict[str, Any]) -> str:
    if vector["kind"] == "verify_url_get":
        return str(vector["echostr"])
    body = vector["post_body"].encode("utf-8")
    if vector["kind"] == "decrypt_post_xml":
        return extract_encrypt_from_xml(body)
    return extract_encrypt_from_json(body)


@pytest.fixture
def crypto() -> WeComCrypto:
    return WeComCrypto(TOKEN, KEY, RECEIVE_ID)


# -- the vectors file ----------------------------------------------------------------------


def test_vectors_file_is_fully_understood() -> None:
    kinds = {v["kind"] for v in _DATA["vectors"]}
    assert kinds <= KNOWN_KINDS, f"unhandled vector kinds: {kinds - KNOWN_KINDS}"
    assert {v["id"] for v in _DATA["vectors"]} and len({v["id"] for v in _DATA["vectors"]}) == len(_DATA["vectors"])
    for v in _DATA["vectors"]:
        assert v["config"] in _DATA["configs"]
    official = {int(code) for code in _DATA["algorithm"]["official_error_codes"]}
    assert official == {int(code) for code in ErrorCode}


@pytest.mark.parametrize("vector", _vectors("verify_url_get"))
def test_verify_url_vector(vector: dict[str, Any]) -> None:
    crypto = _crypto_for(vector)
    echostr = vector["echostr"]
    if "echostr_urlencoded" in vector:
        # The handler must URL-decode the query exactly once.
        assert urllib.parse.unquote(vector["echostr_urlencoded"]) == echostr
        assert urllib.parse.parse_qs("echostr=" + vector["echostr_urlencoded"])["echostr"] == [echostr]
    result = crypto.verify_url(vector["msg_signature"], vector["timestamp"], vector["nonce"], echostr)
    assert result == vector["expected_plaintext"]


@pytest.mark.parametrize("vector", _vectors("decrypt_post_xml", "decrypt_post_json"))
def test_decrypt_post_vector(vector: dict[str, Any]) -> None:
    crypto = _crypto_for(vector)
    encrypt = _ciphertext_of(vector)
    assert crypto.signature(vector["timestamp"], vector["nonce"], encrypt) == vector["msg_signature"]
    if "sorted_concat_for_signature" in vector:
        concat = vector["sorted_concat_for_signature"]
        assert "".join(sorted([crypto.token, vector["timestamp"], vector["nonce"], encrypt])) == concat
        assert hashlib.sha1(concat.encode()).hexdigest() == vector["msg_signature"]
    result = crypto.decrypt_message(vector["msg_signature"], vector["timestamp"], vector["nonce"], encrypt)
    assert result == vector["expected_plaintext"]


@pytest.mark.parametrize("vector", _vectors("verify_url_get", "decrypt_post_xml", "decrypt_post_json"))
def test_decrypted_fields_reproduce_the_ciphertext(vector: dict[str, Any]) -> None:
    """Re-encrypting with the recovered random prefix gives the original bytes back.

    This pins ``decrypted_random16`` and ``decrypted_receive_id`` as well as the padding.
    """
    crypto = _crypto_for(vector)
    assert vector["decrypted_receive_id"] == crypto.receive_id
    prefix = vector["decrypted_random16"].encode("utf-8")
    assert crypto.encrypt(vector["expected_plaintext"], random_prefix=prefix) == _ciphertext_of(vector)


@pytest.mark.parametrize("vector", _vectors("encrypt_reply_xml"))
def test_deterministic_encryption_vector(vector: dict[str, Any]) -> None:
    crypto = _crypto_for(vector)
    prefix = vector["random16"].encode("utf-8")
    ts, nonce, plaintext = vector["timestamp"], vector["nonce"], vector["reply_plaintext"]

    encrypt = crypto.encrypt(plaintext, random_prefix=prefix)
    assert encrypt == vector["expected_encrypt"]
    assert crypto.signature(ts, nonce, encrypt) == vector["expected_msg_signature"]

    reply_xml = crypto.encrypt_reply_xml(plaintext, ts, nonce, random_prefix=prefix)
    assert reply_xml == vector["expected_reply_xml"]
    # What we send must be what a receiver can parse, verify and decrypt.
    extracted = extract_encrypt_from_xml(reply_xml.encode())
    assert crypto.decrypt_message(vector["expected_msg_signature"], ts, nonce, extracted) == plaintext

    reply_json = crypto.encrypt_reply_json(plaintext, ts, nonce, random_prefix=prefix)
    assert json.loads(reply_json) == {
        "encrypt": vector["expected_encrypt"],
        "msgsignature": vector["expected_msg_signature"],
        "timestamp": ts,
        "nonce": nonce,
    }
    assert extract_encrypt_from_json(reply_json.encode()) == vector["expected_encrypt"]


@pytest.mark.parametrize("vector", _negative_vectors())
def test_negative_vector(vector: dict[str, Any]) -> None:
    crypto = _crypto_for(vector)
    case = dict(vector["negative_case"])
    expect = case.pop("expect")
    expected_code = int(case.pop("code")) if "code" in case else EXPECT_TEXT_TO_CODE[expect]
    fields: dict[str, Any] = {key: vector[key] for key in ("msg_signature", "timestamp", "nonce")}
    encrypt = case.pop("echostr", None) or case.pop("encrypt", None) or _ciphertext_of(vector)
    fields.update(case)
    with pytest.raises(WeComCryptoError) as info:
        if vector["kind"] == "verify_url_get":
            crypto.verify_url(fields["msg_signature"], fields["timestamp"], fields["nonce"], encrypt)
        else:
            crypto.decrypt_message(fields["msg_signature"], fields["timestamp"], fields["nonce"], encrypt)
    assert info.value.code == expected_code


@pytest.mark.parametrize("vector", _vectors("verify_url_get", "decrypt_post_xml", "decrypt_post_json"))
def test_vector_tampering_is_rejected(vector: dict[str, Any]) -> None:
    crypto = _crypto_for(vector)
    sig, ts, nonce = vector["msg_signature"], vector["timestamp"], vector["nonce"]
    encrypt = _ciphertext_of(vector)
    for bad in (
        (sig.upper(), ts, nonce, encrypt),
        (sig[:-1] + ("0" if sig[-1] != "0" else "1"), ts, nonce, encrypt),
        (sig, str(int(ts) + 1), nonce, encrypt),
        (sig, ts, nonce + "0", encrypt),
        (sig, ts, nonce, encrypt[:-4]),
        ("", ts, nonce, encrypt),
    ):
        with pytest.raises(WeComCryptoError) as info:
            crypto.decrypt_message(*bad)
        assert info.value.code == ErrorCode.VALIDATE_SIGNATURE

    other = WeComCrypto(crypto.token, crypto.encoding_aes_key, crypto.receive_id + "x")
    with pytest.raises(WeComCryptoError) as info:
        other.decrypt_message(sig, ts, nonce, encrypt)
    assert info.value.code == ErrorCode.VALIDATE_RECEIVE_ID

    wrong_key = WeComCrypto(crypto.token, KEY, crypto.receive_id)
    with pytest.raises(WeComCryptoError) as info:
        wrong_key.decrypt_message(sig, ts, nonce, encrypt)
    assert info.value.code in {ErrorCode.ILLEGAL_BUFFER, ErrorCode.VALIDATE_RECEIVE_ID}


# -- round trips -----------------------------------------------------------------------------


def _random_text(rng: random.Random, length: int) -> str:
    alphabet = "abcXYZ019 <>&\"'\n\t]]>邻里你好😀\u00e9"
    return "".join(rng.choice(alphabet) for _ in range(length))


@pytest.mark.parametrize("receive_id", [RECEIVE_ID, "", "suite_id_邻里"])
def test_round_trip_property(receive_id: str) -> None:
    crypto = WeComCrypto(TOKEN, KEY, receive_id)
    rng = random.Random(20240501)
    for length in [*range(80), 1000, 4096]:
        plaintext = _random_text(rng, length)
        encrypt = crypto.encrypt(plaintext)
        raw = base64.b64decode(encrypt, validate=True)
        assert len(raw) % 32 == 0 and raw
        assert crypto.decrypt(encrypt) == plaintext
        ts, nonce = str(1_700_000_000 + length), str(rng.randrange(10**9))
        sig = crypto.signature(ts, nonce, encrypt)
        assert crypto.decrypt_message(sig, ts, nonce, encrypt) == plaintext

        xml_reply = crypto.encrypt_reply_xml(plaintext, ts, nonce)
        inner = extract_encrypt_from_xml(xml_reply.encode())
        assert crypto.decrypt_message(crypto.signature(ts, nonce, inner), ts, nonce, inner) == plaintext
        reply = json.loads(crypto.encrypt_reply_json(plaintext, ts, nonce))
        assert crypto.decrypt_message(reply["msgsignature"], ts, nonce, reply["encrypt"]) == plaintext


def test_padding_covers_every_value_1_to_32(crypto: WeComCrypto) -> None:
    seen = set()
    for length in range(64):
        raw = _aes_decrypt_raw(crypto.encrypt("a" * length))
        seen.add(raw[-1])
        assert raw[-raw[-1] :] == bytes([raw[-1]]) * raw[-1]
    assert seen == set(range(1, 33))


def test_random_prefix_makes_ciphertexts_differ(crypto: WeComCrypto) -> None:
    assert len({crypto.encrypt("same reply") for _ in range(20)}) == 20
    fixed = b"0123456789abcdef"
    assert crypto.encrypt("x", random_prefix=fixed) == crypto.encrypt("x", random_prefix=fixed)


@pytest.mark.parametrize("prefix", [b"", b"short", b"x" * 17])
def test_random_prefix_must_be_16_bytes(crypto: WeComCrypto, prefix: bytes) -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        crypto.encrypt("x", random_prefix=prefix)


# -- malformed ciphertexts -------------------------------------------------------------------


def _aes_key() -> bytes:
    return base64.b64decode(KEY + "=")


def _aes_encrypt_raw(data: bytes) -> str:
    key = _aes_key()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(data) + encryptor.finalize()).decode()


def _aes_decrypt_raw(encrypt: str) -> bytes:
    key = _aes_key()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    return decryptor.update(base64.b64decode(encrypt)) + decryptor.finalize()


def _pad32(data: bytes) -> bytes:
    pad = 32 - len(data) % 32
    return data + bytes([pad]) * pad


def _layout(msg: bytes, receive_id: bytes = RECEIVE_ID.encode(), declared: int | None = None) -> bytes:
    length = len(msg) if declared is None else declared
    return b"R" * 16 + length.to_bytes(4, "big") + msg + receive_id


def test_crafted_valid_envelope_decrypts(crypto: WeComCrypto) -> None:
    assert crypto.decrypt(_aes_encrypt_raw(_pad32(_layout("你好".encode())))) == "你好"
    assert crypto.decrypt(_aes_encrypt_raw(_pad32(_layout(b"")))) == ""


@pytest.mark.parametrize(
    ("encrypt", "code"),
    [
        pytest.param("", ErrorCode.DECRYPT_AES, id="empty"),
        pytest.param("abc", ErrorCode.DECODE_BASE64, id="missing-padding"),
        pytest.param("!!!!", ErrorCode.DECODE_BASE64, id="bad-alphabet"),
        pytest.param("AAAA AAAA", ErrorCode.DECODE_BASE64, id="whitespace"),
        pytest.param("QUFB\n", ErrorCode.DECODE_BASE64, id="newline"),
        pytest.param("QUFB-_==", ErrorCode.DECODE_BASE64, id="urlsafe-alphabet"),
        pytest.param("邻里邻里", ErrorCode.DECODE_BASE64, id="non-ascii"),
        pytest.param(base64.b64encode(b"x" * 15).decode(), ErrorCode.DECRYPT_AES, id="15-bytes"),
        pytest.param(base64.b64encode(b"x" * 33).decode(), ErrorCode.DECRYPT_AES, id="33-bytes"),
        pytest.param(_aes_encrypt_raw(b"\x10" * 16), ErrorCode.ILLEGAL_BUFFER, id="16-byte-block-only"),
        pytest.param(_aes_encrypt_raw(_layout(b"hi") + b"\x00" * 24), ErrorCode.ILLEGAL_BUFFER, id="pad-0"),
        pytest.param(_aes_encrypt_raw(b"\x21" * 64), ErrorCode.ILLEGAL_BUFFER, id="pad-33"),
        pytest.param(_aes_encrypt_raw(b"\xff" * 32), ErrorCode.ILLEGAL_BUFFER, id="pad-255"),
        pytest.param(
            _aes_encrypt_raw(_layout(b"hi") + b"\x00" * 18 + b"\x05" + b"\x06" * 5),
            ErrorCode.ILLEGAL_BUFFER,
            id="pad-bytes-differ",
        ),
        pytest.param(_aes_encrypt_raw(b"\x20" * 32), ErrorCode.ILLEGAL_BUFFER, id="all-padding"),
        pytest.param(_aes_encrypt_raw(_pad32(b"R" * 19)), ErrorCode.ILLEGAL_BUFFER, id="short-header"),
        pytest.param(
            _aes_encrypt_raw(_pad32(_layout(b"hi", declared=2 + len(RECEIVE_ID) + 1))),
            ErrorCode.ILLEGAL_BUFFER,
            id="declared-length-too-long",
        ),
        pytest.param(
            _aes_encrypt_raw(_pad32(_layout(b"hi", declared=0xFFFFFFFF))),
            ErrorCode.ILLEGAL_BUFFER,
            id="declared-length-huge",
        ),
        pytest.param(
            _aes_encrypt_raw(_pad32(_layout(b"hi", declared=1))),
            ErrorCode.VALIDATE_RECEIVE_ID,
            id="declared-length-short",
        ),
        pytest.param(
            _aes_encrypt_raw(_pad32(_layout(b"hi", receive_id=b"ww0123456789abcdeX"))),
            ErrorCode.VALIDATE_RECEIVE_ID,
            id="receive-id-differs",
        ),
        pytest.param(
            _aes_encrypt_raw(_pad32(_layout(b"hi", receive_id=b""))),
            ErrorCode.VALIDATE_RECEIVE_ID,
            id="receive-id-missing",
        ),
        pytest.param(
            _aes_encrypt_raw(_pad32(_layout(b"hi", receive_id=RECEIVE_ID.encode() + b"!"))),
            ErrorCode.VALIDATE_RECEIVE_ID,
            id="receive-id-extended",
        ),
        pytest.param(_aes_encrypt_raw(_pad32(_layout(b"\xff\xfe"))), ErrorCode.ILLEGAL_BUFFER, id="msg-not-utf8"),
    ],
)
def test_malformed_ciphertext_rejected(crypto: WeComCrypto, encrypt: str, code: ErrorCode) -> None:
    with pytest.raises(WeComCryptoError) as info:
        crypto.decrypt(encrypt)
    assert info.value.code == code
    assert info.value.__cause__ is None
    # Signed but malformed: signature passes, then the same decrypt error surfaces.
    sig = crypto.signature("1700000000", "42", encrypt)
    with pytest.raises(WeComCryptoError) as info:
        crypto.decrypt_message(sig, "1700000000", "42", encrypt)
    assert info.value.code == code


def test_empty_receive_id_for_ai_bot() -> None:
    bot = WeComCrypto(TOKEN, KEY, "")
    assert bot.decrypt(_aes_encrypt_raw(_pad32(_layout(b'{"msgtype":"text"}', receive_id=b"")))) == (
        '{"msgtype":"text"}'
    )
    with pytest.raises(WeComCryptoError) as info:
        bot.decrypt(_aes_encrypt_raw(_pad32(_layout(b"hi"))))
    assert info.value.code == ErrorCode.VALIDATE_RECEIVE_ID


# -- signatures ------------------------------------------------------------------------------


def test_signature_is_sha1_of_sorted_concatenation(crypto: WeComCrypto) -> None:
    parts = [TOKEN, "1409659813", "1372623149", "Zm9v"]
    expected = hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()
    assert crypto.signature("1409659813", "1372623149", "Zm9v") == expected
    crypto.verify_signature(expected, "1409659813", "1372623149", "Zm9v")  # does not raise


@pytest.mark.parametrize("given", ["", "0" * 40, "邻" * 40, "\udcff" * 40])
def test_verify_signature_rejects_without_crashing(crypto: WeComCrypto, given: str) -> None:
    with pytest.raises(WeComCryptoError) as info:
        crypto.verify_signature(given, "1", "2", "Zm9v")
    assert info.value.code == ErrorCode.VALIDATE_SIGNATURE


def test_verify_signature_uses_compare_digest(crypto: WeComCrypto, monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.wecom_crypto as module

    calls: list[tuple[bytes, bytes]] = []
    real = module.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(module.hmac, "compare_digest", spy)
    sig = crypto.signature("1", "2", "Zm9v")
    crypto.verify_signature(sig, "1", "2", "Zm9v")
    assert calls == [(sig.encode(), sig.encode())]


# -- construction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad_key",
    [
        pytest.param("", id="empty"),
        pytest.param(KEY[:-1], id="42-chars"),
        pytest.param(KEY + "A", id="44-chars"),
        pytest.param(KEY[:-1] + "=", id="trailing-equals"),
        pytest.param(KEY[:-1] + "-", id="urlsafe-char"),
        pytest.param(KEY[:-1] + " ", id="space"),
        pytest.param(KEY[:-1] + "邻", id="non-ascii"),
        pytest.param(None, id="none"),
        pytest.param(KEY.encode(), id="bytes"),
    ],
)
def test_invalid_encoding_aes_key(bad_key: Any) -> None:
    with pytest.raises(WeComCryptoError) as info:
        WeComCrypto(TOKEN, bad_key, RECEIVE_ID)
    assert info.value.code == ErrorCode.ILLEGAL_AES_KEY
    assert TOKEN not in str(info.value)
    if isinstance(bad_key, str) and bad_key:
        assert bad_key not in str(info.value)


def test_empty_token_rejected() -> None:
    with pytest.raises(WeComCryptoError) as info:
        WeComCrypto("", KEY, RECEIVE_ID)
    assert info.value.code == ErrorCode.COMPUTE_SIGNATURE


def test_receive_id_must_be_str() -> None:
    with pytest.raises(TypeError):
        WeComCrypto(TOKEN, KEY, None)  # type: ignore[arg-type]


def test_is_frozen_and_repr_hides_secrets(crypto: WeComCrypto) -> None:
    text = repr(crypto) + str(crypto)
    assert TOKEN not in text and KEY not in text and RECEIVE_ID in text
    with pytest.raises(AttributeError):
        crypto.token = "other"  # type: ignore[misc]
    assert crypto == WeComCrypto(TOKEN, KEY, RECEIVE_ID)


def test_error_codes_are_the_official_numbers() -> None:
    assert ErrorCode.VALIDATE_SIGNATURE == -40001
    assert ErrorCode.PARSE == -40002
    assert ErrorCode.ILLEGAL_AES_KEY == -40004
    assert ErrorCode.VALIDATE_RECEIVE_ID == -40005
    assert ErrorCode.DECRYPT_AES == -40007
    assert ErrorCode.ILLEGAL_BUFFER == -40008
    assert ErrorCode.DECODE_BASE64 == -40010
    assert isinstance(WeComCryptoError(ErrorCode.PARSE, "x"), Exception)


# -- error messages never leak secrets --------------------------------------------------------


def test_error_messages_do_not_leak_secrets_or_plaintext(crypto: WeComCrypto) -> None:
    secret_text = "SECRET-PLAINTEXT-邻里-1234567890"
    other = WeComCrypto(TOKEN, KEY, "ww-other-receiver")
    good = crypto.encrypt(secret_text)
    sig = crypto.signature("1", "2", good)
    failures = [
        lambda: crypto.verify_signature("0" * 40, "1", "2", good),
        lambda: crypto.decrypt_message(sig, "1", "3", good),
        lambda: other.decrypt(good),
        lambda: crypto.decrypt(_aes_encrypt_raw(_pad32(_layout(secret_text.encode(), declared=9999)))),
        lambda: crypto.decrypt(_aes_encrypt_raw(_pad32(_layout(secret_text.encode() + b"\xff")))),
        lambda: crypto.decrypt(good[:-8] + "!!!!!!!!"),
        lambda: WeComCrypto(TOKEN, KEY[:-1] + "*", RECEIVE_ID),
        lambda: extract_encrypt_from_xml(f"<xml><Encrypt>{secret_text}".encode()),
        lambda: extract_encrypt_from_json(f'{{"encrypt": "{secret_text}"'.encode()),
    ]
    for failure in failures:
        with pytest.raises(WeComCryptoError) as info:
            failure()
        rendered = f"{info.value!s} {info.value!r} {info.value.args!r}"
        for secret in (TOKEN, KEY, KEY[:-1], secret_text, "SECRET", good, sig):
            assert secret not in rendered
        assert info.value.__cause__ is None
        assert info.value.__context__ is None or info.value.__suppress_context__


# -- XML body parsing ------------------------------------------------------------------------


def _xml_body(encrypt: str = "Zm9vYmFy") -> bytes:
    return f"<xml><ToUserName>ww1</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()


def test_extract_from_xml() -> None:
    assert extract_encrypt_from_xml(_xml_body()) == "Zm9vYmFy"
    assert extract_encrypt_from_xml(b"\xef\xbb\xbf" + _xml_body()) == "Zm9vYmFy"
    assert extract_encrypt_from_xml(b'<?xml version="1.0" encoding="UTF-8"?>' + _xml_body()) == "Zm9vYmFy"
    assert extract_encrypt_from_xml(bytearray(b"<xml><Encrypt>QUJD</Encrypt></xml>")) == "QUJD"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<xml><Encrypt>&lol3;</Encrypt></xml>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><Encrypt>&xxe;</Encrypt></xml>"""

UTF16_DOCTYPE = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY a "b">]><xml><Encrypt>&a;</Encrypt></xml>'


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(BILLION_LAUGHS, id="billion-laughs"),
        pytest.param(XXE, id="xxe"),
        pytest.param(b"<!DOCTYPE xml><xml><Encrypt>QUJD</Encrypt></xml>", id="bare-doctype"),
        pytest.param(b"<!doctype xml><xml><Encrypt>QUJD</Encrypt></xml>", id="lowercase-doctype"),
        pytest.param(b'<xml><!ENTITY a "b"><Encrypt>QUJD</Encrypt></xml>', id="stray-entity"),
        pytest.param(
            UTF16_DOCTYPE.encode("utf-16"),
            id="utf16-smuggled-doctype",
        ),
    ],
)
def test_xml_with_dtd_rejected(body: bytes) -> None:
    with pytest.raises(WeComCryptoError) as info:
        extract_encrypt_from_xml(body)
    assert info.value.code == ErrorCode.PARSE


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not xml", id="not-xml"),
        pytest.param(b"<xml><Encrypt>QUJD</Encrypt>", id="unclosed"),
        pytest.param(b"<xml><ToUserName>x</ToUserName></xml>", id="no-encrypt"),
        pytest.param(b"<xml><Encrypt></Encrypt></xml>", id="empty-encrypt"),
        pytest.param(b"<xml><a><Encrypt>QUJD</Encrypt></a></xml>", id="nested-encrypt-only"),
        pytest.param(b"<xml><Encrypt>\xff\xfe</Encrypt></xml>", id="not-utf8"),
    ],
)
def test_malformed_xml_rejected(body: bytes) -> None:
    with pytest.raises(WeComCryptoError) as info:
        extract_encrypt_from_xml(body)
    assert info.value.code == ErrorCode.PARSE


def test_xml_size_limit() -> None:
    head, tail = b"<xml><Encrypt>QUJD</Encrypt>", b"</xml>"
    exact = head + b" " * (MAX_BODY_BYTES - len(head) - len(tail)) + tail
    assert len(exact) == MAX_BODY_BYTES
    assert extract_encrypt_from_xml(exact) == "QUJD"
    with pytest.raises(WeComCryptoError) as info:
        extract_encrypt_from_xml(exact[:-6] + b" " + tail)
    assert info.value.code == ErrorCode.PARSE
    with pytest.raises(WeComCryptoError) as info:
        extract_encrypt_from_xml(_xml_body("A" * (MAX_BODY_BYTES + 4)))
    assert info.value.code == ErrorCode.PARSE


def test_extract_rejects_non_bytes() -> None:
    with pytest.raises(TypeError):
        extract_encrypt_from_xml("<xml/>")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        extract_encrypt_from_json('{"encrypt": "x"}')  # type: ignore[arg-type]


# -- JSON body parsing -----------------------------------------------------------------------


def test_extract_from_json() -> None:
    assert extract_encrypt_from_json(b'{"encrypt": "QUJD"}') == "QUJD"
    body = '{"tousername": "邻里", "encrypt": "QUJD", "agentid": 1}'.encode()
    assert extract_encrypt_from_json(body) == "QUJD"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"{", id="truncated"),
        pytest.param(b"[]", id="array"),
        pytest.param(b'"encrypt"', id="string"),
        pytest.param(b"{}", id="no-encrypt"),
        pytest.param(b'{"encrypt": ""}', id="empty-encrypt"),
        pytest.param(b'{"encrypt": 12}', id="numeric-encrypt"),
        pytest.param(b'{"encrypt": null}', id="null-encrypt"),
        pytest.param(b'{"Encrypt": "QUJD"}', id="wrong-case"),
        pytest.param(b'{"encrypt": "\xff"}', id="not-utf8"),
        pytest.param(b"[" * 30_000 + b"]" * 30_000, id="deep-nesting"),
        pytest.param(b'{"encrypt": "' + b"A" * MAX_BODY_BYTES + b'"}', id="oversized"),
    ],
)
def test_malformed_json_rejected(body: bytes) -> None:
    with pytest.raises(WeComCryptoError) as info:
        extract_encrypt_from_json(body)
    assert info.value.code == ErrorCode.PARSE


# -- reply builders --------------------------------------------------------------------------


def test_reply_json_matches_tencent_template(crypto: WeComCrypto) -> None:
    prefix = b"1234567890123456"
    reply = crypto.encrypt_reply_json("hi", "1700000000", "555", random_prefix=prefix)
    encrypt = crypto.encrypt("hi", random_prefix=prefix)
    sig = crypto.signature("1700000000", "555", encrypt)
    expected = f'{{"encrypt": "{encrypt}", "msgsignature": "{sig}", "timestamp": "1700000000", "nonce": "555"}}'
    assert reply == expected


def test_reply_accepts_int_timestamp(crypto: WeComCrypto) -> None:
    prefix = b"1234567890123456"
    as_int = crypto.encrypt_reply_xml("hi", 1700000000, "555", random_prefix=prefix)
    assert as_int == crypto.encrypt_reply_xml("hi", "1700000000", "555", random_prefix=prefix)
    assert "<TimeStamp>1700000000</TimeStamp>" in as_int


@pytest.mark.parametrize(
    ("timestamp", "nonce"),
    [
        ("", "1"),
        ("12a", "1"),
        ("1</TimeStamp><x>", "1"),
        ("-1", "1"),
        (True, "1"),
        ("1", ""),
        ("1", "a]]><Evil/>"),
        ("1", "has space"),
        ("1", "邻里"),
        ("1", "x" * 129),
    ],
)
def test_reply_rejects_unsafe_timestamp_or_nonce(crypto: WeComCrypto, timestamp: Any, nonce: str) -> None:
    for build in (crypto.encrypt_reply_xml, crypto.encrypt_reply_json):
        with pytest.raises(WeComCryptoError) as info:
            build("hi", timestamp, nonce)
        assert info.value.code == ErrorCode.GEN_RETURN
