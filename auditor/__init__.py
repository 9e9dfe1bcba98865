"""ppid-auditor: security and compliance auditor for village PPID websites."""

__version__ = "0.1.0"
