"""Which page of a listing to show: one rule for every paginated page of the review site.

A page asked for past the end is clamped to the last page, and the page says so. Clamping rather than
an empty page: a reviewer who answers or decides the last items of the last page is sent back to that
page number, which may no longer exist; the last page is what they want to see next.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a listing of ``total`` rows, ``size`` rows a page."""

    number: int  # the page shown, 1-based
    pages: int  # how many pages there are; at least 1, even for no rows
    total: int
    size: int
    asked: int | None = None  # the page asked for, when it was past the end (``number`` is then the last)

    @property
    def offset(self) -> int:
        """How many rows come before this page."""
        return (self.number - 1) * self.size

    def past_end_note(self, noun: str = "item") -> str | None:
        """A sentence for the reader when the page asked for was past the end, else None."""
        if self.asked is None:
            return None
        if not self.total:
            return f"Page {self.asked} is past the end: there are no {noun}s; this is page 1."
        rows = f"{self.total} {noun}{'' if self.total == 1 else 's'}"
        pages = f"{self.pages} page{'' if self.pages == 1 else 's'}"
        return f"Page {self.asked} is past the end: {rows} on {pages}; this is page {self.number}, the last."


def paginate(asked: str | None, total: int, size: int) -> Page:
    """The page to show for the query value ``asked`` (missing or not a number: the first)."""
    pages = max(1, -(-total // size))
    try:
        number = max(1, int(asked or ""))
    except ValueError:
        number = 1
    if number > pages:
        return Page(number=pages, pages=pages, total=total, size=size, asked=number)
    return Page(number=number, pages=pages, total=total, size=size)
