"""Runs the recipes of the Connect page, as its reader would, against the live server: the two
Python recipes (pandas), the Google Sheets Apps Script (under Node, apps_script.js) and the Excel
"From Web" request (with Basic credentials, as the recipe says). The Power Query recipe cannot
run without Power Query; tests/api/connect.rs checks the requests it makes. Every recipe must
load every response the API has, and the Apps Script must keep formulas hidden behind a tab or
a carriage return as text.

usage: recipes_check.py BASE_URL EMAIL PASSWORD SLUG TOKEN DATABASE
"""
import csv
import html.parser
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

import requests

from signin import sign_in


class Snippets(html.parser.HTMLParser):
    """The code of every snippet (`<pre><code>`) on a page, with its language."""

    def __init__(self):
        super().__init__()
        self.found, self.language, self.in_pre = [], None, False

    def handle_starttag(self, tag, attrs):
        self.in_pre = self.in_pre or tag == "pre"
        if tag == "code" and self.in_pre:
            classes = dict(attrs).get("class") or ""
            self.language = classes.removeprefix("language-") or "text"
            self.found.append([self.language, ""])

    def handle_endtag(self, tag):
        if tag == "code":
            self.language = None
        if tag == "pre":
            self.in_pre = False

    def handle_data(self, data):
        if self.language is not None:
            self.found[-1][1] += data


def run(command, token, source, suffix):
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False) as f:
        f.write(source)
    env = dict(os.environ, PULSE_TOKEN=token)
    done = subprocess.run([*command, f.name], env=env, capture_output=True, text=True, timeout=300)
    os.unlink(f.name)
    assert done.returncode == 0, done.stderr
    return done.stdout


# Comments that a spreadsheet would run as formulas: `=` hidden behind a tab or a carriage return.
FORMULAS = {"Formula Tab": "\t=1+1", "Formula CR": '\r=HYPERLINK("http://example.com")'}


def add_formula_comments(database, slug):
    """Two responses with FORMULAS as comments, written straight into the SQLite database as any
    other program writing it could (the import trims such text, so it cannot bring them)."""
    with sqlite3.connect(database) as db:
        org, client = db.execute(
            "SELECT o.id, c.id FROM organisations o JOIN clients c ON c.organisation_id = o.id "
            "WHERE o.slug = ? ORDER BY c.id LIMIT 1",
            (slug,),
        ).fetchone()
        for name, comment in FORMULAS.items():
            db.execute(
                "INSERT INTO feedback (organisation_id, client_id, respondent_name, "
                "respondent_email, score, comment, survey, submitted_at) "
                "VALUES (?, ?, ?, 'formula@example.com', 5, ?, 'Formula check', "
                "'2026-01-15 12:00:00')",
                (org, client, name, comment),
            )


def main(base, email, password, slug, token, database):
    add_formula_comments(database, slug)
    page = sign_in(base, email, password).get(f"{base}/orgs/{slug}/connect")
    page.raise_for_status()
    parser = Snippets()
    parser.feed(page.text)
    snippets = parser.found
    assert [language for language, _ in snippets] == [
        "powerquery", "text", "javascript", "python", "python"
    ], snippets
    total = requests.get(
        f"{base}/api/v1/scores", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ).json()["overall"]["responses"]
    assert total > 0

    out = run([sys.executable], token, snippets[3][1], ".py")
    assert out.startswith(f"{total} responses\n"), out
    print(f"pandas recipe: {out.splitlines()[0]}")
    out = run([sys.executable], token, snippets[4][1], ".py")
    # Changes of the last seconds are held back (sort=updated_at), so a just-seeded server may
    # not list them all yet; contract/run runs this well after seeding.
    changes = int(out.split()[0])
    assert 0 < changes <= total and " changes; next time pass updated_since=" in out, out
    print(f"incremental recipe: {out.strip()}")

    harness = os.path.join(os.path.dirname(os.path.abspath(__file__)), "apps_script.js")
    written = json.loads(run(["node", harness], token, snippets[2][1], ".js"))
    assert written["sheet"] == "Pulse feedback" and len(written["values"]) == total + 1, written["sheet"]
    guarded = {row[3]: row[6] for row in written["values"] if row[3] in FORMULAS}
    assert guarded == {name: "'" + comment for name, comment in FORMULAS.items()}, guarded
    print(f"Apps Script recipe: {len(written['values']) - 1} rows into '{written['sheet']}', "
          f"formulas behind a tab or CR kept as text")

    url = snippets[1][1].strip()
    export = requests.get(url, auth=("pulse", token), timeout=120)
    export.raise_for_status()
    assert export.content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM"
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"), newline="")))
    assert len(rows) == total
    stored = {row["respondent_name"]: row["comment"] for row in rows if row["respondent_name"] in FORMULAS}
    assert stored == FORMULAS, "escape_formulas=false gives the text as stored"
    print(f"From Web URL (Basic credentials): {len(rows)} rows of CSV")


if __name__ == "__main__":
    main(*sys.argv[1:])
