"""A small OpenAPI 3 response validator for the Twilio and SendGrid specs we vendor.

Covers what those specs use: ``$ref``, ``type`` (string, integer, number, boolean, array,
object), ``nullable``, ``enum``, ``pattern``, ``properties``/``items`` and the
``date-time-rfc-2822`` format. ``all_required`` makes every listed property required: Twilio's spec
lists no ``required`` keys, yet its API always returns every property of a resource (null when it
does not apply), and SDKs read them all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

from tests.conformance.violations import Violation

Schema = Mapping[str, Any]
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class OpenApi:
    def __init__(
        self,
        doc: Mapping[str, Any],
        *,
        all_required: bool,
        extra_keys: Mapping[tuple[str, str], str],
        overrides: Mapping[tuple[str, str], tuple[Mapping[str, Any], str]] | None = None,
    ) -> None:
        self.doc = doc
        self.all_required = all_required
        self.extra_keys = extra_keys
        self.overrides = overrides or {}

    def resolve(self, schema: Schema) -> tuple[Schema, str | None]:
        ref = schema.get("$ref")
        if ref is None:
            return schema, None
        node: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node, ref.rsplit("/", 1)[-1]

    def response_schema(self, path: str, method: str, status: int) -> tuple[Schema, str] | None:
        """The JSON schema of a response, if the spec documents one for this status."""
        op = self.doc["paths"].get(path, {}).get(method.lower())
        if op is None:
            return None
        response = op.get("responses", {}).get(str(status))
        if response is None:
            return None
        response, _ = self.resolve(response)
        content = response.get("content", {}).get("application/json")
        if content is None:
            return None
        schema, name = self.resolve(content["schema"])
        return schema, name or str(schema.get("title", "response"))

    def check(self, value: Any, schema: Schema, path: str, name: str) -> list[Violation]:
        schema, ref_name = self.resolve(schema)
        name = ref_name or name
        if value is None:
            if schema.get("nullable"):
                return []
            return [Violation(path, "", "not null", name)]
        kind = schema.get("type")
        if kind is None and "enum" in schema:
            kind = "string"
        types = JSON_TYPES.get(str(kind))
        if types is not None:
            wrong = not isinstance(value, types) or (kind != "boolean" and isinstance(value, bool))
            if wrong:
                return [
                    Violation(path, "", f"{kind}, got {type(value).__name__} {value!r:.60}", name)
                ]
        if "enum" in schema and value not in schema["enum"]:
            return [Violation(path, "", f"one of {schema['enum']}, got {value!r}", name)]
        if isinstance(value, str):
            pattern = schema.get("pattern")
            if pattern and not re.search(pattern, value):
                return [Violation(path, "", f"matching {pattern}, got {value!r}", name)]
            if schema.get("format") == "date-time-rfc-2822" and not _rfc2822(value):
                return [Violation(path, "", f"an RFC 2822 date, got {value!r}", name)]
        if kind == "array":
            out: list[Violation] = []
            for i, item in enumerate(value):
                out += self.check(item, schema.get("items", {}), f"{path}[{i}]", f"{name}[]")
            return out
        if kind == "object" and "properties" in schema:
            return self._object(value, schema, path, name)
        return []

    def _object(
        self, value: Mapping[str, Any], schema: Schema, path: str, name: str
    ) -> list[Violation]:
        props: Mapping[str, Any] = schema["properties"]
        required = set(props) if self.all_required else set(schema.get("required", ()))
        out = [
            Violation(path, key, "required, missing (null when n/a)", name)
            for key in sorted(required - set(value))
        ]
        for key, item in value.items():
            sub = props.get(key)
            override = self.overrides.get((name, key))
            if override is not None:
                sub = override[0]
            if sub is None:
                if (name, key) not in self.extra_keys:
                    out.append(Violation(path, key, "not defined by the spec", name))
                continue
            out += self.check(item, sub, f"{path}.{key}", f"{name}.{key}")
        return out


def _rfc2822(text: str) -> bool:
    try:
        parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return False
    return True
