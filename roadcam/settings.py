"""Settings from the environment (``ROADCAM_*``) and an optional ``.env``.

Nothing is read at import: call :func:`get_settings`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
    sample_spacing_m: float = 5.0
    metric_crs: str = "EPSG:27700"
    data_dir: Path = PROJECT_ROOT / "var"
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    workers: int = 1
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use."""
    return Settings()
