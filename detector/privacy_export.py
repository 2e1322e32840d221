"""Build the privacy detector (COCO YOLOv5n, old anchor head) and export it to ONNX once.

Current ultralytics cannot run the anchor head (``model.24``) of the YOLOv5-era COCO
``yolov5n.pt``. Its backbone and neck map one-to-one onto ultralytics' ``yolov5n.yaml``
(342 tensors); the head is rebuilt here: three 1x1 convs (``model.24.m.{0,1,2}``), 3 anchors
per level (``model.24.anchors`` x stride), strides 8/16/32 and the YOLOv5 decode

    xy = (2 * sigmoid - 0.5 + grid) * stride,  wh = (2 * sigmoid) ** 2 * anchor,
    score = sigmoid(obj) * sigmoid(cls).

The ONNX graph ends with the decode, so its output is ``(1, 4 + 80, N)`` (centre x, y, w, h in
input pixels, then 80 class scores), the layout :func:`detector.backends.decode` reads. Weights
are stored as fp16 with a Cast to fp32 (half the file; the runtime computes in fp32).

Torch and ultralytics are needed only here (the ``train`` extra); the app reads the ``.onnx``.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from roadcam.errors import InputNotFoundError, ModelError

log = logging.getLogger(__name__)

STRIDES = (8, 16, 32)
HEAD_FROM = (17, 20, 23)  # the neck layers yolov5n.yaml's head reads
N_COCO = 80
MIN_MATCHED_TENSORS = 342


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_coco_v5_model(yolov5_pt: str | Path):
    """The COCO YOLOv5n as a torch module: image blob (1,3,H,W) in [0,1] -> (1, 84, N)."""
    from detector.train import _read_yolov5_state_dict, _ultralytics

    _ultralytics()
    import torch
    from ultralytics.nn.tasks import DetectionModel

    path = Path(yolov5_pt)
    if not path.is_file():
        raise InputNotFoundError("COCO yolov5n checkpoint not found", path=str(path))
    sd = _read_yolov5_state_dict(path)
    body = DetectionModel("yolov5n.yaml", nc=N_COCO, verbose=False)
    own = body.state_dict()
    match = {k: v for k, v in sd.items() if k in own and own[k].shape == v.shape}
    if len(match) < MIN_MATCHED_TENSORS or "model.24.anchors" not in sd:
        raise ModelError(f"only {len(match)} tensors of {path} fit yolov5n.yaml", path=str(path))
    body.load_state_dict(match, strict=False)
    if tuple(body.model[-1].f) != HEAD_FROM:
        raise ModelError(f"yolov5n.yaml head reads {body.model[-1].f}, expected {HEAD_FROM}")
    model = _CocoV5(body, sd, torch)
    log.info("privacy model: %d backbone/neck tensors + the anchor head from %s", len(match), path)
    return model.eval()


def _CocoV5(body, sd, torch):  # noqa: N802 (a class built once torch is imported)
    nn = torch.nn

    class CocoV5(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = body.model[:-1]
            self.heads = nn.ModuleList()
            for i in range(3):
                w = sd[f"model.24.m.{i}.weight"].float()
                conv = nn.Conv2d(w.shape[1], w.shape[0], 1)
                conv.weight.data.copy_(w)
                conv.bias.data.copy_(sd[f"model.24.m.{i}.bias"].float())
                self.heads.append(conv)
            strides = torch.tensor(STRIDES, dtype=torch.float32).view(3, 1, 1)
            self.register_buffer("anchors_px", sd["model.24.anchors"].float() * strides)

        def forward(self, x):
            y = []
            for m in self.layers:
                if m.f != -1:
                    x = y[m.f] if isinstance(m.f, int) else [x if j == -1 else y[j] for j in m.f]
                x = m(x)
                y.append(x)
            return torch.cat([self._level(y[j], i) for i, j in enumerate(HEAD_FROM)], 2)

        def _level(self, feat, i: int):
            p = self.heads[i](feat)
            bs, _, ny, nx = p.shape
            p = p.view(bs, 3, 5 + N_COCO, ny, nx).permute(0, 1, 3, 4, 2).sigmoid()
            gy, gx = torch.meshgrid(
                torch.arange(ny, dtype=torch.float32),
                torch.arange(nx, dtype=torch.float32),
                indexing="ij",
            )
            grid = torch.stack((gx, gy), -1).view(1, 1, ny, nx, 2)
            xy = (p[..., :2] * 2 - 0.5 + grid) * STRIDES[i]
            wh = (p[..., 2:4] * 2) ** 2 * self.anchors_px[i].view(1, 3, 1, 1, 2)
            scores = p[..., 5:] * p[..., 4:5]
            out = torch.cat((xy, wh, scores), -1).view(bs, -1, 4 + N_COCO)
            return out.permute(0, 2, 1)

    return CocoV5()


def export_privacy_onnx(yolov5_pt: str | Path, out_onnx: str | Path, opset: int = 17) -> dict:
    """Write the privacy ONNX (dynamic height/width, fp16 weights); return a small card."""
    import torch

    model = build_coco_v5_model(yolov5_pt)
    out = Path(out_onnx)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".fp32.onnx")
    dummy = torch.zeros(1, 3, 320, 320)
    with torch.no_grad():
        torch.onnx.export(
            model,
            (dummy,),
            str(tmp),
            opset_version=opset,
            input_names=["images"],
            output_names=["output0"],
            dynamic_axes={"images": {2: "height", 3: "width"}, "output0": {2: "anchors"}},
            dynamo=False,
        )
    _to_fp16_weights(tmp, out)
    tmp.unlink()
    return {
        "onnx": out.name,
        "bytes": out.stat().st_size,
        "sha256": sha256_of(out),
        "source_sha256": sha256_of(Path(yolov5_pt)),
    }


def _to_fp16_weights(src: Path, dst: Path) -> None:
    """Store every float32 weight as fp16 followed by a Cast to fp32 (same graph, half the file)."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    m = onnx.load(str(src))
    g = m.graph
    casts, inits = [], []
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if arr.dtype == np.float32 and arr.size > 16:
            half = numpy_helper.from_array(arr.astype(np.float16), init.name + "_fp16")
            inits.append(half)
            casts.append(helper.make_node("Cast", [half.name], [init.name], to=TensorProto.FLOAT))
        else:
            inits.append(init)
    del g.initializer[:]
    g.initializer.extend(inits)
    nodes = list(g.node)
    del g.node[:]
    g.node.extend(casts + nodes)
    meta = m.metadata_props.add()
    meta.key, meta.value = "names", str(dict(enumerate(COCO_NAMES)))
    onnx.checker.check_model(m)
    onnx.save(m, str(dst))


COCO_NAMES = (
    "person bicycle car motorcycle airplane bus train truck boat traffic_light fire_hydrant "
    "stop_sign parking_meter bench bird cat dog horse sheep cow elephant bear zebra giraffe "
    "backpack umbrella handbag tie suitcase frisbee skis snowboard sports_ball kite baseball_bat "
    "baseball_glove skateboard surfboard tennis_racket bottle wine_glass cup fork knife spoon bowl "
    "banana apple sandwich orange broccoli carrot hot_dog pizza donut cake chair couch "
    "potted_plant bed dining_table toilet tv laptop mouse remote keyboard cell_phone microwave "
    "oven toaster sink refrigerator book clock vase scissors teddy_bear hair_drier toothbrush"
).split()
