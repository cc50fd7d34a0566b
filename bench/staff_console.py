"""Measures the staff console (bench/staff_console.sh): signs in as staff through the form,
enrolling the second factor from the key the page shows (RFC 6238, as an authenticator app
would), then requests each page REQUESTS times, one at a time on one kept-alive connection, and
prints each page's size and latency percentiles (the time to the whole body, client included).

    python3 bench/staff_console.py http://127.0.0.1:PORT REQUESTS EMAIL PASSWORD
"""
import base64
import hashlib
import hmac
import http.client
import re
import statistics
import struct
import sys
import time
import urllib.parse

PAGES = [
    ("first page", "/staff/orgs"),
    ("page 100 of 200", "/staff/orgs?page=100"),
    ("last page", "/staff/orgs?page=200"),
    ("search by name", "/staff/orgs?q=globex+partners"),
    ("search by member email", "/staff/orgs?q=owner04242%40client4242.example"),
    ("API access off", "/staff/orgs?api=off"),
    ("token: none", "/staff/orgs?token=none"),
    ("token: working, page 20", "/staff/orgs?token=working&page=20"),
    ("token: in grace", "/staff/orgs?token=grace"),
    ("token: expiring", "/staff/orgs?token=expiring"),
    ("token: expired", "/staff/orgs?token=expired"),
    ("token: exposed", "/staff/orgs?token=exposed"),
    ("requested (oldest first)", "/staff/orgs?requested=on"),
    ("search + API on + working, page 2", "/staff/orgs?q=consulting&api=on&token=working&page=2"),
]


def totp(secret, at=None):
    key = base64.b32decode(secret.replace(" ", "").upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((at or time.time()) // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class Browser:
    def __init__(self, base):
        self.base = base
        url = urllib.parse.urlsplit(base)
        self.conn = http.client.HTTPConnection(url.hostname, url.port)
        self.cookies = {}

    def request(self, method, path, form=None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.base
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key] = val
        return response.status, data

    def csrf(self, path):
        _, page = self.request("GET", path)
        return re.search(rb'name="csrf_token" value="([^"]*)"', page).group(1).decode(), page


def sign_in(browser, email, password):
    token, _ = browser.csrf("/login")
    status, _ = browser.request("POST", "/login", {"csrf_token": token, "email": email, "password": password})
    assert status == 303, status
    token, page = browser.csrf("/login/two-factor")
    secret = re.search(rb"Enter this key instead: <code>([^<]*)</code>", page).group(1).decode()
    status, page = browser.request("POST", "/login/two-factor", {"csrf_token": token, "code": totp(secret)})
    # Signed in: the page shows the new recovery codes once.
    assert status == 200 and b"recovery-codes" in page, status


def percentile(sorted_ms, share):
    return sorted_ms[min(len(sorted_ms) - 1, int(share * len(sorted_ms)))]


def main():
    base, requests, email, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    browser = Browser(base)
    sign_in(browser, email, password)
    print(f"{requests} requests per page, one at a time\n")
    print("| page | rows | size (KB) | p50 ms | p90 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    worst = (0.0, 0)
    for label, path in PAGES:
        browser.request("GET", path)  # warm
        times = []
        size = rows = 0
        for _ in range(requests):
            started = time.perf_counter()
            status, body = browser.request("GET", path)
            times.append((time.perf_counter() - started) * 1000)
            assert status == 200, (path, status)
            size = len(body)
            rows = body.count(b"data-token-state=")
        times.sort()
        p99 = percentile(times, 0.99)
        worst = (max(worst[0], p99), max(worst[1], size))
        print(f"| {label} (`{path}`) | {rows} | {size / 1024:.1f} | {statistics.median(times):.2f} | "
              f"{percentile(times, 0.90):.2f} | {p99:.2f} | {times[-1]:.2f} |")
    print(f"\nlargest page {worst[1] / 1024:.1f} KB (limit 200 KB); worst p99 {worst[0]:.2f} ms (limit 50 ms)")


if __name__ == "__main__":
    main()
