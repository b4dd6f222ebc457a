"""What the page a portal's redirect ended at says of itself, for ``portal_ids`` to judge the redirect:
whether it asks the reader to log in (:func:`asks_to_log_in`), whether the site's menus link it, as
they link a section or a page about the site and never an article (:func:`menus_link`), and whether it
says it is not found, a page of error that answers 200 (:func:`says_not_found`). Pure functions of the
page's HTML, URL and extracted title.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html

from collectors.extract import find_title
from collectors.html_page import parse_tree
from collectors.page_chrome import clean
from collectors.portal_discovery import absolute_url, normalise_url, site_of
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
# Where a site keeps what every page shows: its header, menus, footer, sidebars, and the boxes a
# sign-in button opens. A password field there is a sign-in box beside the page's content.
_CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
_CHROME_NAMES = re.compile(r"modal|popup|pop-up|dropdown|overlay|header", re.IGNORECASE)
# Links of a site's menus that are no menu's: a crumb of the path to the page, a language switch (both
# may link the page itself, an article too)
_NOT_MENU_NAMES = re.compile(r"breadcrumb|lang", re.IGNORECASE)
# A page of error's headline: «404», «Страница не найдена», «Page not found», «Бет табылмады»; a short
# one, so that no news headline that holds the words («Ребёнок не найден», «Закон № 404-ФЗ») is taken
# for one.
_NOT_FOUND = re.compile(
    r"(?<![\w-])404(?![\w-])|страниц\w* не (?:найден\w*|существует)|page not found|not found|бет табылмады",
    re.IGNORECASE,
)
_NOT_FOUND_WORDS = 6


def _names(el: lxml.html.HtmlElement) -> str:
    return " ".join(filter(None, (el.get("class"), el.get("id"), el.get("aria-label"), el.get("itemtype"))))


def _tree(html: str, url: str | None = None) -> lxml.html.HtmlElement | None:
    try:
        return parse_tree(html, url)
    except ParseError:
        return None


def asks_to_log_in(html: str) -> bool:
    """Whether the page is a login page by what it shows: its headline is one (``Вход``, ``Авторизация``,
    ``Sign in``, with ``/ Регистрация`` at most), and a password field sits in its content, not in the
    site's header, menus, footer, sidebar or a sign-in box that a button opens."""
    if not PASSWORD_FIELD.search(html):
        return False
    tree = _tree(html)
    if tree is None:
        return False
    h1 = next((clean(h.text_content()) for h in tree.iter("h1")), None)
    if not any(_login_headline(text) for text in (find_title(tree), h1) if text):
        return False
    for field in tree.xpath("//input[translate(@type, 'PASSWORD', 'password') = 'password']"):
        around = list(field.iterancestors())
        if not any(el.tag in _CHROME_TAGS or _CHROME_NAMES.search(_names(el)) for el in around):
            return True
    return False


def _login_headline(text: str) -> bool:
    parts = [re.sub(r"[^\w\s]", "", part).strip() for part in _HEADLINE_PARTS.split(clean(text).lower())]
    parts = [part for part in parts if part]
    return any(part in _LOGIN_HEADLINES for part in parts) and all(
        part in _LOGIN_HEADLINES or part in _SIGN_UP_HEADLINES for part in parts
    )


def says_not_found(title: str | None) -> bool:
    """Whether the page's headline (its extracted title) says it is not found: ``404``, ``Страница не
    найдена``, ``Page not found`` in six words or fewer."""
    return bool(title) and len(title.split()) <= _NOT_FOUND_WORDS and _NOT_FOUND.search(title) is not None


def menus_link(html: str, url: str) -> bool:
    """Whether the page at ``url`` is one its site's menus link: a link to it in the page's header, menus
    or footer (not an article's header, a headline, a breadcrumb or a language switch). Sections and
    pages about the site are so linked from every page, themselves included; articles are not."""
    tree = _tree(html, url)
    if tree is None:
        return False
    here = _key(url)
    for a in tree.xpath("//nav//a[@href] | //header//a[@href] | //footer//a[@href]"):
        around = list(a.iterancestors())
        if (
            a.get("hreflang")
            or any(el.tag in ("article", "main", "h1", "h2", "h3") for el in around)
            or any(_NOT_MENU_NAMES.search(_names(el)) for el in (a, *around))
        ):
            continue
        target = absolute_url(url, a.get("href", ""))
        if target and _key(target) == here:
            return True
    return False


def _key(url: str) -> tuple[str, str, str]:
    # /politics and /politics/, http and https, www or not: the same page
    parts = urlsplit(normalise_url(url))
    return site_of(url), parts.path.rstrip("/"), parts.query
