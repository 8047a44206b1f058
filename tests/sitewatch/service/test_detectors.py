"""One detector instance per distinct (tile mode, zoom) among the cameras, shared by the rest."""

from __future__ import annotations

import logging

import pytest

from sitewatch.config import Settings
from sitewatch.service.detectors import build_detectors

from testdata import TINY_MODEL


def camera(cid: str, **extra) -> dict:
    return {"id": cid, "site": "s", "url": f"{cid}.mp4", **extra}


def test_cameras_with_the_same_tiles_and_zoom_share_a_detector():
    settings = Settings.model_validate(
        {
            "detector": {"tiles": "auto"},
            "sites": [{"id": "s", "name": "S", "timezone": "UTC"}],
            "cameras": [
                camera("near"),
                camera("far", tiles="on", zoom=2),
                camera("far2", tiles="on", zoom=2),
                camera("wide", tiles="on"),
                camera("plain", tiles="auto", zoom=1),
            ],
        }
    )
    detectors = build_detectors(settings, TINY_MODEL)
    assert detectors["far"] is detectors["far2"]
    assert detectors["near"] is detectors["plain"]
    assert len({id(d) for d in detectors.values()}) == 3
    assert (detectors["far"].tiles, detectors["far"].zoom) == ("on", 2.0)
    assert (detectors["wide"].tiles, detectors["wide"].zoom) == ("on", 1.0)
    assert (detectors["near"].tiles, detectors["near"].zoom) == ("auto", 1.0)
    assert {d.streams for d in detectors.values()} == {1}  # live: one run at a time, on every thread


def test_each_detector_says_which_engine_runs_it(caplog):
    pytest.importorskip("openvino", reason="the 'openvino' extra is not installed")
    settings = Settings.model_validate(
        {
            "detector": {"backend": "openvino", "threads": 2},
            "sites": [{"id": "s", "name": "S", "timezone": "UTC"}],
            "cameras": [camera("near"), camera("far", tiles="on", zoom=2)],
        }
    )
    with caplog.at_level(logging.INFO, logger="sitewatch.service"):
        detectors = build_detectors(settings, TINY_MODEL)
    assert {d.engine for d in detectors.values()} == {"openvino f32"}
    assert [r.getMessage() for r in caplog.records] == [
        "detector: tiny-yolo.onnx on openvino f32 (tiles auto, zoom 1, 2 of 2 threads a run)",
        "detector: tiny-yolo.onnx on openvino f32 (tiles on, zoom 2, 2 of 2 threads a run)",
    ]


def test_streams_set_in_the_config_reach_the_live_detectors(caplog):
    settings = Settings.model_validate(
        {
            "detector": {"threads": 2, "streams": 2},
            "sites": [{"id": "s", "name": "S", "timezone": "UTC"}],
            "cameras": [camera("near")],
        }
    )
    with caplog.at_level(logging.INFO, logger="sitewatch.service"):
        detectors = build_detectors(settings, TINY_MODEL)
    assert detectors["near"].streams == 2
    assert [r.getMessage() for r in caplog.records] == [
        "detector: tiny-yolo.onnx on onnxruntime f32 (tiles auto, zoom 1, 1 of 2 threads a run)",
    ]
