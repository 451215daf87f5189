#!/usr/bin/env python3
"""Build a project's wheels through the harness's build stage: cibuildwheel, offline, in a
local (or official) build image, cached by content like the corpus's wheels; then copy them
into an output directory, as `cibuildwheel --output-dir wheelhouse` leaves them.

    python bin/build_example.py examples/lazy_crypt --output wheelhouse/
    python bin/build_example.py examples/lazy_crypt --arch aarch64 --policy manylinux_2_36

The project is built as cibuildwheel builds it, but its own test command is not run (the
build stage never runs one: `verify --project` runs it on other distros). Default: the
oldest manylinux build image of the profile for the arch, whose wheel claims the most systems
(`--policy musllinux_1_2` for a musllinux wheel).
Exit status: 0 built, 1 the build failed, 2 bad input, 3 no build image."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from harness.build.wheels import BuildRequest, WheelBuilder
from harness.catalog.model import BuildImage
from harness.catalog.samples import Flavour, Sample
from harness.catalog.user import CatalogSources
from harness.errors import ExitCode, HarnessError, UsageError
from harness.runner.context import RunContext
from harness.settings import Settings
from harness.util.progress import Progress
from harness.vocab.arch import host_machine


def example_sample(project: Path) -> Sample:
    """The project as the build stage takes it: one flavour, cibuildwheel's defaults."""
    if not (project / "pyproject.toml").is_file():
        raise UsageError(f"{project} has no pyproject.toml: pass a project cibuildwheel builds")
    return Sample(
        name=project.resolve().name,
        path=project.resolve(),
        kind="sample",
        description=f"the project at {project}",
        imports=(),
        check="",
        flavours=(Flavour("default"),),
        expect=(),
    )


def choose_image(profile: str, arch: str, policy: str | None, settings: Settings) -> BuildImage:
    catalog = CatalogSources(settings.catalogs, settings.registry_mirrors).load()
    images = catalog.build_images(profile, [arch], [policy] if policy else None)
    if not images:
        raise UsageError(f"profile {profile} has no build image for {arch} {policy or ''}")
    if policy is None:
        # The oldest manylinux image: the widest claim (a musllinux image declares no glibc,
        # so it would sort first). A musllinux wheel is had with --policy musllinux_1_2.
        images = [i for i in images if i.libc == "manylinux"] or images
    return min(images, key=lambda i: i.glibc)


def build(
    project: Path,
    output: Path,
    *,
    profile: str = "local",
    arch: str | None = None,
    policy: str | None = None,
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> tuple[Path, ...]:
    """The project's wheels, built (or found in the cache) and copied into `output`."""
    settings = settings or Settings.from_options(engines=[], registry_mirrors=[], catalogs=[])
    progress = progress or Progress()
    sample = example_sample(project)
    image = choose_image(profile, arch or host_machine(), policy, settings)
    context = RunContext(settings, output)
    try:
        prepared = context.ensure_images([image.image], progress, jobs=1)[image.image.key]
        if prepared.resolved is None:
            raise HarnessError(f"build image {image.key} unavailable: {prepared.error}")
        builder = WheelBuilder(context.engine(image.arch.name), context.cache, settings)
        outcome = builder.build(BuildRequest(sample, sample.flavours[0], image), prepared.resolved)
    finally:
        context.close()
    if not outcome.ok:
        raise BuildFailed(outcome.error)
    output.mkdir(parents=True, exist_ok=True)
    copied = []
    for wheel in outcome.wheels:
        shutil.copyfile(wheel, output / wheel.name)
        copied.append(output / wheel.name)
    return tuple(copied)


class BuildFailed(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("--output", type=Path, default=Path("wheelhouse"))
    parser.add_argument("--profile", default="local")
    parser.add_argument("--arch", default=None)
    parser.add_argument("--policy", default=None)
    args = parser.parse_args(argv)
    try:
        wheels = build(
            args.project, args.output, profile=args.profile, arch=args.arch, policy=args.policy
        )
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except BuildFailed as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return int(ExitCode.BROKEN)
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return int(ExitCode.NOT_TOLD)
    for wheel in wheels:
        print(wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
