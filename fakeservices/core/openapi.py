"""A small OpenAPI 3.1 document built as admin routes are declared.

Response bodies are described from the pydantic models the Python client parses them with
(:mod:`fakeservices.schemas`): :meth:`ApiDoc.model` registers one under ``components`` and
:meth:`ApiDoc.page` wraps one in the read-back list envelope. Routes name models by name
(``doc.model("Health")``, or ``"module:Name"`` for one outside :mod:`fakeservices.schemas`): the
server imports them, and pydantic, only when the document is first rendered, not at start-up.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from fakeservices import __version__

if TYPE_CHECKING:
    from pydantic import BaseModel

Schema = dict[str, Any]
#: A pydantic model, or its name: ``"Health"`` (in :mod:`fakeservices.schemas`) or
#: ``"package.module:Name"``.
ModelRef: TypeAlias = "type[BaseModel] | str"
#: What a 2xx JSON answer is described as when its route names no schema.
ANY_OBJECT: Schema = {"type": "object"}


@dataclass(slots=True)
class Param:
    name: str
    type: str = "string"
    description: str = ""
    location: str = "query"
    required: bool = False
    #: May be given more than once (``?account=a&account=b``).
    repeatable: bool = False

    def to_json(self) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": self.type}
        if self.repeatable:
            schema = {"type": "array", "items": schema}
        out: dict[str, Any] = {
            "name": self.name,
            "in": self.location,
            "required": self.required or self.location == "path",
            "description": self.description,
            "schema": schema,
        }
        if self.repeatable:
            out["style"], out["explode"] = "form", True
        return out


_ERROR = {"$ref": "#/components/schemas/Error"}
_REF = "#/components/schemas/{model}"


@dataclass
class ApiDoc:
    paths: dict[str, dict[str, Any]] = field(default_factory=dict)
    schemas: dict[str, Any] = field(default_factory=dict)
    #: Models referenced but not yet turned into JSON schemas, in the order they were referenced.
    #: Generating the schemas took about a tenth of start-up, for a document few clients read:
    #: :meth:`render` generates them (once) in that order, so the document is what generating
    #: each one where it is referenced gave.
    pending: list[tuple[ModelRef, Literal["validation", "serialization"]]] = field(
        default_factory=list
    )

    def add(
        self,
        method: str,
        path: str,
        summary: str,
        params: list[Param] | None = None,
        responses: dict[int, str] | None = None,
        body_schema: dict[str, Any] | None = None,
        content_type: str = "application/json",
        schema: Schema | None = None,
        response_type: str = "application/json",
    ) -> None:
        """Describe one operation; ``schema`` is its success body (``response_type``)."""
        op: dict[str, Any] = {"summary": summary, "parameters": [p.to_json() for p in params or []]}
        resp: dict[str, dict[str, Any]] = {
            str(k): {"description": v} for k, v in (responses or {200: "OK"}).items()
        }
        for code in ("400", "404", "422"):
            resp.setdefault(code, {"description": "Error"})
        for code, spec in resp.items():
            if code >= "400":
                spec["content"] = {"application/json": {"schema": _ERROR}}
            else:
                body = schema if schema is not None else ANY_OBJECT
                spec["content"] = {response_type: {"schema": body}}
        op["responses"] = resp
        if body_schema is not None:
            op["requestBody"] = {
                "required": True,
                "content": {content_type: {"schema": body_schema}},
            }
        self.paths.setdefault(path, {})[method.lower()] = op

    def model(
        self, model: ModelRef, mode: Literal["validation", "serialization"] = "serialization"
    ) -> Schema:
        """A reference to ``model``'s JSON schema (as sent, or as accepted for ``validation``);
        the schema itself is generated when the document is first rendered. A model of
        :mod:`fakeservices.schemas` may be given by name."""
        self.pending.append((model, mode))
        name = model.rpartition(":")[2] if isinstance(model, str) else model.__name__
        return {"$ref": _REF.format(model=name)}

    def resolve(self) -> None:
        """Generate the JSON schemas of the models referenced since the last call, in order."""
        pending, self.pending = self.pending, []
        for ref, mode in pending:
            if isinstance(ref, str):
                module, _, name = ref.rpartition(":")
                model: type[BaseModel] = getattr(
                    importlib.import_module(module or "fakeservices.schemas"), name
                )
            else:
                model = ref
            schema = model.model_json_schema(by_alias=True, ref_template=_REF, mode=mode)
            for name, sub in schema.pop("$defs", {}).items():
                self.schemas.setdefault(name, sub)
            self.schemas.setdefault(model.__name__, schema)

    def page(self, model: ModelRef) -> Schema:
        """The read-back list envelope ``{"data": [model...], "has_more", "next_after"}``."""
        return {
            "type": "object",
            "required": ["data", "has_more", "next_after"],
            "properties": {
                "data": {"type": "array", "items": self.model(model)},
                "has_more": {"type": "boolean"},
                "next_after": {"type": "integer", "description": "pass as after= to go on"},
            },
        }

    def render(self) -> dict[str, Any]:
        self.resolve()
        return {
            "openapi": "3.1.0",
            "info": {"title": "fakeservices admin API", "version": __version__},
            "paths": dict(sorted(self.paths.items())),
            "components": {
                "schemas": {
                    "Error": {
                        "type": "object",
                        "required": ["error"],
                        "properties": {
                            "error": {
                                "type": "object",
                                "required": ["code", "message"],
                                "properties": {
                                    "code": {"type": "string"},
                                    "message": {"type": "string"},
                                },
                            }
                        },
                    },
                    **self.schemas,
                }
            },
        }
