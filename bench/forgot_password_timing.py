"""Times POST /forgot-password for addresses with and without an account (see the .sh)."""
import http.cookiejar
import random
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

BASE, ROUNDS = sys.argv[1], int(sys.argv[2])


def ask(email, client):
    """One request as a browser makes it: the form (for its token and cookie), then the POST,
    timed. Returns (seconds, status, body)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(urllib.request.Request(f"{BASE}/forgot-password", headers={"X-Forwarded-For": client}))
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.read().decode()).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": email}).encode()
    request = urllib.request.Request(
        f"{BASE}/forgot-password", data=data, headers={"Origin": BASE, "X-Forwarded-For": client}
    )
    started = time.perf_counter()
    with opener.open(request) as answer:
        body = answer.read()
        status = answer.status
    return time.perf_counter() - started, status, body


def main():
    asks = [("known", f"known{n}@bench.example") for n in range(ROUNDS)]
    asks += [("unknown", f"nobody{n}@bench.example") for n in range(ROUNDS)]
    random.shuffle(asks)
    times = {"known": [], "unknown": []}
    bodies = set()
    for i, (kind, email) in enumerate(asks):
        seconds, status, body = ask(email, f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
        assert status == 200, (email, status)
        bodies.add(body)
        times[kind].append(seconds * 1000)
    assert len(bodies) == 1, "the answers differ"
    print(f"POST /forgot-password, {ROUNDS} addresses of each kind, interleaved at random, one server")
    print("| addresses | median ms | p90 ms |")
    print("| --- | --- | --- |")
    for kind in ("known", "unknown"):
        values = sorted(times[kind])
        p90 = values[int(len(values) * 0.9) - 1]
        print(f"| {'with an account' if kind == 'known' else 'without'} | {statistics.median(values):.2f} | {p90:.2f} |")
    ratio = statistics.median(times["known"]) / statistics.median(times["unknown"])
    print(f"median ratio (with / without an account): {ratio:.2f}; the answer bytes identical: yes")


main()
