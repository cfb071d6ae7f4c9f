"""The in-memory cache of published audit bundles."""

from __future__ import annotations

from ballot.services.bundle_cache import BundleCache


def test_builds_once_per_version():
    cache, builds = BundleCache(), []

    def build(data: bytes):
        return lambda: builds.append(data) or data

    assert cache.get(("s", 1), build(b"one")) == b"one"
    assert cache.get(("s", 1), build(b"other")) == b"one"
    assert cache.get(("s", 2), build(b"two")) == b"two"
    assert builds == [b"one", b"two"]


def test_least_recently_used_leave_first_and_oversized_are_not_kept():
    cache, builds = BundleCache(max_bytes=10), []

    def build(data: bytes):
        return lambda: builds.append(data) or data

    cache.get("a", build(b"aaaa"))
    cache.get("b", build(b"bbbb"))
    cache.get("a", build(b"a?"))  # a is now the most recently used
    cache.get("c", build(b"cccc"))  # 12 bytes would not fit: b leaves
    cache.get("a", build(b"a?"))
    cache.get("b", build(b"bbbb"))
    assert builds == [b"aaaa", b"bbbb", b"cccc", b"bbbb"]
    assert cache.get("big", build(b"x" * 11)) == b"x" * 11
    assert cache.get("big", build(b"y" * 11)) == b"y" * 11  # too big to keep: built again
