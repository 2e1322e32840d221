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
    public_reads: bool = Field(
        default=False,
        description="Let anonymous callers use the read-only endpoints (GET); writes always need a role.",
    )
    session_hours: float = Field(default=12.0, gt=0, description="Lifetime of a sign-in token.")
    max_request_bytes: int = Field(
        default=2_000_000, gt=0, description="Largest request body the API accepts (413 above)."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, built on first use."""
    return Settings()
