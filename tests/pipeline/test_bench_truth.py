"""bench/pipeline.py's check of a long drive's defects against the rendered truth (the long
drive renders the sample's scene): a defect on a rendered pothole is real, one 50 m off is not."""

import importlib.util
import json

from roadcam.settings import PROJECT_ROOT


def _bench():
    spec = importlib.util.spec_from_file_location("bench_pipeline", PROJECT_ROOT / "bench" / "pipeline.py")  # fmt: skip
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_truth_report_counts_real_and_false_defects():
    bench = _bench()
    truth = json.loads(bench.TRUTH.read_text())["features"]
    p01 = next(f for f in truth if f["properties"]["id"] == "P01")
    lon, lat = p01["geometry"]["coordinates"]
    on_it = ("pothole", lon, lat, 3)
    near_it = ("pothole", lon + 0.000005, lat, 1)  # ~0.35 m east
    off = ("pothole", lon + 0.0007, lat, 1)  # ~49 m east
    wrong_class = ("skip", lon, lat, 2)
    report = bench.truth_report([on_it, off, wrong_class], [near_it])
    assert (report["true"], report["false"], report["truth_ids"]) == (1, 2, ["P01"])
    assert report["true_vs_reference_true_1m"]["matched"] == 1
