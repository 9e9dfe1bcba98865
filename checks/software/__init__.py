"""The `software` check (see docs/software.md)."""

from checks.software.check import SoftwareCheck, SoftwareConfig

__all__ = ["SoftwareCheck", "SoftwareConfig"]
