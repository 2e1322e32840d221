"""The web map's settings as the browser sees them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MapConfig(BaseModel):
    tile_url: str | None = Field(
        description="base-map tile URL template ({z}/{x}/{y}); null: no base map (works offline)"
    )
    tile_attribution: str = Field(description="attribution shown with the base map")
