"""The PWA's catalogues: en.json and pl.json are static files; the pseudo ones are made from
en.json by the server, only with the pseudo-locales on; other codes are 404."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.clock import FixedClock
from app.config import Settings
from app.i18n.pseudo import placeholders
from app.i18n.pseudo_catalogue import ENGLISH_CATALOGUE, pseudo_catalogue
from app.main import create_app


def test_every_english_string_is_pseudo_with_its_placeholders(client: TestClient) -> None:
    english = json.loads(ENGLISH_CATALOGUE.read_text(encoding="utf-8"))
    for code, start in (("qps-ploc", "⟦"), ("qps-plocm", "\u202b⟦")):
        response = client.get(f"/locales/{code}.json")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/json")
        made = response.json()
        assert set(made) == set(english)
        for key, text in english.items():
            assert made[key].startswith(start), key
            assert placeholders(made[key]) == placeholders(text), key
            assert len(made[key]) >= 1.3 * len(text), key


def test_the_real_catalogues_are_the_static_files(client: TestClient) -> None:
    response = client.get("/locales/en.json")
    assert response.status_code == 200
    assert response.json() == json.loads(ENGLISH_CATALOGUE.read_text(encoding="utf-8"))
    assert "content-security-policy" in response.headers
    assert client.get("/locales/de.json").status_code == 404
    assert client.get("/locales/qps-other.json").status_code == 404


def test_pseudo_catalogues_are_404_with_the_setting_off(
    settings: Settings, clock: FixedClock, engine: object
) -> None:
    off = settings.model_copy(update={"pseudo_locales": False})
    app: FastAPI = create_app(off, clock=clock, engine=engine)  # type: ignore[arg-type]
    with TestClient(app) as browser:
        assert browser.get("/locales/qps-ploc.json").status_code == 404
        assert browser.get("/locales/qps-plocm.json").status_code == 404
        assert browser.get("/locales/en.json").status_code == 200


def test_made_from_any_english_file(tmp_path: Path) -> None:
    english = tmp_path / "en.json"
    english.write_text(json.dumps({"a": "Hello {name}"}), encoding="utf-8")
    assert json.loads(pseudo_catalogue("qps-ploc", english)) == {"a": "⟦Ĥéĺĺö {name} ~~~~⟧"}
