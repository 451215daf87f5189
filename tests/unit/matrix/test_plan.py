from __future__ import annotations

import pytest

from harness.build.wheels import BuildRequest
from harness.catalog.model import default_catalog
from harness.catalog.samples import Flavour, default_samples_dir, discover
from harness.errors import UsageError
from harness.judge import cpu as cpus
from harness.matrix.plan import Selection, make_plan
from harness.vocab.arch import arch_names
from harness.vocab.installer import Installer

SAMPLES = discover(default_samples_dir())


def test_plan_for_local_x86_64() -> None:
    plan = make_plan(Selection("local", arches=("x86_64",)), default_catalog(), SAMPLES)
    names = {s.name for s in SAMPLES}
    assert len(plan.build_images) == 4 and len(plan.distros) == 7
    # per libc family: three manylinux images, one musllinux image
    glibc = {"all": 3, "all-but-oldest": 2, "oldest": 1, "newest": 1}
    musl = {"all": 1, "all-but-oldest": 0, "oldest": 1, "newest": 1}
    assert len(plan.builds) == sum(
        glibc[f.builds] + (musl[f.builds] if s.applies.to("x86_64", "musllinux") else 0)
        for s in SAMPLES
        for f in s.flavours
    )
    assert all(c.arch == "x86_64" for c in plan.cells)
    keys = [c.key for c in plan.cells]
    ids = [c.test_id for c in plan.cells]
    assert len(set(keys)) == len(keys) and len(set(ids)) == len(ids)
    cell = next(
        c
        for c in plan.cells
        if c.members[0].sample.name == "c_plain"
        and c.distro.name == "debian-bullseye"
        and c.members[0].build_image.policy == "manylinux_2_31"
    )
    assert cell.key == "c_plain@manylinux_2_31 | x86_64 | debian-bullseye | pip=distro"
    assert cell.test_id == "c_plain-manylinux_2_31-x86_64-debian-bullseye"
    assert cell.group == "debian-bullseye-x86_64"
    assert "c_plain" in names
    # every wheel meets every distro of its arch: a musllinux wheel the Debian distros (which
    # must refuse it), a manylinux wheel the musl distro; C++ and Fortran have no musl wheel
    musl_wheels = {
        c.members[0].label for c in plan.cells if c.members[0].build_image.libc == "musllinux"
    }
    assert "c_plain@musllinux_1_2" in musl_wheels
    assert "thread_stack_control@musllinux_1_2" in musl_wheels
    assert not any(w.startswith(("cpp_static_locals", "fortran", "glibcxx")) for w in musl_wheels)
    on_musl = {c.members[0].label for c in plan.cells if c.distro.name == "musl-1.2"}
    assert {"c_plain@manylinux_2_31", "c_plain@musllinux_1_2"} <= on_musl


def test_plan_selection_narrows() -> None:
    plan = make_plan(
        Selection(
            "local",
            arches=("x86_64",),
            policies=("2_36",),
            distros=("debian-forky",),
            offers=("none",),
        ),
        default_catalog(),
        [s for s in SAMPLES if s.name == "c_plain"],
    )
    assert [c.test_id for c in plan.cells] == ["c_plain-manylinux_2_36-x86_64-debian-forky"]


def test_combination_cells_cover_orders_and_dlopen_modes() -> None:
    cpp = [s for s in SAMPLES if s.name == "cpp_static_locals"]
    plan = make_plan(
        Selection("local", arches=("x86_64",), distros=("debian-bookworm",)), default_catalog(), cpp
    )
    combos = [c for c in plan.cells if len(c.members) > 1]
    # two combinations x two orders x two dlopen modes, on one distro
    assert len(combos) == 8
    rows = {c.row for c in combos}
    assert (
        "cpp_static_locals[plain]@manylinux_2_31 + cpp_static_locals[static]@manylinux_2_31" in rows
    )
    assert (
        "cpp_static_locals[static]@manylinux_2_31 + cpp_static_locals[plain]@manylinux_2_31 (RTLD_GLOBAL)"
        in rows
    )
    assert (
        "cpp_static_locals[plain]@manylinux_2_31 + cpp_static_locals[plain]@manylinux_2_41" in rows
    )
    imports = {c.row: [i for m in c.members for i in m.imports] for c in combos}
    assert imports[
        "cpp_static_locals[plain]@manylinux_2_31 + cpp_static_locals[static]@manylinux_2_31"
    ] == [
        "cpp_locals_plain_manylinux_2_31",
        "cpp_locals_static_manylinux_2_31",
    ]
    assert {c.order for c in combos} == {"given", "reversed"} and {c.dlopen for c in combos} == {
        "default",
        "global",
    }
    assert len({c.key for c in combos}) == 8 and len({c.test_id for c in combos}) == 8


