"""Where the folders that live beside the code are: the migrations and the web client.

In the repository, `migrations/` and `static/` sit at the top level, next to the `forum`
package. A wheel (`pip install .`, `pipx install`, `pip install git+...`) ships copies of
them inside the package, as `forum/_migrations` and `forum/_static` (see setup.py).

A checkout wins when there is one, so an editable install (`pip install -e .`) keeps
using the files under version control and edits to them take effect at once; an
installed wheel, which has no checkout beside it, uses its own copies.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
CHECKOUT = PACKAGE.parent

# The top-level folders of the repository that a wheel carries inside the package.
BUNDLED = {"migrations": "_migrations", "static": "_static"}


def resource_dir(name: str) -> Path:
    """The folder `name` ("migrations" or "static"): the checkout's, else the installed copy.

    A checkout is recognised by its pyproject.toml, so that an unrelated top-level
    `migrations` or `static` folder in site-packages is never taken for ours.
    """
    in_checkout = CHECKOUT / name
    if (CHECKOUT / "pyproject.toml").is_file() and in_checkout.is_dir():
        return in_checkout
    return PACKAGE / BUNDLED[name]
