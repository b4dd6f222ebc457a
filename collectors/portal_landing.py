"""What the page a portal's redirect ended at says of itself, for ``portal_ids`` to judge the redirect:
whether it asks the reader to log in (:func:`asks_to_log_in`), whether the site's menu lists it, as it
lists a section and never an article (:func:`menus_link`), whether it says it is not found, a page
of error that answers 200 (:func:`says_not_found`), and whether it says it is an article
(:func:`says_it_is_an_article`: then no menu and no word of its path refuses it). Pure functions of
the page's HTML, URL and extracted title. Each answers "yes" only on a sound sign: a "yes" refuses a page (an article taken
down, a listing failed), and a lost article or a failed listing costs more than a junk version.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html

from collectors.extract import find_title, json_ld_articles
from collectors.html_page import parse_tree
from collectors.page_chrome import clean
from collectors.portal_discovery import absolute_url, normalise_url, parse_listing, site_of
from errors import ParseError

PASSWORD_FIELD = re.compile(r"""<input\b[^>]*\btype\s*=\s*["']?password\b""", re.IGNORECASE)

# A page's headline that names a login page, whole: «Вход», «Вход / Регистрация», «Sign in»; not an
# article's «Вход в метро закроют на ремонт», which only begins with the word.
_LOGIN_HEADLINES = frozenset(
    {
        *("вход", "войти", "войдите", "вход на сайт", "вход в систему", "вход в аккаунт", "авторизация"),
        *("авторизуйтесь", "личный кабинет", "вход в личный кабинет", "вход для подписчиков"),
        *("login", "log in", "sign in", "signin", "кіру", "жүйеге кіру", "жеке кабинет"),
    }
)
_SIGN_UP_HEADLINES = frozenset({"регистрация", "зарегистрироваться", "register", "sign up", "тіркелу"})
_HEADLINE_PARTS = re.compile(r"\s*(?:[/|•·,]|\s(?:или|и|or|немесе)\s)\s*")
# Where a site keeps what every page shows: its header, menus, footer, sidebars, the boxes a sign-in
# button opens, and what the page hides (a sign-in box with its own «Вход» headline, shown by a
# script). A password field there is a sign-in box beside the page's content.
_CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
_CHROME_NAMES = re.compile(r"modal|popup|pop-up|dropdown|overlay|header", re.IGNORECASE)
_HIDDEN_CLASSES = frozenset({"hidden", "hide", "d-none", "is-hidden", "invisible", "sr-only"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Where a page keeps its own content, apart from what every page of the site shows
_CONTENT = "ancestor-or-self::*[self::main or self::article or @role='main']"
# Links of a site's menus that are no section's: a crumb of the path to the page, a language switch,
# a share or comments link, a box of popular or pinned stories, a ticker of the latest headlines
# (each may link the page itself, an article too)
_NOT_MENU_NAMES = re.compile(
    r"breadcrumb|lang|lng|locale|i18n|share|social|comment|popular|pinned|trend|most|related|hot-|top-news"
    r"|ticker|lenta|breaking|latest|last-news|main-news|newsline|news-line|headlines|marquee|slider|carousel",
    re.IGNORECASE,
)
# A list in the page's header outside its <nav> is a menu only when it is named so (review: a ticker
# of the latest headlines in the header listed a live article under its short headline)
_MENU_NAMES = re.compile(r"menu|nav", re.IGNORECASE)
# A section's label in its menu is short («Политика», «Новости Казахстана»); an article's headline is
# longer, so a pinned story labelled by its whole headline is not taken for a section.
_MENU_LABEL_WORDS = 4
# A page of error's headline, or a part of it between separators («404 — Вестник»), is only the
# error's words: «404», «Ошибка 404», «Страница не найдена», «Page not found», «Бет табылмады»; not a
# news headline that holds them («Рейс 404 задержан», «Missing climber still not found»).
_NOT_FOUND = re.compile(
    r"(?<![\w-])404(?![\w-])|страниц\w* не (?:найден\w*|существует)|not found|бет табылмады",
    re.IGNORECASE,
)
_ERROR_WORDS = frozenset(
    {
        *("404", "ошибка", "упс", "ой", "извините", "увы", "к", "сожалению", "код", "страница"),
        *("страницы", "не", "найдена", "найден", "существует", "запрашиваемая", "запрошенная"),
        *("error", "oops", "sorry", "http", "the", "page", "not", "found", "бет", "табылмады", "қате"),
    }
)
_TITLE_PARTS = re.compile(r"\s+[-|\u2014\u2013•»·:]\s+|\s*[|!]\s*")


def _names(el: lxml.html.HtmlElement) -> str:
    return " ".join(filter(None, (el.get("class"), el.get("id"), el.get("aria-label"), el.get("itemtype"))))


def _tree(html: str, url: str | None = None) -> lxml.html.HtmlElement | None:
    try:
        return parse_tree(html, url)
    except ParseError:
        return None


def _hidden(el: lxml.html.HtmlElement) -> bool:
    return (
        el.get("hidden") is not None
        or (el.get("aria-hidden") or "").strip().lower() == "true"
        or bool(_HIDDEN_STYLE.search(el.get("style") or ""))
        or bool(_HIDDEN_CLASSES & set((el.get("class") or "").lower().split()))
    )


def _in_chrome(el: lxml.html.HtmlElement) -> bool:
    """Whether ``el`` sits in the site's header, menus, footer, sidebar, a box a button opens, or a
    hidden element."""
    return any(
        isinstance(e.tag, str) and (e.tag in _CHROME_TAGS or _CHROME_NAMES.search(_names(e)) or _hidden(e))
        for e in (el, *el.iterancestors())
    )


def asks_to_log_in(html: str, url: str, pattern: re.Pattern[str] | None = None) -> bool:
    """Whether the page at ``url`` is a login page by what it shows: its headline is one (``Вход``,
    ``Авторизация``, ``Sign in``, with ``/ Регистрация`` at most), and a password field sits in its
    content, not in the site's header, menus, footer, sidebar, a sign-in box that a button opens or a
    hidden one. A headline the page does not declare (its <h1>, when its title is only the site's
    name) tells it only on a page that does not say it is an article and that links one article at
    most (as ``pattern`` and the path heuristic read its links), or whose <h1> and password field are
    in its main content: a sign-in box hidden by the site's stylesheet may hold its own <h1>Вход</h1>
    on every page, the home page's too (review: the home page failed as a login wall)."""
    tree = _tree(html) if PASSWORD_FIELD.search(html) else None
    fields = _content_fields(tree) if tree is not None else []
    if tree is None or not fields:
        return False
    declared = _declared_headline(tree)
    if declared is not None:
        return _login_headline(declared)
    shown = [h for h in tree.iter("h1") if not _in_chrome(h)]
    # the content's own <h1> first: a sign-in box before it holds one too
    h1 = next((h for h in shown if h.xpath(_CONTENT)), next(iter(shown), None))
    if h1 is None or not _login_headline(clean(h1.text_content())) or _says_article(tree):
        return False
    if h1.xpath(_CONTENT) and any(field.xpath(_CONTENT) for field in fields):
        return True
    return len(parse_listing(html, url, article_pattern=pattern)[0]) <= 1


def password_form(html: str) -> bool:
    """Whether the page shows a password field in its content (not in the site's header, menus,
    footer, sidebar, a sign-in box that a button opens or a hidden one) and does not say it is an
    article (:func:`says_it_is_an_article`)."""
    tree = _tree(html) if PASSWORD_FIELD.search(html) else None
    return tree is not None and bool(_content_fields(tree)) and not _says_article(tree)


def _content_fields(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    fields = tree.xpath("//input[translate(@type, 'PASSWORD', 'password') = 'password']")
    return [field for field in fields if not _in_chrome(field)]


def _declared_headline(tree: lxml.html.HtmlElement) -> str | None:
    """The page's headline as the page declares it (og:title, else its <title> without the site's
    name); None when it declares none, or only the site's name (``og:site_name``). Not the first <h1>
    of the page: a sign-in box on every page may hold one («Вход») above a listing whose title is
    «Новости» (review: such listings failed as login walls)."""
    head = tree.find("head")
    declared = find_title(head) if head is not None else None  # no <h1> in <head>: og:title or <title>
    site = next((clean(m.get("content")) for m in tree.xpath("//meta[@property='og:site_name']")), "")
    if declared and clean(declared).lower() != site.lower():
        return declared
    return None


def says_it_is_an_article(html: str) -> bool:
    """Whether the page says it is an article: ``og:type`` ``article``, a JSON-LD ``NewsArticle``,
    ``Article`` or ``BlogPosting``, an ``article:published_time``, or an <h1> inside an <article>."""
    tree = _tree(html)
    return tree is not None and _says_article(tree)


def _says_article(tree: lxml.html.HtmlElement) -> bool:
    metas = {
        (m.get("property") or m.get("name") or "").strip().lower(): (m.get("content") or "").strip().lower()
        for m in tree.iter("meta")
    }
    return (
        metas.get("og:type") == "article"
        or bool(metas.get("article:published_time"))
        or bool(tree.xpath("//article//h1"))
        or bool(json_ld_articles(tree))
    )


def _login_headline(text: str) -> bool:
    parts = [re.sub(r"[^\w\s]", "", part).strip() for part in _HEADLINE_PARTS.split(clean(text).lower())]
    parts = [part for part in parts if part]
    return any(part in _LOGIN_HEADLINES for part in parts) and all(
        part in _LOGIN_HEADLINES or part in _SIGN_UP_HEADLINES for part in parts
    )


def says_not_found(title: str | None, *, parts: bool = True) -> bool:
    """Whether the page's headline (its extracted title) says it is not found: it, or with ``parts`` a
    part of it between separators (``404 — Вестник``), is only an error's words (``404``, ``Ошибка 404``,
    ``Страница не найдена``, ``Page not found``). Without ``parts``, the whole headline: «Ошибка 404 —
    почему не работает eGov» is news."""
    for part in _TITLE_PARTS.split(title or "") if parts else [title or ""]:
        words = re.findall(r"\w+", part.lower())
        if _NOT_FOUND.search(part) and all(word in _ERROR_WORDS for word in words):
            return True
    return False


def menus_link(html: str, url: str, headline: str | None) -> bool:
    """Whether the page at ``url`` is a section its site's menu lists: an item of a menu list (a
    ``<li>`` in the page's ``<nav>`` or ``<header>``) links it under a short label that is the page's
    headline (``headline``, or one of its ``<h1>``): «Политика» for ``/politics/``. Not a link with a
    fragment (``#comments``), a date, a language switch, a breadcrumb, a share or popular box, nor one
    in an article, a headline or the footer, nor a list in the ``<header>`` outside its ``<nav>`` that
    is not named a menu (a ticker of the latest headlines): those link articles, the page itself too."""
    tree = _tree(html, url)
    if tree is None:
        return False
    titles = {_label(text) for text in (headline, *(h.text_content() for h in tree.iter("h1")))}
    titles.discard("")
    here = _key(url)
    for a in tree.xpath("//nav//li//a[@href] | //header//li//a[@href]"):
        href = a.get("href", "")
        label = _label(a.text_content())
        if (
            "#" in href
            or label not in titles
            or len(label.split()) > _MENU_LABEL_WORDS
            or a.get("hreflang")
            or "bookmark" in (a.get("rel") or "").lower()
            or a.xpath(".//time")
        ):
            continue
        around = list(a.iterancestors())
        if (
            any(el.tag in ("article", "main", "footer", "h1", "h2", "h3") for el in around)
            or any(_NOT_MENU_NAMES.search(_names(el)) for el in (a, *around))
            or not _in_a_menu(around)
        ):
            continue
        target = absolute_url(url, href)
        if target and _key(target) == here:
            return True
    return False


def _in_a_menu(around: list[lxml.html.HtmlElement]) -> bool:
    # a <nav>, or a list named a menu inside the <header>
    for el in around:
        if el.tag == "nav":
            return True
        if el.tag == "header":
            return False
        if _MENU_NAMES.search(_names(el)):
            return True
    return False


def _label(text: str | None) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))


def _key(url: str) -> tuple[str, str, str]:
    # /politics and /politics/, http and https, www or not: the same page
    parts = urlsplit(normalise_url(url))
    return site_of(url), parts.path.rstrip("/"), parts.query
