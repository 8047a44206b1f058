"""Combining YOLO data sets under sitewatch's classes (models/datasets.py), on small made-up sets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from sitewatch.models.datasets import (
    SITEWATCH_CLASSES,
    DataSource,
    build_training_set,
    class_index_map,
    read_data_yaml,
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


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a YOLO data.yaml (expected a mapping"),
        (b"- train\n- val\n", "not a YOLO data.yaml (expected a mapping"),
        (b"sites:\n  - id: north\n", "not a YOLO data.yaml (no 'names'"),
        (b"\xff\xfe\x00names", "not UTF-8 text"),
        (b"names: [a\n", "not valid YAML"),
        (b"names: []\n", "'names' must list the class names"),
        (b"names: {1: head, 2: helmet}\n", "'names' keys must be the class indices 0..1"),
        (b"names: [head]\npath: 7\n", "'path' must be a folder"),
        (b"names: [head]\ntrain: [a/images, b/images]\n", "split 'train' must be one folder"),
    ],
)
def test_a_file_that_is_no_data_yaml_is_a_value_error_naming_it(tmp_path, content, message):
    path = tmp_path / "site.yaml"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        read_data_yaml(path)
    assert str(info.value).startswith(f"{path}: ")


def test_a_bad_second_set_is_found_before_anything_is_written(tmp_path):
    good = make_set(tmp_path / "hh", list(SITEWATCH_CLASSES), {"a": "0 0.5 0.5 0.1 0.1\n"})
    other = make_set(tmp_path / "other", ["hat"], {"b": ""})
    with pytest.raises(ValueError, match=f"{other}: classes \\['hat'\\] are not sitewatch classes"):
        build_training_set([DataSource(good), DataSource(other)], tmp_path / "work", lookalikes=0.5)
    assert not (tmp_path / "work").exists()


def make_photo_set(root: Path, photos: int) -> Path:
    """A set of real (tiny, grey) JPEG photos, each with one labelled head in its top-left corner."""
    import cv2
    import numpy as np

    for split in ("train", "valid"):
        (root / split / "images").mkdir(parents=True)
        (root / split / "labels").mkdir(parents=True)
        for i in range(photos):
            cv2.imwrite(str(root / split / "images" / f"p{i}.jpg"), np.full((120, 160, 3), 90, np.uint8))
            (root / split / "labels" / f"p{i}.txt").write_text("0 0.1 0.1 0.2 0.2\n")
    data = root / "data.yaml"
    data.write_text(yaml.safe_dump({"path": ".", "train": "train/images", "val": "valid/images",
                                    "names": list(SITEWATCH_CLASSES)}))
    return data


def test_lookalikes_are_drawn_into_a_share_of_train_photos_only(tmp_path):
    data = make_photo_set(tmp_path / "hh", photos=20)
    spec = yaml.safe_load(build_training_set([DataSource(data)], tmp_path / "work", lookalikes=0.5).read_text())
    train = Path(spec["train"][0])
    assert train.is_absolute() and train.is_dir() and not train.is_symlink()
    photos = sorted(train.iterdir())
    written = [p for p in photos if not p.is_symlink()]
    assert len(photos) == 20 and 4 <= len(written) <= 16, "about half the photos are drawn into"
    assert all(p.resolve().parent == (tmp_path / "hh" / "train" / "images").resolve() for p in photos if p.is_symlink())
    assert (train.parent / "labels" / "p0.txt").read_text() == "0 0.1 0.1 0.2 0.2\n", "labels are unchanged"
    assert spec["val"] == [str((tmp_path / "hh" / "valid" / "images").resolve())], "validation photos stay real"


def test_lookalike_builds_repeat_and_undo(tmp_path):
    data = make_photo_set(tmp_path / "hh", photos=10)
    first = Path(yaml.safe_load(build_training_set([DataSource(data)], tmp_path / "a", lookalikes=0.5).read_text())["train"][0])
    second = Path(yaml.safe_load(build_training_set([DataSource(data)], tmp_path / "b", lookalikes=0.5).read_text())["train"][0])
    assert [p.read_bytes() for p in sorted(first.iterdir())] == [p.read_bytes() for p in sorted(second.iterdir())]
    # Built again without look-alikes, the same work folder trains on the untouched photos.
    again = yaml.safe_load(build_training_set([DataSource(data)], tmp_path / "a").read_text())
    assert again["train"] == [str((tmp_path / "hh" / "train" / "images").resolve())]


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_lookalike_share_is_bounded(tmp_path, share):
    data = make_photo_set(tmp_path / "hh", photos=1)
    with pytest.raises(ValueError, match="share between 0 and 1"):
        build_training_set([DataSource(data)], tmp_path / "work", lookalikes=share)


def test_far_field_canvases_are_added_to_train_only(tmp_path):
    data = make_photo_set(tmp_path / "hh", photos=10)
    spec = yaml.safe_load(build_training_set([DataSource(data)], tmp_path / "work", far_field=0.5).read_text())
    far = Path(spec["train"][0])
    assert spec["train"][1:] == [str((tmp_path / "hh" / "train" / "images").resolve())], "the photos themselves stay"
    assert far.parent.name == "train-far" and len(list(far.iterdir())) == 5, "half a canvas per train photo"
    assert len(list((far.parent / "labels").iterdir())) == 5
    assert spec["val"] == [str((tmp_path / "hh" / "valid" / "images").resolve())]


def test_far_field_does_not_change_which_photos_get_lookalikes(tmp_path):
    data = make_photo_set(tmp_path / "hh", photos=10)
    plain = yaml.safe_load(build_training_set([DataSource(data)], tmp_path / "a", lookalikes=0.5).read_text())
    both = yaml.safe_load(
        build_training_set([DataSource(data)], tmp_path / "b", lookalikes=0.5, far_field=0.3).read_text()
    )
    drawn = [sorted(p.name for p in Path(d).iterdir() if not p.is_symlink()) for d in (plain["train"][0], both["train"][1])]
    assert drawn[0] == drawn[1]


@pytest.mark.parametrize("share", [-0.1, 2.5])
def test_far_field_share_is_bounded(tmp_path, share):
    data = make_photo_set(tmp_path / "hh", photos=1)
    with pytest.raises(ValueError, match="far_field must lie"):
        build_training_set([DataSource(data)], tmp_path / "work", far_field=share)
