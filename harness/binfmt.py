"""The kernel's binfmt_misc handlers, read from its tree (/proc/sys/fs/binfmt_misc), and the
one that runs each architecture's programs.

A handler is matched to an arch by the ELF header its magic and mask select, never by its
name: Debian's qemu-user-static, docker/setup-qemu-action (tonistiigi/binfmt), systemd-binfmt
and a hand-written registration name theirs differently, and any of them serves. Only a
handler registered with the F flag serves containers: the kernel opened its interpreter at
registration, so no qemu binary has to exist inside the image (or even on the host any more).
Pure, except `scan`, which reads the tree."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.vocab.arch import Arch

BINFMT_DIR = Path("/proc/sys/fs/binfmt_misc")

# Each arch's ELF identification (elf.h): EI_CLASS (1: 32-bit, 2: 64-bit), EI_DATA
# (1: little-endian, 2: big-endian) and e_machine.
ELF_IDENTITY: dict[str, tuple[int, int, int]] = {
    "x86_64": (2, 1, 62),  # EM_X86_64
    "i686": (1, 1, 3),  # EM_386
    "aarch64": (2, 1, 183),  # EM_AARCH64
    "armv7l": (1, 1, 40),  # EM_ARM
    "ppc64le": (2, 1, 21),  # EM_PPC64
    "s390x": (2, 2, 22),  # EM_S390
    "riscv64": (2, 1, 243),  # EM_RISCV
}
ET_EXEC = 2


def elf_header(arch: Arch) -> bytes:
    """The first 20 bytes of an executable of `arch`: what a handler's magic is matched on."""
    elf_class, data, machine = ELF_IDENTITY[arch.name]
    order: Literal["little", "big"] = "little" if data == 1 else "big"
    ident = bytes([0x7F, *b"ELF", elf_class, data, 1]) + bytes(9)
    return ident + ET_EXEC.to_bytes(2, order) + machine.to_bytes(2, order)


@dataclass(frozen=True)
class Handler:
    name: str
    enabled: bool
    flags: str
    interpreter: str
    offset: int = 0
    magic: bytes = b""
    mask: bytes = b""

    @property
    def usable_in_containers(self) -> bool:
        return self.enabled and "F" in self.flags

    def runs(self, arch: Arch) -> bool:
        """Whether the kernel hands `arch`'s executables to this handler."""
        if not self.magic:  # an extension handler (".jar"), or nothing was parsed
            return False
        header = elf_header(arch)[self.offset :]
        if len(header) < len(self.magic):
            return False
        mask = self.mask or bytes([0xFF] * len(self.magic))
        return all((h & m) == (g & m) for h, g, m in zip(header, self.magic, mask, strict=False))

    def describe(self) -> str:
        flags = self.flags or "none"
        where = f", {self.interpreter}" if self.interpreter else ""
        return f"{self.name} (flags {flags}{where})"


def _hex(value: str) -> bytes:
    try:
        return bytes.fromhex(value)
    except ValueError:
        return b""


def parse(name: str, text: str) -> Handler:
    """One handler's file, as the kernel writes it:
    `enabled`, `interpreter PATH`, `flags: PF`, `offset 0`, `magic HEX`, `mask HEX`."""
    lines = text.splitlines()
    enabled = bool(lines) and lines[0].strip() == "enabled"
    fields: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        fields[key.rstrip(":")] = value.strip()
    try:
        offset = int(fields.get("offset", "0"))
    except ValueError:
        offset = 0
    return Handler(
        name=name,
        enabled=enabled,
        flags=fields.get("flags", ""),
        interpreter=fields.get("interpreter", ""),
        offset=offset,
        magic=_hex(fields.get("magic", "")),
        mask=_hex(fields.get("mask", "")),
    )


@dataclass(frozen=True)
class BinfmtTree:
    mounted: bool  # binfmt_misc is mounted (its `status` file exists)
    enabled: bool  # binfmt_misc as a whole is enabled
    handlers: tuple[Handler, ...]

    def handler_for(self, arch: Arch) -> Handler | None:
        """The handler that runs `arch`'s programs: the first usable in containers, else any
        that matches (to name it in the problem); None when none matches."""
        matching = [h for h in self.handlers if h.runs(arch)]
        usable = [h for h in matching if h.usable_in_containers]
        found = usable or matching
        return found[0] if found else None

    def serves(self, arch: Arch) -> bool:
        handler = self.handler_for(arch)
        return self.enabled and handler is not None and handler.usable_in_containers


def scan(root: Path = BINFMT_DIR) -> BinfmtTree:
    status = root / "status"
    try:
        enabled = status.read_text().strip() == "enabled"
    except OSError:
        return BinfmtTree(mounted=False, enabled=False, handlers=())
    handlers = []
    for entry in sorted(root.iterdir()):
        if entry.name in ("status", "register") or not entry.is_file():
            continue
        try:
            handlers.append(parse(entry.name, entry.read_text()))
        except OSError:  # removed while reading
            continue
    return BinfmtTree(mounted=True, enabled=enabled, handlers=tuple(handlers))
