"""The package's folders are layers and imports only point down (see docs/architecture.md).

The checker and the layer table are in tests/layers.py. The first tests hold `forum/` to
the rules; the rest feed the checker a small synthetic package with known faults, so that
the check cannot pass because it found nothing.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.layers import (
    LAYERS,
    Findings,
    Layer,
    Module,
    check,
    collect_imports,
    load_package,
)

ROOT = Path(__file__).resolve().parents[2]
FORUM = ROOT / "forum"


def expect_none(problems: list[str]) -> None:
    """Fail listing every problem, one a line, without a traceback to read through."""
    if problems:
        pytest.fail(f"{len(problems)} found:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="module")
def forum_modules() -> list[Module]:
    return load_package(FORUM, ROOT)


@pytest.fixture(scope="module")
def findings(forum_modules: list[Module]) -> Findings:
    return check(forum_modules, LAYERS)


# forum/ itself ---------------------------------------------------------------------------


def test_the_checker_sees_the_whole_package(forum_modules: list[Module]) -> None:
    names = {m.name for m in forum_modules}
    assert {"forum", "forum.app", "forum.lib.db", "forum.threads.controllers"} <= names
    imports = collect_imports(forum_modules)
    assert len(imports) > 100
    assert any(i.importer == "forum.threads.controllers" and i.target == "forum.lib.http" for i in imports)


def test_every_module_belongs_to_a_layer(findings: Findings) -> None:
    expect_none(findings.unplaced)


def test_imports_only_point_down(findings: Findings) -> None:
    expect_none(findings.upward)


def test_no_import_cycles(findings: Findings) -> None:
    expect_none(findings.cycles)


def test_imports_inside_functions_say_which_cycle_they_break(findings: Findings) -> None:
    expect_none(findings.lazy)


def test_long_modules_say_why(findings: Findings) -> None:
    expect_none(findings.long)


# The checker, on a synthetic package -----------------------------------------------------

TOY_LAYERS = (
    Layer(0, ("toy",)),
    Layer(1, ("toy.base",)),
    Layer(2, ("toy.left", "toy.right")),
    Layer(3, ("toy.top",)),
    Layer(4, ("toy.app", "toy.cli"), independent=False),
)

TOY = {
    "__init__.py": '"""The root."""\n',
    "base/__init__.py": "",
    # upward, under TYPE_CHECKING: base (1) imports top (3)
    "base/util.py": """
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from toy.top.views import View
        """,
    "left/__init__.py": "from toy.left.a import A\n",
    # a cycle through a relative import and a package's __init__: left -> left.a -> left.b -> left
    "left/a.py": "from .b import B\nA = 1\n",
    "left/b.py": "from toy.left import A\nB = 2\n",
    # sideways between independent siblings, inside a function and without a reason
    "right/__init__.py": """
        def late():
            from toy import left
            return left
        """,
    "top/__init__.py": "",
    # `from toy.base import reasoned` resolves to the module toy.base.reasoned
    "top/views.py": "from toy.base import reasoned\n\nView = reasoned\n",
    # edges may import each other; a lazy import that names its cycle, and a lazy
    # third-party import, are both fine
    "app.py": """
        from toy.top import views

        def make():
            # breaks the cycle toy.app -> toy.cli -> toy.app
            from toy.cli import run
            import json
            return run, json, views
        """,
    "cli.py": "from toy import app\n\ndef run():\n    return app\n",
    # unplaced
    "stray.py": "",
    # long, once without a reason and once with one
    "base/long.py": '"""A module that grew."""\n' + "x = 1\n" * 30,
    "base/reasoned.py": '"""A module that grew. Long because it is a table."""\n' + "x = 1\n" * 30,
}


@pytest.fixture
def toy(tmp_path: Path) -> Findings:
    for name, source in TOY.items():
        path = tmp_path / "toy" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"))
    return check(load_package(tmp_path / "toy", tmp_path), TOY_LAYERS, max_lines=20)


def test_an_upward_import_is_reported_with_file_line_and_layers(toy: Findings) -> None:
    assert "toy/base/util.py:4 imports toy.top.views (layer 3 > 1)" in toy.upward


def test_an_import_between_independent_siblings_is_reported(toy: Findings) -> None:
    assert toy.upward == [
        "toy/base/util.py:4 imports toy.top.views (layer 3 > 1)",
        "toy/right/__init__.py:2 imports toy.left "
        "(toy.left and toy.right are independent siblings in layer 2)",
    ]


def test_a_cycle_is_reported_with_its_path(toy: Findings) -> None:
    assert toy.cycles == [
        "cycle: toy.left -> toy.left.a -> toy.left.b -> toy.left "
        "(toy/left/__init__.py:1, toy/left/a.py:1, toy/left/b.py:1)"
    ]


def test_a_lazy_import_must_name_the_cycle_it_breaks(toy: Findings) -> None:
    assert len(toy.lazy) == 1
    assert toy.lazy[0].startswith("toy/right/__init__.py:2 imports toy.left inside a function")


def test_a_long_module_must_say_why(toy: Findings) -> None:
    assert len(toy.long) == 1
    assert toy.long[0].startswith("toy/base/long.py: 31 lines (> 20)")


def test_a_module_outside_every_layer_is_reported(toy: Findings) -> None:
    assert toy.unplaced == ["toy/stray.py: toy.stray is in no layer; add it to LAYERS in tests/layers.py"]


def test_in_memory_modules_resolve_relative_and_package_imports() -> None:
    modules = [
        Module("pkg", Path("pkg/__init__.py"), "from . import sub\n", is_package=True),
        Module("pkg.sub", Path("pkg/sub/__init__.py"), "from .. import leaf\nfrom ..leaf import x\n", True),
        Module("pkg.leaf", Path("pkg/leaf.py"), "import pkg.sub.deep as d\nimport os\n"),
        Module("pkg.sub.deep", Path("pkg/sub/deep.py"), "from pkg.sub import deep\n"),
    ]
    edges = {(i.importer, i.target, i.line) for i in collect_imports(modules)}
    assert edges == {
        ("pkg", "pkg.sub", 1),
        ("pkg.sub", "pkg.leaf", 1),
        ("pkg.sub", "pkg.leaf", 2),
        ("pkg.leaf", "pkg.sub.deep", 1),
    }
