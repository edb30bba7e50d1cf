"""Sign in and out in a real Chromium: the cookie is HttpOnly and SameSite=Strict."""

from __future__ import annotations

from typing import Any

import pytest

from ..server.conftest import TESTER, Server


@pytest.mark.slow
def test_sign_in_and_out(browser: Any, target: Server) -> None:
    context = browser.new_context(base_url=target.url)
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        response = page.goto("/decisions")
        assert response is not None and response.status == 401
        assert page.locator("#login-form").count() == 1
        page.fill("#token", target.token)
        page.click("#sign-in")
        page.wait_for_selector("#identity")
        assert page.inner_text("#identity") == TESTER
        [cookie] = context.cookies()
        assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("dfr_token", True, "Strict")
        assert page.evaluate("document.cookie") == "", "the page's script can read the token"
        response = page.goto("/decisions")
        assert response is not None and response.status == 200
        page.click("#logout")
        page.wait_for_selector("#login-form")
        response = page.goto("/decisions")
        assert response is not None and response.status == 401
    finally:
        context.close()
