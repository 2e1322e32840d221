"""``Detector``: weights + backend -> validated :class:`~detector.types.Detections`.

    det = Detector("detector/weights/roadcam.onnx", backend="openvino", roi=Roi(horizon_frac=0.4))
    dets = det.detect(image_bgr)

No ultralytics or torch object ever leaves this module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detector.backends import (
    BACKENDS,
    OnnxRuntimeBackend,
    OpenVINOBackend,
    decode,
    letterbox,
    onnx_class_names,
)
from detector.types import CLASS_NAMES, Detections
from roadcam.errors import DependencyError, ModelError

log = logging.getLogger(__name__)

DEFAULT_CONF = 0.25
DEFAULT_IOU = 0.6


@dataclass(frozen=True)
class Roi:
    """Where on the image a road defect can be.

    Attributes:
        horizon_frac: drop boxes whose bottom edge lies above this fraction of the
            image height (0 = keep all; 0.45 suits a forward camera on a truck cab).
        polygon: optional road region, vertices as (x, y) fractions of width and
            height; a box is kept only if the middle of its bottom edge is inside.
        min_box_px: drop boxes narrower or shorter than this many pixels.
    """

    horizon_frac: float = 0.0
    polygon: tuple[tuple[float, float], ...] | None = None
    min_box_px: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.horizon_frac < 1.0:
            raise ValueError("horizon_frac must be within [0, 1)")
        if self.polygon is not None:
            poly = tuple((float(x), float(y)) for x, y in self.polygon)
            if len(poly) < 3:
                raise ValueError("a road polygon needs at least 3 vertices")
            object.__setattr__(self, "polygon", poly)
        if self.min_box_px < 0:
            raise ValueError("min_box_px must be >= 0")

    def keep_mask(self, det: Detections) -> np.ndarray:
        """Boolean (N,) mask of the detections inside the region."""
        import cv2

        keep = np.ones(len(det), dtype=bool)
        if not len(det):
            return keep
        x1, y1, x2, y2 = det.xyxy.T
        if self.horizon_frac > 0:
            keep &= y2 >= self.horizon_frac * det.image_height
        if self.min_box_px > 0:
            keep &= ((x2 - x1) >= self.min_box_px) & ((y2 - y1) >= self.min_box_px)
        if self.polygon is not None:
            poly = (
                np.asarray(self.polygon, np.float32) * [det.image_width, det.image_height]
            ).astype(np.float32)
            for i in np.flatnonzero(keep):
                pt = (float((x1[i] + x2[i]) / 2), float(y2[i]))
                keep[i] = cv2.pointPolygonTest(poly.reshape(-1, 1, 2), pt, False) >= 0
        return keep


def weights_card(weights_path: str | Path) -> dict:
    """The JSON card next to the weights (``roadcam.json`` for ``roadcam.onnx``), or ``{}``."""
    import json

    p = Path(weights_path)
    for cand in (
        p.with_suffix(".json"),
        p.parent / f"{p.name.split('_openvino')[0]}.json",
        p.parent.parent / f"{p.parent.name.split('_openvino')[0]}.json",
        p.parent.parent / f"{p.parent.name.split('_int8_openvino')[0]}.json",  # the INT8 IR
    ):
        if cand.is_file():
            try:
                return json.loads(cand.read_text())
            except ValueError as err:
                raise ModelError(f"bad weights card: {err}", path=str(cand)) from err
    return {}


def weights_for_run(weights_path: str | Path, backend: str, int8: bool) -> Path:
    """The model a run uses: the accepted INT8 model made from ``weights_path`` when ``int8``
    and the backend is OpenVINO (see detector.int8_card), else ``weights_path`` itself."""
    if int8 and backend == "openvino":
        from detector.int8_card import int8_weights_for

        found = int8_weights_for(weights_path)
        if found is not None:
            return found
    return Path(weights_path)


class _UltralyticsBackend:
    """Plain ultralytics predict (needs torch); used for the .pt weights and the benchmark."""

    name = "ultralytics"

    def __init__(self, path: Path, imgsz: int, conf: float, iou: float) -> None:
        try:
            from detector.train import offline_env

            offline_env()
            from ultralytics import YOLO
        except ImportError as err:
            raise DependencyError(
                "the ultralytics backend needs the train extra: pip install -e '.[train]'"
            ) from err
        try:
            self._model = YOLO(str(path), task="detect")
        except Exception as err:
            raise ModelError(f"ultralytics cannot load the weights: {err}", path=str(path)) from err
        self.imgsz, self.conf, self.iou = imgsz, conf, iou
        names = self._model.names
        self.class_names = (
            tuple(names[k] for k in sorted(names)) if isinstance(names, dict) else tuple(names)
        )

    def predict(
        self, images: Sequence[np.ndarray]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        res = self._model.predict(
            list(images),
            imgsz=self.imgsz,
            conf=self.conf,
            iou=self.iou,
            device="cpu",
            verbose=False,
        )
        out = []
        for r in res:
            b = r.boxes
            out.append(
                (
                    b.xyxy.cpu().numpy().astype(np.float32),
                    b.conf.cpu().numpy().astype(np.float32),
                    b.cls.cpu().numpy().astype(np.int64),
                )
            )
        return out


def _checked_weights(path: Path, backend: str, conf_threshold: float | None) -> tuple[Path, float]:
    """The model file to load (an OpenVINO IR folder's ``.xml``) and the confidence threshold
    (``None``: the weights card's), after checking the backend, the file and the threshold."""
    if backend not in BACKENDS:
        raise ModelError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not path.exists():
        raise ModelError(
            "weights file not found (train with `roadcam train` or use the committed "
            "detector/weights/roadcam.onnx)",
            path=str(path),
        )
    if conf_threshold is None:
        conf_threshold = float(weights_card(path).get("conf_threshold", DEFAULT_CONF))
    if not 0.0 <= conf_threshold <= 1.0:
        raise ModelError(f"conf_threshold must be within [0, 1], got {conf_threshold}")
    if backend != "ultralytics" and path.suffix == ".pt":
        raise ModelError(
            f"the {backend} backend reads .onnx or OpenVINO .xml, not .pt", path=str(path)
        )
    if path.is_dir():  # an OpenVINO IR folder
        xmls = sorted(path.glob("*.xml"))
        if not xmls:
            raise ModelError("no .xml model in this folder", path=str(path))
        path = xmls[0]
    return path, conf_threshold


class Detector:
    """Run a YOLO model on BGR images.

    Args:
        weights_path: ``.onnx`` (openvino, onnxruntime), OpenVINO ``.xml`` (openvino) or ``.pt`` (ultralytics).
        backend: ``openvino`` (default, fastest on CPU), ``onnxruntime`` or ``ultralytics``.
        conf_threshold: minimum confidence kept; ``None`` takes the shipped threshold from the
            ``<weights stem>.json`` card next to the weights (``conf_threshold``), else 0.25.
        imgsz: network input size; ``None`` takes it from the model (static exports fix it).
        roi: :class:`Roi` suppression of boxes above the horizon / off the road; ``None`` keeps all.
        iou_threshold: NMS overlap.
        threads: CPU threads for the backend (default: ``ROADCAM_THREADS`` or the CPU count).
        hint: OpenVINO performance hint: ``LATENCY`` (one image at a time) or ``THROUGHPUT``
            (batches, as the pipeline runs them).
    """

    def __init__(
        self,
        weights_path: str | Path,
        backend: str = "openvino",
        conf_threshold: float | None = None,
        imgsz: int | None = None,
        roi: Roi | None = None,
        iou_threshold: float = DEFAULT_IOU,
        threads: int | None = None,
        hint: str = "LATENCY",
    ) -> None:
        path, conf_threshold = _checked_weights(Path(weights_path), backend, conf_threshold)
        self.weights_path, self.backend_name = path, backend
        self.conf_threshold, self.iou_threshold, self.roi = conf_threshold, iou_threshold, roi
        self._ul: _UltralyticsBackend | None = None
        if backend == "ultralytics":
            self.imgsz = imgsz or 320
            self._ul = _UltralyticsBackend(path, self.imgsz, conf_threshold, iou_threshold)
            self.class_names = self._ul.class_names
            return
        self._net = (
            OpenVINOBackend(path, threads, hint=hint)
            if backend == "openvino"
            else OnnxRuntimeBackend(path, threads)
        )
        model_size = (
            self._net.input_shape[-1]
            if self._net.input_shape and self._net.input_shape[-1] > 0
            else None
        )
        if imgsz and model_size and imgsz != model_size:
            raise ModelError(
                f"these weights were exported for imgsz={model_size}, not {imgsz}", path=str(path)
            )
        card = weights_card(path)
        self.imgsz = imgsz or model_size or int(card.get("imgsz", 320))
        self.rect = bool(
            getattr(self._net, "dynamic", False)
        )  # dynamic H/W: pad to stride, not to a square
        self.class_names = onnx_class_names(path) or CLASS_NAMES

    def __repr__(self) -> str:
        return f"Detector({str(self.weights_path)!r}, backend={self.backend_name!r}, imgsz={self.imgsz})"

    def _finish(
        self, boxes: np.ndarray, scores: np.ndarray, cls: np.ndarray, w: int, h: int
    ) -> Detections:
        det = Detections(boxes, scores, cls, self.class_names, w, h)
        if self.roi is not None:
            det = det.filter(self.roi.keep_mask(det))
        return det

    @staticmethod
    def _check(image: np.ndarray) -> None:
        if (
            not isinstance(image, np.ndarray)
            or image.ndim != 3
            or image.shape[2] != 3
            or image.dtype != np.uint8
        ):
            raise ValueError("expected a BGR uint8 image of shape (H, W, 3)")

    def detect(self, image_bgr: np.ndarray) -> Detections:
        """Detections in one BGR uint8 image."""
        self._check(image_bgr)
        h, w = image_bgr.shape[:2]
        if self._ul is not None:
            return self._finish(*self._ul.predict([image_bgr])[0], w, h)
        blob, lb = letterbox(image_bgr, self.imgsz, rect=self.rect)
        raw = self._net(blob)
        return self._finish(
            *decode(raw, lb, self.conf_threshold, self.iou_threshold, nc=len(self.class_names)),
            w,
            h,
        )

    def detect_batch(self, images: Iterable[np.ndarray]) -> list[Detections]:
        """Detections for each image, in order."""
        images = list(images)
        for im in images:
            self._check(im)
        if self._ul is not None:
            return [
                self._finish(*r, im.shape[1], im.shape[0])
                for r, im in zip(self._ul.predict(images), images, strict=True)
            ]
        if len(images) < 2 or not hasattr(self._net, "run_many"):
            return [self.detect(im) for im in images]
        boxes = [letterbox(im, self.imgsz, rect=self.rect) for im in images]
        raws = self._net.run_many([b for b, _ in boxes])
        nc = len(self.class_names)
        return [
            self._finish(
                *decode(raw, lb, self.conf_threshold, self.iou_threshold, nc=nc),
                im.shape[1],
                im.shape[0],
            )
            for raw, (_, lb), im in zip(raws, boxes, images, strict=True)
        ]
