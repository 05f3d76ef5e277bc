"""QR codes as SVG: well-formed, self-contained, and encoding exactly the text given."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
import segno

from app.shared.qr import qr_svg

SVG = "{http://www.w3.org/2000/svg}"
LINK = "https://clinic.example/enrol#Q2xpbmljLWxpbmstY29kZS0xMjM0NTY3ODkw"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own markup, not untrusted input


def dark_modules(svg: str) -> set[tuple[int, int]]:
    """(row, column) of every dark module drawn by segno's line path (border included)."""
    root = parse(svg)
    (path,) = [p for p in root.iter(f"{SVG}path") if p.get("stroke")]
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path.get("d", "")):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a horizontal run of dark modules on row y - 0.5
            run = int(a)
            dark.update((int(y - 0.5), int(x) + i) for i in range(run))
            x += run
    return dark


class TestQrSvg:
    def test_is_well_formed_svg_without_external_references(self) -> None:
        svg = qr_svg(LINK, title="Enrolment link")
        assert not svg.startswith("<?xml")  # inlined into HTML as it is
        root = parse(svg)
        assert root.tag == f"{SVG}svg"
        assert root.findtext(f"{SVG}title") == "Enrolment link"
        tags = {element.tag.removeprefix(SVG) for element in root.iter()}
        assert tags <= {"svg", "title", "g", "path"}  # no <image>, <script>, <style>, <use>
        for element in root.iter():
            for name, value in element.attrib.items():
                assert "href" not in name
                assert "url(" not in value and "http" not in value

    @pytest.mark.parametrize("text", [LINK, "x", "otpauth://totp/Aftercare:a%40b.example?s=X"])
    def test_encodes_exactly_the_text_as_a_full_qr_code(self, text: str) -> None:
        svg = qr_svg(text)
        expected = segno.make_qr(text, error="m")
        assert not expected.is_micro
        border = 4
        wanted = {
            (row + border, column + border)
            for row, line in enumerate(expected.matrix)
            for column, module in enumerate(line)
            if module
        }
        assert dark_modules(svg) == wanted
        size = (len(expected.matrix) + 2 * border) * 4
        root = parse(svg)
        assert (root.get("width"), root.get("height")) == (str(size), str(size))

    def test_has_an_opaque_light_background(self) -> None:
        root = parse(qr_svg(LINK))
        fills = [p.get("fill") for p in root.iter(f"{SVG}path") if p.get("fill")]
        assert fills == ["#fff"]  # scans on a phone in dark mode

    def test_title_is_escaped(self) -> None:
        root = parse(qr_svg(LINK, title="A & <B>"))
        assert root.findtext(f"{SVG}title") == "A & <B>"
