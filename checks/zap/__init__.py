"""OWASP ZAP check (`zap.<pluginId>` findings) driven through the `zaproxy` (zapv2) API client."""

from checks.zap.check import ZapCheck
from checks.zap.config import ZapConfig

__all__ = ["ZapCheck", "ZapConfig"]
