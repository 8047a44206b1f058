"""Combine several YOLO-format data sets into one training set with sitewatch's classes.

Every data set names its classes its own way ("hat", "hardhat", "no-helmet", ...).
Training needs one class list: ``head`` (a bare head, the violation), ``helmet``
and ``person``. A :class:`DataSource` says how one set's class names map onto
those; :func:`build_training_set` writes relabelled copies of the label files
(images are linked, never copied) and a ``data.yaml`` that lists every set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

SITEWATCH_CLASSES: tuple[str, ...] = ("head", "helmet", "person")
SPLITS: tuple[str, ...] = ("train", "val", "test")


@dataclass(frozen=True)
class DataSource:
    """One YOLO data set and how its class names map onto ``SITEWATCH_CLASSES``.

    ``class_map`` maps a source class name to a sitewatch class name; a source
    class absent from the map is dropped. An empty map means "the names already
    are sitewatch's" (every source name must then be one of them).
    """

    data_yaml: Path
    class_map: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, spec: str) -> DataSource:
        """Parse ``path/to/data.yaml[:src=dst,src=dst...]`` as given on the command line."""
        path, _, mapping = spec.partition(":")
        pairs: dict[str, str] = {}
        for item in filter(None, mapping.split(",")):
            src, sep, dst = item.partition("=")
            if not sep or not src or dst not in SITEWATCH_CLASSES:
                raise ValueError(
                    f"bad class mapping {item!r} in {spec!r}: expected SRC=DST with DST one of "
                    f"{', '.join(SITEWATCH_CLASSES)}"
                )
            pairs[src] = dst
        return cls(Path(path), pairs)


class DataYamlError(ValueError):
    """A data.yaml that cannot be used; the message names the file and is meant for the user."""


def read_data_yaml(data_yaml: Path) -> tuple[Path, dict[str, Path], list[str]]:
    """Return (root, {split: images dir}, class names) of an Ultralytics data.yaml.

    A file that is not one (unreadable, not YAML, no ``names``, ...) is a
    DataYamlError whose message names the file and what is wrong with it.
    """
    # evaluation/yolo_dataset.py reads data.yaml files too (for evaluation, with
    # lists of folders); the two do not import each other, so each checks its own.
    try:
        spec = yaml.safe_load(data_yaml.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DataYamlError(f"{data_yaml}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise DataYamlError(f"{data_yaml}: not a YOLO data.yaml (not UTF-8 text)") from None
    except yaml.YAMLError as exc:
        raise DataYamlError(f"{data_yaml}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(spec, Mapping):
        raise DataYamlError(f"{data_yaml}: not a YOLO data.yaml (expected a mapping with 'names' and splits)")
    if "names" not in spec:
        raise DataYamlError(f"{data_yaml}: not a YOLO data.yaml (no 'names' listing the classes)")
    names = spec["names"]
    if isinstance(names, Mapping):
        # Labels give class indices: the keys must be 0..N-1 for them to mean anything.
        if set(names) != set(range(len(names))):
            raise DataYamlError(f"{data_yaml}: 'names' keys must be the class indices 0..{len(names) - 1}")
        names = [names[k] for k in range(len(names))]
    if not isinstance(names, list) or not names:
        raise DataYamlError(f"{data_yaml}: 'names' must list the class names")
    root = spec.get("path") or "."
    if not isinstance(root, str):
        raise DataYamlError(f"{data_yaml}: 'path' must be a folder, not {root!r}")
    root = Path(root)
    if not root.is_absolute():
        root = (data_yaml.parent / root).resolve()
    splits = {}
    for split in SPLITS:
        if spec.get(split):
            if not isinstance(spec[split], str):
                raise DataYamlError(f"{data_yaml}: split {split!r} must be one folder of images")
            splits[split] = (root / spec[split]).resolve()
    return root, splits, [str(n) for n in names]


def class_index_map(names: Sequence[str], class_map: Mapping[str, str]) -> dict[int, int]:
    """Source class index -> sitewatch class index, for the classes that are kept."""
    if not class_map:
        unknown = [n for n in names if n not in SITEWATCH_CLASSES]
        if unknown:
            raise ValueError(
                f"classes {unknown} are not sitewatch classes; give a mapping such as "
                f"'data.yaml:{unknown[0]}=head'"
            )
        class_map = {n: n for n in names}
    missing = [src for src in class_map if src not in names]
    if missing:
        raise ValueError(f"mapping names classes {missing} that the data set does not have ({names})")
    return {i: SITEWATCH_CLASSES.index(class_map[n]) for i, n in enumerate(names) if n in class_map}


def read_sources(sources: Sequence[DataSource]) -> list[tuple[dict[str, Path], list[str], dict[int, int]]]:
    """(splits, class names, index map) of every source, checked before anything is written.

    Raises ValueError (a bad data.yaml or class mapping) or FileNotFoundError (a
    missing split folder), the message naming the data.yaml.
    """
    read = []
    for source in sources:
        _, splits, names = read_data_yaml(source.data_yaml)
        try:
            index_map = class_index_map(names, source.class_map)
        except ValueError as exc:
            raise DataYamlError(f"{source.data_yaml}: {exc}") from None
        for split, images in splits.items():
            if not images.is_dir():
                raise FileNotFoundError(f"{source.data_yaml}: split {split!r} folder {images} does not exist")
        read.append((splits, names, index_map))
    return read


def relabel(text: str, index_map: Mapping[int, int]) -> str:
    """Rewrite YOLO label lines with new class indices; lines of dropped classes go."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        cls = int(float(parts[0]))
        if cls in index_map:
            out.append(" ".join([str(index_map[cls]), *parts[1:]]))
    return "\n".join(out) + ("\n" if out else "")


