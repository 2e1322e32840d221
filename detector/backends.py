"""Inference backends. OpenVINO and onnxruntime need neither torch nor ultralytics.

Each backend turns a list of BGR images into raw arrays; ``letterbox`` and
``decode`` (YOLOv8-style output ``(1, 4+nc, N)``, class-aware NMS) are shared
so the results of the torch-free backends match ultralytics.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from roadcam.errors import DependencyError, ModelError

log = logging.getLogger(__name__)

BACKENDS = ("openvino", "onnxruntime", "ultralytics")


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into the square network input."""

    scale: float
    pad_x: float
    pad_y: float
    width: int
    height: int


def letterbox(
    image_bgr: np.ndarray, size: int, rect: bool = False, stride: int = 32
) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio and pad with grey (114), as ultralytics does.

    ``rect=False`` pads to ``size`` x ``size`` (static models); ``rect=True`` pads
    only up to the next multiple of ``stride`` (dynamic models; a 1280x720 frame
    at 320 becomes 320x192, 40 % less work). Returns the NCHW float32 RGB blob in
    [0, 1] and the transform.
    """
    import cv2

    h, w = image_bgr.shape[:2]
    r = min(size / h, size / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = (size - nw) / 2, (size - nh) / 2
    if rect:
        dw, dh = ((size - nw) % stride) / 2, ((size - nh) % stride) / 2
    img = (
        cv2.resize(image_bgr, (nw, nh), interpolation=cv2.INTER_LINEAR)
        if (nw, nh) != (w, h)
        else image_bgr
    )
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(
        img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114)
    )
    blob = cv2.dnn.blobFromImage(img, 1 / 255.0, swapRB=True)  # (1, 3, size, size) float32 RGB
    return blob, Letterbox(r, left, top, w, h)


def nms_xyxy(boxes: np.ndarray, scores: np.ndarray, iou: float) -> np.ndarray:
    """Indices kept by greedy NMS (numpy), highest score first."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes.T
    areas = (x2 - x1).clip(0) * (y2 - y1).clip(0)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        xx1, yy1 = np.maximum(x1[i], x1[rest]), np.maximum(y1[i], y1[rest])
        xx2, yy2 = np.minimum(x2[i], x2[rest]), np.minimum(y2[i], y2[rest])
        inter = (xx2 - xx1).clip(0) * (yy2 - yy1).clip(0)
        ovr = inter / (areas[i] + areas[rest] - inter + 1e-9)
        order = rest[ovr <= iou]
    return np.asarray(keep, dtype=np.int64)


