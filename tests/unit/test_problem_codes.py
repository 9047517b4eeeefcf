"""Every code a problem answer can carry is listed once, and the web client can word it.

The code base is read with `ast`: each `reason=` given to an error, each `code` of the
error tree and of the status mapping, each reason a validation message is classified as,
must be in forum.lib.problem_codes; and each listed code must have its key, translated,
in the six files of static/i18n/.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from forum.lib import errors, problem_codes

# The error tree's classes: a `reason=` given to one of them reaches a problem answer.
ERROR_CLASSES = {
    name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, Exception)
}

ROOT = Path(__file__).resolve().parents[2]
FORUM = ROOT / "forum"
LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def emitted() -> dict[str, set[str]]:
    """The codes the code base can put into a problem, by kind."""
    found: dict[str, set[str]] = {"code": set(), "reason": set(), "field": set()}
    for path in FORUM.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = node.func.id if isinstance(node.func, ast.Name) else None
                for kw in node.keywords:
                    if kw.arg == "reason" and isinstance(kw.value, ast.Constant) and called in ERROR_CLASSES:
                        found["reason"].add(kw.value.value)
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant) and path.parent.name == "lib":
                        found["code"].add(kw.value.value)
                if called == "_item" and path.name == "problems.py" and len(node.args) > 1:
                    found["field"] |= _strings(node.args[1])
            elif isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    targets = (
                        stmt.targets if isinstance(stmt, ast.Assign) else [getattr(stmt, "target", None)]
                    )
                    if any(isinstance(t, ast.Name) and t.id == "code" for t in targets) and stmt.value:
                        found["code"] |= _strings(stmt.value)
            elif isinstance(node, ast.Assign) and path.name == "problems.py":
                for target in node.targets:
                    if isinstance(target, ast.Subscript) and _strings(target.slice) == {"reason"}:
                        found["reason"] |= _strings(node.value)
                    if isinstance(target, ast.Name) and target.id == "whole":
                        found["reason"] |= _strings(node.value)
                    if isinstance(target, ast.Name) and target.id == "_CODES":
                        found["code"] |= {v.value for v in node.value.values}  # type: ignore[attr-defined]
            elif isinstance(node, ast.FunctionDef) and node.name == "_classify":
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Tuple):
                        first = ret.value.elts[0]
                        if isinstance(first, ast.IfExp):
                            found["field"] |= _strings(first.body) | _strings(first.orelse)
                        else:
                            found["field"] |= _strings(first)
    return found


def test_the_walk_finds_what_it_looks_for() -> None:
    found = emitted()
    assert {"not_found", "rate_limited", "internal", "outcome_unknown"} <= found["code"]
    assert {"wrong_credentials", "sign_in_throttled", "email_taken", "malformed_json"} <= found["reason"]
    assert {"too_short", "too_long", "required", "blank", "not_allowed"} <= found["field"]


def test_every_code_the_server_can_emit_is_listed() -> None:
    found = emitted()
    assert found["code"] <= set(problem_codes.CODES), found["code"] - set(problem_codes.CODES)
    # A `reason=` is a whole problem's reason, or a field's when the error names a field.
    listed = set(problem_codes.REASONS) | set(problem_codes.FIELD_CODES)
    assert found["reason"] <= listed, found["reason"] - listed
    assert found["field"] <= set(problem_codes.FIELD_CODES), found["field"] - set(problem_codes.FIELD_CODES)


def test_the_lists_hold_no_duplicate() -> None:
    for codes in (problem_codes.CODES, problem_codes.REASONS, problem_codes.FIELD_CODES):
        assert len(codes) == len(set(codes))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_has_a_translation(language: str) -> None:
    strings = json.loads((ROOT / "static" / "i18n" / f"{language}.json").read_text())
    english = json.loads((ROOT / "static" / "i18n" / "en.json").read_text())
    missing = [key for key in problem_codes.all_keys() if not str(strings.get(key, "")).strip()]
    assert not missing, missing
    if language != "en":
        copied = [key for key in problem_codes.all_keys() if strings[key] == english[key]]
        assert not copied, f"{language}: English copies {copied}"
