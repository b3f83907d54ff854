"""The five seed standards load with the seeds' facts; broken files are rejected naming file and key."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from lpse_helpdesk.standards import (
    StandardError,
    Target,
    check_files,
    default_standards_dir,
    load_standard,
    load_standards,
)
from lpse_helpdesk.standards.loader import SHIPPED_DIR

STANDARDS = SHIPPED_DIR
LAMPUNG = (STANDARDS / "lampung.toml").read_text(encoding="utf-8")


def chain(unit):
    return [t.tier for t in unit.escalation]


def target(amount, unit, clock="business"):
    return Target(amount=amount, unit=unit, clock=clock)


# -- the shipped files ---------------------------------------------------------------------


def test_all_five_load_keyed_by_tenant():
    units = load_standards(STANDARDS)
    assert sorted(units) == ["basarnas", "batam", "batubara", "lampung", "tuban"]
    assert {u.number_prefix for u in units.values()} == {"BTB", "LPG", "TBN", "BSN", "BTM"}
    for unit in units.values():
        assert unit.zone == ZoneInfo("Asia/Jakarta")
        assert [c.id for c in unit.categories] == ["gangguan", "permasalahan", "permintaan_layanan"]
        assert unit.accepts("api") and unit.escalation[0].tier == "helpdesk"
    assert check_files(sorted(STANDARDS.glob("*.toml"))) == []


def test_default_dir_is_the_repository_folder_unless_overridden(monkeypatch, tmp_path):
    monkeypatch.delenv("HELPDESK_STANDARDS_DIR", raising=False)
    assert default_standards_dir() == STANDARDS
    monkeypatch.setenv("HELPDESK_STANDARDS_DIR", str(tmp_path))
    assert default_standards_dir() == tmp_path


def test_batubara():
    unit = load_standard(STANDARDS / "batubara.toml")
    assert unit.name == "LPSE Kabupaten Batu Bara"
    assert unit.helpdesk_email == "lpsepemkabbatubara@yahoo.co.id"
    assert set(unit.channels) == {"web", "phone", "email", "walk_in", "api"}
    assert chain(unit) == ["helpdesk", "admin_ppe", "lkpp"]
    assert unit.tier_after("helpdesk") == "admin_ppe" and unit.tier_after("lkpp") is None
    assert unit.category("gangguan").first_response == target(1, "hours")  # "1 Jam"
    # "1 - 24 Jam", read as one working day (Basarnas' seed: "1 Hari kerja ... maksimal 1x24 jam")
    assert unit.category("gangguan").resolution == target(1, "working_days")
    assert unit.category("permintaan_layanan").resolution == target(1, "hours")
    assert unit.faq.publish is True
    assert unit.complaints.phone == "082362213178"


def test_lampung():
    unit = load_standard(STANDARDS / "lampung.toml")
    assert chain(unit) == ["helpdesk", "koordinator"]
    assert unit.monitor_role == "koordinator"
    assert unit.category("permintaan_layanan").resolution == target(1, "hours")
    assert unit.category("permintaan_layanan").resolution.as_timedelta() == timedelta(hours=1)
    assert unit.category("permasalahan").resolution == target(1, "working_days")
    assert unit.category("gangguan").resolution == target(3, "working_days")
    assert unit.category("gangguan").resolution.as_timedelta() is None  # calendar-dependent
    assert unit.category("gangguan").first_response.as_timedelta() == timedelta(minutes=30)
    assert {"director_id_card", "company_npwp", "request_letter", "company_documents"} <= set(
        unit.required_fields("walk_in"))
    assert not unit.accepts("phone") and unit.required_fields("phone") == []
    assert unit.faq.publish is False


def test_tuban():
    unit = load_standard(STANDARDS / "tuban.toml")
    assert chain(unit) == ["helpdesk", "lkpp"]
    assert unit.sk_number == "188.45/33/KPTS/414.022/2023"
    assert not unit.accepts("phone")
    assert set(unit.required_fields("web")) >= {"email", "id_card", "phone"}
    assert unit.category("gangguan").first_response == target(1, "hours")
    assert unit.category("gangguan").resolution == target(1, "working_days")  # "24 Jam"
    assert unit.faq.publish is False


def test_basarnas():
    unit = load_standard(STANDARDS / "basarnas.toml")
    assert unit.helpdesk_email == "Helpdesk-lpse@basarnas.go.id"
    assert chain(unit) == ["helpdesk", "admin_ppe", "lkpp"]
    assert unit.category("permasalahan").resolution == target(1, "working_days")  # "1 Hari kerja"
    override = unit.tier("lkpp").resolution_override
    assert override == target(72, "hours", "calendar")  # "3x24 jam"
    assert override.as_timedelta() == timedelta(hours=72)
    assert "screenshot" in unit.required_fields("web")
    assert unit.faq.publish is True


def test_batam():
    unit = load_standard(STANDARDS / "batam.toml")
    assert unit.name == "LPSE Kota Batam" and unit.helpdesk_email == "lpse@batam.go.id"
    assert chain(unit) == ["helpdesk", "koordinator", "lkpp"]
    assert unit.monitor_role == "kepala_unit"
    assert unit.accepts("walk_in") and unit.accepts("email") and not unit.accepts("phone")
    assert unit.tier("helpdesk").deadline is not None and unit.tier("lkpp").deadline is None


def test_calendar_holidays_include_cuti_bersama():
    # Through the calendar the SLA clocks use, built from the standard's [calendar] section.
    import datetime as dt

    from lpse_helpdesk.sla.units import calendar_for

    unit = load_standard(STANDARDS / "lampung.toml")
    calendar = calendar_for(unit)
    assert calendar.is_holiday(dt.date(2025, 8, 17))  # Hari Kemerdekaan
    assert calendar.is_holiday(dt.date(2025, 4, 2))  # cuti bersama Idul Fitri
    assert not calendar.is_holiday(dt.date(2025, 4, 8))  # an ordinary Tuesday
    assert unit.calendar.work_minutes_per_day() == 450


# -- broken files --------------------------------------------------------------------------


def broken(tmp_path, old, new, name="lampung.toml"):
    assert old in LAMPUNG, old
    path = tmp_path / name
    path.write_text(LAMPUNG.replace(old, new, 1), encoding="utf-8")
    return path


def only_error(path):
    errors = check_files([path])
    assert len(errors) >= 1, "expected the file to be rejected"
    assert all(e.startswith(f"{path}: ") for e in errors), errors
    with pytest.raises(StandardError):
        load_standard(path)
    return errors[0]


def test_unknown_key(tmp_path):
    path = broken(tmp_path, "work_days =", 'work_dayz = ["mon"]\nwork_days =')
    assert only_error(path).startswith(f"{path}: calendar.work_dayz: unknown key")


def test_unknown_top_level_key(tmp_path):
    path = broken(tmp_path, 'tenant = "lampung"', 'tenant = "lampung"\ncolour = "red"')
    assert only_error(path).startswith(f"{path}: colour: unknown key")


def test_wrong_type(tmp_path):
    path = broken(tmp_path, "resolution = { amount = 3,", 'resolution = { amount = "3",')
    error = only_error(path)
    assert error.startswith(f"{path}: categories[0].resolution.amount: expected integer, got string")


def test_bad_enum(tmp_path):
    path = broken(tmp_path, 'resolution = { amount = 1, unit = "working_days"',
                  'resolution = { amount = 1, unit = "days"')
    assert only_error(path).startswith(
        f"{path}: categories[1].resolution.unit: expected one of 'minutes', 'hours', "
        "'working_days', got 'days'")


def test_bad_timezone(tmp_path):
    path = broken(tmp_path, '"Asia/Jakarta"', '"Asia/Jakrta"')
    assert only_error(path).startswith(f"{path}: calendar.timezone: unknown IANA time zone 'Asia/Jakrta'")


def test_bad_hhmm(tmp_path):
    path = broken(tmp_path, '"16:00"', '"25:00"')
    assert only_error(path).startswith(f"{path}: calendar.work_hours[1][1]: '25:00' is not a time")


def test_interval_must_start_before_it_ends(tmp_path):
    path = broken(tmp_path, '["13:00", "16:00"]', '["16:00", "13:00"]')
    assert only_error(path).startswith(f"{path}: calendar.work_hours[1]: start 16:00 must be before")


def test_missing_category(tmp_path):
    path = broken(tmp_path, 'id = "permasalahan"', 'id = "gangguan"')
    errors = check_files([path])
    assert f"{path}: categories: missing category 'permasalahan'" in "\n".join(errors)
    assert f"{path}: categories[1].id: duplicate category 'gangguan'" in "\n".join(errors)


def test_toml_syntax_error_names_the_line(tmp_path):
    path = broken(tmp_path, 'name = "LPSE Provinsi Lampung"', "name = LPSE Provinsi Lampung")
    line = LAMPUNG.splitlines().index('name = "LPSE Provinsi Lampung"') + 1
    assert only_error(path).startswith(f"{path}: line {line}, column 8: TOML syntax error")


def test_tenant_must_match_file_name(tmp_path):
    path = tmp_path / "lampung2.toml"
    path.write_text(LAMPUNG, encoding="utf-8")
    assert only_error(path).startswith(f"{path}: tenant: 'lampung' does not match the file name")


def test_missing_required_key(tmp_path):
    path = broken(tmp_path, 'helpdesk_email = "provlampunglpse@gmail.com"', "")
    assert only_error(path).startswith(f"{path}: helpdesk_email: missing required key")


def test_requirements_only_for_accepted_channels(tmp_path):
    path = broken(tmp_path, "api = [", 'phone = ["phone"]\napi = [')
    assert only_error(path).startswith(f"{path}: requirements.phone: channel 'phone' is not in channels")


def test_chain_must_start_at_helpdesk(tmp_path):
    path = broken(tmp_path, 'tier = "helpdesk"', 'tier = "admin_ppe"')
    assert only_error(path).startswith(f"{path}: escalation[0].tier: the chain must start at 'helpdesk'")


def test_working_days_need_the_business_clock(tmp_path):
    path = broken(tmp_path, 'amount = 3, unit = "working_days", clock = "business"',
                  'amount = 3, unit = "working_days", clock = "calendar"')
    assert only_error(path).startswith(f"{path}: categories[0].resolution: working_days count on")


def test_unreadable_file_and_duplicate_prefix(tmp_path):
    assert check_files([tmp_path / "nope.toml"]) == [
        f"{tmp_path / 'nope.toml'}: cannot read file: No such file or directory (file tidak bisa dibaca)"]
    other = tmp_path / "lampung.toml"
    other.write_text(LAMPUNG, encoding="utf-8")
    errors = check_files([STANDARDS / "lampung.toml", other])
    assert any(e.startswith(f"{other}: number_prefix: 'LPG' is already used by") for e in errors)
