"""Lighthouse on the forum's page: `python -m tests.lighthouse [--record] [--runs N]`.

Starts the demo service (a fresh SQLite file, `forum demo`, `forum serve` on a free
loopback port), finds the demo's screens (home, the workshop space, its longest thread,
its world café), and runs Lighthouse (from npm, pinned in tests/lighthouse/package-lock.json,
on Debian's Chromium: CHROME_PATH=/usr/bin/chromium, headless) on each with the mobile
and the desktop preset. Prints the scores of performance, accessibility and best practices,
the metrics behind performance, and every audit of those categories that did not pass.
`--record` writes the table into docs/client.md between the lighthouse markers.

The café is measured twice: as a signed-out visitor (what the link shows to anyone) and
as a participant seated at a table (a demo focal point, by the session cookie), which is
the café's real screen. `--runs N` runs each N times and keeps the median performance.

Needs: `(cd tests/lighthouse && npm ci)` and `apt-get install chromium`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CHROME = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
DOC = ROOT / "docs" / "client.md"
START, END = "<!-- lighthouse:start -->", "<!-- lighthouse:end -->"
CATEGORIES = ("performance", "accessibility", "best-practices")
METRICS = {
    "first-contentful-paint": "FCP",
    "largest-contentful-paint": "LCP",
    "total-blocking-time": "TBT",
    "cumulative-layout-shift": "CLS",
    "speed-index": "SI",
}
PARTICIPANT = "focal.jpn@forum.example"
DEMO_PASSWORD = "nma-demo-2025"


@dataclass
class Screen:
    name: str
    fragment: str
    cookie: str | None = None


@dataclass
class Result:
    screen: str
    preset: str
    scores: dict[str, int]
    metrics: dict[str, str]
    failing: list[str] = field(default_factory=list)
    lcp: str = ""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_demo(tmp: Path) -> tuple[subprocess.Popen, str, dict[str, str]]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "FORUM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'lighthouse.db'}",
        "FORUM_ALLOWED_ORIGINS": base,
        "FORUM_SECRET_KEY": f"lighthouse-{uuid.uuid4().hex}",
        "FORUM_RATE_LIMIT_PER_MINUTE": "100000",
        "FORUM_RATE_LIMIT_ADDRESS_PER_MINUTE": "100000",
        "FORUM_LOG_LEVEL": "WARNING",
    }
    subprocess.run(
        [sys.executable, "-m", "forum", "demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    log = (tmp / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "forum", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {(tmp / 'serve.log').read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return proc, base, env
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            raise SystemExit("the server did not become healthy in 60 s")
        time.sleep(0.25)


def find_screens(base: str) -> list[Screen]:
    """Home, the workshop space, its longest thread, and its café (guest and participant)."""
    with httpx.Client(base_url=base, timeout=15) as c:
        spaces = c.get("/api/spaces").json()["items"]
        workshop = next(s for s in spaces if s["kind"] == "workshop")
        threads = c.get(f"/api/spaces/{workshop['slug']}/threads", params={"limit": 100}).json()["items"]
        longest = max(threads, key=lambda t: t.get("post_count", 0))
        cafes = c.get(f"/api/spaces/{workshop['slug']}/cafes").json()["items"]
        cafe = next(x for x in cafes if x.get("status") != "closed")
        login = c.post("/api/auth/login", json={"email": PARTICIPANT, "password": DEMO_PASSWORD})
        login.raise_for_status()
        token = login.json()["token"]
        c.post(f"/api/cafes/{cafe['id']}/join", headers={"Authorization": f"Bearer {token}"})
    return [
        Screen("home", "#/"),
        Screen("space", f"#/space/{workshop['slug']}"),
        Screen("thread", f"#/thread/{longest['id']}"),
        Screen("café (guest)", f"#/cafe/{cafe['id']}"),
        Screen("café (seated)", f"#/cafe/{cafe['id']}", cookie=f"forum_session={token}"),
    ]


def run_lighthouse(url: str, preset: str, out: Path, cookie: str | None) -> dict:
    cmd = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run",
    ]
    if preset == "desktop":
        cmd.append("--preset=desktop")
    if cookie:
        cmd.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    # On a busy machine Chromium now and then loses the trace (NO_NAVSTART, NO_FCP):
    # Lighthouse says to run it again, which is what a person would do.
    for attempt in range(3):
        done = subprocess.run(cmd, env={**os.environ, "CHROME_PATH": CHROME}, timeout=300)
        if done.returncode == 0:
            return json.loads(out.read_text())
        print(f"lighthouse failed on {url} ({preset}), attempt {attempt + 1} of 3", file=sys.stderr)
    raise SystemExit(f"lighthouse failed three times on {url} ({preset})")


def summarise(screen: str, preset: str, report: dict) -> Result:
    cats = report["categories"]
    audits = report["audits"]
    scores = {name: round((cats[name]["score"] or 0) * 100) for name in CATEGORIES}
    metrics = {}
    for audit_id, short in METRICS.items():
        audit = audits[audit_id]
        metrics[short] = audit.get("displayValue", "").replace("\xa0", " ")
    failing = []
    for name in CATEGORIES:
        for ref in cats[name]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref.get("weight", 0) > 0 and audit["score"] is not None and audit["score"] < 0.9:
                failing.append(f"{name}/{ref['id']} ({audit['score']:.2f})")
    return Result(screen, preset, scores, metrics, failing, lcp_element(audits))


def lcp_element(audits: dict) -> str:
    """The largest paint's element as Lighthouse names it (a snippet of its HTML)."""
    try:
        table = audits["largest-contentful-paint-element"]["details"]["items"][0]
        return table["items"][0]["node"]["snippet"][:80]
    except (KeyError, IndexError, TypeError):
        return "?"


