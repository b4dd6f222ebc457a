"""Screen readers: the yes / no buttons say which item and label they answer; the second look takes a
lowest score to the hundredth (0.01 was refused by the field's step of 0.05). (Focus carried to the
next control by a fragment in the form's address was tried and taken out after a review: the browser
moved it past a refused answer, onto Confirm, and scrolled the "Saved" line out of view.)"""

from __future__ import annotations

import re

from flask.testing import FlaskClient

ITEM = "/item?source=city-portal&id=a-100-c2"
LOOK = "/second-look?label=infrastructure&floor=0.01"


def _button(html: str, attribute: str) -> str:
    return re.search(rf"<button [^>]*{attribute}[^>]*>", html).group(0)


def test_the_yes_and_no_of_the_second_look_name_the_item_and_label(logged_in: FlaskClient) -> None:
    page = logged_in.get(LOOK).get_data(as_text=True)
    row = page.split('data-id="a-100-c2"')[1].split("</tr>")[0]
    assert 'aria-label="yes: city-portal a-100-c2 reports infrastructure"' in _button(row, 'value="yes"')
    assert 'aria-label="no: city-portal a-100-c2 does not report infrastructure"' in _button(
        row, 'value="no"'
    )
    assert re.search(r'<input name="floor" id="s-floor" type="number" min="0" max="1" step="0.01"', page)
    assert "#" not in page.split("</form>")[1].split('action="')[1].split('"')[0]  # no fragment focus


def test_the_item_pages_answers_name_the_item_and_label(logged_in: FlaskClient) -> None:
    page = logged_in.get(ITEM).get_data(as_text=True)
    first = page.split('id="judge-corruption"')[1].split("</form>")[0]
    second = page.split('id="judge-infrastructure"')[1].split("</form>")[0]
    assert 'aria-label="yes: city-portal a-100-c2 reports corruption"' in _button(first, 'value="yes"')
    assert 'aria-label="no: city-portal a-100-c2 does not report infrastructure"' in _button(
        second, 'value="no"'
    )
    assert "formaction" not in page and 'action="/item/decide"' in page


def test_a_lowest_score_from_a_link_is_taken_in_hundredths(logged_in: FlaskClient) -> None:
    # review: floor=0.123 filled the field with a value its step refused, so Apply was blocked
    page = logged_in.get("/second-look?label=infrastructure&floor=0.123").get_data(as_text=True)
    assert re.search(r'<input name="floor" id="s-floor" [^>]*value="0.12"', page)
    assert "floor=0.123" not in page
