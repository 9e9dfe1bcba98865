"""The `tls` check (entry point `checks.tls:TlsCheck`)."""

from checks.tls.check import TlsCheck, TlsConfig

__all__ = ["TlsCheck", "TlsConfig"]
