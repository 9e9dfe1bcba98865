"""Crawl bookkeeping shown to people: notes on cuts (each kind once) and the rich progress bar."""

from __future__ import annotations

from collections.abc import Callable


class Notes:
    """Each kind of cut is noted once, counting distinct URLs, with the first one as an example."""

    def __init__(self) -> None:
        # Dicts keep insertion order: notes come out in first-seen order, each URL set's first key is the example.
        self._notes: dict[tuple[str, str], tuple[Callable[[int, str], str], dict[str, None]]] = {}

    def add(self, kind: str, key: str, url: str, text: Callable[[int, str], str]) -> None:
        """`text(count, example)` renders the note at the end of the crawl."""
        self._notes.setdefault((kind, key), (text, {}))[1][url] = None

    def counts(self) -> dict[str, int]:
        """Distinct URLs per reason ("max_pages", "time_budget_s", "trap", "robots", ...)."""
        out: dict[str, int] = {}
        for (kind, key), (_, urls) in self._notes.items():
            reason = key if kind == "limit" else kind.split(":")[0]
            out[reason] = out.get(reason, 0) + len(urls)
        return out

    def render(self) -> list[str]:
        return [text(len(urls), next(iter(urls))) for text, urls in self._notes.values()]


class ProgressBar:
    """A transient rich progress bar on stderr; only created when stderr is a terminal."""

    def __init__(self, start_url: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(TextColumn("[bold]crawl[/] {task.description}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True),
                             transient=True)
        self._bar.start()
        self._task = self._bar.add_task(_short(start_url), total=1)

    def update(self, done: int, known: int, url: str) -> None:
        self._bar.update(self._task, completed=done, total=max(known, done), description=_short(url))

    def stop(self) -> None:
        self._bar.stop()


def _short(url: str, width: int = 60) -> str:
    return url if len(url) <= width else "..." + url[-(width - 3):]
