"""Every action code the package writes to the audit log is listed in forum.audit.actions,
and every listed code has its sentence in each of the page's six languages.

The codes are found by reading the source (`ast`): an `audit.record(...)` call's `action=`
is a string, an f-string, a conditional of those, or a name. An f-string's name is followed
to the calls of the function it is a parameter of (`_settle(..., action="reject")`); a bare
name stands for the strings of its function that start with the call's `target_type`
(`"thread.rename"` for `target_type="thread"`). What cannot be followed must at least match
a listed code."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from forum.audit.actions import ACTIONS

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "forum"
LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")


def _is_record(call: ast.Call) -> bool:
    f = call.func
    return (
        isinstance(f, ast.Attribute)
        and f.attr == "record"
        and isinstance(f.value, ast.Name)
        and f.value.id == "audit"
    )


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _call_values(tree: ast.AST, function: str, parameter: str, position: int) -> list[ast.expr]:
    """The arguments given for `parameter` in every call of `function` in the module."""
    values = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name != function:
                continue
            given = _keyword(node, parameter)
            if given is None and len(node.args) > position:
                given = node.args[position]
            if given is not None:
                values.append(given)
    return values


def _codes(node: ast.expr, call: ast.Call, func: ast.AST, tree: ast.AST) -> tuple[set[str], set[str]]:
    """(codes found, patterns that could not be followed) for an `action=` value."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}, set()
    if isinstance(node, ast.IfExp):
        a, pa = _codes(node.body, call, func, tree)
        b, pb = _codes(node.orelse, call, func, tree)
        return a | b, pa | pb
    if isinstance(node, ast.JoinedStr):
        parts: list[list[str]] = [[""]]
        unresolved = False
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append([str(value.value)])
                continue
            inner = value.value if isinstance(value, ast.FormattedValue) else None
            options: list[str] = []
            if isinstance(inner, ast.Name) and isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                params = [a.arg for a in func.args.args + func.args.kwonlyargs]
                if inner.id in params:
                    position = (
                        [a.arg for a in func.args.args].index(inner.id)
                        if inner.id in [a.arg for a in func.args.args]
                        else 10**6
                    )
                    for given in _call_values(tree, func.name, inner.id, position):
                        if isinstance(given, ast.Constant) and isinstance(given.value, str):
                            options.append(given.value)
                        elif isinstance(given, ast.Attribute):  # an enum member: its name
                            options.append(given.attr)
                        else:
                            unresolved = True
            if not options:
                unresolved = True
                options = ["[a-z_]+"]
            parts.append(options)
        if unresolved:
            pattern = "".join(p[0] if len(p) == 1 else "[a-z_]+" for p in parts)
            return set(), {pattern}
        found = {""}
        for options in parts:
            found = {f + o for f in found for o in options}
        return found, set()
    if isinstance(node, ast.Name):
        target = _keyword(call, "target_type")
        if isinstance(target, ast.Constant):
            prefix = f"{target.value}."
            return {
                n.value
                for n in ast.walk(func)
                if isinstance(n, ast.Constant)
                and isinstance(n.value, str)
                and re.fullmatch(re.escape(prefix) + r"[a-z_]+", n.value)
            }, set()
    return set(), {ast.unparse(node)}


def written_codes() -> tuple[set[str], set[str]]:
    codes: set[str] = set()
    patterns: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for call in ast.walk(func):
                if isinstance(call, ast.Call) and _is_record(call):
                    action = _keyword(call, "action")
                    assert action is not None, f"{path}:{call.lineno}: audit.record without action="
                    found, open_ = _codes(action, call, func, tree)
                    codes |= found
                    patterns |= open_
    return codes, patterns


def test_every_code_written_is_listed() -> None:
    codes, patterns = written_codes()
    assert len(codes) >= 30, codes  # the reader found the calls
    assert codes - set(ACTIONS) == set()
    for pattern in patterns:
        assert any(re.fullmatch(pattern, code) for code in ACTIONS), pattern


def test_the_listed_codes_are_the_written_ones() -> None:
    """Nothing listed that no code writes (a renamed action leaves no stale sentence)."""
    codes, patterns = written_codes()
    stale = {c for c in ACTIONS if c not in codes and not any(re.fullmatch(p, c) for p in patterns)}
    assert stale == set()


def test_every_code_has_a_sentence_in_each_language() -> None:
    for language in LANGUAGES:
        strings = json.loads((ROOT / "static" / "i18n" / f"{language}.json").read_text())
        missing = [code for code in ACTIONS if not strings.get(f"audit_{code}")]
        assert missing == [], f"{language}: {missing}"
        # The sentence names its actor and, but for what an actor does to no one, its target.
        for code in ACTIONS:
            sentence = strings[f"audit_{code}"]
            assert "{actor}" in sentence, f"{language}: audit_{code}"
            assert "{target}" in sentence, f"{language}: audit_{code}"
