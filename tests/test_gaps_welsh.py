"""The gap pages, the ward profile, the printed ward report and the map pieces in Welsh (issue 25)."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import zlib

import pytest
from sqlalchemy import select

from tests.welsh_helpers import english_left, visible_text
from webmap.core.db import db
from webmap.core.models import Asset, Category, Ward


def _html_lang(html: str) -> str:
    return re.search(r'<html lang="([^"]+)"', html).group(1)


def _first_ward(app) -> tuple[str, str]:
    with app.app_context():
        ward = db.session.scalars(select(Ward).order_by(Ward.code)).first()
        return ward.code, ward.name


def _name_in_welsh(app, code: str) -> None:
    """Give a ward, a category and a place of that ward Welsh names, as a Welsh council would."""
    with app.app_context():
        db.session.scalars(select(Ward).where(Ward.code == code)).one().name_cy = "Ward Prawf Gymraeg"
        db.session.get(Category, "youth").label_cy = "Ieuenctid"
        place = db.session.scalars(
            select(Asset).where(Asset.ward_code == code, Asset.status == "approved").order_by(Asset.id)
        ).first()
        place.name_cy = "Neuadd Brawf Gymraeg"
        db.session.commit()


def _mine(html: str) -> str:
    """The page without the "you said, we did" section the feedback feature includes (its own catalogue and tests)."""
    return re.sub(
        r'<section aria-labelledby="trends-heading".*?(?=<section aria-labelledby="needs-heading")',
        "",
        html,
        flags=re.S,
    )


def _welsh(client, url: str) -> str:
    response = client.get(url + ("&" if "?" in url else "?") + "lang=cy")
    assert response.status_code == 200, url
    html = response.get_data(as_text=True)
    assert _html_lang(html) == "cy", url
    return html


def test_gaps_page_in_welsh(sample_app):
    code, _name = _first_ward(sample_app)
    _name_in_welsh(sample_app, code)
    client = sample_app.test_client()
    for url in ("/gaps", "/gaps?category=youth&method=2sfca", "/gaps?category=youth&method=count&deprivation=1"):
        html = _welsh(client, url)
        assert english_left(html) == [], url
        text = visible_text(html)
        assert "Lle nad yw anghenion yn cael eu diwallu" in text
        assert "Wardiau yn nhrefn maint y bwlch" in text
        # The Welsh legend: what the shading means and each class's ward count.
        caption = re.search(r'<figcaption id="legend-caption">([^<]+)</figcaption>', html).group(1)
        assert caption.startswith("Angen heb ei ddiwallu fesul 1,000 o drigolion"), caption
        assert re.search(r"\(\d+ ward\)</span>", html)
        assert "Ward Prawf Gymraeg" in text  # the ward's Welsh name in the ranked table
    youth = _welsh(client, "/gaps?category=youth")
    assert "Lle nad yw anghenion yn cael eu diwallu: Ieuenctid" in visible_text(youth)
    # The map's words travel in the page in Welsh: tooltip lines and the label of wards without a figure.
    assert "Angen heb ei ddiwallu fesul 1,000 o drigolion: " in youth
    assert "Bwlch heb ei gyfrifo" in youth or "heb ei gyfrifo" in youth
    # Its tiles are asked for in Welsh, so a browser never shows a tile cached in English.
    assert re.search(r"/map-tiles/wards/\{z\}/\{x\}/\{y\}\.json\?v=[^\"]*(&|\\u0026)lang=cy", youth)


def test_ward_profile_in_welsh(sample_app):
    code, _name = _first_ward(sample_app)
    _name_in_welsh(sample_app, code)
    html = _welsh(sample_app.test_client(), f"/wards/{code}")
    assert english_left(_mine(html)) == []
    text = visible_text(html)
    assert "<h1>Ward Ward Prawf Gymraeg</h1>" in html
    assert "Angen heb ei ddiwallu ar gyfer pob math o le" in text
    assert "pellter cerdded o 800 m" in text  # the ward's legend
    assert "Ieuenctid" in text and "Neuadd Brawf Gymraeg" in text
    assert "Wardiau cyfagos" in text
    # The map's layer and popup words are Welsh too.
    assert '"Neuadd Brawf Gymraeg"' in html and '"Rhagor am %(name)s"' in html


def test_ward_report_in_welsh(sample_app):
    code, _name = _first_ward(sample_app)
    _name_in_welsh(sample_app, code)
    html = _welsh(sample_app.test_client(), f"/wards/{code}/report")
    assert english_left(html) == []
    text = visible_text(html)
    assert "Ward Prawf Gymraeg: lleoedd lleol a bylchau" in text
    assert "Ffigurau allweddol" in text and "Ffynonellau" in text
    assert "Angen heb ei ddiwallu fesul 1,000 o drigolion" in text  # the legend
    # The date in Welsh, by Babel's locale data.
    assert re.search(
        r"adroddiad \d{1,2} (Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|Tachwedd|Rhagfyr) \d{4}",
        text,
    )


def test_english_pages_unchanged(sample_app):
    code, name = _first_ward(sample_app)
    client = sample_app.test_client()
    gaps = client.get("/gaps?lang=en").get_data(as_text=True)
    assert _html_lang(gaps) == "en-GB"
    assert "<h1>Where needs are not met: all needs</h1>" in gaps
    assert "Unmet need per 1,000 residents (0 = nobody asking is out of reach)" in gaps
    assert re.search(r"\(\d+ wards?\)</span>", gaps)
    assert re.search(r"/map-tiles/wards/[^\"]*(&|\\u0026)lang=en", gaps)  # English tiles for an English page
    ward = client.get(f"/wards/{code}").get_data(as_text=True)
    assert f"<h1>{name} ward</h1>" in ward and "Unmet need for each kind of place" in ward
    report = client.get(f"/wards/{code}/report").get_data(as_text=True)
    assert f"<h1>{name} ward: local places and gaps</h1>" in report
    assert re.search(r"report of \d{1,2} [A-Z][a-z]+ \d{4}", report)


def test_tiles_are_named_and_tagged_by_language(sample_app):
    code, _name = _first_ward(sample_app)
    _name_in_welsh(sample_app, code)
    client = sample_app.test_client()
    found = None
    for z, x, y in ((8, 126, 83), (6, 31, 20), (6, 31, 21), (6, 32, 20), (6, 32, 21)):
        english = client.get(f"/map-tiles/wards/{z}/{x}/{y}.json?lang=en")
        if any(f["properties"]["code"] == code for f in english.get_json()["features"]):
            found = (z, x, y, english)
            break
    if found is None:
        pytest.skip("the sample ward is on none of the tiles tried")
    z, x, y, english = found
    welsh = client.get(f"/map-tiles/wards/{z}/{x}/{y}.json?lang=cy")
    names = {f["properties"]["code"]: f["properties"]["name"] for f in welsh.get_json()["features"]}
    assert names[code] == "Ward Prawf Gymraeg"
    assert english.headers["ETag"] != welsh.headers["ETag"]
    assert "Set-Cookie" not in welsh.headers, "a tile cached for a day must not set the reader's language"
    again = client.get(f"/map-tiles/wards/{z}/{x}/{y}.json?lang=cy", headers={"If-None-Match": english.headers["ETag"]})
    assert again.status_code == 200, "an English tile's ETag must not answer a Welsh request"


def pdf_text(pdf: bytes) -> str:
    """Return the text a PDF shows, page by page, as far as its fonts' ToUnicode maps tell (Chromium's PDFs)."""
    objects = {int(m.group(1)): m.group(2) for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", pdf, re.S)}

    def stream(body: bytes) -> bytes:
        found = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
        if not found:
            return b""
        data = found.group(1)
        return zlib.decompress(data) if b"/FlateDecode" in body[: found.start()] else data

    def cmap(number: int) -> dict[int, str]:
        table: dict[int, str] = {}
        text = stream(objects.get(number, b"")).decode("latin-1")
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                table[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be", "replace")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
            for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                start = int(dst, 16)
                for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    table[code] = chr(start + i)
        return table

    fonts: dict[bytes, dict[int, str]] = {}
    for body in objects.values():
        for name, ref in re.findall(rb"/(\w+) (\d+) 0 R", body):
            font = objects.get(int(ref), b"")
            unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
            if b"/Type /Font" in font and unicode and name not in fonts:
                fonts[name] = cmap(int(unicode.group(1)))
    out = []
    for body in objects.values():
        if b"/Length" not in body or b"/Type" in body.split(b"stream", 1)[0]:
            continue
        try:
            content = stream(body).decode("latin-1")
        except zlib.error:
            continue
        if " Tf" not in content:
            continue
        table: dict[int, str] = {}
        for font, strings in re.findall(r"/(\w+) [\d.]+ Tf|(\[.*?\]\s*TJ|<[0-9A-Fa-f]*>\s*Tj)", content, re.S):
            if font:
                table = fonts.get(font.encode(), {})
                continue
            for hexa in re.findall(r"<([0-9A-Fa-f]*)>", strings):
                out.extend(table.get(int(hexa[i : i + 4], 16), "") for i in range(0, len(hexa), 4))
            out.append(" ")
    return "".join(out)


def _pdf_title(pdf: bytes) -> str:
    """Return the /Title of a PDF's information dictionary (a literal or UTF-16 hex string)."""
    found = re.search(rb"/Title\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))", pdf)
    if not found:
        return ""
    raw = found.group(1)
    if raw.startswith(b"<"):
        data = bytes.fromhex(raw[1:-1].decode("ascii"))
    else:
        data = re.sub(rb"\\(.)", rb"\1", raw[1:-1])
    return data[2:].decode("utf-16-be") if data.startswith(b"\xfe\xff") else data.decode("latin-1")


