"""The portal's article ids: an article's same-site canonical URL, else the URL it lives at, where a
redirect to another article's URL moves it; the cursor's record of an article whose URL moved; and
the login page an article's URL (:func:`login_page`) or a listing's (:func:`listing_login_page`) may
redirect to instead, and the home page or section a retired article's URL redirects to (:func:`sent_away`).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from collectors.base import CollectContext
from collectors.extract import Article
from collectors.http import HttpClient, Response, mask_secrets, validator_key
from collectors.portal_discovery import looks_like_article, normalise_url, parse_listing, site_of
from collectors.portal_recheck import LoginWall, SentAway

log = logging.getLogger(__name__)


def article_id_of(article: Article, page_url: str, pattern: re.Pattern[str] | None = None) -> str:
    """The article's external id: its same-site canonical URL, else the URL it was fetched from.
    A canonical URL that names the site's home page or a section the article sits in (some sites put
    one on every article) would make every article one item: the page's own URL is the id then."""
    return _id_of(article.canonical_url, page_url, pattern)


def _id_of(canonical: str | None, page_url: str, pattern: re.Pattern[str] | None) -> str:
    if (
        canonical
        and site_of(canonical) == site_of(page_url)
        and not _names_a_section(canonical, page_url, pattern)
    ):
        return normalise_url(canonical)
    return normalise_url(page_url)


def _home_of(url: str, final_url: str, pattern: re.Pattern[str] | None) -> str:
    """Where the article asked for at ``url`` lives: the URL its redirects ended at (``/news/123`` to
    ``/news/123-slug``) when that is an article's URL, else ``url``. Not a login page, nor the home
    page or section a site sends the reader of a removed article to (as a canonical link to them does
    not count either)."""
    final = normalise_url(final_url)
    if final == normalise_url(url) or _names_a_section(final, url, pattern):
        return url
    return final if _article_url(final, pattern) else url


def _article_url(url: str, pattern: re.Pattern[str] | None) -> bool:
    return looks_like_article(url, pattern) or looks_like_article(url)


def _names_a_section(canonical: str, page_url: str, pattern: re.Pattern[str] | None) -> bool:
    # A path above the page's that is no article's: «/» or «/news/» for «/news/123-...». Not one above
    # it that is: «/news/123-slug/» for its AMP, print or second page, which the canonical merges.
    section = urlsplit(canonical).path.rstrip("/")
    page = urlsplit(page_url).path.rstrip("/")
    above = not section or (page != section and page.startswith(section + "/"))
    return above and not looks_like_article(canonical, pattern)


def visit_id(
    article: Article, url: str, final_url: str, entry: dict[str, Any] | None, pattern: re.Pattern[str] | None
) -> tuple[str, str]:
    """(the URL the article visited at ``url`` lives at, its external id), given the URL its redirects
    ended at and its cursor entry (None for a new article)."""
    # A redirect to an article's URL gives a new article its URL, as a canonical link does; its id then
    # comes from the page found there (a canonical link of the page, or that URL): one item whichever
    # of the two URLs a listing or sitemap showed. (The canonical link is the page's own URL when the
    # page has none.) An article stored already keeps its id when its URL starts to redirect, and
    # after: a new id would store it, and each of its comments, a second time.
    home = _home_of(url, final_url, pattern)
    if home == url and _article_url(url, pattern) and normalise_url(final_url) != normalise_url(url):
        # sent away from an article's URL to a page that looks like no article's (not the home page, a
        # section or a listing, nor a login page: refused before, refuse_redirect): not this article's
        # URL, nor its canonical link (each article would be one item)
        article_id = normalise_url(url)
    elif home == url:
        article_id = article_id_of(article, url, pattern)  # a shortlink (/?p=5501) ends at its slug's page
    else:
        canonical = article.canonical_url
        if canonical and normalise_url(canonical) == normalise_url(final_url):
            canonical = home
        article_id = _id_of(canonical, home, pattern)
    if (
        entry is not None
        and entry.get("id")
        and (entry.get("kept_id") or (home != url and article_id != entry["id"] and same_article(url, home)))
    ):
        article_id = entry["id"]
        entry["kept_id"] = True  # and when the cursor files it under the URL it moved to
    return home, article_id


