"""The explorer's shared shelf of event-log zips: one build at a time, one budget for all."""

from __future__ import annotations

import threading

import pytest

from sim.explorer.log_shelf import LogShelf


def test_zips_beyond_the_budget_go_longest_held_first() -> None:
    shelf = LogShelf(limit_bytes=10)
    shelf.put("a", "run1", b"aaaa")
    shelf.put("b", "run1", b"bbbb")
    shelf.put("c", "run2", b"cccc")  # 12 bytes: a's, the longest held, goes
    assert shelf.get("a", "run1") is None
    assert shelf.get("b", "run1") == b"bbbb"
    assert shelf.get("c", "run2") == b"cccc"
    assert shelf.held_bytes() == 8
    shelf.put("b", "run3", b"bb")  # b's new zip replaces its old one and makes b the newest
    shelf.put("d", "run1", b"dddddd")  # 12 again: c's goes, not b's
    assert shelf.get("c", "run2") is None
    assert shelf.get("b", "run3") == b"bb" and shelf.get("b", "run1") is None
    assert shelf.held_bytes() == 8


def test_the_newest_zip_is_kept_even_alone_over_the_budget() -> None:
    shelf = LogShelf(limit_bytes=3)
    shelf.put("a", "k", b"aa")
    shelf.put("b", "k", b"bbbbb")
    assert shelf.get("a", "k") is None
    assert shelf.get("b", "k") == b"bbbbb"


def test_a_zip_is_given_for_the_run_it_was_built_for_only() -> None:
    shelf = LogShelf(limit_bytes=100)
    shelf.put("a", "run1", b"zip")
    assert shelf.get("a", "run2") is None
    assert shelf.get("b", "run1") is None
    assert shelf.download("a", "run1") == b"zip"
    with pytest.raises(LookupError, match="build them again"):
        shelf.download("a", "run2")


def test_one_build_at_a_time() -> None:
    shelf = LogShelf(limit_bytes=100)
    seen: list[bool] = []
    with shelf.building() as first:
        worker = threading.Thread(target=lambda: seen.append(shelf.building().__enter__()))
        worker.start()
        worker.join()
        with shelf.building() as again:
            assert first and not again
    assert seen == [False]
    with shelf.building() as later:  # the slot is free once the build's block ends
        assert later


def test_a_failed_build_frees_the_slot() -> None:
    shelf = LogShelf(limit_bytes=100)
    with pytest.raises(RuntimeError), shelf.building():
        raise RuntimeError("the pool broke")
    with shelf.building() as mine:
        assert mine
