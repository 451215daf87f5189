"""Candidate build images: a changed image run beside the current one.

`run --candidate-image manylinux_2_31:x86_64=registry/img:tag` adds, for every cell that uses
the current manylinux_2_31 x86_64 build image, the same cell with that image's wheels built in
the candidate instead. Candidate rows carry a mark in their build image's name
("manylinux_2_31~candidate"); `identity` drops it, so the gate can set a candidate cell against
the baseline cell it stands in for.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from harness.catalog.image_spec import BaseSource
from harness.catalog.model import BuildImage
from harness.errors import UsageError
from harness.vocab import policy_names
from harness.vocab.arch import get_arch

CANDIDATE_MARK = "~candidate"


@dataclass(frozen=True)
class CandidateImage:
    policy: str  # canonical, e.g. "manylinux_2_17" for manylinux2014
    arch: str
    reference: str

    @classmethod
    def parse(cls, text: str) -> CandidateImage:
        """POLICY:ARCH=IMAGE, e.g. "2014:aarch64=quay.io/pypa/manylinux2014_aarch64:2026.11.20"."""
        target, sep, reference = text.partition("=")
        policy, colon, arch = target.partition(":")
        if not sep or not colon or not policy or not arch or not reference:
            raise UsageError(
                f"--candidate-image {text!r} is not POLICY:ARCH=IMAGE: write e.g. "
                "manylinux2014:x86_64=quay.io/pypa/manylinux2014_x86_64:candidate"
            )
        return cls(
            policy=policy_names.canonical_name(policy),
            arch=get_arch(arch).name,
            reference=reference,
        )

    def replaces(self, image: BuildImage) -> bool:
        return image.policy == self.policy and image.arch.name == self.arch


def candidate_build_image(current: BuildImage, reference: str) -> BuildImage:
    """The candidate as a build image: used as it is (complete, like a published image: no
    provisioning), under the current image's policy, arch and build interpreter."""
    name = f"{current.display_policy}{CANDIDATE_MARK}"
    spec = dataclasses.replace(
        current.image,
        name=name,
        base=BaseSource(kind="pull", reference=reference),
        steps=(),
        portable_steps=(),
        portable_paths=(),
        env=(),
        network=False,
        remove_sonames=(),
    )
    return dataclasses.replace(current, display_policy=name, image=spec)


def is_candidate(text: str) -> bool:
    return CANDIDATE_MARK in text


def identity(key: str) -> str:
    """A cell key without candidate marks: the baseline cell a candidate cell stands in for."""
    return key.replace(CANDIDATE_MARK, "")
