"""Training with ultralytics, offline, on CPU or GPU; resumable.

``coco_backbone_checkpoint`` turns the YOLOv5-era COCO ``yolov5n.pt`` into an
ultralytics checkpoint of the anchor-free ``yolov5n.yaml`` with ``nc=4``: the
backbone and neck (model.0-23) come from COCO, the detection head is new. The
original file is only read, never shipped.
"""

from __future__ import annotations

import logging
import os
import sys
import types
from pathlib import Path
from typing import Any

from detector.types import CLASS_NAMES
from roadcam.errors import DependencyError, InputNotFoundError, ModelError
from roadcam.settings import portable_path, scrub_path_text

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def offline_env() -> None:
    """Make ultralytics offline and keep its config, font and matplotlib cache in the project."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_AUTOINSTALL", "0")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(PROJECT_ROOT / ".ultralytics"))
    os.environ.setdefault("MPLCONFIGDIR", str(PROJECT_ROOT / ".mpl"))
    os.environ.setdefault("OPENVINO_TELEMETRY_OPT_OUT", "1")
    cfg = Path(os.environ["YOLO_CONFIG_DIR"])
    cfg.mkdir(parents=True, exist_ok=True)
    Path(os.environ["MPLCONFIGDIR"]).mkdir(parents=True, exist_ok=True)
    font = cfg / "Arial.ttf"
    if not font.exists():
        try:
            import matplotlib

            src = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
            if src.is_file():
                font.write_bytes(src.read_bytes())
        except ImportError:  # pragma: no cover - plots off then
            pass


def _ultralytics():
    offline_env()
    try:
        import ultralytics  # noqa: F401
        from ultralytics import YOLO
    except ImportError as err:
        raise DependencyError("training needs the train extra: pip install -e '.[train]'") from err
    return YOLO


def _read_yolov5_state_dict(path: Path) -> dict[str, Any]:
    """Tensors of a YOLOv5-era pickle, read with stub ``models.*`` modules."""
    import torch

    stubs = {}
    for mod, names in {
        "models": [],
        "models.common": ["Conv", "C3", "Bottleneck", "SPPF", "Concat", "SPP", "Focus"],
        "models.yolo": ["Model", "Detect", "DetectionModel"],
    }.items():
        m = types.ModuleType(mod)
        for n in names:
            setattr(m, n, type(n, (torch.nn.Module,), {}))
        stubs[mod] = m
    saved = {k: sys.modules.get(k) for k in stubs}
    sys.modules.update(stubs)
    try:
        ckpt = torch.load(str(path), map_location="cpu", weights_only=False)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return ckpt["model"].float().state_dict()


def coco_backbone_checkpoint(
    yolov5_pt: str | Path, out_pt: str | Path, arch: str = "yolov5n.yaml"
) -> tuple[Path, int]:
    """Write an ultralytics checkpoint of ``arch`` (nc=4) initialised from the COCO YOLOv5 file.

    Returns the output path and how many tensors were loaded.
    """
    _ultralytics()
    import torch
    from ultralytics.nn.tasks import DetectionModel

    yolov5_pt = Path(yolov5_pt)
    if not yolov5_pt.is_file():
        raise InputNotFoundError("COCO yolov5n checkpoint not found", path=str(yolov5_pt))
    sd = _read_yolov5_state_dict(yolov5_pt)
    model = DetectionModel(arch, nc=len(CLASS_NAMES), verbose=False)
    own = model.state_dict()
    match = {k: v for k, v in sd.items() if k in own and own[k].shape == v.shape}
    model.load_state_dict(match, strict=False)
    model.names = dict(enumerate(CLASS_NAMES))
    model.args = {}
    out_pt = Path(out_pt)
    out_pt.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "model": model.half(),
            "ema": None,
            "updates": 0,
            "optimizer": None,
            "epoch": -1,
            "train_args": {"model": arch},
            "date": None,
            "version": "roadcam",
        },
        out_pt,
    )
    log.info("COCO backbone: %d of %d source tensors loaded into %s", len(match), len(sd), arch)
    return out_pt, len(match)


def start_model(arch: str, pretrained: str | Path | None, work_dir: Path) -> str:
    """The ``model`` argument for ultralytics: a yaml (from scratch) or a COCO-initialised .pt."""
    if pretrained:
        out, n = coco_backbone_checkpoint(
            pretrained, work_dir / f"{Path(arch).stem}_coco_nc4.pt", arch
        )
        if n < 300:
            raise ModelError(
                f"only {n} tensors of {pretrained} fit {arch}; is it the COCO yolov5n.pt?"
            )
        return str(out)
    return arch


def train(
    data_yaml: str | Path,
    *,
    arch: str = "yolov5n.yaml",
    pretrained: str | Path | None = None,
    imgsz: int = 320,
    epochs: int = 30,
    time_h: float | None = None,
    batch: int = 16,
    project: str | Path = PROJECT_ROOT / "runs" / "train",
    name: str = "roadcam",
    device: str = "cpu",
    workers: int = 1,
    threads: int = 2,
    fraction: float = 1.0,
    plots: bool = True,
    patience: int = 100,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Train and return the run folder (``weights/best.pt``, ``weights/last.pt``, ``results.csv``).

    ``time_h`` (hours), if given, caps the run: ultralytics then fits the schedule to that time.
    """
    YOLO = _ultralytics()
    import torch

    if device == "cpu":
        torch.set_num_threads(threads)
    data_yaml = Path(data_yaml)
    if not data_yaml.is_file():
        raise InputNotFoundError(
            "data.yaml not found (run `roadcam dataset build` first)", path=str(data_yaml)
        )
    project = Path(project).resolve()
    project.mkdir(parents=True, exist_ok=True)
    model = YOLO(start_model(arch, pretrained, project))
    args = _train_args(
        data_yaml, project, imgsz=imgsz, epochs=epochs, batch=batch, device=device,
        workers=workers, name=name, plots=plots, patience=patience, fraction=fraction,
        time_h=time_h, extra=extra,
    )  # fmt: skip
    model.train(**args)
    return project / name


