"""The person's time zone, as their browser reports it.

Pages send `X-Time-Zone: <IANA name>` (Intl.DateTimeFormat().resolvedOptions().timeZone) with
every API request (app/web/static/js/api.js). Only a name of the zone database is accepted;
anything else (absent, unknown, too long, a path) is ignored, never an error: the stored zone,
then UTC, is used instead.
"""

from __future__ import annotations

import re
import zoneinfo
from functools import cache

from flask import request

HEADER = "X-Time-Zone"
_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


@cache
def _known_zones() -> frozenset[str]:
    # "localtime" and the like name the server's own settings, not a place.
    return frozenset(zoneinfo.available_timezones()) - {"localtime", "posixrules", "Factory"}


def valid_time_zone(name: object) -> str | None:
    """`name` if it is a zone of the IANA database (1-64 characters), else None."""
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not _SHAPE.fullmatch(name):
        return None
    if name not in _known_zones():
        return None
    return name


def request_time_zone() -> str | None:
    """The valid zone this request's browser reported, or None."""
    return valid_time_zone(request.headers.get(HEADER))