def table(results: list[Result]) -> str:
    head = "| screen | preset | performance | accessibility | best practices | FCP | LCP | TBT | CLS | SI |"
    rows = [head, "| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: |"]
    for r in results:
        m = r.metrics
        rows.append(
            f"| {r.screen} | {r.preset} | {r.scores['performance']} | {r.scores['accessibility']} "
            f"| {r.scores['best-practices']} | {m['FCP']} | {m['LCP']} | {m['TBT']} | {m['CLS']} | {m['SI']} |"
        )
    failing = sorted({f"`{f.split(' ')[0]}`" for r in results for f in r.failing})
    rows.append("")
    rows.append("Audits below 0.9 anywhere: " + (", ".join(failing) if failing else "none") + ".")
    return "\n".join(rows)


def record(text: str, version: str, runs: int) -> None:
    doc = DOC.read_text()
    stamp = time.strftime("%Y-%m-%d", time.gmtime())
    how = f"`python -m tests.lighthouse --record --runs {runs}`" + (
        f" (the run of median performance out of {runs})" if runs > 1 else ""
    )
    block = f"{START}\nMeasured {stamp} with Lighthouse {version}, {how}:\n\n{text}\n{END}"
    if START in doc:
        doc = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _m: block, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    DOC.write_text(doc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--record", action="store_true", help="write the table into docs/client.md")
    parser.add_argument("--runs", type=int, default=1, help="runs per screen and preset (median kept)")
    parser.add_argument("--only", default="", help="comma-separated screen names to run (default: all)")
    args = parser.parse_args()
    if not LIGHTHOUSE.exists():
        print("Lighthouse is missing: run `npm ci` in tests/lighthouse", file=sys.stderr)
        return 2
    if not Path(CHROME).exists():
        print(f"{CHROME} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    version = subprocess.run([str(LIGHTHOUSE), "--version"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="forum-lighthouse-") as tmpdir:
        tmp = Path(tmpdir)
        proc, base, _env = start_demo(tmp)
        try:
            screens = find_screens(base)
            if args.only:
                wanted = set(args.only.split(","))
                screens = [s for s in screens if s.name.split(" ")[0] in wanted or s.name in wanted]
            results = []
            for screen in screens:
                for preset in ("mobile", "desktop"):
                    runs = []
                    for i in range(args.runs):
                        report = run_lighthouse(
                            f"{base}/{screen.fragment}",
                            preset,
                            tmp / f"lh-{len(results)}-{i}.json",
                            screen.cookie,
                        )
                        runs.append(summarise(screen.name, preset, report))
                    median = statistics.median_low([r.scores["performance"] for r in runs])
                    chosen = next(r for r in runs if r.scores["performance"] == median)
                    results.append(chosen)
                    print(
                        f"{screen.name:14} {preset:7} "
                        + " ".join(f"{k}={v}" for k, v in chosen.scores.items())
                        + "  "
                        + " ".join(f"{k}={v}" for k, v in chosen.metrics.items())
                        + ("  failing: " + ", ".join(chosen.failing) if chosen.failing else "")
                        + f"  LCP element: {chosen.lcp}",
                        flush=True,
                    )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    text = table(results)
    print()
    print(text)
    if args.record:
        record(text, version, args.runs)
        print(f"\nrecorded in {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
