"""Gets an API token the way a person does: signs in through the login form and presses
Generate on the API authentication screen. Prints the token.

usage: signin.py BASE_URL EMAIL PASSWORD ORG_SLUG
"""
import html.parser
import sys

import requests


class Fields(html.parser.HTMLParser):
    """The value of every <input> with an id or a name on a page."""

    def __init__(self):
        super().__init__()
        self.values = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input":
            for key in (attrs.get("id"), attrs.get("name")):
                if key:
                    self.values.setdefault(key, attrs.get("value", ""))


def fields(response):
    response.raise_for_status()
    parser = Fields()
    parser.feed(response.text)
    return parser.values


def sign_in(base, email, password):
    """A browser session signed in through the login form."""
    browser = requests.Session()
    browser.headers["Origin"] = base
    login = fields(browser.get(f"{base}/login"))
    signed_in = browser.post(
        f"{base}/login",
        data={"csrf_token": login["csrf_token"], "email": email, "password": password},
        allow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.status_code
    return browser


def main(base, email, password, slug):
    browser = sign_in(base, email, password)
    screen = f"{base}/orgs/{slug}/settings/api"
    generated = browser.post(
        f"{screen}/generate",
        data={"csrf_token": fields(browser.get(screen))["csrf_token"]},
        allow_redirects=False,
    )
    assert generated.status_code == 303, generated.status_code
    token = fields(browser.get(screen)).get("api-token", "")
    assert token.startswith("pulse_"), "the screen shows no new token"
    print(token)


if __name__ == "__main__":
    main(*sys.argv[1:])
