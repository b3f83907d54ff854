"""Unit tests encode and decode events without a data folder: an in-memory key store."""

from __future__ import annotations

import pytest

from lpse_helpdesk.platform.keystore import KeyStore
from lpse_helpdesk.schemas import sealing


@pytest.fixture(autouse=True, scope="session")
def _keys_in_memory():
    sealing.use_keystore(KeyStore.in_memory())
    yield
    sealing.use_keystore(None)
