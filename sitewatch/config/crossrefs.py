"""Checks that span sections: unique ids, cameras and permits that name a site that exists.

The root ``Settings`` calls these from field validators, so they run even when
another section has errors, and all problems are reported in one go. Each
raises ``ConfigProblems`` located relative to the list it checks.
"""

from __future__ import annotations

from collections.abc import Sequence

from sitewatch.config.cameras import CameraSettings
from sitewatch.config.permits import PermitSettings, as_instant, inverted_message, is_aware
from sitewatch.config.problems import Loc, duplicate_id_problems, raise_if_any
from sitewatch.config.sites import SiteSettings


def check_sites(sites: Sequence[SiteSettings]) -> None:
    raise_if_any(duplicate_id_problems((s.id for s in sites), "site"))


def _unknown_site(site_id: str, sites: Sequence[SiteSettings]) -> str:
    known = ", ".join(f"'{s.id}'" for s in sites) or "none are configured"
    return f"unknown site '{site_id}' (sites: {known})"


def check_cameras(cameras: Sequence[CameraSettings], sites: Sequence[SiteSettings] | None) -> None:
    """``sites`` is None when the sites section itself failed: references are then not checked."""
    problems: list[tuple[Loc, str]] = duplicate_id_problems((c.id for c in cameras), "camera")
    if sites is not None:
        site_ids = {s.id for s in sites}
        problems += [
            ((i, "site"), _unknown_site(c.site, sites))
            for i, c in enumerate(cameras)
            if c.site not in site_ids
        ]
    raise_if_any(problems)


def check_permits(permits: Sequence[PermitSettings], sites: Sequence[SiteSettings] | None) -> None:
    problems: list[tuple[Loc, str]] = duplicate_id_problems((p.id for p in permits), "permit")
    if sites is not None:
        by_id = {s.id: s for s in sites}
        for i, permit in enumerate(permits):
            site = by_id.get(permit.site)
            if site is None:
                problems.append(((i, "site"), _unknown_site(permit.site, sites)))
            elif is_aware(permit.valid_from) != is_aware(permit.valid_to):
                # The permit checked same-kind bounds itself; mixed ones need the site's zone.
                start = as_instant(permit.valid_from, site.zone, end=False)
                stop = as_instant(permit.valid_to, site.zone, end=True)
                if not start < stop:
                    problems.append(((i, "valid_to"), inverted_message(permit)))
    raise_if_any(problems)