def _train_args(
    data_yaml: Path, project: Path, *, imgsz: int, epochs: int, batch: int, device: str,
    workers: int, name: str, plots: bool, patience: int, fraction: float,
    time_h: float | None, extra: dict[str, Any] | None,
) -> dict[str, Any]:  # fmt: skip
    """ultralytics' ``train`` arguments: ours, then ``time`` (hours) if given, then ``extra``."""
    args: dict[str, Any] = dict(
        data=str(data_yaml.resolve()),
        imgsz=imgsz,
        epochs=epochs,
        batch=batch,
        device=device,
        workers=workers,
        project=str(project),
        name=name,
        exist_ok=True,
        plots=plots,
        amp=device != "cpu",
        patience=patience,
        fraction=fraction,
        verbose=False,
        seed=0,
        deterministic=False,
        # augmentation for CPU-short schedules: mosaic on, closed for the last epochs
        mosaic=1.0,
        close_mosaic=max(1, epochs // 10),
        fliplr=0.5,
        hsv_v=0.4,
        scale=0.5,
        translate=0.1,
    )
    if time_h:
        args["time"] = time_h
    args.update(extra or {})
    return args


def resume(run_or_last: str | Path, device: str | None = None, threads: int = 2) -> Path:
    """Resume an interrupted run from its ``weights/last.pt`` (or a run folder)."""
    YOLO = _ultralytics()
    import torch

    torch.set_num_threads(threads)
    p = Path(run_or_last)
    last = p / "weights" / "last.pt" if p.is_dir() else p
    if not last.is_file():
        raise InputNotFoundError("no last.pt to resume from", path=str(last))
    kw = {"resume": True}
    if device:
        kw["device"] = device
    YOLO(str(last)).train(**kw)
    return last.parent.parent


def export_weights(
    best_pt: str | Path, out_dir: str | Path, imgsz: int = 320, stem: str = "roadcam"
) -> dict[str, Path]:
    """Copy ``best.pt`` (optimizer stripped) into ``out_dir`` and export next to it:

    * ``<stem>.onnx`` with dynamic height/width (inputs are letterboxed to a multiple
      of 32, not a square: 40 % less work on 16:9 frames),
    * ``<stem>_openvino_model/`` OpenVINO IR (dynamic, fp16-compressed weights),
    * ``<stem>.json``, the weights card (classes, imgsz, training run); ``roadcam evaluate
      --tune-conf`` adds the shipped confidence threshold.
    """
    import shutil

    YOLO = _ultralytics()
    from ultralytics.utils.torch_utils import strip_optimizer

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    best_pt = Path(best_pt)
    pt = out_dir / f"{stem}.pt"
    if best_pt.resolve() != pt.resolve():
        shutil.copyfile(best_pt, pt)
    strip_optimizer(str(pt))
    onnx = Path(
        YOLO(str(pt)).export(format="onnx", imgsz=imgsz, simplify=True, dynamic=True, opset=17)
    )
    ov_dir = Path(YOLO(str(pt)).export(format="openvino", imgsz=imgsz, half=True, dynamic=True))
    scrub_exported_weights(pt, onnx, ov_dir)
    card_path = out_dir / f"{stem}.json"
    files = {"pt": pt.name, "onnx": onnx.name, "openvino": f"{ov_dir.name}/{stem}.xml"}
    _update_weights_card(card_path, best_pt, imgsz, files)
    return {"pt": pt, "onnx": onnx, "openvino": ov_dir, "card": card_path}


def _update_weights_card(card_path: Path, best_pt: Path, imgsz: int, files: dict[str, str]) -> None:
    """Write the weights card: classes, imgsz, source and files, and the run's training args."""
    import json

    card = json.loads(card_path.read_text()) if card_path.is_file() else {}
    run_dir = best_pt.parent.parent
    card.update(
        {
            "classes": list(CLASS_NAMES),
            "imgsz": imgsz,
            "source_weights": portable_path(best_pt),
            "files": files,
        }
    )
    if (run_dir / "args.yaml").is_file():
        import yaml

        a = yaml.safe_load((run_dir / "args.yaml").read_text())
        card["train_args"] = {
            k: a.get(k)
            for k in (
                "model",
                "imgsz",
                "epochs",
                "time",
                "batch",
                "freeze",
                "optimizer",
                "close_mosaic",
                "mosaic",
                "fraction",
                "seed",
            )
        }
    card_path.write_text(json.dumps(card, indent=2) + "\n")


def _scrub_tree(obj: Any) -> Any:
    if isinstance(obj, str):
        return scrub_path_text(obj)
    if isinstance(obj, dict):
        return {k: _scrub_tree(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_scrub_tree(v) for v in obj)
    return obj


def scrub_exported_weights(pt: Path, onnx_path: Path, ov_dir: Path) -> None:
    """Remove the training machine's absolute paths from the .pt, .onnx and OpenVINO metadata."""
    import onnx
    import torch

    ckpt = torch.load(str(pt), map_location="cpu", weights_only=False)
    for key in ("train_args", "git"):
        if key in ckpt:
            ckpt[key] = _scrub_tree(ckpt[key])
    for key in ("model", "ema"):
        if getattr(ckpt.get(key), "args", None) is not None:
            ckpt[key].args = _scrub_tree(ckpt[key].args)
    torch.save(ckpt, str(pt))
    model = onnx.load(str(onnx_path))
    for prop in model.metadata_props:
        prop.value = scrub_path_text(prop.value)
    onnx.save(model, str(onnx_path))
    meta = ov_dir / "metadata.yaml"
    if meta.is_file():
        meta.write_text(scrub_path_text(meta.read_text()))
