"""Demo handler: the city portal's news sitemap, which must name absolute URLs on the demo server."""

from __future__ import annotations

ARTICLES = (
    ("/portal/news/2026/11/21/mektep-shatyry-12005.html", "2026-11-21T09:15:00+05:00"),
    ("/portal/news/2026/11/22/tender-na-osveshchenie-12004.html", "2026-11-22T16:45:00+05:00"),
)


def handle(path: str, query: dict[str, list[str]], base: str) -> tuple[int, dict[str, str], bytes] | None:
    """Answer /portal/sitemap.xml; None for every other path."""
    if path != "/portal/sitemap.xml":
        return None
    urls = "".join(
        f"<url><loc>{base}{href}</loc><news:news><news:publication_date>{when}</news:publication_date>"
        "</news:news></url>"
        for href, when in ARTICLES
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{urls}</urlset>\n'
    )
    return 200, {"Content-Type": "application/xml; charset=utf-8"}, body.encode("utf-8")
