"""The mode of a policy: what ``enforce_transfer`` does with a denial.

:class:`Mode` is public as :class:`residency.transfers.Mode` (and :class:`residency.Mode`),
and says so in its ``__module__``, so that its pickles and its documentation name it there.
It is defined apart from the transfer machinery because every policy holds a mode, and
building a policy to place customers should load none of that machinery.
"""

from __future__ import annotations

import enum

__all__ = ["Mode"]


class Mode(enum.StrEnum):
    """What ``enforce_transfer`` does with a denial."""

    ENFORCE = "enforce"
    """Raise :class:`~residency.errors.TransferDenied`."""
    AUDIT = "audit"
    """Let the move through, and log the would-be denial at WARNING."""


Mode.__module__ = "residency.transfers"
