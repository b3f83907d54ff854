"""Canned replies ranked for a ticket by the words they share with it."""

from lpse_helpdesk.services.desk.canned import CannedReply, rank, words


def reply(title, body, id="x"):
    return CannedReply(id=id, tenant="batam", title=title, body=body, updated_by="hd",
                       updated_at="2026-12-03T00:00:00+00:00")


def test_words_are_case_folded_and_short_words_dropped():
    assert words("Lupa Kata-Sandi di SPSE, ya") == {"lupa", "kata", "sandi", "spse"}


def test_most_shared_words_first_then_by_title():
    replies = [reply("Reset kata sandi", "Klik lupa kata sandi di halaman login SPSE.", "a"),
               reply("Verifikasi SIKaP", "Unggah NIB dan NPWP di SIKaP.", "b"),
               reply("Aktivasi akun", "Datang ke LPSE membawa KTP.", "c"),
               reply("Akun terkunci", "Tunggu 30 menit.", "d")]
    ranked = rank("tidak bisa login spse, lupa kata sandi\nsikap", replies)
    assert [r.id for r in ranked] == ["a", "b", "c", "d"]
    assert [r.score for r in ranked] == [5, 1, 0, 0]  # login, spse, lupa, kata, sandi; sikap
    # ties (no shared word) in case-folded title order
    assert rank("", replies)[0].title == "Aktivasi akun"
