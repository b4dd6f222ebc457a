"""Keyboard and screen reader: after a decision or an answer the page comes back at the next control,
the yes / no buttons say which item and label they answer, and the second look takes any lowest score.

The redirects after a decision or an answer carry no fragment of their own, so the browser keeps the
one of the address the form was sent to (RFC 9110, 10.2.2): the fragment is in the form's action or
the button's formaction, and names an element of the page the redirect leads to.
"""

from __future__ import annotations

import re
from html import unescape

from flask.testing import FlaskClient

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
ITEM = "/item?source=city-portal&id=a-100-c2"
LOOK = "/second-look?label=infrastructure&floor=0.01"


def _hidden(form: str) -> dict[str, str]:
    return {k: unescape(v) for k, v in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form)}


def _button(html: str, attribute: str) -> str:
    return re.search(rf"<button [^>]*{attribute}[^>]*>", html).group(0)


def _ids(page: str) -> set[str]:
    return set(re.findall(r' id="([^"]+)"', page))


def test_the_yes_and_no_of_the_second_look_name_the_item_and_label(logged_in: FlaskClient) -> None:
    page = logged_in.get(LOOK).get_data(as_text=True)
    row = page.split('data-id="a-100-c2"')[1].split("</tr>")[0]
    assert 'aria-label="yes: city-portal a-100-c2 reports infrastructure"' in _button(row, 'value="yes"')
    assert 'aria-label="no: city-portal a-100-c2 does not report infrastructure"' in _button(
        row, 'value="no"'
    )
    assert re.search(r'<input name="floor" id="s-floor" type="number" min="0" max="1" step="any"', page)


def test_an_answer_on_the_second_look_comes_back_at_the_next_rows_yes(logged_in: FlaskClient) -> None:
    page = logged_in.get(LOOK).get_data(as_text=True)
    rows = re.findall(r'<tr data-source="([^"]+)" data-id="([^"]+)" id="row-(\d+)">', page)
    assert len(rows) >= 2, rows
    form = page.split(f'data-id="{rows[0][1]}"')[1].split("</form>")[0]
    action = re.search(r'formaction="([^"]+)"', _button(form, 'value="no"')).group(1)
    assert action == "/judge#yes-1"  # the row the next item moves up into
    resp = logged_in.post(action.split("#")[0], data={**_hidden(form), "answer": "no"})
    assert resp.status_code == 302 and "#" not in resp.headers["Location"]  # the browser keeps #yes-1
    after = logged_in.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'id="yes-1"' in after.split(f'data-id="{rows[1][1]}"')[1].split("</tr>")[0]


def test_the_item_pages_answers_name_the_item_and_lead_to_the_next_label_then_confirm(
    logged_in: FlaskClient,
) -> None:
    page = logged_in.get(ITEM).get_data(as_text=True)
    first = page.split('id="judge-corruption"')[1].split("</form>")[0]
    second = page.split('id="judge-infrastructure"')[1].split("</form>")[0]
    yes = _button(first, 'value="yes"')
    assert 'aria-label="yes: city-portal a-100-c2 reports corruption"' in yes
    assert 'aria-label="no: city-portal a-100-c2 does not report infrastructure"' in _button(
        second, 'value="no"'
    )
    assert 'formaction="/judge#judge-infrastructure-yes"' in yes
    assert 'formaction="/judge#confirm"' in _button(second, 'value="no"')
    resp = logged_in.post("/judge", data={**_hidden(first), "answer": "yes"})
    assert resp.status_code == 302 and resp.headers["Location"] == ITEM  # no fragment: the browser keeps it
    after = logged_in.get(ITEM).get_data(as_text=True)
    assert {"judge-infrastructure-yes", "confirm"} <= _ids(after)


def test_a_saved_decision_comes_back_at_its_saved_line(logged_in: FlaskClient) -> None:
    page = logged_in.get(ITEM).get_data(as_text=True)
    form = page.split('<form method="post" action="/item/decide#saved" id="decision">')[1].split("</form>")[0]
    resp = logged_in.post("/item/decide", data={**_hidden(form), "status": "confirmed", "note": ""})
    assert resp.status_code == 302 and "#" not in resp.headers["Location"]
    after = logged_in.get(resp.headers["Location"]).get_data(as_text=True)
    # focusable, so the browser focuses it; the link back to the list is the next Tab
    assert re.search(r'<p class="flash" role="status" id="saved" tabindex="-1">Saved: confirmed', after)
    # A refused decision has no such line: its field asking for attention keeps the focus.
    resp = logged_in.post("/item/decide", data={**_hidden(form), "status": "forwarded", "forwarded_to": " "})
    assert resp.status_code in (409, 422) and "saved" not in _ids(resp.get_data(as_text=True))