def _labels_dir(images_dir: Path) -> Path:
    # Ultralytics finds labels by swapping the last "images" path part for "labels".
    return images_dir.parent / "labels" if images_dir.name == "images" else images_dir


IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp"})


def photos_in(folder: Path) -> list[Path]:
    """The photos directly in ``folder``, sorted by name (the order every seeded choice relies on)."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _write_train_with_lookalikes(
    images: Path, labels_text: Mapping[str, str], dest: Path, share: float, seed: int
) -> int:
    """Fill ``dest/images`` with the split's photos, ``share`` of them with look-alikes drawn in.

    Untouched photos are linked; changed ones are written. Returns how many
    photos were changed. Deterministic for a given seed and file list.
    """
    import cv2
    import numpy as np

    from sitewatch.models.lookalikes import add_lookalikes, yolo_boxes_to_pixels

    out = dest / "images"
    if out.is_symlink():
        out.unlink()
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    changed = 0
    for photo in photos_in(images):
        target = out / photo.name
        if target.is_symlink() or target.exists():
            target.unlink()
        # Draw the random numbers for every photo, so that one photo's choice
        # does not shift every later photo's drawing.
        chosen, count, photo_seed = rng.random() < share, int(rng.integers(1, 4)), int(rng.integers(2**31))
        image = cv2.imread(str(photo)) if chosen else None
        if image is None:
            os.symlink(photo, target)
            continue
        boxes = yolo_boxes_to_pixels(labels_text.get(photo.stem, ""), image.shape[1], image.shape[0])
        add_lookalikes(image, boxes, np.random.default_rng(photo_seed), count)
        cv2.imwrite(str(target), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
        changed += 1
    return changed


def _far_field_split(
    images: Path, labels_text: Mapping[str, str], dest: Path, per_photo: float, lookalikes: float, seed: int
) -> str:
    from sitewatch.models.far_field import write_training_grids

    photos = photos_in(images)
    # A seed of its own, so that adding far-field canvases does not change
    # which photos get look-alikes drawn in.
    write_training_grids(photos, labels_text, dest, round(per_photo * len(photos)), seed + 7919, lookalikes)
    return str((dest / "images").absolute())


def build_training_set(
    sources: Sequence[DataSource], workdir: Path, lookalikes: float = 0.0, seed: int = 0, far_field: float = 0.0
) -> Path:
    """Write a combined data.yaml for ``sources`` under ``workdir`` and return its path.

    A single source whose classes already are sitewatch's, in order, is used as
    it is (no copies). Otherwise each source's splits become
    ``workdir/<n>/<split>/{images -> original, labels (relabelled)}``.
    ``lookalikes`` > 0 draws cones, lamp heads and balls into that share of the
    ``train`` photos (see :mod:`sitewatch.models.lookalikes`); those photos are
    written under ``workdir/<n>/train/images``. ``far_field`` > 0 adds that
    many far-field canvases per train photo (``workdir/<n>/train-far``; see
    :mod:`sitewatch.models.far_field`), each holding several shrunk train photos.
    """
    if not 0.0 <= lookalikes <= 1.0:
        raise ValueError(f"lookalikes must be a share between 0 and 1, not {lookalikes}")
    if not 0.0 <= far_field <= 2.0:
        raise ValueError(f"far_field must lie between 0 and 2 (canvases per train photo), not {far_field}")
    if not sources:
        raise ValueError("no data set given")
    # Every source is checked first, so that a bad one leaves no half-built work folder.
    read = read_sources(sources)
    if not all(any(split in splits for splits, _, _ in read) for split in ("train", "val")):
        raise ValueError("the data sets together need a train and a val split")
    workdir.mkdir(parents=True, exist_ok=True)
    combined: dict[str, list[str]] = {s: [] for s in SPLITS}
    for n, (splits, names, index_map) in enumerate(read):
        identity = index_map == {i: i for i in range(len(SITEWATCH_CLASSES))} and len(names) == 3
        for split, images in splits.items():
            drawn_into = split == "train" and lookalikes > 0
            far = split == "train" and far_field > 0
            used_as_is = identity and not drawn_into
            # Label files are read only where they are copied, drawn around or shrunk.
            labels_text = {} if used_as_is and not far else {
                label.stem: relabel(label.read_text(), index_map) for label in _labels_dir(images).glob("*.txt")
            }
            if far:
                combined[split].append(_far_field_split(images, labels_text, workdir / f"{n}" / "train-far",
                                                        far_field, lookalikes, seed + n))
            if used_as_is:
                combined[split].append(str(images))
                continue
            dest = workdir / f"{n}" / split
            (dest / "labels").mkdir(parents=True, exist_ok=True)
            for stem, text in labels_text.items():
                (dest / "labels" / f"{stem}.txt").write_text(text)
            link = dest / "images"
            if drawn_into:
                _write_train_with_lookalikes(images, labels_text, dest, lookalikes, seed + n)
            else:
                if link.is_symlink():
                    link.unlink()
                elif link.exists():  # photos drawn into by an earlier build
                    shutil.rmtree(link)
                os.symlink(images, link)
            combined[split].append(str(link.absolute()))
    spec = {
        "path": str(workdir.resolve()),
        "names": dict(enumerate(SITEWATCH_CLASSES)),
        **{split: dirs for split, dirs in combined.items() if dirs},
    }
    out = workdir / "data.yaml"
    out.write_text(yaml.safe_dump(spec, sort_keys=False))
    return out
