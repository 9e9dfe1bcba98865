"""The `headers` check (entry point `checks.headers:HeadersCheck`)."""

from checks.headers.check import HeadersCheck, HeadersConfig

__all__ = ["HeadersCheck", "HeadersConfig"]
