"""The `content` check package: approved list, matching, date evidence, mandatory information."""

from checks.content.check import ContentCheck, ContentConfig

__all__ = ["ContentCheck", "ContentConfig"]
