"""Combining YOLO data sets under sitewatch's classes (models/datasets.py), on small made-up sets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sitewatch.models.datasets import (
    SITEWATCH_CLASSES,
    DataSource,
    build_training_set,
    class_index_map,
    relabel,
)


@pytest.mark.parametrize(
    ("spec", "path", "mapping"),
    [
        ("data.yaml", "data.yaml", {}),
        ("sets/a/data.yaml:hat=helmet,no-hat=head", "sets/a/data.yaml", {"hat": "helmet", "no-hat": "head"}),
        ("data.yaml:worker=person,", "data.yaml", {"worker": "person"}),
    ],
)
def test_parse_source_spec(spec, path, mapping):
    source = DataSource.parse(spec)
    assert source.data_yaml == Path(path) and dict(source.class_map) == mapping


@pytest.mark.parametrize("spec", ["data.yaml:hat", "data.yaml:hat=cap", "data.yaml:=head"])
def test_parse_rejects_bad_mappings(spec):
    with pytest.raises(ValueError, match="bad class mapping"):
        DataSource.parse(spec)


@pytest.mark.parametrize(
    ("names", "mapping", "expected"),
    [
        (["head", "helmet", "person"], {}, {0: 0, 1: 1, 2: 2}),
        (["helmet", "head"], {}, {0: 1, 1: 0}),
        (["hat", "vest", "bare"], {"hat": "helmet", "bare": "head"}, {0: 1, 2: 0}),
    ],
)
def test_class_index_map(names, mapping, expected):
    assert class_index_map(names, mapping) == expected


@pytest.mark.parametrize(
    ("names", "mapping", "message"),
    [
        (["hat", "head"], {}, "not sitewatch classes"),
        (["hat"], {"cap": "helmet"}, "does not have"),
    ],
)
def test_class_index_map_errors(names, mapping, message):
    with pytest.raises(ValueError, match=message):
        class_index_map(names, mapping)


def test_relabel_rewrites_classes_and_drops_unmapped_lines():
    text = "0 0.5 0.5 0.1 0.1\n1 0.2 0.2 0.1 0.1\n\n2 0.7 0.7 0.2 0.3\n"
    assert relabel(text, {0: 1, 2: 0}) == "1 0.5 0.5 0.1 0.1\n0 0.7 0.7 0.2 0.3\n"
    assert relabel("1 0.2 0.2 0.1 0.1\n", {0: 1}) == ""


def make_set(root: Path, names: list[str], labels: dict[str, str]) -> Path:
    for split in ("train", "valid"):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        for stem, text in labels.items():
            (root / split / "images" / f"{stem}.jpg").write_bytes(b"")
            (root / split / "labels" / f"{stem}.txt").write_text(text)
    data = root / "data.yaml"
    data.write_text(yaml.safe_dump({"path": ".", "train": "train/images", "val": "valid/images", "names": names}))
    return data


def test_a_set_with_sitewatch_classes_is_used_in_place(tmp_path):
    data = make_set(tmp_path / "hh", list(SITEWATCH_CLASSES), {"a": "0 0.5 0.5 0.1 0.1\n"})
    spec = yaml.safe_load(build_training_set([DataSource(data)], tmp_path / "work").read_text())
    assert spec["names"] == dict(enumerate(SITEWATCH_CLASSES))
    assert spec["train"] == [str((tmp_path / "hh" / "train" / "images").resolve())]
    assert not (tmp_path / "work" / "0").exists(), "no relabelled copy for a set that needs none"


def test_two_sets_are_combined_with_mapped_classes(tmp_path):
    hh = make_set(tmp_path / "hh", list(SITEWATCH_CLASSES), {"a": "0 0.5 0.5 0.1 0.1\n"})
    other = make_set(tmp_path / "other", ["vest", "hardhat", "nohat"], {"b": "0 .1 .1 .1 .1\n1 .2 .2 .1 .1\n2 .3 .3 .1 .1\n"})
    sources = [DataSource(hh), DataSource.parse(f"{other}:hardhat=helmet,nohat=head")]
    spec = yaml.safe_load(build_training_set(sources, tmp_path / "work").read_text())
    assert len(spec["train"]) == 2 and len(spec["val"]) == 2
    relabelled = Path(spec["train"][1])
    assert relabelled.is_symlink() and relabelled.resolve() == (tmp_path / "other" / "train" / "images").resolve()
    # Ultralytics reads labels beside the images folder: vest dropped, hardhat -> helmet (1), nohat -> head (0).
    assert (relabelled.parent / "labels" / "b.txt").read_text() == "1 .2 .2 .1 .1\n0 .3 .3 .1 .1\n"


def test_a_missing_split_folder_is_named(tmp_path):
    data = make_set(tmp_path / "hh", list(SITEWATCH_CLASSES), {"a": ""})
    (tmp_path / "hh" / "valid" / "images" / "a.jpg").unlink()
    (tmp_path / "hh" / "valid" / "images").rmdir()
    with pytest.raises(FileNotFoundError, match="split 'val'"):
        build_training_set([DataSource(data)], tmp_path / "work")