def test_no_combination_with_a_single_build_image() -> None:
    cpp = [s for s in SAMPLES if s.name == "cpp_static_locals"]
    plan = make_plan(
        Selection("local", arches=("x86_64",), policies=("2_36",)), default_catalog(), cpp
    )
    rows = {c.row for c in plan.cells if len(c.members) > 1}
    # plain+static from the one image remain; "compilers" needs two different images
    assert rows and all("static" in row for row in rows)


def test_builds_see_which_modules_to_provide() -> None:
    from harness.build.wheels import build_environment

    cpp = next(s for s in SAMPLES if s.name == "cpp_static_locals")
    image = default_catalog().build_images("local", ["x86_64"], ["2_41"])[0]
    env = build_environment(BuildRequest(cpp, cpp.flavour("static"), image))
    assert env["MH_MODULES"] == "cpp_locals_static_manylinux_2_41"
    assert env["LDFLAGS"] == "-static-libstdc++ -static-libgcc"


def test_cross_arch_cells_offer_each_wheel_to_one_distro_of_every_other_arch() -> None:
    samples = [s for s in SAMPLES if s.name in ("c_plain", "glibc_control")]
    plan = make_plan(
        Selection("local", arches=("x86_64", "aarch64", "riscv64")), default_catalog(), samples
    )
    cross = [c for c in plan.cells if c.cross_arch]
    # c_plain only (glibc_control is not cross-arch), from the oldest image of each arch,
    # to the first distro of each of the two other arches: 3 arches x 2
    assert len(cross) == 6
    pairs = {(c.members[0].build_image.key, c.distro.key) for c in cross}
    assert ("manylinux_2_31-x86_64", "debian-bullseye-aarch64") in pairs
    assert ("manylinux_2_31-aarch64", "debian-bullseye-x86_64") in pairs
    # riscv64 starts at trixie: its oldest image is manylinux_2_41 and its first distro trixie
    assert ("manylinux_2_41-riscv64", "debian-bullseye-x86_64") in pairs
    assert ("manylinux_2_31-x86_64", "debian-trixie-riscv64") in pairs
    first = next(c for c in cross if c.distro.key == "debian-bullseye-aarch64")
    assert first.arch == "aarch64"
    assert first.row == "c_plain@manylinux_2_31 (x86_64 wheel)"
    assert first.test_id == "c_plain-manylinux_2_31-aarch64-debian-bullseye-from-x86_64"
    assert len({c.key for c in plan.cells}) == len(plan.cells)


def test_no_cross_arch_cells_with_one_arch() -> None:
    plan = make_plan(Selection("local", arches=("x86_64",)), default_catalog(), SAMPLES)
    assert not any(c.cross_arch for c in plan.cells)


def test_uv_and_cpu_axes_add_cells_and_leave_the_others_alone() -> None:
    base = make_plan(
        Selection("local", arches=("x86_64",), pips=(Installer.pip("latest"),)),
        default_catalog(),
        SAMPLES,
    )
    plan = make_plan(
        Selection(
            "local",
            arches=("x86_64",),
            pips=(Installer.pip("latest"),),
            uvs=(Installer.uv("latest"), Installer.uv("0.1")),
            cpus=("x86-64-v1", "x86-64-v2"),
        ),
        default_catalog(),
        SAMPLES,
    )
    old = {c.key for c in base.cells}
    assert old <= {c.key for c in plan.cells}
    added = [c for c in plan.cells if c.key not in old]
    uv_cells = [c for c in added if c.installer.is_uv]
    cpu_cells = [c for c in added if c.cpu != "host"]
    assert len(added) == len(uv_cells) + len(cpu_cells)
    # uv cells: every pip-axis single-wheel cell, once per uv release, on every distro.
    pip_axis = [c for c in base.cells if c.installer == Installer.pip("latest")]
    assert len(uv_cells) == 2 * len(pip_axis)
    assert {c.distro.name for c in uv_cells} == {d.name for d in plan.distros}
    first = next(c for c in uv_cells if c.installer == Installer.uv("latest"))
    assert first.key.endswith("| installer=uv-latest") and first.test_id.endswith("-uv-latest")
    assert first.group.endswith("-uv-latest")
    # cpu cells: only cpu-axis samples, with the distro's pip, once per model.
    assert {c.members[0].sample.name for c in cpu_cells} == {
        "c_plain",
        "cpp_static_locals",
        "x86_64_v3_control",
    }
    assert all(c.installer.is_distro for c in cpu_cells)
    control = next(c for c in cpu_cells if c.cpu == "x86-64-v1")
    assert "[cpu x86-64-v1]" in control.row and control.test_id.endswith("-cpu-x86-64-v1")
    assert control.group.endswith("-cpu-x86-64-v1")
    assert len({c.test_id for c in plan.cells}) == len(plan.cells)


