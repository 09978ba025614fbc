"""The HTML report in a real browser: headless Chromium renders it, its charts draw, no secret leaks.

Chromium comes from the Debian package (``apt-get install -y chromium``). Without it the
test is skipped locally; under CI (``CI`` set) a missing browser fails the run instead.
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest

from gateway.migration.normalise import Difference
from gateway.migration.redact import Redactor
from gateway.migration.replay import Outcome
from gateway.migration.report import COLOURS, summarise, write_report
from tests.browser import browse

SECRETS = ("sk_live_SuperSecretKey123456", "real.person@gmail.com")

def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Rows of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes), unfiltered."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, b"", b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        header, chunks = (body, chunks) if kind == b"IHDR" else (header, chunks + body if kind == b"IDAT" else chunks)
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6)
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(chunks), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a, b = line[i - bpp] if i >= bpp else 0, prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pred = [0, a, b, (a + b) // 2,
                    a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c)
                    else c][kind]
            line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line) if bpp == 3 else bytes(v for j in range(0, stride, 4) for v in line[j:j + 3]))
        prev = line
    return width, height, rows


def colour_count(rows: list[bytes], hex_colour: str) -> int:
    rgb = bytes.fromhex(hex_colour.lstrip("#"))
    return sum(1 for row in rows for j in range(0, len(row), 3) if row[j:j + 3] == rgb)


def outcomes() -> list[Outcome]:
    made = [Outcome(i, "GET /v1/orders", 200, 10.0 + i, "GET /api/v1/orders", 200, 5.0 + 2 * i) for i in range(8)]
    made[0].differences = [Difference("items[].buyer_email", "user-1@example.invalid", SECRETS[1]),
                           Difference("items[].note", "x", f"token {SECRETS[0]}")]
    made.append(Outcome(9, "GET /v1/orders", 200, 12.0, "GET /api/v1/orders", 404, 3.0))
    made.append(Outcome(10, "GET /v1/ping", 200, 1.0, no_equivalent="Equaticket has no ping endpoint"))
    return made


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    meta = {"source_dialect": "tickettailor", "target_dialect": "equaticket", "upstream": "http://a.test",
            "started_at": "2026-11-22T10:00:00Z", "target": "http://b.test", "mode": "translated"}
    out = tmp_path_factory.mktemp("report") / "report.html"
    write_report(summarise(outcomes(), meta, Redactor("k")), out)
    return out


def test_report_renders_with_its_charts_and_tables(report):
    dom = browse(report, "--dump-dom").stdout.decode()
    assert "Replay report: tickettailor" in dom
    assert len(re.findall(r'<svg class="latency-chart"', dom)) == 2  # overall and orders; ping drew nothing
    assert len(re.findall(r'<rect class="bar source"', dom)) == 24 and len(re.findall(r'class="bar target"', dom)) == 24
    assert "200 -&gt; 404" in dom and "Equaticket has no ping endpoint" in dom and "items[].buyer_email" in dom


def test_report_charts_draw_pixels(report, tmp_path):
    shot = tmp_path / "shot.png"
    browse(report, f"--screenshot={shot}", "--window-size=1000,1400", "--hide-scrollbars")
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1000, 1400)
    assert colour_count(rows, COLOURS["source"]) > 300 and colour_count(rows, COLOURS["target"]) > 300


def test_report_holds_no_secret_and_loads_nothing_external(report):
    html = report.read_text() + report.with_suffix(".json").read_text()
    for secret in SECRETS:
        assert secret not in html
    assert not re.search(r"<script[^>]+src|<link|@import|src=\"http|url\(http", html, re.I)
