"""INT8 weights: OpenVINO post-training quantisation with nncf, accepted only if mAP50 holds.

    roadcam train --int8                       # quantise the weights in detector/weights/
    roadcam train --export best.pt --imgsz 576 --int8   # export new weights, then quantise them

The FP model is ``<stem>.onnx`` (fp32, dynamic height/width). Calibration reads
images of the dataset's **train** split only (letterboxed exactly as the pipeline
does), the detection head's box decoding stays in floating point, and the result
``<stem>_int8_openvino_model/<stem>.xml`` is compared with the FP model on the
valid split and on every test list (mAP50 averaged over the classes labelled).
The figures go into the weights card (``<stem>.json``, key ``int8``) with the
SHA-256 of the ONNX they were made from: :func:`int8_weights_for` only hands out
an accepted INT8 model made from the current FP weights.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from roadcam.errors import DependencyError, InputNotFoundError, ModelError

log = logging.getLogger(__name__)

MAX_MAP50_LOSS = 0.01  # one point of mAP50, on the valid split and on the pooled test lists
CALIBRATION_IMAGES = 300


def int8_dir_name(stem: str = "roadcam") -> str:
    return f"{stem}_int8_openvino_model"


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def int8_weights_for(fp_weights: str | Path) -> Path | None:
    """The accepted INT8 model made from ``fp_weights`` (the ``.onnx``), else ``None``.

    ``None`` when the card has no accepted ``int8`` entry, the INT8 folder is missing, or
    the ONNX changed since it was quantised (new weights not yet re-quantised)."""
    fp = Path(fp_weights)
    if fp.suffix != ".onnx" or not fp.is_file():
        return None
    card_path = fp.with_suffix(".json")
    if not card_path.is_file():
        return None
    info = json.loads(card_path.read_text()).get("int8") or {}
    xml = fp.parent / info.get("file", f"{int8_dir_name(fp.stem)}/{fp.stem}.xml")
    if not info.get("accepted") or not xml.is_file():
        return None
    if info.get("source_sha256") != file_sha256(fp):
        log.warning("INT8 model %s was made from other weights; using %s", xml, fp.name)
        return None
    return xml


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
    """The detection head's decoding (DFL, anchors, strides, the class sigmoid) stays FP: the
    same scope ultralytics uses for its INT8 export."""
    heads = sorted(
        {
            n.split("/")[1]
            for n in (op.get_friendly_name() for op in model.get_ordered_ops())
            if n.startswith("/model.")
        },
        key=lambda s: int(s.split(".")[1]),
    )
    head = heads[-1]  # e.g. model.24
    return nncf.IgnoredScope(
        patterns=[f".*/{head}/{op}.*" for op in ("Add", "Sub", "Mul", "Div", "dfl/")],
        types=["Sigmoid"],
        validate=False,
    )


def quantize_model(
    fp_onnx: Path, images: Sequence[Path], imgsz: int, out_xml: Path, ignore_head: bool = True
) -> Path:
    """Post-training INT8 quantisation of ``fp_onnx`` calibrated on ``images``; writes ``out_xml``."""
    try:
        import nncf
        import openvino as ov
    except ImportError as err:
        raise DependencyError("INT8 quantisation needs nncf: pip install -e '.[train]'") from err
    import cv2

    from detector.backends import letterbox

    model = ov.Core().read_model(str(fp_onnx))

    def transform(path: Path) -> np.ndarray:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            raise ModelError("unreadable calibration image", path=str(path))
        return letterbox(img, imgsz, rect=True)[0]

    quantized = nncf.quantize(
        model,
        nncf.Dataset(list(images), transform),
        preset=nncf.QuantizationPreset.MIXED,
        subset_size=len(images),
        ignored_scope=_head_ignored_scope(model, nncf) if ignore_head else None,
    )
    out_xml.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantized, str(out_xml), compress_to_fp16=False)
    return out_xml


def _map50(results, class_names: Sequence[str]) -> float:
    from detector.evaluate import evaluate_results

    per = evaluate_results(results, class_names, 0.25)["classes"]
    vals = [m["mAP50"] for m in per.values() if m["instances"] and m["mAP50"] is not None]
    return round(float(np.mean(vals)), 4) if vals else float("nan")


def compare_map50(fp_weights: Path, int8_xml: Path, dataset_dir: Path) -> dict:
    """mAP50 (mean over the labelled classes) of both models on the valid split, each test
    list and all test lists pooled, at the card's image size."""
    from detector.dataset import source_of_image
    from detector.evaluate import predict_images, test_image_lists
    from detector.model import Detector

    valid = sorted(
        p
        for p in (Path(dataset_dir) / "images" / "valid").glob("*")
        if source_of_image(p) != "rendered"
    )
    splits = {"valid": valid, **{f"test_{s}": p for s, p in test_image_lists(dataset_dir).items()}}
    out: dict[str, dict] = {}
    for name, path in (("fp", fp_weights), ("int8", int8_xml)):
        det = Detector(path, backend="openvino", conf_threshold=0.001)
        res = {split: predict_images(det.detect, paths) for split, paths in splits.items()}
        pooled = [r for s, rs in res.items() if s.startswith("test_") for r in rs]
        out[name] = {s: _map50(rs, det.class_names) for s, rs in res.items()}
        out[name]["test"] = _map50(pooled, det.class_names)
    out["images"] = {s: len(p) for s, p in splits.items()}
    return out


