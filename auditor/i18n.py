"""CLI message lookups: the one catalogue (`auditor.catalogue`, file `messages/cli.yaml`)."""

from __future__ import annotations

from auditor.catalogue import t

__all__ = ["t"]
