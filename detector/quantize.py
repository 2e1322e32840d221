"""INT8 weights: OpenVINO post-training quantisation with nncf, accepted only if mAP50 holds.

    roadcam train --int8                       # quantise the weights in detector/weights/
    roadcam train --export best.pt --imgsz 576 --int8   # export new weights, then quantise them

The FP model the pipeline runs is ``<stem>.onnx``; its OpenVINO IR export
``<stem>_openvino_model/`` (same weights, ultralytics' layer names) is quantised. Calibration reads
images of the dataset's **train** split only (letterboxed exactly as the pipeline
does), the detection head's box decoding stays in floating point, and the result
``<stem>_int8_openvino_model/<stem>.xml`` is compared with the FP model on the
valid split and on every test list (mAP50 averaged over the classes labelled).
The figures go into the weights card (``<stem>.json``, key ``int8``) with the
SHA-256 of the ONNX they were made from: :func:`detector.int8_card.int8_weights_for` only hands out
an accepted INT8 model made from the current FP weights.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from detector.int8_card import file_sha256, int8_dir_name
from roadcam.errors import DependencyError, InputNotFoundError, ModelError

log = logging.getLogger(__name__)

MAX_MAP50_LOSS = 0.01  # one point of mAP50, on the valid split and on the pooled test lists
CALIBRATION_IMAGES = 300


def calibration_images(dataset_dir: Path, count: int = CALIBRATION_IMAGES) -> list[Path]:
    """``count`` images of the TRAIN split, evenly spread over the sorted list (every source)."""
    train = sorted(p for p in (Path(dataset_dir) / "images" / "train").glob("*") if p.is_file())
    if not train:
        raise InputNotFoundError(
            "no train split images (run `roadcam dataset build` first)",
            path=str(Path(dataset_dir) / "images" / "train"),
        )
    idx = np.unique(np.linspace(0, len(train) - 1, min(count, len(train))).round().astype(int))
    return [train[i] for i in idx]


def _head_ignored_scope(model, nncf):
    """The detection head's box decoding (DFL, anchors, strides, the class sigmoid) stays FP:
    the scope ultralytics uses for its own INT8 export (names of an ultralytics OpenVINO IR)."""
    import re

    layers = {
        int(m.group(1))
        for op in model.get_ordered_ops()
        if (m := re.search(r"model\.(\d+)[./]", op.get_friendly_name()))
    }
    if not layers:
        raise ModelError("not an ultralytics YOLO model: no model.N layers to find the head in")
    head = f"model.{max(layers)}"
    return nncf.IgnoredScope(
        patterns=[f".*{head}/.*/{op}" for op in ("Add", "Sub*", "Mul*", "Div*")]
        + [f".*{head}\\.dfl.*"],
        types=["Sigmoid"],
        validate=False,
    )


def _validation(paths: Sequence[Path], imgsz: int):
    """(transform, validate) for nncf's accuracy control: mAP50 of a compiled model on ``paths``
    (letterboxed and decoded exactly as :class:`detector.model.Detector` does)."""
    import cv2

    from detector.backends import decode, letterbox
    from detector.evaluate import ImageResult, read_yolo_label
    from detector.model import DEFAULT_IOU
    from detector.types import CLASS_NAMES

    cache: dict[Path, tuple] = {}

    def load(path: Path) -> tuple:
        if path not in cache:
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if img is None:
                raise ModelError("unreadable validation image", path=str(path))
            blob, lb = letterbox(img, imgsz, rect=True)
            label = Path(str(path).replace(f"{Path('/images/')}", f"{Path('/labels/')}"))
            gx, gc = read_yolo_label(label.with_suffix(".txt"), img.shape[1], img.shape[0])
            cache[path] = (blob, lb, gx, gc)
        return cache[path]

    def validate(compiled, items) -> tuple[float, None]:
        results = []
        for path in items:
            blob, lb, gx, gc = load(path)
            raw = compiled(blob)[0]
            b, sc, c = decode(raw, lb, 0.001, DEFAULT_IOU, nc=len(CLASS_NAMES))
            results.append(ImageResult(gx, gc, b, sc, c))
        return _map50(results, CLASS_NAMES), None

    return (lambda path: load(path)[0]), validate


def quantize_model(
    fp_model: Path,
    images: Sequence[Path],
    imgsz: int,
    out_xml: Path,
    ignore_head: bool = True,
    control_on: Sequence[Path] | None = None,
    max_drop: float = MAX_MAP50_LOSS,
) -> Path:
    """Post-training INT8 quantisation of ``fp_model`` (an ultralytics OpenVINO IR) calibrated
    on ``images``; writes ``out_xml``. With ``control_on`` (valid-split images), nncf's
    accuracy control keeps the layers that cost mAP50 in floating point until the drop on those
    images is at most ``max_drop``."""
    try:
        import nncf
        import openvino as ov
    except ImportError as err:
        raise DependencyError("INT8 quantisation needs nncf: pip install -e '.[train]'") from err
    from detector.backends import letterbox

    model = ov.Core().read_model(str(fp_model))
    to_blob, validate = _validation(list(images) + list(control_on or []), imgsz)
    calibration = nncf.Dataset(list(images), lambda p: letterbox(_read(p), imgsz, rect=True)[0])
    common = dict(
        preset=nncf.QuantizationPreset.MIXED,
        subset_size=len(images),
        ignored_scope=_head_ignored_scope(model, nncf) if ignore_head else None,
    )
    if control_on:
        from nncf.quantization.advanced_parameters import AdvancedAccuracyRestorerParameters

        quantized = nncf.quantize_with_accuracy_control(
            model,
            calibration,
            nncf.Dataset(list(control_on), to_blob),
            validate,
            max_drop=max_drop,
            drop_type=nncf.DropType.ABSOLUTE,
            advanced_accuracy_restorer_parameters=AdvancedAccuracyRestorerParameters(
                ranking_subset_size=min(100, len(control_on))
            ),
            **common,
        )
    else:
        quantized = nncf.quantize(model, calibration, **common)
    out_xml.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(out_xml), compress_to_fp16=False)
    return out_xml


def _read(path: Path) -> np.ndarray:
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        raise ModelError("unreadable calibration image", path=str(path))
    return img


def _valid_images(dataset_dir: Path) -> list[Path]:
    from detector.dataset import source_of_image

    return sorted(
        p
        for p in (Path(dataset_dir) / "images" / "valid").glob("*")
        if p.is_file() and source_of_image(p) != "rendered"
    )


def _map50(results, class_names: Sequence[str]) -> float:
    from detector.evaluate import evaluate_results

    per = evaluate_results(results, class_names, 0.25)["classes"]
    vals = [m["mAP50"] for m in per.values() if m["instances"] and m["mAP50"] is not None]
    return round(float(np.mean(vals)), 4) if vals else float("nan")


def compare_map50(fp_weights: Path, int8_xml: Path, dataset_dir: Path, imgsz: int) -> dict:
    """mAP50 (mean over the labelled classes) of both models on the valid split, each test
    list and all test lists pooled, both at ``imgsz`` (the card's inference size)."""
    from detector.evaluate import predict_images, test_image_lists
    from detector.model import Detector

    splits = {
        "valid": _valid_images(dataset_dir),
        **{f"test_{s}": p for s, p in test_image_lists(dataset_dir).items()},
    }
    out: dict[str, dict] = {}
    for name, path in (("fp", fp_weights), ("int8", int8_xml)):
        det = Detector(path, backend="openvino", conf_threshold=0.001, imgsz=imgsz)
        res = {split: predict_images(det.detect, paths) for split, paths in splits.items()}
        pooled = [r for s, rs in res.items() if s.startswith("test_") for r in rs]
        out[name] = {s: _map50(rs, det.class_names) for s, rs in res.items()}
        out[name]["test"] = _map50(pooled, det.class_names)
    out["images"] = {s: len(p) for s, p in splits.items()}
    return out


METHODS = ("auto", "ptq", "accuracy")
_METHOD_TEXT = {
    "ptq": "nncf post-training quantisation (preset mixed), detection-head decoding in FP",
    "accuracy": "nncf post-training quantisation with accuracy control: the layers that cost "
    "mAP50 on the valid split are kept in FP until the drop there is <= the limit",
}


def make_int8(
    weights_dir: Path,
    dataset_dir: Path,
    stem: str = "roadcam",
    count: int = CALIBRATION_IMAGES,
    max_loss: float = MAX_MAP50_LOSS,
    method: str = "auto",
) -> dict:
    """Quantise ``<weights_dir>/<stem>``, measure, and record the result in the card.

    ``auto``: plain post-training quantisation, then (if that loses more than ``max_loss`` on
    the valid split, the split accuracy control works on) accuracy control. The INT8 folder is written either way (so it can be inspected); only
    ``accepted`` (loss <= ``max_loss`` on valid and on the pooled test lists) lets the
    pipeline use it."""
    import time

    from detector.model import weights_card

    if method not in METHODS:
        raise ModelError(f"unknown INT8 method {method!r}; choose one of {', '.join(METHODS)}")
    weights_dir, dataset_dir = Path(weights_dir), Path(dataset_dir)
    fp = weights_dir / f"{stem}.onnx"
    ir = weights_dir / f"{stem}_openvino_model" / f"{stem}.xml"
    for need in (fp, ir):
        if not need.is_file():
            raise InputNotFoundError(
                "no FP weights to quantise (roadcam train --export)", path=str(need)
            )
    card = weights_card(fp)
    imgsz = int(card.get("imgsz", 320))
    images = calibration_images(dataset_dir, count)
    attempts = []
    for how in ("ptq", "accuracy") if method == "auto" else (method,):
        info = _attempt(how, fp, ir, images, imgsz, dataset_dir, weights_dir, stem, max_loss)
        attempts.append({k: info[k] for k in ("method", "mAP50_loss", "accepted", "quantise_s")})
        log.warning(
            "INT8 %s: mAP50 loss %s, accepted: %s", how, info["mAP50_loss"], info["accepted"]
        )
        if info["accepted"] or info["mAP50_loss"]["valid"] <= max_loss:
            break  # accuracy control restores the valid split only: nothing more it can do
    info["attempts"] = attempts
    info["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    card["int8"] = info
    (weights_dir / f"{stem}.json").write_text(json.dumps(card, indent=2) + "\n")
    return info


def _attempt(how, fp, ir, images, imgsz, dataset_dir, weights_dir, stem, max_loss) -> dict:
    import time

    from roadcam.settings import portable_path

    out_dir = weights_dir / int8_dir_name(stem)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    control = _valid_images(dataset_dir) if how == "accuracy" else None
    t0 = time.perf_counter()
    xml = quantize_model(ir, images, imgsz, out_dir / f"{stem}.xml", control_on=control,
                         max_drop=max_loss)  # fmt: skip
    quant_s = time.perf_counter() - t0
    meta = weights_dir / f"{stem}_openvino_model" / "metadata.yaml"
    if meta.is_file():
        shutil.copyfile(meta, out_dir / "metadata.yaml")
    cmp = compare_map50(fp, xml, dataset_dir, imgsz)
    loss = {s: round(cmp["fp"][s] - cmp["int8"][s], 4) for s in cmp["fp"]}
    return {
        "file": f"{out_dir.name}/{stem}.xml",
        "accepted": bool(loss["valid"] <= max_loss and loss["test"] <= max_loss),
        "rule": f"mAP50 loss <= {max_loss} on the valid split and on the pooled test lists",
        "source_sha256": file_sha256(fp),
        "method": _METHOD_TEXT[how],
        "calibration": f"{len(images)} train-split images of {portable_path(dataset_dir)}",
        "imgsz": imgsz,
        "images": cmp["images"],
        "mAP50_fp": cmp["fp"],
        "mAP50_int8": cmp["int8"],
        "mAP50_loss": loss,
        "quantise_s": round(quant_s, 1),
    }
