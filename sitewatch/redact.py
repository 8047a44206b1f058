"""What counts as a secret in a URL's query, for every URL sitewatch shows (cameras, databases).

One list for all of them: a camera takes credentials in ``?user=...&pwd=...``,
libpq in ``?password=`` or ``sslpassword=``, psycopg a whole connection string
in ``?conninfo=`` (``dsn`` for psycopg2). A name that merely looks like one is
masked too; showing less is the safe side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

REDACTED = "***"
SECRET_QUERY_KEY = re.compile(r"pass|pwd|token|secret|key|auth|sig|user|conninfo|dsn", re.IGNORECASE)


def redact_query(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Query ``(key, value)`` pairs with the value of every secret-looking key replaced by ``REDACTED``."""
    return [(key, REDACTED if SECRET_QUERY_KEY.search(key) else value) for key, value in pairs]
