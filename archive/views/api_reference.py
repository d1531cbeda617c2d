"""The API's reference for people, at /api/: rendered by the archive's own templates from the OpenAPI document itself
(openapi.py), so it shows exactly what the document says: the operations grouped by tag, each with its method,
path, summary, parameters, body and answers, and the shapes (schemas) they name. No script, no vendored viewer."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from ..i18n import N_
from .openapi import document as openapi_document

bp = Blueprint("api_reference", __name__, url_prefix="/api")

TAG_NAMES = {  # openapi.TAGS in words
    "interviews": N_("Interviews"),
    "annotations": N_("Annotations"),
    "media": N_("Photographs, documents and objects"),
    "search": N_("Search"),
    "vocabularies": N_("Events, places and people"),
    "history": N_("History"),
    "staff": N_("For staff"),
    "about": N_("About the API"),
}
METHODS = ("get", "post", "put", "patch", "delete")


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict | None) -> str:
    """A schema said briefly: its type, the shape it names, `array of ...`, or its choices."""
    if not schema:
        return ""
    if "$ref" in schema:
        return _ref_name(schema["$ref"])
    if "oneOf" in schema:
        return " | ".join(type_of(s) for s in schema["oneOf"])
    kind = schema.get("type", "")
    if isinstance(kind, list):
        kind = " | ".join(kind)
    if kind == "array":
        return f"array of {type_of(schema.get('items'))}".strip()
    if "enum" in schema:
        return f"{kind}: " + ", ".join(repr(v) if v == "" else str(v) for v in schema["enum"])
    return kind or "any"


def _parameter(document: dict, parameter: dict) -> dict:
    if "$ref" in parameter:
        parameter = document["components"]["parameters"][_ref_name(parameter["$ref"])]
    return {
        "name": parameter["name"],
        "where": parameter["in"],
        "required": bool(parameter.get("required")),
        "type": type_of(parameter.get("schema")),
        "description": parameter.get("description", ""),
    }


def _fields(schema: dict) -> list[dict]:
    """The members of an object schema, with their types and whether they are required."""
    required = set(schema.get("required", []))
    return [
        {
            "name": name,
            "type": type_of(member),
            "required": name in required,
            "description": member.get("description", ""),
        }
        for name, member in (schema.get("properties") or {}).items()
    ]


def _body(request_body: dict | None) -> dict | None:
    if not request_body:
        return None
    content = request_body.get("content", {})
    schema = next(iter(content.values()), {}).get("schema", {})
    return {
        "types": list(content),
        "shape": type_of(schema) if "$ref" in schema else "",
        "fields": [] if "$ref" in schema else _fields(schema),
    }


def _answers(responses: dict) -> list[dict]:
    found = []
    for status, response in responses.items():
        content = response.get("content", {})
        found.append(
            {
                "status": status,
                "description": response.get("description", ""),
                "types": list(content),
                "shape": type_of(next(iter(content.values()), {}).get("schema")) if content else "",
                "headers": list(response.get("headers", {})),
            }
        )
    return found


def reference(document: dict) -> dict:
    """What the page shows, read from the OpenAPI document: groups of operations in the document's tag order, and
    the shapes its operations name."""
    groups = {
        tag["name"]: {"tag": tag["name"], "about": tag.get("description", ""), "operations": []}
        for tag in document.get("tags", [])
    }
    for path, item in document["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            tag = (operation.get("tags") or ["about"])[0]
            group = groups.setdefault(tag, {"tag": tag, "about": "", "operations": []})
            group["operations"].append(
                {
                    "id": operation["operationId"],
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "staff": operation.get("security") == [{"bearerAuth": []}],
                    "parameters": [_parameter(document, p) for p in operation.get("parameters", [])],
                    "body": _body(operation.get("requestBody")),
                    "answers": _answers(operation.get("responses", {})),
                }
            )
    shapes = [
        {"name": name, "description": schema.get("description", ""), "fields": _fields(schema)}
        for name, schema in sorted(document["components"].get("schemas", {}).items())
    ]
    return {"groups": [g for g in groups.values() if g["operations"]], "shapes": shapes}


@bp.get("/")
def show():
    """The reference page: the same for every reader, like the document it is made from."""
    document = openapi_document(current_app)
    return render_template(
        "api/reference.html",
        info=document["info"],
        version=document["openapi"],
        tag_names=TAG_NAMES,
        **reference(document),
    )
