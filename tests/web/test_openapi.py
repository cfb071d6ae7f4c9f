"""docs/openapi.yaml lists every JSON endpoint the app serves: /api/v1, the kiosks' /kiosk/api
calls, and the *.json documents (public board and result, the chair's live figures)."""

import re
from pathlib import Path

import yaml

SPEC = Path(__file__).parents[2] / "docs" / "openapi.yaml"
METHODS = ("get", "post", "put", "delete", "patch")


def json_endpoint(rule: str) -> bool:
    """Whether a URL rule answers JSON (or streams it), and so belongs in the OpenAPI document."""
    return rule.startswith(("/api/v1/", "/kiosk/api/")) or rule.endswith((".json", ".stream"))


def test_every_json_route_is_documented(app):
    spec = yaml.safe_load(SPEC.read_text())
    assert spec["servers"] == [{"url": "/"}]
    documented = {(path, method.upper()) for path, item in spec["paths"].items()
                  for method in item if method in METHODS}
    served = set()
    for rule in app.url_map.iter_rules():
        if json_endpoint(rule.rule):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert {p for p, _ in served} >= {"/api/v1/sessions", "/kiosk/api/vote/cast",
                                      "/s/{ref}/board.json"}
    assert served - documented == set(), "undocumented JSON routes"
    assert documented - served == set(), "documented routes the app does not serve"


def test_every_reference_resolves_and_every_error_is_the_error_schema():
    spec = yaml.safe_load(SPEC.read_text())
    text = SPEC.read_text()
    for name in re.findall(r'\$ref: "#/components/(\w+/\w+)"', text):
        kind, key = name.split("/")
        assert key in spec["components"][kind], name
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    schema = response.get("$ref") or response["content"]["application/json"][
                        "schema"]["$ref"]
                    assert schema.endswith("/Error"), (path, method, status)
