from handlers.common.photos import stored_id_of
from models.photos import stored_ref


def test_a_reference_names_a_stored_photo_and_nothing_else() -> None:
    assert stored_id_of(stored_ref(12)) == 12
    for other in ("AgACAgIAAxkBAAIB", "wecom:media-1", "stored:", "stored:1a", "stored:١٢", "stored:-1", "stored:1²"):
        assert stored_id_of(other) is None
    assert stored_id_of("stored:" + "9" * 40) is None  # capped: no id that large
