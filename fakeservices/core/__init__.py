"""Machinery shared by every fake: configuration, stores and waiters, journal, registry."""
