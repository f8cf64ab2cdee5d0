"""The outbox codec: every payload survives the round trip through the stored JSON, whose shape stays the one rows
queued before the codec have."""

from __future__ import annotations

import pytest

from models.payloads import (
    AnswerPayload,
    Attachment,
    EditPayload,
    Payload,
    SendPayload,
    StoredButton,
    action_of,
    decode,
    encode,
)

BUTTONS = ((StoredButton("✅ 确认", "t:confirm:1"), StoredButton("说明", url="https://example.invalid/a")),)


@pytest.mark.parametrize(
    "payload",
    [
        SendPayload("工单 #1", BUTTONS, reply_to="12", photo="AgAC-photo"),
        SendPayload("报表", document=Attachment("2026年10月.csv", "名称,积分\n".encode("utf-8-sig"))),
        EditPayload("已确认", BUTTONS, ref_key="ticket:1:g"),
        EditPayload("已确认", message_id="77"),
        AnswerPayload("cb-1", "👍", alert=True),
    ],
)
def test_every_payload_comes_back_from_its_stored_form(payload: Payload) -> None:
    assert decode(action_of(payload), encode(payload)) == payload


def test_the_stored_form_is_the_one_older_rows_have() -> None:
    assert encode(SendPayload("你好", BUTTONS, reply_to="12")) == {
        "text": "你好",
        "buttons": [[{"text": "✅ 确认", "data": "t:confirm:1"}, {"text": "说明", "url": "https://example.invalid/a"}]],
        "reply_to": "12",
    }
    assert encode(SendPayload("文件", document=Attachment("a.csv", b"a,b\n"))) == {
        "text": "文件",
        "document": {"filename": "a.csv", "base64": "YSxiCg=="},
    }
    assert encode(EditPayload("新", ref_key="r")) == {"text": "新", "buttons": [], "ref_key": "r"}
    assert encode(AnswerPayload("cb", "")) == {"callback_id": "cb", "text": "", "alert": False}
    assert decode("send", {"text": "旧行", "buttons": []}) == SendPayload("旧行")
