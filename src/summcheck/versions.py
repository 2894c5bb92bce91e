"""The installed version of a package, for signatures and fingerprints."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def installed_version(package: str) -> str | None:
    """`package`'s installed version, None when it is not installed."""
    try:
        return version(package)
    except PackageNotFoundError:
        return None
