"""A worker's start reads the installed packages' entry points once, where gevent's monkey
patching would read them for every module it patches."""

from collections.abc import Callable
from importlib import metadata
from typing import Any

import pytest

from users_service.web.worker import entry_points_read_once

# The groups gevent looks plugins up in while it patches, and one every install has.
GROUPS = (
    "gevent.plugins.monkey.will_patch_all",
    "gevent.plugins.monkey.did_patch_all",
    "console_scripts",
)


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    read: Callable[..., Any] = metadata.distributions

    def distributions(**kwargs: Any) -> Any:
        reads.append(1)
        return read(**kwargs)

    monkeypatch.setattr(metadata, "distributions", distributions)
    return reads


def test_every_lookup_in_the_block_answers_as_a_fresh_read_would() -> None:
    fresh = {group: sorted(metadata.entry_points(group=group)) for group in GROUPS}
    with entry_points_read_once():
        cached = {group: sorted(metadata.entry_points(group=group)) for group in GROUPS}
    assert cached == fresh
    assert fresh["console_scripts"]  # pytest's own, at least: the comparison is not empty


def test_the_installed_packages_are_read_once_in_the_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads = counting_reads(monkeypatch)
    with entry_points_read_once():
        for group in GROUPS * 5:
            metadata.entry_points(group=group)
    assert len(reads) == 1


def test_lookups_after_the_block_read_afresh_even_when_it_failed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads = counting_reads(monkeypatch)
    with pytest.raises(RuntimeError), entry_points_read_once():
        raise RuntimeError("patching failed")
    metadata.entry_points(group="console_scripts")
    metadata.entry_points(group="console_scripts")
    assert len(reads) == 3
