"""QR codes (enrolment links, authenticator set-up) as inline SVG markup, drawn on the server."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str, *, title: str = "QR code", scale: int = 4) -> str:
    """An <svg> element (no XML declaration, no external references) encoding `text`.

    Always a full QR code (never Micro QR, which phone cameras do not read) at error level M,
    which survives a slightly smudged print-out. The namespace is kept so the markup also
    works as a standalone image (e.g. a data: URL), not only inlined in HTML.
    """
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(
        buffer,
        kind="svg",
        scale=scale,
        xmldecl=False,
        svgns=True,
        nl=False,
        light="#fff",  # a transparent background fails to scan on a dark screen
        title=title,
        omitsize=False,
    )
    return buffer.getvalue().decode("utf-8")
