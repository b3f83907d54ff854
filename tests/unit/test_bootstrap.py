"""The composition root: flags over the environment, and a service built offline on its own
store (a SQLite file in a temporary folder; no server, no network)."""

from __future__ import annotations

import argparse

import pytest

from lpse_helpdesk import bootstrap
from lpse_helpdesk.platform.service import ServiceDefinition
from lpse_helpdesk.platform.store import StoreClosed
from lpse_helpdesk.services.desk.application import DeskService
from lpse_helpdesk.settings import Settings, SettingsError


@pytest.fixture(autouse=True)
def no_helpdesk_environment(monkeypatch):
    import os

    for name in [n for n in os.environ if n.startswith("HELPDESK_")]:
        monkeypatch.delenv(name)


def test_a_flag_wins_over_the_environment_and_a_missing_flag_leaves_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HELPDESK_HTTP_PORT", "8100")
    monkeypatch.setenv("HELPDESK_NATS_URL", "nats://bus.example:4222")
    args = argparse.Namespace(data_dir=str(tmp_path), http_port=8200, nats=None)
    settings = bootstrap.settings_from(args)
    assert settings.data_dir == tmp_path
    assert settings.http_port == 8200  # the flag
    assert settings.nats_url == "nats://bus.example:4222"  # no flag: the environment's


def test_a_bad_flag_is_a_settings_error_naming_it(tmp_path):
    with pytest.raises(SettingsError, match="--database"):
        bootstrap.settings_from(argparse.Namespace(data_dir=str(tmp_path), database="mysql://x"))


def test_an_offline_service_is_built_on_its_store_and_closed_after(tmp_path):
    settings = Settings(data_dir=tmp_path)
    with bootstrap.offline_service("desk", settings) as desk:
        assert isinstance(desk.app, DeskService)
        assert desk.store.service == "desk" and (tmp_path / "desk.sqlite").is_file()
        assert set(desk.app.standards) == set(bootstrap.unit_standards(settings))
    with pytest.raises(StoreClosed):
        desk.store.query("SELECT 1")


def test_a_service_that_fails_to_build_leaves_no_store_open(tmp_path):
    seen = []

    def broken(ctx):
        seen.append(ctx.store)
        raise RuntimeError("tidak bisa dibangun")

    with pytest.raises(RuntimeError, match="tidak bisa"):
        bootstrap.build_service(ServiceDefinition(name="uji", build=broken),
                                Settings(data_dir=tmp_path), {})
    with pytest.raises(StoreClosed):
        seen[0].query("SELECT 1")
