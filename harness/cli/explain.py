"""`manylinux-harness explain OLD NEW`: what moving wheels from one manylinux policy to
another gains and gives up (see harness.explain.policy_change)."""

from __future__ import annotations

import argparse
import datetime as _dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import options
from harness.errors import ExitCode
from harness.options import add_options, option

if TYPE_CHECKING:
    from harness.explain.model import Explanation


def register(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "explain",
        help="what moving wheels from one manylinux policy to another gains and gives up",
    )
    parser.add_argument("old", metavar="OLD", help="current policy, e.g. manylinux2014, 2_31")
    parser.add_argument("new", metavar="NEW", help="policy to move to, e.g. manylinux_2_28")
    # One arch per explanation: the policies' symbol sets and the run's cells are per arch.
    arch = option("arch", repeatable=False, default="x86_64", help="architecture")
    # The question is about the world (PyPA's images, the distros people run), not about this
    # machine's local images: official by default, local on request.
    profile = option("profile", default="official")
    output = option(
        "output",
        help="write the explanation to this file instead of standard output",
        required=False,
        short="-o",
        metavar="FILE",
    )
    # A user catalog's distros are explained beside the shipped ones.
    add_options(
        parser.add_argument,
        [profile, arch, "results", "format", output, "threshold", *options.SOURCES],
    )
    return parser


def run(args: argparse.Namespace, today: _dt.date | None = None) -> ExitCode:
    from harness.catalog.registry_mirrors import parse_mirrors
    from harness.catalog.user import CatalogSources
    from harness.errors import UsageError
    from harness.explain import download_shares, pypa_images
    from harness.explain.policy_change import explain, find_results
    from harness.judge.installers import tag_families
    from harness.results import record as results
    from harness.util.provenance import installed_version
    from harness.vocab.arch import get_arch

    arch = get_arch(args.arch).name
    # Only the catalog's rows are read (no engine, no pull): MANYLINUX_HARNESS_ENGINES is
    # not this command's business.
    catalog = CatalogSources(
        tuple(args.catalog), parse_mirrors(args.registry_mirror, os.environ)
    ).load()
    threshold: float | None = args.threshold
    if threshold is not None and not 0 < threshold <= 100:
        raise UsageError(f"--threshold {threshold:g}: give a share between 0 and 100 (percent)")
    path: Path | None = args.results
    if path is None:
        path = find_results(Path.cwd(), args.profile, arch)
    record = results.load(path) if path is not None else None
    expl = explain(
        args.old,
        args.new,
        catalog,
        record,
        tag_families(),
        profile=args.profile,
        arch=arch,
        today=today,
        results=display_path(path) if path is not None else "",
        auditwheel_version=installed_version("auditwheel") or "",
        shares=download_shares.shipped(),
        images=pypa_images.shipped(),
        threshold=threshold,
    )
    text = _renderer(args.format)(expl)
    if args.output is None:
        print(text, end="")
        return ExitCode.HELD
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--output {args.output}: cannot write it ({exc.strerror})") from exc
    print(f"wrote {display_path(args.output)}")
    return ExitCode.HELD


def _renderer(name: str) -> Callable[[Explanation], str]:
    if name == "json":
        from harness.explain.json_output import render_json

        return render_json
    if name == "html":
        from harness.explain.html_output import render_html

        return render_html
    from harness.explain.render import render_markdown, render_text

    return render_markdown if name == "markdown" else render_text


def display_path(path: Path) -> str:
    """The results file as the explanation names it: relative to here when it is below."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
