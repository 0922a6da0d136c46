"""Validate Stripe JSON against the vendored ``stripe-endive.schema.json``.

The schema (``tests/data/specs/README.md`` says where it comes from) maps each type name to its
properties; a property says whether the spec requires it and its type expression (``str``, ``num``,
``bool``, ``null``, ``lit``, ``union``, ``arr``, ``list``, ``map``, ``obj``, ``ref``, ``open``,
``any``). A union of literals without ``open`` is a closed enum.

Checks, for every object and every nested object: each key the spec requires is present (null when
it does not apply), no key the spec does not define (unless :mod:`allowlist` lists it with its
evidence), every value of the right type, closed enums respected. Top-level objects are found by
their ``object`` value, so a resource the schema does not define is itself a violation: a new
resource is covered as soon as it is served.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from tests.conformance.allowlist import STRIPE_EXTRA_KEYS
from tests.conformance.violations import Violation

SPEC_PATH = Path(__file__).parent.parent / "data" / "specs" / "stripe-endive.schema.json"
#: The error object of ``{"error": {...}}``: the spec's ``api_errors`` schema, which stripe-node
#: generates as ``LastPaymentError`` (the same type as ``PaymentIntent.last_payment_error``).
ERROR_TYPE = "PaymentIntent.LastPaymentError"
LIST_KEYS = {"object", "data", "has_more", "url"}
SEARCH_KEYS = {"object", "data", "has_more", "next_page", "url"}

Schema = Mapping[str, Any]
#: The JSON kind a schema expression of this kind matches (others match their own name).
_KIND_OF = {"list": "obj", "map": "obj", "open": "str"}


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "num"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "arr"
    if isinstance(value, dict):
        return "obj"
    return type(value).__name__


def _describe(t: Schema) -> str:
    k = t["k"]
    if k == "lit":
        return repr(t["v"])
    if k == "ref":
        return str(t["n"])
    if k == "union":
        return " | ".join(_describe(m) for m in t["of"])
    if k == "arr":
        return f"array of {_describe(t['of'])}"
    if k == "list":
        return f"list of {_describe(t['of'])}"
    return {
        "str": "string",
        "num": "number",
        "bool": "boolean",
        "map": "object",
        "open": "string",
    }.get(k, k)


class StripeSchema:
    """The schema of one API version, with lookups by ``object`` value."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.api_version: str = doc["api_version"]
        self.types: dict[str, Any] = doc["types"]
        self.event_types: dict[str, str] = doc["event_types"]
        self.by_object: dict[str, str] = {}
        self.deleted_by_object: dict[str, str] = {}
        for name in [*doc["roots"], *self.types]:
            props = self.types.get(name, {}).get("props")
            if not props or "object" not in props:
                continue
            obj = props["object"]["t"]
            if obj.get("k") != "lit":
                continue
            deleted = props.get("deleted", {}).get("t") == {"k": "lit", "v": True}
            target = self.deleted_by_object if deleted else self.by_object
            target.setdefault(obj["v"], name)

    # -- entry points ------------------------------------------------------------------------
    def validate_response(self, body: Any) -> list[Violation]:
        """A ``/v1`` response body: an error envelope, a list, an event or an object."""
        if isinstance(body, dict) and "error" in body and "object" not in body:
            out = [
                Violation("$", k, "not part of Stripe's error envelope")
                for k in body
                if k != "error"
            ]
            return out + self.check(body["error"], {"k": "ref", "n": ERROR_TYPE}, "$.error")
        return self.validate_object(body, "$")

    def validate_object(self, value: Any, path: str) -> list[Violation]:
        """Any object found by its ``object`` value (lists and events included)."""
        if not isinstance(value, dict):
            return [Violation(path, "", f"a Stripe object, got {_json_kind(value)}")]
        kind = value.get("object")
        if kind == "list":
            return self._list(value, path, None)
        if kind == "search_result":
            return self._search(value, path)
        if kind == "event":
            return self._event(value, path)
        name = self.type_for(value)
        if name is None:
            return [
                Violation(
                    path,
                    "object",
                    f"an object the schema defines; {kind!r} is not in it (expand "
                    "tests/data/specs/stripe-endive.schema.json, see its README)",
                )
            ]
        return self.check(value, {"k": "ref", "n": name}, path)

    def type_for(self, value: Mapping[str, Any]) -> str | None:
        kind = value.get("object")
        if not isinstance(kind, str):
            return None
        if value.get("deleted") is True and kind in self.deleted_by_object:
            return self.deleted_by_object[kind]
        name = self.by_object.get(kind)
        if name is not None and self.types[name].get("props") is None:
            return None
        return name

    # -- containers --------------------------------------------------------------------------
    def _list(self, value: Mapping[str, Any], path: str, of: Schema | None) -> list[Violation]:
        out = [Violation(path, k, "required in a list") for k in sorted(LIST_KEYS - set(value))]
        out += [
            Violation(path, k, "not part of a list")
            for k in value
            if k not in LIST_KEYS and ("list", k) not in STRIPE_EXTRA_KEYS
        ]
        out += self.check(value.get("has_more"), {"k": "bool"}, f"{path}.has_more")
        out += self.check(value.get("url"), {"k": "str"}, f"{path}.url")
        data = value.get("data")
        if not isinstance(data, list):
            return [*out, Violation(path, "data", f"an array, got {_json_kind(data)}")]
        for i, item in enumerate(data):
            where = f"{path}.data[{i}]"
            out += (
                self.check(item, of, where) if of is not None else self.validate_object(item, where)
            )
        return out

    def _search(self, value: Mapping[str, Any], path: str) -> list[Violation]:
        allowed = SEARCH_KEYS | {"total_count"}
        out = [Violation(path, k, "required in a search result") for k in SEARCH_KEYS - set(value)]
        out += [
            Violation(path, k, "not part of a search result") for k in value if k not in allowed
        ]
        for i, item in enumerate(value.get("data") or []):
            out += self.validate_object(item, f"{path}.data[{i}]")
        return out

    def _event(self, value: Mapping[str, Any], path: str) -> list[Violation]:
        """An Event: ``EventBase``'s keys, and ``data.object`` the resource its type carries."""
        base = self.types["EventBase"]["props"]
        out = self._props({k: v for k, v in value.items() if k != "data"}, base, path, "EventBase")
        out = [v for v in out if v.key != "data"]
        data = value.get("data")
        if not isinstance(data, dict):
            return [*out, Violation(path, "data", "an object with `object`", "Event.Data")]
        where = f"{path}.data"
        out += [
            Violation(where, k, "not defined by the spec", "Event.Data")
            for k in data
            if k not in ("object", "previous_attributes")
        ]
        if "object" not in data:
            return [*out, Violation(where, "object", "required by the spec", "Event.Data")]
        obj = data["object"]
        out += self.validate_object(obj, f"{where}.object")
        expected = self.event_types.get(str(value.get("type")))
        if expected in self.by_object and isinstance(obj, dict) and obj.get("object") != expected:
            out.append(
                Violation(
                    f"{where}.object",
                    "object",
                    f"{expected!r} for a {value.get('type')} event, got {obj.get('object')!r}",
                )
            )
        if "previous_attributes" in data:
            out += self.check(
                data["previous_attributes"], {"k": "map"}, f"{where}.previous_attributes"
            )
        return out

    # -- the type walk -----------------------------------------------------------------------
    def check(self, value: Any, t: Schema, path: str) -> list[Violation]:
        k = t["k"]
        if k in ("any",):
            return []
        if k == "ref":
            return self._ref(value, t["n"], path)
        if k == "union":
            return self._union(value, t, path)
        if k == "list":
            if not isinstance(value, dict) or value.get("object") != "list":
                return [Violation(path, "", f"a list object, got {_json_kind(value)}")]
            return self._list(value, path, t["of"])
        if k == "arr":
            if not isinstance(value, list):
                return [Violation(path, "", f"{_describe(t)}, got {_json_kind(value)}")]
            out: list[Violation] = []
            for i, item in enumerate(value):
                out += self.check(item, t["of"], f"{path}[{i}]")
            return out
        if k == "obj":
            return self._props(value, t["props"], path, "")
        if k == "lit":
            if value != t["v"] or isinstance(value, bool) != isinstance(t["v"], bool):
                return [Violation(path, "", f"{t['v']!r}, got {value!r}")]
            return []
        expected = {"str": "str", "open": "str", "num": "num", "bool": "bool", "null": "null"}
        expected["map"] = "obj"
        want = expected.get(k)
        if want is not None and _json_kind(value) != want:
            return [Violation(path, "", f"{_describe(t)}, got {_json_kind(value)} {value!r:.60}")]
        return []

    def _ref(self, value: Any, name: str, path: str) -> list[Violation]:
        t = self.types.get(name)
        if t is None or t.get("missing"):
            return []
        if t.get("stub"):
            # Another resource the schema was not expanded for: an id, or an object we check by
            # its own ``object`` value (which fails when the schema does not define it).
            return self.validate_object(value, path) if isinstance(value, dict) else []
        if "alias" in t:
            return self._enum_or(value, t["alias"], path, name)
        return self._props(value, t["props"], path, name)

    def _enum_or(self, value: Any, t: Schema, path: str, name: str) -> list[Violation]:
        out = self.check(value, t, path)
        return [Violation(v.path, v.key, v.expected, v.spec_type or name) for v in out]

    def _union(self, value: Any, t: Schema, path: str) -> list[Violation]:
        members: list[Schema] = t["of"]
        if all(m["k"] in ("lit", "open", "null") for m in members):
            if value is None and any(m["k"] == "null" for m in members):
                return []
            if any(m["k"] == "open" for m in members):
                if isinstance(value, str):
                    return []
                return [Violation(path, "", f"a string, got {_json_kind(value)}")]
            allowed = [m["v"] for m in members if m["k"] == "lit"]
            if value in allowed:
                return []
            return [Violation(path, "", f"one of {allowed} (a closed enum), got {value!r}")]
        attempts: list[list[Violation]] = []
        for m in self._candidates(value, members):
            errs = self.check(value, m, path)
            if not errs:
                return []
            attempts.append(errs)
        if not attempts:
            return [Violation(path, "", f"{_describe(t)}, got {_json_kind(value)} {value!r:.60}")]
        return min(attempts, key=len)

    def _candidates(self, value: Any, members: list[Schema]) -> list[Schema]:
        """The union members a JSON value of this kind can match, most specific first."""
        kind = _json_kind(value)
        out: list[Schema] = []
        for m in members:
            mk = m["k"]
            if mk == "ref":
                target = self.types.get(m["n"], {})
                if "alias" in target:
                    out.append(m)
                elif kind == "obj":
                    props = target.get("props") or {}
                    obj = props.get("object", {}).get("t", {})
                    if obj.get("k") == "lit" and isinstance(value, dict):
                        if value.get("object") != obj["v"]:
                            continue
                        deleted = props.get("deleted", {}).get("t") == {"k": "lit", "v": True}
                        if deleted != (value.get("deleted") is True):
                            continue
                    stub = target.get("stub") and isinstance(value, dict)
                    if stub and value.get("object") != target.get("object"):
                        continue
                    out.append(m)
            elif mk in ("union", "any", "lit") or _KIND_OF.get(mk, mk) == kind:
                out.append(m)
        return out

    def _props(self, value: Any, props: Mapping[str, Any], path: str, name: str) -> list[Violation]:
        if not isinstance(value, dict):
            return [Violation(path, "", f"an object, got {_json_kind(value)} {value!r:.60}", name)]
        out: list[Violation] = []
        for key, p in props.items():
            if key != "*" and p["req"] and key not in value:
                out.append(
                    Violation(path, key, "required by the spec, missing (null when n/a)", name)
                )
        for key, v in value.items():
            p = props.get(key) or props.get("*")
            if p is None:
                if (name, key) not in STRIPE_EXTRA_KEYS:
                    out.append(Violation(path, key, "not defined by the spec", name))
                continue
            out += self.check(v, p["t"], f"{path}.{key}")
        return out


@cache
def stripe_schema() -> StripeSchema:
    return StripeSchema(json.loads(SPEC_PATH.read_text()))
