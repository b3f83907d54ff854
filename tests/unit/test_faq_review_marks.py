"""The FAQ review page's marks: each scrubber placeholder in a `<mark>`, the rest escaped."""

from lpse_helpdesk.services.faq_publisher.scrub import scrub
from lpse_helpdesk.services.web.faq_page import body_of, marked


def test_every_placeholder_is_marked_and_the_text_around_it_escaped():
    text, removed = scrub("Saya Budi Santoso <b>tolong</b>, hubungi budi@contoh.co.id atau "
                          "0812-3456-7890", names=("Budi Santoso",))
    shown = str(marked(text))
    assert removed == {"nama": 1, "email": 1, "telepon": 1}
    for placeholder in ("[nama]", "[email]", "[telepon]"):
        assert f">{placeholder}</mark>" in shown
    assert shown.count("<mark") == 3 and "&lt;b&gt;tolong&lt;/b&gt;" in shown
    assert "<b>" not in shown


def test_a_longer_placeholder_is_marked_whole():
    shown = str(marked("Nomor [nomor identitas] dan [nomor tiket]"))
    assert ">[nomor identitas]</mark>" in shown and ">[nomor tiket]</mark>" in shown
    assert str(marked("tanpa data pribadi")) == "tanpa data pribadi"


def test_form_fields_become_the_apis_review_body():
    form = {"question": " T ", "answer": "J", "into": "", "confirm_digits": "1", "reason": " r "}
    assert body_of("edit", form) == {"question": "T", "answer": "J"}
    assert body_of("merge", form) == {"into": None}
    assert body_of("publish", form) == {"confirm_digits": True}
    assert body_of("publish", {}) == {"confirm_digits": False}
    assert body_of("reject", form) == {"reason": "r"}
