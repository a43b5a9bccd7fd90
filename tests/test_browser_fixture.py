"""The browser fixture never skips silently: no chromium fails CI, and elsewhere says why."""

from __future__ import annotations

import pytest

from tests.fixtures.browser import CHROMIUM, require_chromium


def test_missing_chromium_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    missing = str(tmp_path / "chromium")
    with pytest.raises(pytest.fail.Exception, match=f"chromium not found at {missing}.*in CI"):
        require_chromium(missing)


def test_missing_chromium_skips_with_its_reason_outside_ci(monkeypatch, tmp_path):
    monkeypatch.delenv("CI", raising=False)
    missing = str(tmp_path / "chromium")
    with pytest.raises(pytest.skip.Exception, match=f"chromium not found at {missing}"):
        require_chromium(missing)


def test_a_file_that_is_not_executable_is_not_chromium(monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    (tmp_path / "chromium").write_text("#!/bin/sh\n")
    with pytest.raises(pytest.fail.Exception, match="chromium not found"):
        require_chromium(str(tmp_path / "chromium"))


def test_installed_chromium_is_accepted():
    assert require_chromium(CHROMIUM) is None