@pytest.mark.browser
def test_ward_report_prints_in_welsh(page, live_server, tmp_path):
    page.goto(f"{live_server}/gaps?lang=cy")
    link = page.locator("#gap-table tbody tr").first.get_by_role("link")
    code = link.get_attribute("href").split("/wards/", 1)[1].split("?", 1)[0]
    page.goto(f"{live_server}/wards/{code}/report?lang=cy")
    assert page.locator("html").get_attribute("lang") == "cy"
    shown = page.locator("body").inner_text()
    assert "Angen heb ei ddiwallu ar gyfer pob math o le" in shown
    assert english_left(page.content()) == []
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    # Chromium writes the page's <title> into the PDF's information: the Welsh one.
    assert "Adroddiad ward" in _pdf_title(pdf)
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        path = tmp_path / "report.pdf"
        path.write_bytes(pdf)
        text = subprocess.run([pdftotext, str(path), "-"], capture_output=True, text=True, check=True).stdout
    else:  # no poppler here: read the text through the fonts' ToUnicode maps
        text = pdf_text(pdf)
    # Words may be split or joined by the layout's spacing, and "fi" printed as one ligature.
    flat = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    assert "lleoeddlleolabylchau" in flat
    assert "Ffigurauallweddol" in flat
    assert "Angenhebeiddiwallufesul1,000odrigolion" in flat  # the Welsh legend, printed
    assert "Unmetneed" not in flat and "Keyfigures" not in flat


def test_place_tiles_in_welsh(sample_app):
    """A tile of places gives a Welsh reader each place's and ward's Welsh name and Welsh category labels."""
    import math

    code, _name = _first_ward(sample_app)
    _name_in_welsh(sample_app, code)
    with sample_app.app_context():
        place = db.session.scalars(select(Asset).where(Asset.name_cy == "Neuadd Brawf Gymraeg")).one()
        lat, lon = place.lat, place.lon
    z = 17  # close enough that the tile lists its places rather than counting them
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    client = sample_app.test_client()
    welsh = client.get(f"/map-tiles/places/{z}/{x}/{y}.json?lang=cy")
    english = client.get(f"/map-tiles/places/{z}/{x}/{y}.json?lang=en")
    rows = {r[2]: r for r in welsh.get_json()["places"]}
    assert rows[place.id][3] == "Neuadd Brawf Gymraeg" and rows[place.id][5] == "Ward Prawf Gymraeg"
    assert {r[2]: r for r in english.get_json()["places"]}[place.id][3] != "Neuadd Brawf Gymraeg"
    assert welsh.headers["ETag"] != english.headers["ETag"]
