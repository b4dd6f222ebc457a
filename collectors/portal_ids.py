"""The portal's article ids: an article's same-site canonical URL, else the URL it lives at, where a
redirect to another article's URL moves it; the cursor's record of an article whose URL moved; and
the login page an article's URL (:func:`login_page`) or a listing's (:func:`listing_login_page`) may
redirect to instead, and the home page, section or other page of the site that is no article a retired
article's URL redirects to (:func:`sent_away` by the URL, :func:`landed_elsewhere` by the page).

Which page of the site an article's redirect ended at that is no article (:func:`landed_elsewhere`):
one whose headline is only a page of error's words (``404``, ``Страница не найдена``) at an address
that names an error page (``/404.html`` answering 200), or whose whole headline is so at an address
that is no article's (neither the source's ``article_pattern`` nor the path heuristic takes it, it
names no number, it holds nothing of the article's URL); or, at such an address that is no article's,
on a page that does not say it is an article (``portal_landing.says_it_is_an_article``: ``og:type``
``article``, a JSON-LD article, ``article:published_time``, an <h1> in an <article>), one whose path is
only a page's name (``/about/``, ``/contacts/``, ``/search``; ``/tag/<one part>/``, ``/category/…``,
``/author/…``: not ``/authors/ivanov/<slug>`` nor ``/reklama/<slug>``, an author's column or a paid
article), or one the site's menu lists under its own headline (a section: ``/politics/`` as
«Политика»). Anything else is stored as the article: a site moves its articles to addresses that look
like no article's (``/yamy-abaya``), and a lost article costs more than a junk version of one (which
its URL's next visits may replace); so no rule refuses a page for what it lacks (a date, a text: pages of error and
about the site get dates from their copyright lines), for the article links it holds (an article's
«read also» and «popular» boxes hold as many as a section), nor for its date (a site may show an
article's date of change, a site moved to new addresses may show another of its dates).
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from collectors.base import CollectContext
from collectors.extract import Article
from collectors.http import HttpClient, Response, mask_secrets
from collectors.portal_discovery import looks_like_article, normalise_url, parse_listing, site_of
from collectors.portal_landing import (
    asks_to_log_in,
    menus_link,
    password_form,
    says_it_is_an_article,
    says_not_found,
)
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
        # section or a listing, nor a login page: refused before, refuse_redirect; nor a page that is
        # no article by what it shows: refuse_landing): not this article's URL, nor its canonical link
        # (each article would be one item)
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
                ctx.http.validators.pop(mask_secrets(page_url), None)
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


def login_page(url: str, resp: Response, pattern: re.Pattern[str] | None) -> bool:
    """Whether asking for ``url`` was answered by a redirect to a login page, on the site or another
    host: one whose path (or query) names it so (``/login``, ``/user/login?next=...``, ``/вход``), one
    at a URL that is no article's that shows itself so (``portal_landing.asks_to_log_in``: ``/account/``,
    ``/?r=enter``), or another page with a password field in its content (a paywall's:
    ``portal_landing.password_form``) that is no article's, the home page's nor a section's. Not the
    page asked for itself (:func:`same_page`: https, www, a slash, ``/index.php`` for ``/``, a
    language's prefix or query) whatever it shows (review: the home page with a sign-in box failed as
    a login wall), nor the article's own page with a login form in its header, nor the home page with
    one: where a site sends the reader of a removed article."""
    final = normalise_url(resp.url)
    if final == normalise_url(url):
        return False
    parts = urlsplit(final)
    # not an article's own URL with «?provider=sso» added
    if _words(final, query=not _article_url(final, pattern)) & _LOGIN_WORDS:
        return True
    if not resp.content or _article_url(final, pattern) or same_page(url, final):
        return False
    if asks_to_log_in(resp.text, final, pattern):  # at the home page's path too: /?r=enter
        return True
    if parts.path.rstrip("/") == urlsplit(normalise_url(url)).path.rstrip("/") or _names_a_section(
        final, url, pattern
    ):
        return False
    # a password field in the page's own content, not its header's sign-in box (review: a live article
    # moved to a short slug on a site with one on every page was taken for a login page)
    return password_form(resp.text)


def _stem(part: str) -> str:
    return re.sub(r"\.(html?|php|aspx?)$", "", unquote(part).lower())


# The last part of a path that names the page above it (``/index.php``, ``/news/index.html``); the
# names of the home page under a language's prefix (``/ru/main/``)
_INDEX_NAMES = frozenset({"index", "default"})
_HOME_NAMES = frozenset({"main", "home", "glavnaya"})


def same_page(url: str, final: str) -> bool:
    """Whether ``final`` is the page at ``url`` under another address of the same site: http or https,
    www or not, a slash added, ``/index.php`` for ``/``, a language's prefix added (``/ru/news/`` for
    ``/news/``; ``/ru/``, ``/kk-kz/`` or ``/ru/main/`` for the home page) or a language's query
    (``?lang=ru``). Not ``/?r=enter`` for ``/``, ``/lk/``, nor ``/ru/`` for ``/kz/``."""
    if site_of(url) != site_of(final):
        return False
    old, new = urlsplit(normalise_url(url)), urlsplit(normalise_url(final))
    added = set(parse_qsl(new.query, keep_blank_values=True)) - set(
        parse_qsl(old.query, keep_blank_values=True)
    )
    if not all(_LANGUAGE.fullmatch(value.lower()) for _, value in added):
        return False
    before, after = _page_parts(old.path), _page_parts(new.path)
    bare = _without_language(after)  # not /ru/ for /kz/: a page of another language may be a login's
    return before in (after, bare) or (not before and all(part in _HOME_NAMES for part in bare))


def _page_parts(path: str) -> list[str]:
    # the path's parts without .html or .php, and without a last index.php
    parts = [_stem(part) for part in path.split("/") if part]
    return parts[:-1] if parts and parts[-1] in _INDEX_NAMES else parts


def _without_language(parts: list[str]) -> list[str]:
    while parts and _LANGUAGE.fullmatch(parts[0]):
        parts = parts[1:]
    return parts


def _words(url: str, *, query: bool = True) -> set[str]:
    """The parts of the URL's path (without .html, .php...), and with ``query`` the values of its query."""
    parts = urlsplit(url)
    words = {_stem(s) for s in parts.path.split("/")}
    return words | {value.lower() for _, value in parse_qsl(parts.query)} if query else words


