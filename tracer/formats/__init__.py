"""Format knowledge: envelopes and the pattern registry, one module per family."""

from __future__ import annotations

from functools import lru_cache

from .registry import Pattern, Registry


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """All built-in patterns (Postfix, Sendmail, Exim, the Mailman wrapper, Mailman 2.1 logs)."""
    from . import exim, mailman, postfix, sendmail

    return Registry([*postfix.PATTERNS, *sendmail.PATTERNS, *exim.PATTERNS, *mailman.PATTERNS])


__all__ = ["Pattern", "Registry", "default_registry"]
