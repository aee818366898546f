"""The feedback form in real Chromium on a 390 px phone: opened from the footer of a task's
page, filled in and sent; the thank-you shows and the row is in the database with the page,
task and language it came from."""

from __future__ import annotations

import psycopg
from playwright.sync_api import expect
from psycopg.rows import dict_row

from tests.browser.conftest import LiveServer, NewPerson

PHONE_390 = {"width": 390, "height": 844}


def test_feedback_sent_from_a_task_page_is_stored_with_where_it_came_from(
    live_server: LiveServer, new_person: NewPerson, database_url: str
) -> None:
    page = new_person(viewport=PHONE_390)
    page.goto(f"{live_server.url}/speak/hi")
    page.locator(".site-footer").get_by_role("link", name="Send feedback").click()
    expect(page).to_have_url(f"{live_server.url}/feedback?from=/speak/hi")
    expect(page.get_by_role("heading", name="Tell us what you think")).to_be_visible()

    # Nothing chosen yet: the form says so at the field, and sends nothing.
    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator("#category-error")).to_have_text(
        "Please choose what your feedback is about."
    )
    expect(page.get_by_label("What is it about?")).to_have_attribute("aria-invalid", "true")

    page.get_by_role("group", name="How would you rate your experience?").get_by_label("4").check()
    page.get_by_label("What is it about?").select_option("suggestion")
    message = page.get_by_label("Your message")
    message.fill("वाक्य थोड़ा बड़ा दिखाइए।")
    expect(page.locator("#message-count")).to_have_text("976 characters left")
    recommend = page.get_by_role("group", name="Would you recommend this site to a friend?")
    recommend.get_by_label("Yes").check()
    page.get_by_role("group", name="Would you come back to contribute again?").get_by_label(
        "Maybe"
    ).check()
    page.get_by_role("button", name="Send feedback").click()

    thanks = page.get_by_role("heading", name="Thank you for your feedback.")
    expect(thanks).to_be_visible()
    expect(thanks).to_be_focused()
    expect(page.locator("#feedback-form")).to_be_hidden()
    expect(page.get_by_role("link", name="Back to where you were")).to_have_attribute(
        "href", "/speak/hi"
    )
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        rows = conn.execute(
            "SELECT contributor_id IS NOT NULL AS had_session, category, rating, message,"
            " would_recommend, would_return, page, task, language_code FROM feedback"
        ).fetchall()
    assert rows == [
        {"had_session": True, "category": "suggestion", "rating": 4,
         "message": "वाक्य थोड़ा बड़ा दिखाइए।", "would_recommend": "yes", "would_return": "maybe",
         "page": "/speak/hi", "task": "speak", "language_code": "hi"},
    ]  # fmt: skip
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