def decode(
    raw: np.ndarray, lb: Letterbox, conf: float, iou: float, max_det: int = 300, nc: int = 4
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(1, 4+nc, N)`` network output -> boxes (pixels of the original image), scores, class ids."""
    raw = np.asarray(raw, dtype=np.float32)
    if raw.ndim == 3:
        raw = raw[0]
    if raw.shape[0] != 4 + nc and raw.shape[1] == 4 + nc:  # (N, 4+nc)
        raw = raw.T
    if raw.shape[0] != 4 + nc:
        raise ValueError(f"expected a (4+{nc}, N) output, got {raw.shape}")
    scores_all = raw[4:]
    cls = scores_all.argmax(axis=0)
    scores = scores_all[cls, np.arange(scores_all.shape[1])]
    sel = scores > conf
    if not np.any(sel):
        return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
    xywh, scores, cls = raw[:4, sel].T, scores[sel], cls[sel]
    boxes = np.empty_like(xywh)
    boxes[:, :2] = xywh[:, :2] - xywh[:, 2:] / 2
    boxes[:, 2:] = xywh[:, :2] + xywh[:, 2:] / 2
    # class-aware NMS: offset boxes by class so different classes never suppress each other
    keep = nms_xyxy(boxes + cls[:, None].astype(np.float32) * 7680.0, scores, iou)[:max_det]
    boxes, scores, cls = boxes[keep], scores[keep], cls[keep]
    boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - lb.pad_x) / lb.scale).clip(0, lb.width)
    boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - lb.pad_y) / lb.scale).clip(0, lb.height)
    return boxes.astype(np.float32), scores.astype(np.float32), cls.astype(np.int64)


def _threads() -> int:
    return int(os.environ.get("ROADCAM_THREADS", "0")) or min(os.cpu_count() or 1, 8)


def model_cache_dir() -> Path | None:
    """Where OpenVINO keeps compiled models (``settings.model_cache_dir``; empty: no cache)."""
    from roadcam.settings import get_settings

    d = get_settings().model_cache_dir
    return Path(d).expanduser() if d and str(d).strip() else None


class OpenVINOBackend:
    """OpenVINO on CPU; reads the ``.onnx`` directly or the IR ``.xml``.

    One compiled model per input shape serves both single images (a synchronous request)
    and batches (an asynchronous queue over the same model): a worker compiles once, not
    once per way of calling. ``hint`` is OpenVINO's performance hint (``LATENCY`` for one
    image at a time, ``THROUGHPUT`` for batches: parallel streams). Compiled models are
    kept in :func:`model_cache_dir`, so a later process loads instead of compiling.
    """

    name = "openvino"

    def __init__(self, path: Path, threads: int | None = None, hint: str = "LATENCY") -> None:
        os.environ.setdefault("OPENVINO_TELEMETRY_OPT_OUT", "1")
        try:
            import openvino as ov
        except ImportError as err:
            raise DependencyError("the openvino backend needs: pip install openvino") from err
        core = ov.Core()
        cache = model_cache_dir()
        if cache is not None:
            try:
                cache.mkdir(parents=True, exist_ok=True)
                core.set_property({"CACHE_DIR": str(cache)})
            except OSError:  # a read-only home: compile every time
                log.debug("no OpenVINO model cache at %s", cache, exc_info=True)
        try:
            model = core.read_model(str(path))
        except Exception as err:
            raise ModelError(f"OpenVINO cannot read the model: {err}", path=str(path)) from err
        ps = model.inputs[0].get_partial_shape()
        self.dynamic = (
            ps.rank.is_static
            and ps.rank.get_length() == 4
            and (ps[2].is_dynamic or ps[3].is_dynamic)
        )
        self.input_shape = tuple(-1 if d.is_dynamic else d.get_length() for d in ps)
        self._core, self._model = core, model
        self._cfg = {"PERFORMANCE_HINT": hint, "INFERENCE_NUM_THREADS": threads or _threads()}
        self._compiled: dict[tuple[int, ...], tuple[object, object, object]] = {}

    def _compiled_for(self, shape: tuple[int, ...]):
        """(compiled model, sync request, async queue or None) for one input shape, compiled once
        (dynamic kernels are slow on CPU; a video has one shape)."""
        if not self.dynamic:
            shape = self.input_shape
        entry = self._compiled.get(shape)
        if entry is None:
            model = self._model
            if self.dynamic:
                model = model.clone()
                model.reshape({model.inputs[0]: list(shape)})
            compiled = self._core.compile_model(model, "CPU", self._cfg)
            if len(self._compiled) >= 8:
                self._compiled.pop(next(iter(self._compiled)))
            entry = self._compiled[shape] = (compiled, compiled.create_infer_request(), None)
        return entry

    def __call__(self, blob: np.ndarray) -> np.ndarray:
        _, req, _ = self._compiled_for(tuple(blob.shape))
        req.infer({0: blob})
        return req.get_output_tensor(0).data.copy()

    def run_many(self, blobs: list[np.ndarray]) -> list[np.ndarray]:
        """Several requests in flight for a batch (parallel streams with ``THROUGHPUT``); same order out."""
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, b in enumerate(blobs):
            groups.setdefault(tuple(b.shape), []).append(i)
        out: list[np.ndarray | None] = [None] * len(blobs)
        for shape, idx in groups.items():
            for i, raw in zip(
                idx, self._run_same_shape([blobs[i] for i in idx], shape), strict=True
            ):
                out[i] = raw
        return out  # type: ignore[return-value]

    def _run_same_shape(self, blobs: list[np.ndarray], shape: tuple[int, ...]) -> list[np.ndarray]:
        import openvino as ov

        if len(blobs) == 1:
            return [self(blobs[0])]
        compiled, req, queue = self._compiled_for(shape)
        if queue is None:
            queue = ov.AsyncInferQueue(compiled)
            key = shape if self.dynamic else self.input_shape
            self._compiled[key] = (compiled, req, queue)
        out: list[np.ndarray | None] = [None] * len(blobs)

        def _done(request, i):
            out[i] = request.get_output_tensor(0).data.copy()

        queue.set_callback(_done)
        for i, b in enumerate(blobs):
            queue.start_async({0: b}, i)
        queue.wait_all()
        return out  # type: ignore[return-value]


class OnnxRuntimeBackend:
    """onnxruntime on CPU."""

    name = "onnxruntime"

    def __init__(self, path: Path, threads: int | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as err:
            raise DependencyError("the onnxruntime backend needs: pip install onnxruntime") from err
        if path.suffix != ".onnx":
            raise ModelError("the onnxruntime backend needs an .onnx file", path=str(path))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or _threads()
        opts.log_severity_level = 3
        try:
            self._sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as err:
            raise ModelError(f"onnxruntime cannot read the model: {err}", path=str(path)) from err
        self._input = self._sess.get_inputs()[0].name
        self.input_shape = tuple(
            d if isinstance(d, int) else -1 for d in self._sess.get_inputs()[0].shape
        )
        self.dynamic = len(self.input_shape) == 4 and (
            self.input_shape[2] < 0 or self.input_shape[3] < 0
        )

    def __call__(self, blob: np.ndarray) -> np.ndarray:
        return self._sess.run(None, {self._input: blob})[0]


def onnx_class_names(path: Path) -> tuple[str, ...] | None:
    """Class names from the metadata ultralytics writes into exported models, if readable."""
    import ast

    try:
        if path.suffix == ".onnx":
            import onnxruntime as ort

            meta = ort.InferenceSession(
                str(path), providers=["CPUExecutionProvider"]
            ).get_modelmeta()
            names = meta.custom_metadata_map.get("names")
        else:
            import yaml

            meta_file = path.parent / "metadata.yaml"
            names = (
                yaml.safe_load(meta_file.read_text()).get("names") if meta_file.is_file() else None
            )
        if isinstance(names, str):
            names = ast.literal_eval(names)
        if isinstance(names, dict):
            return tuple(str(names[k]) for k in sorted(names))
    except Exception:  # metadata is optional
        log.debug("no class names in %s", path, exc_info=True)
    return None