# A language's part of a path (``/ru/``, ``/kk-kz/``, ``/rus/``): codes of languages, not any two
# letters (review: ``/lk/`` and ``/my/``, a reader's own pages, passed for a language's home page)
_LANGUAGE = re.compile(
    r"(?:ru|kz|kk|qq|en|uz|ky|kg|tg|tj|tk|az|hy|ka|ge|tr|de|fr|es|it|pt|pl|uk|ua|be|by|zh|cn|ja|jp|ko"
    r"|ar|fa|he|lt|lv|et|ro|bg|sr|cs|sk|hu|fi|sv|nl|el|hi|mn)(?:[-_][a-z]{2})?|rus|kaz|qaz|eng"
)


def listing_login_page(url: str, resp: Response, pattern: re.Pattern[str] | None) -> bool:
    """Whether asking for the listing at ``url`` was answered by a redirect to a login page: one whose
    :func:`login_page` tells (by a password field only if it links no article, or if the page shows
    itself a login page: ``portal_landing.asks_to_log_in``), whose URL is no article's and no
    listing's. A listing's URL holds the listing's last path part (``/ru/news/``, ``/news/?tag=auth``,
    ``/news/category/auth/`` for ``/news/``, whatever their header or their words hold); for the home
    page (``/``, ``/index.php``), it is the home page itself (:func:`same_page`: ``https://www.``,
    ``/ru/``, ``/kk-kz/``, ``/?lang=ru``; not Joomla's ``/ru/?view=login``, nor ``/lk/``) or one
    without a login word in its path or query."""
    final = normalise_url(resp.url)
    if not login_page(url, resp, pattern) or _article_url(final, pattern):
        return False
    path = [part for part in urlsplit(normalise_url(url)).path.split("/") if part]
    last = _stem(path[-1]) if path else ""
    named = bool(last) and last not in _INDEX_NAMES
    if named and last in _words(final, query=False):
        return False
    # A page whose headline names a login and whose content is its password form is one whatever it
    # links beside the form (a box of popular news: review, it was read as the listing, run after run);
    # not a listing with a sign-in box on every page (portal_landing: its headline is the listing's)
    if asks_to_log_in(resp.text, final, pattern):
        return True
    # A password field (no login word in the URL) only on a page that links no article: a site with a
    # sign-in box in its header that sends /kz/ to /ru/, or /novosti/ to /ru/news/, keeps its listing
    # (review: it was refused).
    if (
        not _words(final) & _LOGIN_WORDS
        and len(parse_listing(resp.text, final, article_pattern=pattern)[0]) > 1
    ):
        return False  # a listing's article links, as the listing reads them (not its header's or footer's)
    return named or bool(_words(final) & _LOGIN_WORDS)


