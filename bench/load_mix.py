#!/usr/bin/env python3
"""A bounded loopback load mix against one `pulse serve` (SQLite by default): reporting tools
reading the API, people viewing pages, and, in the second phase, a storm of sign-ins (argon2).

Prints API p50/p99 without and with the storm (and their ratio, measured in the same run), page
and sign-in latencies, and counts of 5xx answers and "database is locked" lines in the server's
log; exits non-zero if there is any of either. Standard library only.

    bench/load_mix.sh                      # builds --release, then runs this
    python3 bench/load_mix.py BASE_URL LOG_FILE [SECONDS_PER_PHASE]
"""
import http.client
import re
import sys
import threading
import time
import urllib.parse

PASSWORD = "bench load mix passphrase"
API_CLIENTS, PAGE_CLIENTS, SIGN_IN_CLIENTS = 8, 4, 8
# Each client stops after this many requests even if the phase has not ended.
MAX_REQUESTS_PER_CLIENT = 20000


class Browser:
    """One keep-alive connection with a cookie jar, like one browser tab."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.origin = base
        self.conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            body = urllib.parse.urlencode(body)
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                cookie_value = rest.split(";", 1)[0]
                if cookie_value:
                    self.cookies[name] = cookie_value
                else:
                    self.cookies.pop(name, None)
        return response.status, text, response.getheader("Location")

    def csrf(self, path):
        _, html, _ = self.request("GET", path)
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def sign_in(self, email):
        token = self.csrf("/login")
        form = {"csrf_token": token, "email": email, "password": PASSWORD}
        return self.request("POST", "/login", form)


def generate_token(base):
    owner = Browser(base)
    status, _, _ = owner.sign_in("owner@acme.bench")
    assert status == 303, f"owner sign-in: {status}"
    screen = "/orgs/acme/settings/api"
    owner.request("POST", f"{screen}/generate", {"csrf_token": owner.csrf(screen)})
    _, html, _ = owner.request("GET", screen)
    return re.search(r'id="api-token"[^>]*value="(pulse_[0-9A-Za-z]+)"', html).group(1)


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}
        self.server_errors = 0

    def add(self, kind, started, status):
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies.setdefault(kind, []).append(elapsed)
            if status >= 500:
                self.server_errors += 1


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


def run_phase(base, token, seconds, storm):
    recorder, stop_at = Recorder(), time.monotonic() + seconds
    auth = {"Authorization": f"Bearer {token}"}

    def api():
        client = Browser(base)
        for i in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() > stop_at:
                return
            path = "/api/v1/feedback?limit=50" if i % 2 else "/api/v1/scores?group_by=month"
            started = time.perf_counter()
            status, _, _ = client.request("GET", path, headers=auth)
            recorder.add("api", started, status)

    def pages(n):
        client = Browser(base)
        assert client.sign_in(f"viewer{n}@acme.bench")[0] == 303
        for i in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() > stop_at:
                return
            started = time.perf_counter()
            status, _, _ = client.request("GET", "/orgs/acme" if i % 2 else "/account")
            recorder.add("page", started, status)

    def sign_ins(n):
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() > stop_at:
                return
            client = Browser(base)
            started = time.perf_counter()
            status, _, _ = client.sign_in(f"signer{n}@acme.bench")
            recorder.add("sign-in", started, status)

    workers = [threading.Thread(target=api) for _ in range(API_CLIENTS)]
    workers += [threading.Thread(target=pages, args=(n,)) for n in range(PAGE_CLIENTS)]
    if storm:
        workers += [threading.Thread(target=sign_ins, args=(n,)) for n in range(SIGN_IN_CLIENTS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return recorder


def describe(name, recorder, seconds):
    print(f"== {name}")
    for kind, values in sorted(recorder.latencies.items()):
        print(
            f"   {kind:8} {len(values):6} requests ({len(values) / seconds:7.1f}/s)  "
            f"p50 {percentile(values, 0.50) * 1000:7.1f} ms  p99 {percentile(values, 0.99) * 1000:7.1f} ms"
        )
    print(f"   5xx answers: {recorder.server_errors}")


def main():
    base, log_file = sys.argv[1], sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 15
    token = generate_token(base)
    quiet = run_phase(base, token, seconds, storm=False)
    describe("API reads and page views", quiet, seconds)
    storm = run_phase(base, token, seconds, storm=True)
    describe("the same, plus a sign-in storm", storm, seconds)
    ratio = percentile(storm.latencies["api"], 0.99) / percentile(quiet.latencies["api"], 0.99)
    print(f"API p99 with the storm / without: {ratio:.2f}x")
    with open(log_file, encoding="utf-8", errors="replace") as log:
        locked = sum("database is locked" in line for line in log)
    print(f'"database is locked" in the server log: {locked}')
    if quiet.server_errors or storm.server_errors or locked:
        sys.exit(1)


if __name__ == "__main__":
    main()
