"""Which INT8 model goes with a detector's weights: the card beside the ``.onnx`` says whether
one was accepted and from which weights (their SHA-256). Made by :mod:`detector.quantize`;
read here, so the detector can find it without importing the quantiser."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

log = logging.getLogger(__name__)


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
