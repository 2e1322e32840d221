"""One prepared GPU training run for issue 14 (roadcam-v5 candidates). Not part of the package.

Runs two fine-tunes at 640 px side by side on one GPU (RC_ARMS picks the set, ARM_SETS below):
  v5  (start.pt = roadcam-v3): A real x2 + rendered + composites; B the same with composites x2
  v5b (start.pt = v5's A last.pt, RC_TIME_H=0.045): C and D, real x3, AdamW lr0 3e-4, D without mosaic
and copies best/last weights, results.csv and logs to $OUT. The choice between them is made
later on the valid split on CPU (bench/detector_valid.py, bench/skips.py composites).
How it ran (one call of the device tool, 420 s on one H200, 16 cores):
    mkdir gpu && cp detector/recipes/train_gpu.py gpu/ && cp detector/weights/roadcam.pt gpu/start.pt
    python detector/recipes/pack_for_gpu.py --dataset var/datasets/roadcam-v1 --out gpu/data
    (ultralytics 8.4.190 and a polars stand-in packed as gpu/usite.tar.xz; the machine has torch)
    cd gpu && tar xJf usite.tar.xz -C /tmp/site && PYTHONPATH=/tmp/site YOLO_OFFLINE=1 RC_TIME_H=0.11 \
        python3 train_gpu.py          # -> $OUT/{A,B}_{best,last}.pt, results.csv, logs
Env overrides for a CPU rehearsal: RC_DEVICE, RC_TIME_H, RC_IMGSZ, RC_BATCH, RC_WORKERS, RC_FRACTION.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
OUT = Path(os.environ.get("OUT", "/tmp/gpu_out"))
RUNS = Path("/tmp/rc_runs")
ARM_SETS = {
    # run 1: fine-tunes of roadcam-v3 (start.pt)
    "v5": {
        "A": ({"real": 2, "rendered": 1, "skip_composites": 1}, {}),
        "B": ({"real": 2, "rendered": 1, "skip_composites": 2}, {}),
    },
    # run 2: polish run 1's arm A (start.pt = A_last.pt) towards the real images, low learning rate
    "v5b": {
        "C": (
            {"real": 3, "rendered": 1, "skip_composites": 1},
            {"optimizer": "AdamW", "lr0": 0.0003, "warmup_epochs": 0, "close_mosaic": 5},
        ),
        "D": (
            {"real": 3, "rendered": 1, "skip_composites": 1},
            {"optimizer": "AdamW", "lr0": 0.0003, "warmup_epochs": 0, "mosaic": 0.0},
        ),
    },
}
ARMS = ARM_SETS[os.environ.get("RC_ARMS", "v5")]
#: detector.types' class ids (this script runs alone on the GPU machine, without the package)
NAMES = {0: "pothole", 1: "crack", 2: "faded_marking", 3: "skip"}


def write_lists(arm: str, data: Path | None = None) -> Path:
    """``train_<arm>.txt`` (each image as many times as its source's weight) and ``data_<arm>.yaml``."""
    data = ROOT / "data" if data is None else data
    reps = ARMS[arm][0]
    lines = []
    for p in sorted((data / "images" / "train").glob("*.webp")):
        kind = p.name.split("__")[0]
        n = reps["real"] if kind in ("roboflow", "brazil") else reps.get(kind, 1)
        lines += [str(p)] * n
    (data / f"train_{arm}.txt").write_text("\n".join(lines) + "\n")
    names = "".join(f"  {k}: {v}\n" for k, v in NAMES.items())
    yaml = data / f"data_{arm}.yaml"
    yaml.write_text(f"path: {data}\ntrain: train_{arm}.txt\nval: images/valid\nnames:\n{names}")
    print(arm, "train list", len(lines), flush=True)
    return yaml


def train_arm(arm: str) -> None:
    """Child process: one ultralytics training run."""
    import ultralytics.engine.trainer as tr

    tr.check_amp = lambda model: True  # its check downloads yolo26n.pt; no internet here
    from ultralytics import YOLO
    from ultralytics.utils.torch_utils import strip_optimizer

    yaml = write_lists(arm)
    model = YOLO(str(ROOT / "start.pt"))

    def on_epoch_end(trainer):
        csv = Path(trainer.save_dir) / "results.csv"
        if csv.exists():
            shutil.copy(csv, OUT / f"{arm}_results.csv")
        last = Path(trainer.save_dir) / "weights" / "last.pt"
        if last.exists() and trainer.epoch % 5 == 4:
            strip_optimizer(str(last), str(OUT / f"{arm}_last.pt"))

    model.add_callback("on_fit_epoch_end", on_epoch_end)
    device = os.environ.get("RC_DEVICE", "0")
    args = dict(
        data=str(yaml),
        imgsz=int(os.environ.get("RC_IMGSZ", 640)),
        epochs=400,
        time=float(os.environ.get("RC_TIME_H", 0.1)),
        batch=int(os.environ.get("RC_BATCH", 64)),
        device=device,
        workers=int(os.environ.get("RC_WORKERS", 7)),
        cache="ram",
        project=str(RUNS),
        name=arm,
        exist_ok=True,
        plots=False,
        amp=device != "cpu",
        patience=1000,
        fraction=float(os.environ.get("RC_FRACTION", 1.0)),
        seed=0,
        deterministic=False,
        mosaic=1.0,
        close_mosaic=10,
        fliplr=0.5,
        hsv_v=0.4,
        scale=0.5,
        translate=0.1,
        verbose=True,
    )
    args.update(ARMS[arm][1])
    model.train(**args)
    w = RUNS / arm / "weights"
    for name in ("best.pt", "last.pt"):
        if (w / name).exists():
            shutil.copy(w / name, OUT / f"{arm}_{name}")


def launch(arm: str, workers: int, time_h: float) -> subprocess.Popen:
    env = dict(os.environ, RC_WORKERS=str(workers), RC_TIME_H=f"{time_h:.4f}")
    log = open(OUT / f"{arm}.log", "a")
    return subprocess.Popen(
        [sys.executable, __file__, "--arm", arm], env=env, stdout=log, stderr=subprocess.STDOUT
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cfg = Path(os.environ["YOLO_CONFIG_DIR"])
    cfg.mkdir(parents=True, exist_ok=True)
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    if font.exists() and not (cfg / "Arial.ttf").exists():
        shutil.copy(font, cfg / "Arial.ttf")
    shm = shutil.disk_usage("/dev/shm").free if Path("/dev/shm").exists() else 0
    workers = int(os.environ.get("RC_WORKERS", 7)) if shm > 2e9 else 0
    print(f"/dev/shm free {shm / 1e9:.1f} GB -> workers {workers}", flush=True)
    t0 = time.time()
    time_h = float(os.environ.get("RC_TIME_H", 0.1))
    procs = {arm: launch(arm, workers, time_h) for arm in ARMS}
    retried = set()
    while procs:
        time.sleep(5)
        for arm, p in list(procs.items()):
            rc = p.poll()
            if rc is None:
                continue
            print(f"{arm} exited {rc} after {time.time() - t0:.0f} s", flush=True)
            del procs[arm]
            if rc != 0 and arm not in retried and time.time() - t0 < 120:
                retried.add(arm)
                print(f"{arm}: retry with workers 0", flush=True)
                procs[arm] = launch(arm, 0, max(0.02, time_h - (time.time() - t0) / 3600))
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--arm":
        train_arm(sys.argv[2])
    else:
        main()
