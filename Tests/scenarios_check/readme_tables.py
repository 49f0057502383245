"""Render the reference tables of scenarios/README.md from scenarios/schema.json.

    python3 Tests/scenarios_check/readme_tables.py          # rewrite the generated blocks in place
    python3 Tests/scenarios_check/readme_tables.py --check  # exit 1 if README.md is out of date

Each block sits between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` in the README;
text outside the blocks is left alone. test_scenarios_schema.py runs the --check logic.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
SCHEMA_PATH = SCENARIOS / "schema.json"
README_PATH = SCENARIOS / "README.md"

BLOCK_RE = re.compile(r"(<!-- generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S)


def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def scenario_files() -> list[Path]:
    return sorted(p for p in SCENARIOS.glob("*.json") if p.name != "schema.json")


def resolve(schema: dict, node: dict) -> dict:
    """Follow a local $ref, keeping the referrer's own title/description on top."""
    if "$ref" in node:
        target = schema["$defs"][node["$ref"].removeprefix("#/$defs/")]
        merged = dict(resolve(schema, target))
        for key in ("title", "description", "default"):
            if key in node:
                merged[key] = node[key]
        return merged
    return node


def type_text(schema: dict, node: dict) -> str:
    node = resolve(schema, node)
    if "const" in node:
        return f"`{json.dumps(node['const'])}`"
    if "enum" in node:
        return " | ".join(f"`{json.dumps(v)}`" for v in node["enum"])
    if "oneOf" in node and "type" not in node:
        return " or ".join(type_text(schema, branch) for branch in node["oneOf"])
    t = node.get("type")
    if t is None:
        return "any JSON"
    if t == "array":
        inner = type_text(schema, node.get("items", {}))
        n = ""
        if node.get("minItems") is not None and node.get("minItems") == node.get("maxItems"):
            n = f" of {node['minItems']}"
        return f"array{n} of {inner}"
    if t == "object" and "properties" not in node and isinstance(node.get("additionalProperties"), dict):
        return "object of " + type_text(schema, node["additionalProperties"])
    bounds = []
    if "minimum" in node:
        bounds.append(f"≥ {node['minimum']}")
    if "exclusiveMinimum" in node:
        bounds.append(f"> {node['exclusiveMinimum']}")
    if "maximum" in node:
        bounds.append(f"≤ {node['maximum']}")
    return t + (" " + ", ".join(bounds) if bounds else "")


def cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def field_table(schema: dict, node: dict, skip: tuple[str, ...] = ()) -> str:
    node = resolve(schema, node)
    required = set(node.get("required", []))
    rows = ["| field | type | required | default | meaning |", "|---|---|---|---|---|"]
    for name, prop in node["properties"].items():
        if name in skip:
            continue
        r = resolve(schema, prop)
        default = f"`{json.dumps(r['default'])}`" if "default" in r else ""
        rows.append(f"| `{name}` | {cell(type_text(schema, prop))} | {'yes' if name in required else ''} | {default} "
                    f"| {cell(r.get('description', ''))} |")
    return "\n".join(rows)


def fields_inline(schema: dict, node: dict, skip: tuple[str, ...]) -> str:
    node = resolve(schema, node)
    required = set(node.get("required", []))
    parts = []
    for name, prop in node["properties"].items():
        if name in skip:
            continue
        r = resolve(schema, prop)
        text = f"`{name}`" + ("" if name in required else "?") + f": {type_text(schema, prop)}"
        if "default" in r:
            text += f" = `{json.dumps(r['default'])}`"
        parts.append(text)
    return "; ".join(parts) if parts else "—"


def kind_table(schema: dict, union: str, skip: tuple[str, ...]) -> str:
    rows = ["| `type` | fields (`?` = optional) | what it does |", "|---|---|---|"]
    for branch in schema["$defs"][union]["oneOf"]:
        d = resolve(schema, branch)
        kind = d["properties"]["type"]["const"]
        rows.append(f"| `{kind}` | {cell(fields_inline(schema, d, skip))} | {cell(d['description'])} |")
    return "\n".join(rows)


def first_sentence(text: str) -> str:
    """Up to the first `.`, `!` or `?` (optionally followed by a closing quote) that precedes a capital letter."""
    return re.split(r"(?:(?<=[.!?])|(?<=[.!?][\"'”]))\s+(?=[A-Z])", text.strip(), maxsplit=1)[0]


def shipped_table() -> str:
    rows = ["| file | what happens |", "|---|---|"]
    for path in scenario_files():
        doc = json.loads(path.read_text(encoding="utf-8"))
        rows.append(f"| [`{path.name}`]({path.name}) | {cell(first_sentence(doc['description']))} |")
    return "\n".join(rows)


def bucket_table(schema: dict) -> str:
    overrides = next(b for b in schema["$defs"]["rateLimits"]["oneOf"] if b.get("type") == "object")
    rows = ["| bucket | covers |", "|---|---|"]
    for name, prop in overrides["properties"].items():
        rows.append(f"| `{name}` | {cell(prop['description'])} |")
    return "\n".join(rows)


def render() -> dict[str, str]:
    s = load_schema()
    timeline_forms = []
    for branch in s["$defs"]["timelineEntry"]["oneOf"]:
        timeline_forms.append(f"**{branch['title']}**: {branch['description']}\n\n" + field_table(s, branch))
    return {
        "top-level": field_table(s, s),
        "tenant": field_table(s, {"$ref": "#/$defs/tenant"}) + "\n\nUser entries (`tenant.users[]`):\n\n"
        + field_table(s, {"$ref": "#/$defs/tenantUser"}) + "\n\nGroup entries (`tenant.groups[]`):\n\n"
        + field_table(s, {"$ref": "#/$defs/tenantGroup"}),
        "rule": field_table(s, {"$ref": "#/$defs/rule"}),
        "match": field_table(s, {"$ref": "#/$defs/match"}),
        "when": field_table(s, {"$ref": "#/$defs/when"}),
        "fault": kind_table(s, "fault", ("type", "body", "headers")),
        "timeline": "\n\n".join(timeline_forms),
        "action": kind_table(s, "action", ("type",)),
        "expect": kind_table(s, "expectation", ("type", "path", "method")),
        "buckets": bucket_table(s),
        "shipped": shipped_table(),
    }


def rewrite(text: str, blocks: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        name = m.group("name")
        if name not in blocks:
            raise KeyError(f"README has an unknown generated block {name!r}")
        return m.group(1) + blocks[name] + "\n" + m.group(4)

    return BLOCK_RE.sub(sub, text)


def main(argv: list[str]) -> int:
    text = README_PATH.read_text(encoding="utf-8")
    new = rewrite(text, render())
    if "--check" in argv:
        if new != text:
            print("scenarios/README.md is out of date: run python3 Tests/scenarios_check/readme_tables.py")
            return 1
        return 0
    README_PATH.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
