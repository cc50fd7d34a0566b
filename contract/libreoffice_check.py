"""What headless LibreOffice makes of the feedback CSV: downloads it with and without the UTF-8
byte order mark, has `soffice --headless --convert-to xlsx` read each one with its default CSV
import and with the UTF-8 import filter named (`--infilter="CSV:44,34,76"`: comma, double quote,
UTF-8), and counts the rows whose cells differ from the file's own text. The README's CSV notes
come from this. Not part of contract/run (LibreOffice is a large install): needs Debian's
libreoffice-calc (or -nogui) and a server with non-ASCII names, such as `pulse serve --demo`.

usage: libreoffice_check.py BASE_URL TOKEN
"""
import csv
import html
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import requests

UTF8_FILTER = "CSV:44,34,76"


def xlsx_rows(path):
    """The cell texts of the first sheet, row by row (shared and inline strings, numbers)."""
    with zipfile.ZipFile(path) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            xml = book.read("xl/sharedStrings.xml").decode("utf-8")
            for item in re.findall(r"<si>(.*?)</si>", xml, re.S):
                shared.append(html.unescape("".join(re.findall(r"<t[^>]*>(.*?)</t>", item, re.S))))
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    rows = []
    for row in re.findall(r"<row[^>]*>(.*?)</row>", sheet, re.S):
        cells = []
        for attrs, body in re.findall(r"<c([^>]*)>(.*?)</c>", row, re.S):
            value = re.search(r"<v>(.*?)</v>", body, re.S)
            text = html.unescape(value.group(1)) if value else ""
            if 't="s"' in attrs:
                text = shared[int(text)]
            cells.append(text)
        rows.append(cells)
    return rows


def garbled_rows(source, converted):
    """Rows (after the header) with a text cell that reads differently from the source's."""
    def texts(row):
        return [cell for cell in row if cell and not re.fullmatch(r"-?[0-9.]+", cell)]

    return sum(texts(a) != texts(b) for a, b in zip(source[1:], converted[1:]))


def main(base, token):
    soffice = shutil.which("soffice")
    if not soffice:
        sys.exit("needs soffice: apt-get install libreoffice-calc-nogui")
    url = f"{base}/api/v1/feedback.csv"
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        profile = f"-env:UserInstallation=file://{work}/profile"
        print(f"{'file':<12} {'import':<28} rows garbled  first header cell")
        for bom in (False, True):
            raw = requests.get(url, params={"bom": str(bom).lower(), "escape_formulas": "false"},
                               auth=("pulse", token), timeout=120).content
            source = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
            name = "with-bom" if bom else "without-bom"
            (work / f"{name}.csv").write_bytes(raw)
            non_ascii = sum(any(ord(c) > 127 for c in "".join(row)) for row in source[1:])
            for label, options in (("default", []), (f'--infilter="{UTF8_FILTER}"', [f"--infilter={UTF8_FILTER}"])):
                out = work / label.replace('"', "").replace("=", "-").replace(":", "-")
                subprocess.run([soffice, profile, "--headless", *options, "--convert-to", "xlsx",
                                "--outdir", str(out), str(work / f"{name}.csv")],
                               check=True, capture_output=True, timeout=300)
                converted = xlsx_rows(out / f"{name}.xlsx")
                bad = garbled_rows(source, converted)
                print(f"{name:<12} {label:<28} {bad:>4} of {non_ascii} non-ASCII rows  "
                      f"{converted[0][0]!r}")


if __name__ == "__main__":
    main(*sys.argv[1:])