_NUMBER = re.compile(r"\d{3,}")


def same_article(url: str, home: str) -> bool:
    """Whether the URL an article's URL now redirects to is the same article's (a slash or a slug added,
    https, another host name of the site), not another article a site sends the readers of a removed
    one to: its path holds the old path's last part, or the same number of three digits or more."""
    old, new = (urlsplit(normalise_url(u)).path.rstrip("/") for u in (url, home))
    if old == new:
        return True
    last = old.rsplit("/", 1)[-1]
    stem = re.sub(r"\.(html?|php|aspx?)$", "", last)
    numbers = set(_NUMBER.findall(last))
    return bool(stem and stem in new) or bool(numbers & set(_NUMBER.findall(new.rsplit("/", 1)[-1])))


def moved(ctx: CollectContext, known: dict[str, dict[str, Any]], url: str, home: str) -> bool:
    """File the article visited at ``url`` under ``home``, the URL it redirected to, and leave at ``url``
    an entry that names it (so that no later run takes ``url`` for a new article, nor rechecks it).
    False when an entry of ``home`` holds the article already: it goes on, and this visit's is dropped."""
    entry = known[url]
    there = known.get(home)
    log.info("source %s: %s redirects to %s; the article is watched there", ctx.source.name, url, home)
    known[url] = {
        "moved_to": home,
        "published": entry.get("published"),
        "first_seen": entry.get("first_seen"),
        "checked": entry.get("checked"),
    }
    if there is not None and there.get("id") and not there.get("moved_to"):
        for page_url in entry.get("comment_pages", []):  # as when an entry is forgotten (below)
            if page_url not in there.get("comment_pages", []):
                ctx.http.validators.pop(validator_key(page_url), None)
        return False
    known[home] = entry
    return True


# Where a site sends a guest who asks for an article closed to guests: a part of the path (or a value
# of the query: Joomla's «view=login») that is one of these words, not a word inside a slug
# («/news/kak-vosstanovit-login-5501.html» is an article about logins).
_LOGIN_WORDS = frozenset(
    {
        *("login", "log-in", "logon", "signin", "sign-in", "sign_in", "auth", "sso", "wp-login"),
        *("вход", "войти", "кіру"),
    }
)
_PASSWORD_FIELD = re.compile(r"""<input\b[^>]*\btype\s*=\s*["']?password\b""", re.IGNORECASE)


def login_page(url: str, resp: Response, pattern: re.Pattern[str] | None) -> bool:
    """Whether asking for ``url`` was answered by a redirect to a login page, on the site or another
    host: one whose path (or query) names it so (``/login``, ``/user/login?next=...``, ``/вход``), or
    another page with a password field (a paywall's) that is no article's, the home page's nor a
    section's. Not the article's own page with a login form in its header (at its slug URL, or with a
    slash added), nor the home page with one: where a site sends the reader of a removed article."""
    final = normalise_url(resp.url)
    if final == normalise_url(url):
        return False
    parts = urlsplit(final)
    # not an article's own URL with «?provider=sso» added
    if _words(final, query=not _article_url(final, pattern)) & _LOGIN_WORDS:
        return True
    if (
        not resp.content
        or parts.path.rstrip("/") == urlsplit(normalise_url(url)).path.rstrip("/")
        or _article_url(final, pattern)
        or _names_a_section(final, url, pattern)
    ):
        return False
    return _PASSWORD_FIELD.search(resp.text) is not None


def _stem(part: str) -> str:
    return re.sub(r"\.(html?|php|aspx?)$", "", unquote(part).lower())


