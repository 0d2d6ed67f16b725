"""Play the user at the simulated identity server's login page, over plain HTTP.

On a simulated site there is nobody at a browser: `login_form_filler(username, password)`
returns an `open_browser` callable for `NuheatAuth.sign_in` that GETs the authorize page,
posts the login form with its hidden fields, and follows the 302 to SiteKit's loopback
receiver. It knows the simulator's form, so it lives with the simulator.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Awaitable, Callable
from urllib.parse import urlsplit

import asyncio

import aiohttp

from app.core.errors import AuthError, NetworkError
from app.core.http import read_body, read_text

# A bound on the whole form round trip: the "browser" must never hang a sign-in.
TIMEOUT = aiohttp.ClientTimeout(total=30)


class LoginForm(HTMLParser):
    """The login page's form action and hidden fields (the authorize parameters)."""

    def __init__(self) -> None:
        super().__init__()
        self.action, self.fields = "", {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.action = attrs.get("action", "") or ""
        elif tag == "input" and attrs.get("type") == "hidden" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value", "") or ""


def login_form_filler(username: str, password: str) -> Callable[[str], Awaitable[None]]:
    async def fill_login_form(url: str) -> None:
        try:
            await _fill(url, username, password)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise NetworkError(f"Cannot reach the simulated Nuheat login page ({type(error).__name__}).",
                               hint="Check that the demo site (or the site file's simulator) is running.") from None
    return fill_login_form


async def _fill(url: str, username: str, password: str) -> None:
    # A session of its own: the "browser" keeps no cookies or state of SiteKit's.
    async with aiohttp.ClientSession(timeout=TIMEOUT) as browser:
        async with browser.get(url, allow_redirects=False) as page:
            if page.status in (301, 302, 303):  # refused before showing the form
                location = page.headers["Location"]
            else:
                form = LoginForm()
                form.feed(await read_text(page, what="The simulated Nuheat login page"))
                location = ""
        if not location:
            target = urlsplit(url)._replace(path=form.action or urlsplit(url).path, query="").geturl()
            data = {**form.fields, "username": username, "password": password, "button": "login"}
            async with browser.post(target, data=data, allow_redirects=False) as answer:
                if answer.status not in (301, 302, 303):
                    raise AuthError("Nuheat", "login", "",
                                    message="The simulated Nuheat login page refused the demo account.",
                                    hint="Check the site description's Nuheat username and password.")
                location = answer.headers["Location"]
        async with browser.get(location) as done:  # SiteKit's loopback receiver
            await read_body(done, what="SiteKit's sign-in receiver")
