"""Phone numbers of WhatsApp chats: authors and @-mentions hashed with a salt.

Authors that are phone numbers are stored as ``phone:<16 hex>``, a salted SHA-256 of the digits,
unless ``keep_phone_numbers`` is true. The runner passes the salt as ``options["_salt"]``. WhatsApp
also names a sender who is not a contact ``~ +7 701 123 4567`` or ``+7 701 123 4567 ~ Аня`` (the
name they gave themselves): the number is hashed the same way and the name kept as
``raw["author_name"]``; ``~ Аня`` alone is a name and stays.
@-mentions of a number in the text (``@77011234567``, ``@+7 701 123 4567``, the number maybe
wrapped in U+2068…U+2069) become ``@phone:<16 hex>`` the same way, so a mention matches that
participant's author id; ``external_id`` is still computed from the text as exported. A ``+``
number in groups ends with the group that brings a ``+7`` number to 11 digits, any other (or a
``+7`` one whose groups do not stop at 11) with the last group that keeps it within 15 (E.164),
so ``@+7 701 123 4567 5000 тг`` keeps its ``5000``; so does a Kazakh or Russian number in groups
without the plus (``@8 701 123 45 67``, all that is left of an iOS mention whose marks an older
import stripped). Such a number of 11 digits that starts with 8 (the trunk prefix of +7) is hashed
as its ``+7`` form, the form in which WhatsApp names an author who is not a contact, so the
mention matches the author. Authors are hashed as exported (their hash is part of
``external_id``). Mentions that imports made before mention hashing stored in clear, and authors
in the ``~`` forms, are hashed in the database before the next import (``batch.whatsapp_scrub``).
"""

from __future__ import annotations

import hashlib
import re

# invisible direction marks WhatsApp puts around names, numbers and notices (not U+200D, emoji use it)
MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_PHONE = re.compile(r"^\+?[\d\s\-().]{7,}$")
# an @-mention of someone not in the exporter's contacts: iOS wraps the number in U+2068…U+2069 (as it
# wraps names, which the is_phone check leaves alone); otherwise +digits in groups, a Kazakh or Russian
# number in groups without the plus (what is left of an iOS mention whose marks an older import
# stripped: «@8 701 123 45 67»), or a bare digit run. Groups stop where the number must end, or
# "@+7 701 123 4567 5000 тг" would hash the sum with it.
_MENTION = re.compile(
    r"""(?<!\w)@[\u200e\u200f\u202a-\u202e\u2066\u2067]*
    (?:\u2068(?P<isolated>[^\u2069\n]{1,60})\u2069
    |\u2068?(?P<number>
        \+7(?:[\x20\u00a0\u202f()\-]{0,2}\d){10}(?!\d)  # Kazakhstan, Russia: 11 digits, then a group ends
        |\+\d(?:[\x20\u00a0\u202f()\-]{0,2}\d){6,14}(?!\d)  # other numbers: up to 15 (E.164), ditto
        |[78](?:[\x20\u00a0\u202f()\-]{0,2}\d){10}(?!\d)  # the same 11 digits without the plus
        |\d{7,}))""",
    re.VERBOSE,
)


def hash_phone(author: str, salt: str) -> str:
    """``phone:`` and the first 16 hex digits of SHA-256 over the salt and the number's digits."""
    digits = "".join(ch for ch in author if ch.isdigit())
    return "phone:" + hashlib.sha256((salt + digits).encode("utf-8")).hexdigest()[:16]


def is_phone(author: str) -> bool:
    """Whether an author name is a phone number (the sender is not in the exporter's contacts)."""
    return bool(_PHONE.match(author)) and sum(ch.isdigit() for ch in author) >= 7


def phone_author(author: str) -> tuple[str, str] | None:
    """(number, the name they gave themselves or "") when an author is a phone number as WhatsApp
    writes one who is not a contact: ``+7 701 123 4567``, ``~ +7 701 123 4567`` or
    ``+7 701 123 4567 ~ Аня``; None for a name (``~ Аня`` too)."""
    number, _, name = MARKS.sub("", author).strip().removeprefix("~").partition("~")
    number = number.strip()
    return (number, name.strip()) if is_phone(number) else None


def hash_mentions(text: str, salt: str) -> str:
    """The text with each @-mention of a phone number replaced by ``@`` and its ``hash_phone`` id."""

    def replace(m: re.Match[str]) -> str:
        number = MARKS.sub("", m["isolated"] or m["number"]).strip()
        if not is_phone(number):
            return m[0]
        digits = "".join(ch for ch in number if ch.isdigit())
        if not number.startswith("+") and len(digits) == 11 and digits[0] == "8":
            number = "7" + digits[1:]  # 8 is the trunk prefix of +7: «8 701…» is the author «+7 701…»
        return "@" + hash_phone(number, salt)

    return _MENTION.sub(replace, text)
