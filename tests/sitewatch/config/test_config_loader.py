"""``load_settings``: YAML in, Settings out, or one line per problem naming file, line and field."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from sitewatch.config import ConfigError, Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "site.yaml"

# Line numbers matter below: the text starts on line 1.
THREE_MISTAKES = """\
sites:
  - id: berlin
    name: Berlin Mitte
    timezone: Europe/Berln
    contractor: Muster Bau GmbH
    schedule:
      weekly:
        - days: mon-sat
          hourz: "07:00-19:00"
cameras:
  - id: gate
    site: berlin
    url: rtsp://user:Hunter2secret@192.0.2.10:554/ch1
permits:
  - id: night-1
    site: berlin
    valid_from: 2025-11-14
    valid_to: 2025-11-03
"""


# Six lines: a site whose weekly schedule entries follow on line 7.
SCHEDULE_HEAD = "sites:\n  - id: a\n    name: A\n    timezone: UTC\n    schedule:\n      weekly:\n"
# Six lines: site 'a' and a permit for it whose valid_to follows on line 7.
PERMIT_HEAD = (
    "sites:\n  - {id: a, name: A, timezone: UTC}\npermits:\n  - id: p\n    site: a\n"
    "    valid_from: 2025-01-01\n"
)


def write(tmp_path: Path, text: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def load_errors(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.path == path
    return caught.value.lines


def test_typo_bad_timezone_and_inverted_permit_one_line_each(tmp_path: Path) -> None:
    path = write(tmp_path, THREE_MISTAKES)
    assert load_errors(path) == [
        f"{path}:4: sites.0.timezone: unknown IANA timezone 'Europe/Berln' (did you mean 'Europe/Berlin'?)",
        f"{path}:9: sites.0.schedule.weekly.0.hourz: unknown key (did you mean 'hours'?)",
        f"{path}:18: permits.0.valid_to: valid_to (2025-11-03) must be after valid_from (2025-11-14)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("detector:\n  confidence: 0.3\n  iuo: 0.5\n", "3: detector.iuo: unknown key (did you mean 'iou'?)"),
        (
            "rules:\n  out_of_hours:\n    persistence_s: -1\n",
            "3: rules.out_of_hours.persistence_s: Input should be greater than or equal to 0",
        ),
        ("siets: []\n", "1: siets: unknown key (did you mean 'sites'?)"),
        (
            "sites:\n  - id: a\n    timezone: UTC\n",
            "2: sites.0.name: required field is missing",  # points at the item that lacks it
        ),
        (
            SCHEDULE_HEAD + "        - days: mon-sun\n          hours: 7-19\n",
            '8: sites.0.schedule.weekly.0.hours: expected hours as "HH:MM-HH:MM"',
        ),
        (
            SCHEDULE_HEAD + '        - days: [mon, tue]\n          hours: ["07:00-12:00", "13:00-13:00"]\n',
            "8: sites.0.schedule.weekly.0.hours.1: a window cannot start and end at the same time",
        ),
        (
            "sites:\n  - {id: a, name: A, timezone: UTC}\ncameras:\n  - id: c\n    site: b\n    url: x.mp4\n",
            "5: cameras.0.site: unknown site 'b' (sites: 'a')",
        ),
        (
            "sites:\n  - {id: a, name: A, timezone: UTC}\n  - {id: a, name: B, timezone: UTC}\n",
            "3: sites.1.id: duplicate site id 'a' (item 0 has it too)",
        ),
        (
            "cameras:\n  - id: c\n    site: a\n    url: x.mp4\n"
            "    zones:\n      work:\n        - points: [[0, 0], [1, 1]]\n",
            "7: cameras.0.zones.work.0.points: a polygon needs at least 3 points, got 2",
        ),
        (
            "detector: [1, 2]\n",
            "1: detector: Input should be a valid dictionary or instance of DetectorSettings",
        ),
        (
            "fixtures:\n  enabled: true\n  still_sec: 20\n",
            "3: fixtures.still_sec: unknown key (did you mean 'still_s'?)",
        ),
        (
            "fixtures:\n  gap_s: 60\n  forget_s: 30\n",
            "1: fixtures: forget_s (30.0) must not be below gap_s (60.0)",
        ),
        (
            "detector:\n  threads: 2\n  threads: 4\n",
            "3: detector.threads: duplicate key (first given on line 2)",
        ),
        (
            "detector:\n  precision: bf16\n",
            "1: detector: precision 'bf16' needs backend: openvino (onnxruntime runs in f32)",
        ),
        (
            "detector:\n  threads: 2\n  streams: 4\n",
            "1: detector: streams (4) cannot exceed threads (2): each stream needs one",
        ),
        (
            "detector:\n  backend: tensorrt\n",
            "2: detector.backend: Input should be 'onnxruntime' or 'openvino'",
        ),
        (
            SCHEDULE_HEAD.replace("weekly", "holidays") + "        - date: 2025-02-30\n",
            "7: sites.0.schedule.holidays.0.date: Input should be a valid date or datetime, day value",
        ),
        (
            PERMIT_HEAD + "    valid_to: 2025-01-01 10:61:00\n",
            "7: permits.0.valid_to: invalid date/time '2025-01-01 10:61:00': minute must be in 0..59",
        ),
        (
            PERMIT_HEAD + "    valid_to: 9999-12-31 22:00\n",
            "7: permits.0.valid_to: a date and time on 9999-12-31 is too close to the end of the calendar",
        ),
        (
            "sites:\n  - id: a\n    name: A\n    timezone: Europe\n",
            "4: sites.0.timezone: unknown IANA timezone 'Europe'",  # a folder of the tz database
        ),
        (
            "push:\n  webhooks:\n    backoff_base_s: 10\n    backoff_cap_s: 5\n",
            "4: push.webhooks.backoff_cap_s: backoff_cap_s (5) must not be below backoff_base_s (10)",
        ),
        # 1 == True in Python, but they are different YAML keys, not a duplicate.
        ("detector:\n  1: a\n  true: b\n", "2: detector.1: Keys should be strings"),
    ],
)
def test_single_problems_name_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    lines = load_errors(path)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}:{expected}"), lines


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("sites:\n  - id: a\n    name: [unclosed\n", 4, "YAML syntax error"),
        ("detector:\n  model: a\n bad: indent\n", 3, "YAML syntax error"),
        ("a: 1\n\tb: 2\n", 2, "YAML syntax error"),
        ("- just\n- a list\n", 1, "the top level must be a mapping"),
        ("a: &a [*a]\n", 1, "a YAML alias refers to the anchor it is inside"),
        ("a: &a {<<: *a}\n", 1, "a YAML alias refers to the anchor it is inside"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", None, "YAML nested too deeply"),
        # "Billion laughs": 10 levels of 10 aliases would be 10**10 values.
        (
            "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10)),
            1,
            "YAML aliases expand to more than 100000 values",
        ),
    ],
)
def test_yaml_syntax_errors_name_the_line(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = write(tmp_path, text)
    lines = load_errors(path)
    where = f"{path}:{line}" if line else f"{path}"
    assert len(lines) == 1 and lines[0].startswith(f"{where}: {problem}"), lines


def test_reused_anchors_and_merge_keys_still_work(tmp_path: Path) -> None:
    text = dedent(
        """\
        rules:
          no_helmet: &fast {close_after_s: 5, cooldown_s: 5}
          out_of_hours:
            <<: {close_after_s: 5}
            persistence_s: 3
        fixtures: {}
        """
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.rules.no_helmet.close_after_s == settings.rules.out_of_hours.close_after_s == 5


def test_empty_sections_count_as_left_out(tmp_path: Path) -> None:
    """``permits:`` with every item commented out is null in YAML, not a wrong type."""
    text = "permits:\n#  - id: p1\nrules:\nstore:\npush:\n  webhooks:\n    targets:\n"
    assert load_settings(write(tmp_path, text)) == Settings()
    text = SCHEDULE_HEAD + "      holidays:\ncameras:\n  - {id: c, site: a, url: x.mp4, zones: {work: }}\n"
    settings = load_settings(write(tmp_path, text))
    assert settings.sites[0].schedule.weekly == () and settings.cameras[0].zones.work == ()


def test_a_permit_without_end_loads(tmp_path: Path) -> None:
    path = write(tmp_path, PERMIT_HEAD + "    valid_to: 9999-12-31\n")
    assert str(load_settings(path).permits[0].valid_to) == "9999-12-31"
    path = write(
        tmp_path, PERMIT_HEAD.replace("2025-01-01", "2025-01-01T22:00+01:00") + "    valid_to: 9999-12-31\n"
    )
    assert str(load_settings(path).permits[0].valid_to) == "9999-12-31"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://sw:Hunter2secret@db/sw", "unsupported database 'mysql'"),
        ("postgresql://sw:Hunter2secret@db:x/sw", "invalid database URL"),
        ("postgresql://sw:Hunter2secret@db:99999/sw", "invalid database URL: port 99999"),
        ("not a url Hunter2secret", "invalid database URL"),
    ],
)
def test_store_url_is_checked_without_showing_it(tmp_path: Path, url: str, problem: str) -> None:
    path = write(tmp_path, f"api: {{}}\nstore:\n  url: {url!r}\n")
    lines = load_errors(path)
    assert len(lines) == 1 and lines[0].startswith(f"{path}:3: store.url: {problem}"), lines
    assert "Hunter2secret" not in lines[0]


def test_missing_and_empty_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert load_errors(missing) == [f"{missing}: cannot read: No such file or directory"]
    assert load_settings(write(tmp_path, "")) == Settings()
    assert load_settings(write(tmp_path, "# only a comment\n")) == Settings()
    assert load_settings(None) == Settings()


def test_yaml_12_scalars_off_and_times_stay_strings(tmp_path: Path) -> None:
    """PyYAML's YAML 1.1 would make ``off`` False and ``22:00`` the number 1320."""
    text = dedent(
        """\
        sites:
          - id: a
            name: A
            timezone: Europe/Berlin
            schedule:
              weekly:
                - days: fri
                  hours: 22:00-02:00
        cameras:
          - id: c
            site: a
            url: clip.mp4
            tiles: off
            fps: 1e0
        detector:
          tiles: on
        """
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.cameras[0].tiles == "off" and settings.detector.tiles == "on"
    assert settings.cameras[0].fps == 1.0
    assert str(settings.sites[0].schedule.weekly[0].hours[0]) == "22:00-02:00"


def test_secrets_never_appear_in_errors(tmp_path: Path) -> None:
    text = THREE_MISTAKES.replace("url: rtsp://", "url: ftp://")
    lines = load_errors(write(tmp_path, text))
    assert any("cameras.0.url: unsupported URL scheme 'ftp'" in line for line in lines)
    assert not any("Hunter2secret" in line for line in lines)


def test_the_example_config_is_valid() -> None:
    settings = load_settings(EXAMPLE)
    assert (len(settings.sites), len(settings.cameras), len(settings.permits)) == (2, 3, 2)
    cameras = {c.id: c for c in settings.cameras}
    sites = {s.id: s for s in settings.sites}
    demo_site = sites[cameras["vtest"].site]
    assert demo_site.timezone == "Europe/Berlin"
    weekly = demo_site.schedule.weekly
    assert [(sorted(w.days), [str(h) for h in w.hours]) for w in weekly] == [
        ([0, 1, 2, 3, 4, 5], ["07:00-19:00"])
    ]
    assert cameras["berlin-gate"].display_url == "rtsp://***@192.0.2.10:554/Streaming/Channels/102"
    assert any(w.crosses_midnight for s in settings.sites for e in s.schedule.weekly for w in e.hours)


def test_the_documented_example_is_the_example_file() -> None:
    """docs/configuration.md shows examples/site.yaml in full; they must not drift apart."""
    doc = (EXAMPLE.parents[1] / "docs" / "configuration.md").read_text()
    section = doc.split("## Complete example", 1)[1]
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert block == EXAMPLE.read_text()


def test_demo_config_tiles_its_far_field_camera():
    """`make demo`'s camera sees 8-15 px heads; at the shipped model's 576 px, 'auto' would not tile it."""
    settings = load_settings(EXAMPLE.with_name("demo.yaml"))
    (camera,) = settings.cameras
    assert camera.id == "vtest" and camera.tiles == "on"
