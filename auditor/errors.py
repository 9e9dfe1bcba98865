"""One error type per layer; only the CLI turns them into exit codes."""


class AuditorError(Exception):
    """Base class for errors that become one clear line on stderr."""

    exit_code = 2


class ConfigError(AuditorError):
    """The configuration (or another input file) is invalid. Exit code 2."""


class InputError(AuditorError):
    """A file given on the command line cannot be read or is invalid. Exit code 2."""


class FetchError(AuditorError):
    """A URL could not be fetched."""


class SiteUnreachable(AuditorError):
    """The site could not be reached at all. Exit code 3."""

    exit_code = 3


class StoreError(AuditorError):
    """The history store cannot be opened or written."""
