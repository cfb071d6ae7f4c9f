"""票决 — livelihood-project ballots for people's congresses.

This package file stays import-free so that ``ballot.verify`` and the pure domain modules can be
used without Flask; the app factory lives in ``ballot.app``.
"""
