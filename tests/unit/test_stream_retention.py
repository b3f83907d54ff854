"""TICKETS' limits (issue 21): messages leave after a max age from the settings, and a byte cap
refuses new messages instead of dropping ones a consumer may not have read."""

from __future__ import annotations

import pytest
from nats.js.api import DiscardPolicy

from lpse_helpdesk.platform.bus import stream_config
from lpse_helpdesk.settings import Settings, SettingsError


def test_thirty_days_by_default_and_never_dropping_unread_messages_for_room():
    settings = Settings.from_env({})
    assert (settings.stream_max_age_days, settings.stream_max_bytes) == (30.0, 0)
    config = stream_config(settings.stream_replicas, settings.stream_max_age_days,
                           settings.stream_max_bytes)
    assert config.max_age == 30 * 86400 and config.max_bytes is None
    assert config.discard == DiscardPolicy.NEW


def test_the_environment_sets_the_age_and_the_cap_and_zero_means_none():
    settings = Settings.from_env({"HELPDESK_STREAM_MAX_AGE_DAYS": "0",
                                  "HELPDESK_STREAM_MAX_BYTES": "5000000000"})
    config = stream_config(1, settings.stream_max_age_days, settings.stream_max_bytes)
    assert config.max_age is None and config.max_bytes == 5_000_000_000
    assert stream_config(1, 7.5).max_age == 7.5 * 86400
    with pytest.raises(SettingsError, match="HELPDESK_STREAM_MAX_AGE_DAYS"):
        Settings.from_env({"HELPDESK_STREAM_MAX_AGE_DAYS": "-1"})
