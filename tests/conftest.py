"""Shared fixtures: no test reads or writes the user's own mmtrace cache."""

import pytest


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MMTRACE_CACHE_DIR", str(tmp_path_factory.mktemp("mmtrace-cache")))
