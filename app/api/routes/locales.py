"""GET /locales/qps-ploc.json and /locales/qps-plocm.json: the PWA's pseudo-locale catalogues.

Only these two paths are routes; every other /locales/*.json (en.json, pl.json) is a file the
static serving of app/web answers (404 for one that does not exist). Off unless the settings
turn the pseudo-locales on: then these are 404 too, like a file that is not there.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.deps import SettingsDep
from app.errors import NotFound
from app.i18n.languages import PSEUDO, PSEUDO_RTL
from app.i18n.pseudo_catalogue import pseudo_catalogue

router = APIRouter(tags=["patient device"])


def _catalogue(code: str, settings_on: bool) -> Response:
    if not settings_on:
        raise NotFound("Not Found")
    # no-cache as the static files: a changed en.json is picked up on the next load.
    return Response(pseudo_catalogue(code), media_type="application/json")


@router.get(f"/locales/{PSEUDO}.json", include_in_schema=False)
def pseudo_locale(settings: SettingsDep) -> Response:
    """The accented, longer catalogue: every PWA string must change in it."""
    return _catalogue(PSEUDO, settings.pseudo_locales)


@router.get(f"/locales/{PSEUDO_RTL}.json", include_in_schema=False)
def pseudo_locale_rtl(settings: SettingsDep) -> Response:
    """The same, right to left: the PWA lays the page out from the right with it."""
    return _catalogue(PSEUDO_RTL, settings.pseudo_locales)