def sent_away(url: str, final_url: str, pattern: re.Pattern[str] | None, listings: set[str]) -> bool:
    """Whether asking for the article at ``url`` ended, on the same site, at the site's home page, a
    section above the article (``/news/`` for ``/news/123-...``) or one of the ``listings`` (normalised
    URLs): where many sites send the reader of an article they retired."""
    final = normalise_url(final_url)
    if final == normalise_url(url) or site_of(final) != site_of(url):
        return False
    return final in listings or (not _carries_an_id(final) and _names_a_section(final, url, pattern))


def landed_elsewhere(
    url: str, final_url: str, article: Article, html: str, pattern: re.Pattern[str] | None
) -> str | None:
    """Why the page at ``final_url``, where asking for the article at ``url`` ended on the same site, is
    not that article, for its error (the module's docstring tells the rule); None when it may be.
    ``article`` and ``html``: the page as parsed."""
    final = normalise_url(final_url)
    if final == normalise_url(url) or site_of(final) != site_of(url) or same_article(url, final):
        return None
    # /404.html: a path the heuristic takes for an article's; at any other article's address, a
    # headline «Ошибка 404» is news (review: «Рейс 404 задержан» was refused)
    if _words(final, query=False) & _ERROR_PAGES and says_not_found(article.title):
        return "a page saying it is not found"
    if _article_url(final, pattern) or _carries_an_id(final):
        return None  # another article (``moved``), or this one by its number
    # the whole headline: «Ошибка 404 — почему не работает eGov» is news (review)
    if says_not_found(article.title, parts=False):
        return "a page saying it is not found"
    if says_it_is_an_article(html):
        return None  # whatever its path or the site's menus say (review: live articles were taken down)
    name = _page_name(final)
    if name:
        return f"the site's '{name}' page, not an article"
    if menus_link(html, final, article.title):
        return "a section the site's menu lists, not an article"
    return None


# A path that is only one of these is a page about the site, or a listing the heuristic never takes
# for an article's (``/about/``, ``/ru/contacts.html``, ``/search``); not the words that only keep
# discovery off links (``page``, ``static``, ``user``, ``rubric``...): an article may live under
# them (``/authors/ivanov/<slug>``, ``/reklama/<slug>``: review, live articles were taken down)
_PAGE_NAMES = frozenset(
    {
        *("about", "contacts", "contact", "search", "sitemap", "rss", "feed", "tags", "categories"),
        *("rubrics", "authors", "register", "logout", "reklama", "advert"),
    }
)
# ... or one of these and one part after it: a tag's, a category's or an author's page (``/tag/yamy/``)
_LISTING_NAMES = frozenset({"tag", "tags", "category", "categories", "author"})


def _page_name(url: str) -> str | None:
    """The page's name when the URL's path (without a language's prefix) is only that (``/about/``), or
    a tag's, category's or author's page (``/tag/yamy/``): the name."""
    parts = _without_language(_page_parts(urlsplit(url).path))
    if len(parts) == 1 and parts[0] in _PAGE_NAMES:
        return parts[0]
    if len(parts) == 2 and parts[0] in _LISTING_NAMES:
        return parts[0]
    return None


# A path's part that names a page of error
_ERROR_PAGES = frozenset(
    {
        "404",
        "error",
        "errors",
        "not-found",
        "notfound",
        "page-not-found",
        "error-404",
        "error404",
        "404-error",
    }
)


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
        client.validators.pop(mask_secrets(url), None)
        raise LoginWall(f"redirected to a login page, {shown}: not public", url=url)
    if listings is not None and sent_away(url, resp.url, pattern, listings):
        _refuse(client, url, shown, "the site's home page or a section, not an article")


def refuse_landing(
    client: HttpClient,
    url: str,
    final_url: str,
    article: Article,
    html: str,
    pattern: re.Pattern[str] | None,
) -> None:
    """Raise SentAway when the page that asking for the article at ``url`` ended at, parsed as
    ``article`` from ``html``, is not that article (:func:`landed_elsewhere`); its URL's validators go
    (as in :func:`refuse_redirect`)."""
    why = landed_elsewhere(url, final_url, article, html, pattern)
    if why is not None:
        _refuse(client, url, mask_secrets(final_url), why)


def _refuse(client: HttpClient, url: str, shown: str, why: str) -> None:
    client.validators.pop(mask_secrets(url), None)
    raise SentAway(f"redirected to {shown}, {why}: taken down?", url=url)
