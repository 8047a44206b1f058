"""``sitewatch check-config``: OK with counts and exit 0, or one line per problem and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from sitewatch.cli import app

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "site.yaml"
runner = CliRunner()

BROKEN = """\
sites:
  - id: berlin
    name: Berlin Mitte
    timezon: Europe/Berlin
  - id: shanghai
    name: Shanghai
    timezone: Asia/Shangai
cameras:
  - id: gate
    site: berlin
    url: rtsp://user:Hunter2secret@192.0.2.10:554/ch1
permits:
  - id: night-1
    site: shanghai
    valid_from: 2025-11-14 22:00:00
    valid_to: 2025-11-03 06:00:00
"""


def test_the_example_passes() -> None:
    result = runner.invoke(app, ["check-config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{EXAMPLE}: OK (2 sites, 3 cameras, 2 permits)\n"


def test_one_line_per_problem_with_its_yaml_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    result = runner.invoke(app, ["check-config", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {path}:4: sites.0.timezon: unknown key (did you mean 'timezone'?)",
        f"error: {path}:7: sites.1.timezone: unknown IANA timezone 'Asia/Shangai' "
        "(did you mean 'Asia/Shanghai'?)",
        f"error: {path}:16: permits.0.valid_to: valid_to (2025-11-03 06:00:00) must be after valid_from "
        "(2025-11-14 22:00:00)",
    ]
    assert "Hunter2secret" not in result.output


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check-config", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and "Traceback" not in result.output


def test_installed_command_exit_codes(tmp_path: Path) -> None:
    """The real entry point, as a shell or CI job would run it."""
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    bad = subprocess.run(
        [sys.executable, "-m", "sitewatch", "check-config", str(path)], capture_output=True, text=True
    )
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 3 and not bad.stdout
    good = subprocess.run(
        [sys.executable, "-m", "sitewatch", "check-config", str(EXAMPLE)], capture_output=True, text=True
    )
    assert good.returncode == 0 and good.stdout.endswith("OK (2 sites, 3 cameras, 2 permits)\n")