# -march values gcc accepts only when compiling for x86 (x86_64, or i686 for the 32-bit ones).
_X86_64_ONLY_MARCH = ("x86-64-v2", "x86-64-v3", "x86-64-v4")


def _march(flavour: Flavour) -> set[str]:
    flags = " ".join(flavour.environment.values()).split()
    return {flag.split("=", 1)[1] for flag in flags if flag.startswith("-march=")}


def cpus_for(arch: str) -> tuple[str, ...]:
    return tuple(name for name, model in cpus.models().items() if model.arch == arch)


def test_no_sample_is_planned_where_it_cannot_build() -> None:
    """Every arch of both profiles: a build whose flags name another arch's CPU (gcc rejects
    -march=x86-64-v3 on aarch64 and i686) is never planned; a sample with such flags must
    declare where it applies, and is still planned where it does."""
    catalog = default_catalog()
    for profile in ("local", "official"):
        for arch in arch_names():
            plan = make_plan(
                Selection(profile, arches=(arch,), cpus=cpus_for(arch)), catalog, SAMPLES
            )
            for request in plan.builds:
                arch_of_build = request.build_image.arch.name
                wrong = _march(request.flavour) & set(_X86_64_ONLY_MARCH)
                assert not (wrong and arch_of_build != "x86_64"), (
                    f"{profile} {arch}: {request.sample.name}[{request.flavour.name}] is "
                    f"planned in {request.build_image.key} with -march={sorted(wrong)}"
                )
                assert request.sample.applies.to(arch_of_build, request.build_image.libc)
            for cell in plan.cells:
                for member in cell.members:
                    assert member.sample.applies.to(
                        member.build_image.arch.name, member.build_image.libc
                    ), f"{profile} {arch}: {cell.key}"
    x86 = make_plan(Selection("local", arches=("x86_64",)), catalog, SAMPLES)
    aarch64 = make_plan(Selection("local", arches=("aarch64",)), catalog, SAMPLES)
    assert any(r.sample.name == "x86_64_v3_control" for r in x86.builds)
    assert not any(r.sample.name == "x86_64_v3_control" for r in aarch64.builds)
    # Both arches in one run: the x86_64 wheel is still planned, the aarch64 build is not.
    both = make_plan(Selection("local", arches=("x86_64", "aarch64")), catalog, SAMPLES)
    v3 = [r for r in both.builds if r.sample.name == "x86_64_v3_control"]
    assert v3 and {r.build_image.arch.name for r in v3} == {"x86_64"}


def test_every_arch_specific_flag_is_declared_where_it_applies() -> None:
    for sample in SAMPLES:
        if any(_march(f) & set(_X86_64_ONLY_MARCH) for f in sample.flavours):
            assert sample.applies.arches == ("x86_64",), sample.name


