"""The pydantic model of :class:`~fakeservices.core.config.Config`, built from its fields.

Imported only when a value is not plainly valid (see :mod:`fakeservices.core.config`): it decides
what such a value becomes, or raises the ``ValidationError`` that names what is wrong, exactly as
when ``Config`` itself was this model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from fakeservices.core.config import config_fields

_definitions: dict[str, Any] = {
    spec.name: (spec.annotation, Field(spec.default, **spec.constraints))
    for spec in config_fields().values()
}
# Named Config: its errors say "validation error for Config", as they did.
ConfigModel: type[BaseModel] = create_model(
    "Config", __config__=ConfigDict(extra="forbid", frozen=True), **_definitions
)


def validate(values: dict[str, Any]) -> dict[str, Any]:
    """Every field's value, validated and normalised by the model; or its ValidationError."""
    return ConfigModel(**values).model_dump()