def make_int8(
    weights_dir: Path,
    dataset_dir: Path,
    stem: str = "roadcam",
    count: int = CALIBRATION_IMAGES,
    max_loss: float = MAX_MAP50_LOSS,
) -> dict:
    """Quantise ``<weights_dir>/<stem>.onnx``, measure, and record the result in the card.

    The INT8 folder is written either way (so it can be inspected); only ``accepted``
    (loss <= ``max_loss`` on valid and on the pooled test lists) lets the pipeline use it."""
    import time

    from detector.model import weights_card
    from roadcam.settings import portable_path

    weights_dir, dataset_dir = Path(weights_dir), Path(dataset_dir)
    fp = weights_dir / f"{stem}.onnx"
    if not fp.is_file():
        raise InputNotFoundError("no FP ONNX weights to quantise", path=str(fp))
    card = weights_card(fp)
    imgsz = int(card.get("imgsz", 320))
    out_dir = weights_dir / int8_dir_name(stem)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    images = calibration_images(dataset_dir, count)
    t0 = time.perf_counter()
    xml = quantize_model(fp, images, imgsz, out_dir / f"{stem}.xml")
    quant_s = time.perf_counter() - t0
    meta = weights_dir / f"{stem}_openvino_model" / "metadata.yaml"
    if meta.is_file():
        shutil.copyfile(meta, out_dir / "metadata.yaml")
    cmp = compare_map50(fp, xml, dataset_dir)
    loss = {s: round(cmp["fp"][s] - cmp["int8"][s], 4) for s in cmp["fp"]}
    accepted = bool(loss["valid"] <= max_loss and loss["test"] <= max_loss)
    info = {
        "file": f"{out_dir.name}/{stem}.xml",
        "accepted": accepted,
        "rule": f"mAP50 loss <= {max_loss} on the valid split and on the pooled test lists",
        "source_sha256": file_sha256(fp),
        "method": "nncf post-training quantisation, preset mixed, detection-head decoding in FP",
        "calibration": f"{len(images)} train-split images of {portable_path(dataset_dir)}",
        "imgsz": imgsz,
        "images": cmp["images"],
        "mAP50_fp": cmp["fp"],
        "mAP50_int8": cmp["int8"],
        "mAP50_loss": loss,
        "quantise_s": round(quant_s, 1),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    card["int8"] = info
    (weights_dir / f"{stem}.json").write_text(json.dumps(card, indent=2) + "\n")
    return info
