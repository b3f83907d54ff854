"""A unit's own ticket fields: declared in its standard (rejected naming the key when wrong) and
checked by intake's decision, every problem at once, each naming `fields.<name>`."""

import msgspec
import pytest

from lpse_helpdesk.schemas.api import NewTicket
from lpse_helpdesk.services.intake import decisions
from lpse_helpdesk.standards import check_files, load_standard
from lpse_helpdesk.standards.loader import SHIPPED_DIR

LAMPUNG = (SHIPPED_DIR / "lampung.toml").read_text(encoding="utf-8")
# Lampung takes walk_in, web and api; appended after the shipped fields.
EXTRA = '''
[[fields]]
name = "jumlah"
label = "Jumlah paket"
type = "number"
required = ["web"]

[[fields]]
name = "npwp"
label = "NPWP"
type = "pattern"
pattern = "[0-9]{2}\\\\.[0-9]{3}\\\\.[0-9]{3}\\\\.[0-9]-[0-9]{3}\\\\.[0-9]{3}"
hint = "99.999.999.9-999.999"
required = ["walk_in"]
'''


@pytest.fixture(scope="module")
def unit(tmp_path_factory):
    path = tmp_path_factory.mktemp("std") / "lampung.toml"
    path.write_text(LAMPUNG + EXTRA, encoding="utf-8")
    assert check_files([path]) == []
    return load_standard(path)


def ticket(channel="web", **fields):
    return NewTicket(tenant="lampung", channel=channel, reporter={"name": "Sari"},
                     subject="Tidak bisa login", description="Muncul error.", fields=fields)


def problems(unit, channel="web", **fields):
    return decisions.field_problems(unit, channel, fields)


def test_the_shipped_standards_declare_lpse_supports_fields():
    for path in sorted(SHIPPED_DIR.glob("*.toml")):
        unit = load_standard(path)
        assert [f.name for f in unit.fields] == [
            "lpse", "aplikasi", "kode_error", "kode_tender", "tipe_tiket", "npwp_user_id"]
        aplikasi = unit.fields[1]
        assert aplikasi.type == "choice" and aplikasi.choices == (
            "SPSE", "SIKaP", "e-Katalog", "SiRUP", "e-Purchasing", "Lainnya")


def test_each_type_accepts_a_good_value(unit):
    assert problems(unit, lpse="LPSE Provinsi Lampung", aplikasi="SPSE", kode_tender="12345678",
                    jumlah="3,5", npwp="01.234.567.8-901.000") == []


def test_number(unit):
    assert problems(unit, jumlah="tiga") == [("fields.jumlah", "(Jumlah paket) harus berupa angka")]
    assert problems(unit, jumlah="-12") == []


def test_choice(unit):
    [(path, message)] = problems(unit, jumlah="1", aplikasi="spse")
    assert path == "fields.aplikasi" and "SPSE, SIKaP, e-Katalog" in message


def test_pattern_must_match_the_whole_value(unit):
    assert problems(unit, jumlah="1", kode_tender="12345x") == [
        ("fields.kode_tender", "(Kode Tender/Paket) tidak sesuai format: angka saja, mis. 12345678")]
    assert problems(unit, jumlah="1", npwp="01.234.567.8-901.0001")[0][0] == "fields.npwp"


def test_required_per_channel(unit):
    assert problems(unit, "web") == [("fields.jumlah", "(Jumlah paket) wajib diisi")]
    assert problems(unit, "walk_in") == [("fields.npwp", "(NPWP) wajib diisi")]
    assert problems(unit, "api") == []
    assert problems(unit, "web", jumlah="  ") == [("fields.jumlah", "(Jumlah paket) wajib diisi")]


def test_every_problem_at_once_in_the_refusal(unit):
    with pytest.raises(decisions.FieldsInvalid) as caught:
        decisions.check_fields(unit, ticket(aplikasi="Word", kode_tender="A1", warna="merah"))
    refusal = caught.value
    # in the standard's order (the shipped fields, then these), then undeclared names
    assert refusal.missing == ["fields.aplikasi", "fields.kode_tender", "fields.jumlah",
                               "fields.warna"]
    assert refusal.field == "fields.aplikasi"
    for path in refusal.missing:
        assert f"`{path}`" in refusal.message
    assert "tidak dikenal" in refusal.message


def test_a_good_ticket_passes_and_keeps_its_values_trimmed(unit):
    good = ticket(jumlah=" 2 ", aplikasi="SiRUP", lpse="")
    decisions.check_fields(unit, good)
    assert msgspec.json.decode(msgspec.json.encode(good), type=NewTicket).fields["aplikasi"] == "SiRUP"


def test_the_api_refuses_a_malformed_field_name():
    with pytest.raises(msgspec.ValidationError, match=r"fields"):
        msgspec.convert({"tenant": "lampung", "channel": "web", "reporter": {"name": "A"},
                         "subject": "S", "description": "D", "fields": {"Bad Name": "x"}},
                        NewTicket)


# -- declarations that the standard's validation refuses -------------------------------------


def refused(tmp_path, block):
    path = tmp_path / "lampung.toml"
    path.write_text(LAMPUNG + block, encoding="utf-8")
    return "\n".join(check_files([path]))


def test_a_choice_needs_choices(tmp_path):
    errors = refused(tmp_path, '[[fields]]\nname = "x"\nlabel = "X"\ntype = "choice"\n')
    assert "fields[6].choices: a choice field needs choices" in errors


def test_choices_and_pattern_only_on_their_types(tmp_path):
    errors = refused(tmp_path, '[[fields]]\nname = "x"\nlabel = "X"\nchoices = ["a"]\n'
                     'pattern = "[0-9]+"\n')
    assert "fields[6].choices: only type 'choice' has choices" in errors
    assert "fields[6].pattern: only type 'pattern' has a pattern" in errors


def test_a_pattern_must_compile(tmp_path):
    errors = refused(tmp_path, '[[fields]]\nname = "x"\nlabel = "X"\ntype = "pattern"\n'
                     'pattern = "[0-9"\n')
    assert "fields[6].pattern: not a regular expression" in errors
    errors = refused(tmp_path, '[[fields]]\nname = "x"\nlabel = "X"\ntype = "pattern"\n')
    assert "fields[6].pattern: a pattern field needs a pattern" in errors


def test_duplicate_name_unknown_type_and_channels(tmp_path):
    errors = refused(tmp_path, '[[fields]]\nname = "aplikasi"\nlabel = "X"\n'
                     'required = ["phone", "web", "web"]\n')
    assert "fields[6]: duplicate value 'aplikasi'" in errors
    assert "fields[6].required[0]: channel 'phone' is not in channels" in errors
    assert "fields[6].required[2]: duplicate value 'web'" in errors
    errors = refused(tmp_path, '[[fields]]\nname = "x"\nlabel = "X"\ntype = "date"\n')
    assert "fields[6].type: expected one of 'text', 'number', 'choice', 'pattern'" in errors
    errors = refused(tmp_path, '[[fields]]\nname = "Bad Name"\nlabel = "X"\n')
    assert "fields[6].name" in errors


def test_a_mail_cannot_require_a_field(tmp_path):
    basarnas = (SHIPPED_DIR / "basarnas.toml").read_text(encoding="utf-8")
    path = tmp_path / "basarnas.toml"
    path.write_text(basarnas + '[[fields]]\nname = "x"\nlabel = "X"\nrequired = ["email"]\n',
                    encoding="utf-8")
    assert "fields[6].required[0]: a mail cannot carry custom fields" in "\n".join(
        check_files([path]))
