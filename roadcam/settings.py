"""Settings from the environment (``ROADCAM_*``) and an optional ``.env``.

Nothing is read at import: call :func:`get_settings`.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def portable_path(path: str | Path) -> str:
    """``path`` as written into committed files (results, weight cards): relative to the
    repository when under it, else just its name, never an absolute path of this machine."""
    p = Path(path)
    try:
        return p.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return p.name if p.is_absolute() else p.as_posix()


def shared_data_dir() -> Path:
    """The third-party data folder: ``$ROADCAM_SHARED_DATA``, else ``../shared/data`` beside
    the repository (where CI puts it). Recipes name it ``${shared_data}``."""
    env = os.environ.get("ROADCAM_SHARED_DATA")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"


_ABS_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.@+-]+/)*[\w.@+-]+")


def scrub_path_text(text: str) -> str:
    """Every absolute path in ``text`` made portable (:func:`portable_path`): results and
    exported metadata carry no path of the machine that wrote them."""
    return _ABS_PATH.sub(lambda m: portable_path(m.group(0)), text)


class Settings(BaseSettings):
    """Runtime configuration shared by the pipeline and the API."""

    model_config = SettingsConfigDict(env_prefix="ROADCAM_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{PROJECT_ROOT / 'var' / 'roadcam.sqlite'}",
        description="SQLAlchemy URL. sqlite:///... uses SpatiaLite; postgresql+psycopg://... uses PostGIS.",
    )
    weights_path: Path = Field(
        default=PROJECT_ROOT / "detector" / "weights" / "roadcam.onnx",
        description="Detector weights (.onnx, OpenVINO .xml, or .pt with the train extra).",
    )
    detector_backend: str = "openvino"
    detector_int8: bool = Field(
        default=True,
        description="Use the INT8 model made from the weights (`roadcam train --int8`) with the "
        "openvino backend, when its weights card accepts it (mAP50 within 1 point of the FP "
        "model on the valid and test splits) and it was made from the current weights.",
    )
    model_cache_dir: str = Field(
        default=str(Path.home() / ".cache" / "roadcam" / "openvino"),
        description="Where OpenVINO keeps compiled models, so a worker loads instead of "
        "compiling; empty: no cache.",
    )
    sample_spacing_m: float = 5.0
    data_dir: Path = PROJECT_ROOT / "var"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    workers: int = Field(
        default=1, ge=1, description="worker processes for `roadcam process` (local) or CPUs (ray)"
    )
    confirm_mapping: Path | None = Field(
        default=None,
        description="The council's Confirm code mapping YAML (default: store/mappings/confirm.yaml).",
    )
    map_tile_url: str = Field(
        default="",
        description="Optional base-map tile URL for the web map, e.g. "
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png; empty: no base map (the map works offline).",
    )
    map_tile_attribution: str = Field(
        default="", description="Attribution text the tile provider requires (shown on the map)."
    )
    public_reads: bool = Field(
        default=False,
        description="Let anonymous callers use the read-only endpoints (GET); writes always need a role.",
    )
    privacy_blur: bool = Field(
        default=True,
        description="Blur people and vehicle number plates in evidence images before they are "
        "stored (frames, repair crops, claim photos); docs/privacy.md.",
    )
    privacy_weights_path: Path = Field(
        default=PROJECT_ROOT / "detector" / "weights" / "privacy.onnx",
        description="The people/vehicle detector of the blur (`roadcam privacy export`).",
    )
    session_hours: float = Field(default=12.0, gt=0, description="Lifetime of a sign-in token.")
    max_request_bytes: int = Field(
        default=2_000_000, gt=0, description="Largest request body the API accepts (413 above)."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use."""
    return Settings()
