"""JSON documents checked against the schemas shipped in harness/resources (jsonschema, the
reference implementation of JSON Schema), with what is wrong in one line: where in the
document, and what.

Records a user hands in (results.json to `report`, `gate`, `merge`, `--baseline`) and what the
harness reads back from its cache (an inspection memo) are checked before any field is used,
so that a damaged or foreign document is one line, never a traceback halfway through."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from harness.resources import read_text

if TYPE_CHECKING:
    import jsonschema

RESULTS_SCHEMA = "results.schema.json"
# How much of a value an error quotes: a whole cell would not be one line.
_QUOTE = 80


@functools.cache
def _validator(name: str, definition: str | None) -> jsonschema.protocols.Validator:
    import jsonschema

    schema = json.loads(read_text(name))
    if definition is not None:
        # One definition of the file, with the others it refers to.
        schema = {"$defs": schema["$defs"], "$ref": f"#/$defs/{definition}"}
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema)


def problem(data: Any, name: str, definition: str | None = None) -> str | None:
    """What is wrong with `data` against the schema file `name` (or one of its definitions),
    one line naming where; None when it validates."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(name, definition).iter_errors(data))
    if error is None:
        return None
    return f"{_where(error.absolute_path)}: {_what(error)}"


def _where(path: Iterable[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "the document"


def _what(error: jsonschema.ValidationError) -> str:
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        if missing:
            return f"lacks the field {missing[0]!r}"
    if error.validator == "type":
        return f"is {_quote(error.instance)}, not {_kinds(error.validator_value)}"
    if error.validator in ("enum", "const"):
        allowed = error.validator_value
        values = allowed if isinstance(allowed, list) else [allowed]
        return f"is {_quote(error.instance)}, not one of {', '.join(map(json.dumps, values))}"
    if error.validator == "oneOf":
        # Which branch was meant is a guess: the first error of the closest one.
        context = sorted(error.context or (), key=lambda e: len(e.path))
        if context:
            return _what(context[0])
    return " ".join(error.message.split())[: _QUOTE * 2]


def _kinds(value: Any) -> str:
    kinds = value if isinstance(value, list) else [value]
    words = {"object": "an object", "array": "a list", "string": "a string", "null": "null"}
    words |= {"integer": "an integer", "number": "a number", "boolean": "true or false"}
    return " or ".join(words.get(str(k), str(k)) for k in kinds)


def _quote(value: Any) -> str:
    text = json.dumps(value)
    if len(text) > _QUOTE:
        text = text[: _QUOTE - 3] + "..."
    kind = type(value).__name__
    words = {"dict": "an object", "list": "a list", "str": "a string", "NoneType": "null"}
    words |= {"bool": "a boolean", "int": "a number", "float": "a number"}
    return f"{words.get(kind, kind)} {text}" if not isinstance(value, dict | list) else words[kind]
