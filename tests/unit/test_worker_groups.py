"""`up --workers N`: how the background services are split over the worker processes."""

import pytest

from lpse_helpdesk.platform.embedded import BACKGROUND, FRONT, MAX_WORKERS, worker_groups
from lpse_helpdesk.settings import Settings, SettingsError


@pytest.mark.parametrize("count", range(1, MAX_WORKERS + 3))
def test_every_background_service_runs_in_exactly_one_worker(count):
    groups = worker_groups(count)
    assert len(groups) == min(count, MAX_WORKERS)
    services = [name for group in groups for name in group]
    assert sorted(services) == sorted(BACKGROUND)  # each once: one sender, one timer, in order
    assert not set(services) & set(FRONT)


def test_desk_never_shares_a_worker_with_notify_once_there_are_two():
    for count in range(2, MAX_WORKERS + 1):
        assert not any({"desk", "notify"} <= set(group) for group in worker_groups(count))


def test_the_setting_is_read_and_a_bad_value_names_its_variable():
    assert Settings.from_env({"HELPDESK_WORKERS": "3"}).workers == 3
    assert Settings.from_env({}).workers == 1
    for bad in ("0", "5", "dua"):
        with pytest.raises(SettingsError, match="HELPDESK_WORKERS"):
            Settings.from_env({"HELPDESK_WORKERS": bad})
    with pytest.raises(ValueError):
        worker_groups(0)
