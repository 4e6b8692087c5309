"""``python -m tools.fuzz TARGET [--count N] [--seed S] [--out DIR]``: N generated inputs through each target
(amount, emv, provider-replies, config, csv, tariffs, or all), one JSON line per target on stdout:
``{"target", "inputs", "crashes", "broken", "seconds", "seed"}`` — ``crashes``: unexpected exceptions,
``broken``: inputs handled against the contract (see ``tools/fuzz/__init__.py``). The first few of each are
saved to ``--out`` (default ``fuzz-out``) as ``<target>-crash-<n>.txt`` / ``<target>-broken-<n>.txt``: the input's repr and the traceback.
Exit 0 when nothing crashed or broke, 1 otherwise."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as seeded

from . import Broken, Target
from .targets import TARGETS

SAVED_PER_TARGET = 5


def run(target: Target, count: int, seed: int, out: Path) -> dict[str, object]:
    inputs = crashes = broken = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{target.name}-") as tmp, target.open(Path(tmp)) as check:

        @seeded(seed)
        @settings(
            max_examples=count,
            database=None,
            deadline=None,
            derandomize=False,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(target.inputs)
        def one(case: object) -> None:
            nonlocal inputs, crashes, broken
            inputs += 1
            try:
                check(case)
            except Broken:
                broken += 1
                save(out, f"{target.name}-broken", broken, case)
            except Exception:  # noqa: BLE001 - counting what crashed is the point
                crashes += 1
                save(out, f"{target.name}-crash", crashes, case)

        one()
    return {
        "target": target.name,
        "inputs": inputs,
        "crashes": crashes,
        "broken": broken,
        "seconds": round(time.perf_counter() - started, 1),
        "seed": seed,
    }


def save(out: Path, name: str, n: int, case: object) -> None:
    if n > SAVED_PER_TARGET:
        return
    out.mkdir(parents=True, exist_ok=True)
    shown = repr(case)
    if len(shown) > 20_000:
        shown = shown[:10_000] + f" … ({len(shown)} characters in all) … " + shown[-2_000:]
    (out / f"{name}-{n}.txt").write_text(f"{shown}\n\n{traceback.format_exc()}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("target", choices=[*TARGETS, "all"])
    parser.add_argument("--count", type=int, default=1000, help="inputs per target (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="the generator's seed (default 0)")
    parser.add_argument("--out", type=Path, default=Path("fuzz-out"), help="where reproducers go")
    args = parser.parse_args(argv)
    failed = False
    for name in TARGETS if args.target == "all" else [args.target]:
        figures = run(TARGETS[name], args.count, args.seed, args.out)
        failed = failed or bool(figures["crashes"] or figures["broken"])
        print(json.dumps(figures), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
