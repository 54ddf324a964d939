"""Pydantic models that document the HTTP API in /openapi.json.

Handlers build their JSON by hand for speed; these only describe it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    message: str


class RowNote(BaseModel):
    row: int
    note: str


class PredictResponse(BaseModel):
    predictions: list[Any]
    probabilities: list[list[float | None]] | None = None
    classes: list[Any] | None = None
    model: str
    model_version: str
    alias: str
    request_id: str
    dropped_columns: list[str] | None = None
    notes: list[RowNote] | None = None


class HealthBody(BaseModel):
    status: str


class ReadyBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    ready: bool
    message: str | None = None


class ModelBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str
    alias: str
    version: str
    run_id: str | None = None
    dataset_manifest_ids: dict[str, str]
    loaded_at: str


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        401: "Missing or wrong bearer token.",
        413: "Body larger than the configured limit.",
        415: "Unsupported content type.",
        422: "Input does not match the model signature.",
        503: "No model loaded yet.",
    }
    return {c: {"model": ErrorBody, "description": text.get(c, "Error")} for c in codes}