def test_offer_cells_on_every_distro_with_every_installer() -> None:
    c_plain = [s for s in SAMPLES if s.name in ("c_plain", "x86_64_v3_control")]
    selection = Selection(
        "local",
        arches=("x86_64",),
        pips=(Installer.pip("19.0"),),
        uvs=(Installer.uv("latest"),),
        cpus=("x86-64-v2",),
    )
    plan = make_plan(selection, default_catalog(), c_plain)
    offers = [c for c in plan.cells if c.offer is not None]
    assert {c.offer_name for c in offers} == {
        "c_plain: policies",
        "c_plain: abi3-and-cp3X",
        "x86_64_v3_control: cpu-levels",
    }
    policies = [c for c in offers if c.offer_name == "c_plain: policies"]
    first = policies[0]
    # a release's files for both libcs, as an index serves them: the installer's tags choose
    assert [m.label for m in first.members] == [
        "c_plain@manylinux_2_31",
        "c_plain@manylinux_2_41",
        "c_plain@musllinux_1_2",
    ]
    assert first.row == (
        "offer c_plain: policies"
        " (c_plain@manylinux_2_31 | c_plain@manylinux_2_41 | c_plain@musllinux_1_2)"
    )
    assert {c.distro.name for c in policies} >= {"debian-bullseye", "musl-1.2"}
    assert first.test_id == "offer-c_plain-policies-x86_64-debian-bullseye"
    assert first.key.endswith("| x86_64 | debian-bullseye | pip=distro")
    # pip 19.0 only where it runs, uv everywhere
    pairs = {(c.distro.name, str(c.installer), c.cpu) for c in policies}
    assert ("debian-bullseye", "19.0", "host") in pairs
    assert ("debian-bookworm", "19.0", "host") not in pairs
    assert ("debian-forky", "uv-latest", "host") in pairs
    assert "debian-bookworm-x86_64 with pip 19.0" in dict(plan.not_probed)
    # CPU models with the distro's pip only (its pick is the host's: pip runs natively)
    cpu = [c for c in offers if c.cpu != "host"]
    assert cpu and {str(c.installer) for c in cpu} == {"distro"}
    assert {c.offer_name for c in cpu} == {"x86_64_v3_control: cpu-levels"}  # its cpu_axis
    # the abi3 wheel beside one cp3X build per image; that flavour has no cells alone
    mixed = next(c for c in offers if c.offer_name == "c_plain: abi3-and-cp3X")
    assert [m.label for m in mixed.members] == [
        "c_plain@manylinux_2_31",
        "c_plain[version-specific]@manylinux_2_31",
        "c_plain[version-specific]@manylinux_2_36",
        "c_plain[version-specific]@manylinux_2_41",
        "c_plain@musllinux_1_2",
        "c_plain[version-specific]@musllinux_1_2",
    ]
    assert not [
        c
        for c in plan.cells
        if c.offer is None and any(m.flavour.name == "version-specific" for m in c.members)
    ]
    assert any(b.flavour.name == "version-specific" for b in plan.builds)
    # one staged directory per offer, whatever the distro and installer
    assert len({c.offer_key for c in policies}) == 1


def test_offers_are_selected_by_name_and_none_runs_none() -> None:
    def offered(*names: str) -> set[str]:
        plan = make_plan(
            Selection("local", arches=("x86_64",), distros=("debian-trixie",), offers=names),
            default_catalog(),
            SAMPLES,
        )
        return {c.offer_name for c in plan.cells if c.offer is not None}

    assert offered("c_plain:policies") == {"c_plain: policies"}
    assert offered("x86_64_v3_control") == {"x86_64_v3_control: cpu-levels"}
    assert offered("none") == set()
    for wrong, message in (
        (("c_plain:nothing",), "no selected sample offers that"),
        (("none", "c_plain"), "--offer none selects no offer"),
    ):
        with pytest.raises(UsageError, match=message):
            offered(*wrong)


def test_no_policy_offer_with_a_single_build_image() -> None:
    plan = make_plan(
        Selection("local", arches=("x86_64",), policies=("2_36",), distros=("debian-forky",)),
        default_catalog(),
        [s for s in SAMPLES if s.name == "c_plain"],
    )
    assert {c.offer_name for c in plan.cells if c.offer is not None} == {"c_plain: abi3-and-cp3X"}


def test_a_flavour_built_only_to_be_offered_is_built_only_for_its_offers() -> None:
    def built(*offers: str) -> set[str]:
        plan = make_plan(
            Selection("local", arches=("x86_64",), offers=offers),
            default_catalog(),
            [s for s in SAMPLES if s.name == "c_plain"],
        )
        return {b.flavour.name for b in plan.builds}

    assert built() == {"default", "version-specific"}
    assert built("c_plain:policies") == built("none") == {"default"}
