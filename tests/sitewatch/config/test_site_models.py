"""Site, camera, permit and zone models, and the checks across them in ``Settings``."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from sitewatch.config import Settings
from sitewatch.config.cameras import CameraSettings, redact_url
from sitewatch.config.permits import PermitSettings
from sitewatch.config.sites import SiteSettings, load_zone
from sitewatch.config.zones import Polygon

SECRET_URL = "rtsp://admin:Hunter2secret@192.0.2.10:554/Streaming/Channels/102"


def site_dict(id_: str = "s1", **fields) -> dict:
    return {"id": id_, "name": id_, "timezone": "Europe/Berlin", **fields}


def camera_dict(id_: str = "c1", site: str = "s1", **fields) -> dict:
    return {"id": id_, "site": site, "url": SECRET_URL, **fields}


def permit_dict(id_: str = "p1", site: str = "s1", **fields) -> dict:
    return {"id": id_, "site": site, "valid_from": "2025-11-03", "valid_to": "2025-11-07", **fields}


def messages(exc: ValidationError) -> list[str]:
    return [str(e.get("ctx", {}).get("error", e["msg"])) for e in exc.errors()]


# -- sites -----------------------------------------------------------------------
@pytest.mark.parametrize("zone", ["Europe/Berlin", "Asia/Shanghai", "UTC", "America/Argentina/Buenos_Aires"])
def test_known_timezones(zone: str) -> None:
    assert SiteSettings.model_validate(site_dict(timezone=zone)).zone.key == zone


@pytest.mark.parametrize(
    ("zone", "hint"),
    [
        ("Europe/Berln", "did you mean 'Europe/Berlin'"),
        ("Mars/Olympus", "e.g."),
        ("../etc/passwd", "e.g."),
        ("", "e.g."),
        ("Europe", "did you mean"),  # a folder of the tz database
        ("zone.tab", "e.g."),  # a file of it that is no zone
    ],
)
def test_unknown_timezones(zone: str, hint: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SiteSettings.model_validate(site_dict(timezone=zone))
    assert any("unknown IANA timezone" in m and hint in m for m in messages(caught.value))
    # The same helper checks `eval make-clips --timezone`.
    with pytest.raises(ValueError, match="unknown IANA timezone"):
        load_zone(zone)


def test_schedule_defaults_and_holiday_checks() -> None:
    assert SiteSettings.model_validate(site_dict()).schedule is None
    with pytest.raises(ValidationError, match="before date"):
        SiteSettings.model_validate(
            site_dict(schedule={"holidays": [{"date": "2025-12-25", "until": "2025-12-20"}]})
        )
    with pytest.raises(ValidationError, match="overlaps holiday 0"):
        SiteSettings.model_validate(
            site_dict(
                schedule={"holidays": [{"date": "2025-12-24", "until": "2025-12-26"}, {"date": "2025-12-25"}]}
            )
        )
    with pytest.raises(ValidationError, match="at least one window"):
        SiteSettings.model_validate(site_dict(schedule={"weekly": [{"days": "mon", "hours": []}]}))


# -- cameras -----------------------------------------------------------------------
def test_camera_url_is_never_shown() -> None:
    camera = CameraSettings.model_validate(camera_dict())
    assert camera.url.get_secret_value() == SECRET_URL
    for text in (
        repr(camera),
        str(camera),
        camera.model_dump_json(),
        json.dumps(camera.model_dump(mode="json")),
    ):
        assert "Hunter2secret" not in text and "admin" not in text
    assert camera.display_url == "rtsp://***@192.0.2.10:554/Streaming/Channels/102"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("rtsp://user:pass@192.0.2.10:554/ch1", "rtsp://***@192.0.2.10:554/ch1"),
        ("rtsp://192.0.2.10/ch1", "rtsp://192.0.2.10/ch1"),
        (
            "http://cam.local/video.cgi?user=admin&pwd=x1&res=hd",
            "http://cam.local/video.cgi?user=***&pwd=***&res=hd",
        ),
        ("https://[2001:db8::1]:8443/live?token=abc", "https://[2001:db8::1]:8443/live?token=***"),
        ("videos/site-a/cam1.mp4", "videos/site-a/cam1.mp4"),
        ("rtsp://u:p@host:99999/x", "rtsp://***"),  # unparseable port: show nothing
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": ""}, "empty"),
        ({"url": "rtsp://admin:Hunter2secret@host/a b"}, "spaces"),
        ({"url": "ftp://admin:Hunter2secret@host/x"}, "unsupported URL scheme 'ftp'"),
        ({"fps": 0}, "greater than 0"),
        ({"fps": 60}, "less than or equal to 30"),
        ({"tiles": "sometimes"}, "'auto', 'on' or 'off'"),
    ],
)
def test_bad_camera_fields_never_echo_the_url(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({"sites": [site_dict()], "cameras": [camera_dict(**fields)]})
    assert message in str(caught.value)
    assert "Hunter2secret" not in str(caught.value) and "Hunter2secret" not in repr(caught.value)


# -- zones -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([[0, 0], [10, 0]], "at least 3 points"),
        ([[0, 0], [10, 10], [20, 20]], "no area"),
        ([[0, 0], [10, 0], [10, -5]], "outside the image"),
    ],
)
def test_bad_polygons(points, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Polygon.model_validate({"points": points})


# -- permits -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("valid_from", "valid_to", "ok"),
    [
        ("2025-11-03", "2025-11-03", True),  # one day
        ("2025-11-04", "2025-11-03", False),
        ("2025-11-03 22:00", "2025-11-03 21:00", False),
        ("2025-11-03 22:00", "2025-11-03 22:00", False),
        ("2025-11-03", "2025-11-02 23:00", False),
        ("2025-11-03T22:00+01:00", "2025-11-03T22:30+02:00", False),  # 21:00Z then 20:30Z
        ("2025-11-03T22:00+01:00", "2025-11-04T06:00+01:00", True),
        ("2025-11-03", "9999-12-31", True),  # a permit without end
    ],
)
def test_permit_bounds_in_order(valid_from: str, valid_to: str, ok: bool) -> None:
    data = permit_dict(valid_from=valid_from, valid_to=valid_to)
    if ok:
        PermitSettings.model_validate(data)
    else:
        with pytest.raises(ValidationError, match="must be after valid_from"):
            PermitSettings.model_validate(data)


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "ok"),
    [
        # mixed bounds are compared in the site's zone (Europe/Berlin, +01:00 in November)
        ("2025-11-03 22:00", "2025-11-03T21:30:00Z", True),  # 22:30 local
        ("2025-11-03 22:00", "2025-11-03T20:30:00Z", False),  # 21:30 local
        ("2025-11-03T23:30:00Z", "2025-11-04", True),  # valid_to date = through the 4th
        ("2025-11-03T23:30:00Z", "9999-12-31", True),  # without end
    ],
)
def test_mixed_permit_bounds_use_the_site_zone(valid_from: str, valid_to: str, ok: bool) -> None:
    data = {"sites": [site_dict()], "permits": [permit_dict(valid_from=valid_from, valid_to=valid_to)]}
    if ok:
        Settings.model_validate(data)
    else:
        with pytest.raises(ValidationError, match="must be after valid_from"):
            Settings.model_validate(data)


# -- cross references ----------------------------------------------------------------
def test_cross_references_report_every_problem_with_its_field() -> None:
    data = {
        "sites": [site_dict("s1"), site_dict("s1")],
        "cameras": [camera_dict("c1", site="s1"), camera_dict("c1", site="s1")],
        "permits": [permit_dict("p1", site="s1")],
    }
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate(data)
    problems = {
        (tuple(e["loc"]), m) for e, m in zip(caught.value.errors(), messages(caught.value), strict=True)
    }
    assert any(loc == ("sites",) and "1.id: duplicate site id 's1'" in m for loc, m in problems)
    # The sites section failed, so only the camera ids are checked, not their sites.
    assert any(loc == ("cameras",) and "duplicate camera id 'c1'" in m for loc, m in problems)

    data = {
        "sites": [site_dict("s1")],
        "cameras": [camera_dict("c1", site="s2")],
        "permits": [permit_dict("p1", site="s3")],
    }
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate(data)
    text = str(caught.value)
    assert "0.site: unknown site 's2' (sites: 's1')" in text
    assert "0.site: unknown site 's3' (sites: 's1')" in text


def test_a_complete_config_builds() -> None:
    settings = Settings.model_validate(
        {
            "sites": [site_dict("s1", schedule={"weekly": [{"days": "mon-sat", "hours": "07:00-19:00"}]})],
            "cameras": [camera_dict("c1", zones={"work": [{"points": [[0, 0], [10, 0], [10, 10]]}]})],
            "permits": [permit_dict(hours=["19:00-23:00", "23:00-06:00"], days="mon-fri")],
            "rules": {"out_of_hours": {"persistence_s": 5}},
        }
    )
    assert settings.rules.out_of_hours.persistence_s == 5
    assert [str(w) for w in settings.permits[0].hours] == ["19:00-23:00", "23:00-06:00"]
    dumped = settings.model_dump(mode="json")
    assert dumped["permits"][0]["days"] == "mon,tue,wed,thu,fri"
    assert dumped["sites"][0]["schedule"]["weekly"][0]["hours"] == ["07:00-19:00"]
    assert dumped["cameras"][0]["url"] == "**********"
