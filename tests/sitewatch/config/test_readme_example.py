"""The site example in the README is a valid configuration."""

from __future__ import annotations

import re

from sitewatch.config import load_settings

from testdata import REPO


def test_readme_site_example_loads(tmp_path):
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", readme, flags=re.S)
    example = next(b for b in blocks if b.startswith("sites:"))
    path = tmp_path / "site.yaml"
    path.write_text(example)
    settings = load_settings(path)
    assert [s.id for s in settings.sites] == ["berlin-mitte"]
    assert settings.cameras[0].zones.work and settings.permits[0].site == "berlin-mitte"
