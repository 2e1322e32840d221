"""SQLAlchemy + GeoAlchemy2 models and repository functions (SpatiaLite and PostGIS)."""