def _words(url: str, *, query: bool = True) -> set[str]:
    """The parts of the URL's path (without .html, .php...), and with ``query`` the values of its query."""
    parts = urlsplit(url)
    words = {_stem(s) for s in parts.path.split("/")}
    return words | {value.lower() for _, value in parse_qsl(parts.query)} if query else words


def listing_login_page(url: str, resp: Response, pattern: re.Pattern[str] | None) -> bool:
    """Whether asking for the listing at ``url`` was answered by a redirect to a login page: one whose
    :func:`login_page` tells (by a password field only if it links no article), whose URL is no
    article's and no listing's. A listing's URL holds the
    listing's last path part (``/ru/news/``, ``/news/?tag=auth``, ``/news/category/auth/`` for
    ``/news/``, whatever their header or their words hold); for the home page (``/``, ``/index.php``),
    one without a login word in its path or query (``/ru/``)."""
    final = normalise_url(resp.url)
    if not login_page(url, resp, pattern) or _article_url(final, pattern):
        return False
    # A password field (no login word in the URL) only on a page that links no article: a site with a
    # sign-in box in its header that sends /kz/ to /ru/, or /novosti/ to /ru/news/, keeps its listing
    # (review: it was refused).
    if (
        not _words(final) & _LOGIN_WORDS
        and len(parse_listing(resp.text, final, article_pattern=pattern)[0]) > 1
    ):
        return False  # a listing's article links, as the listing reads them (not its header's or footer's)
    path = [part for part in urlsplit(normalise_url(url)).path.split("/") if part]
    last = _stem(path[-1]) if path else ""
    if last and last not in ("index", "default"):
        return last not in _words(final, query=False)
    return bool(_words(final) & _LOGIN_WORDS)


def sent_away(url: str, final_url: str, pattern: re.Pattern[str] | None, listings: set[str]) -> bool:
    """Whether asking for the article at ``url`` ended, on the same site, at the site's home page, a
    section above the article (``/news/`` for ``/news/123-...``) or one of the ``listings`` (normalised
    URLs): where many sites send the reader of an article they retired."""
    final = normalise_url(final_url)
    if final == normalise_url(url) or site_of(final) != site_of(url):
        return False
    return final in listings or (not _carries_an_id(final) and _names_a_section(final, url, pattern))


_ID_KEYS = frozenset({"p", "post", "article", "news", "item", "story", "nid", "aid"})


def _carries_an_id(url: str) -> bool:
    """Whether ``url`` names one thing by a number, where an article may live (review: such redirects
    were taken for the section): an id's query value of 3 digits or more (``/news/?id=5501``,
    ``?p=5501``, ``?news_id=``; not a home page's ``?from=5501``) or a last path part of digits
    (``/news/12``)."""
    parts = urlsplit(url)
    last = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return last.isdigit() or any(
        (key.lower() in _ID_KEYS or key.lower().endswith("id")) and re.search(r"\d{3}", value)
        for key, value in parse_qsl(parts.query)
    )


def refuse_redirect(
    client: HttpClient,
    url: str,
    resp: Response,
    pattern: re.Pattern[str] | None,
    *,
    listing: bool = False,
    listings: set[str] | None = None,
) -> None:
    """Raise LoginWall when asking for ``url`` ended at a login page (:func:`login_page`; with
    ``listing``, :func:`listing_login_page`), and SentAway when ``listings`` are given and it ended at
    the home page, a section or a listing (:func:`sent_away`): even a page that passes for unchanged
    (the one of the last visit). The URL's validators go, so that a page there that answers 304 to
    them is not taken for what the URL held before."""
    shown = mask_secrets(resp.url)
    if (listing_login_page if listing else login_page)(url, resp, pattern):
        client.validators.pop(validator_key(url), None)
        raise LoginWall(f"redirected to a login page, {shown}: not public", url=url)
    if listings is not None and sent_away(url, resp.url, pattern, listings):
        client.validators.pop(validator_key(url), None)
        where = "the site's home page or a section, not an article"
        raise SentAway(f"redirected to {shown}, {where}: taken down?", url=url)
