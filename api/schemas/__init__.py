"""Pydantic schemas, one family per resource (Base / Create / Public / List)."""
