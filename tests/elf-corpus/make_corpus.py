#!/usr/bin/env python3
"""Writes the malformed-ELF corpus: every file here must make `ferrovm run`
print a one-line error and exit non-zero, without a panic.

    tests/elf-corpus/make_corpus.py        # (re)writes *.elf next to this script

Each case starts from a tiny valid static riscv64 executable (one R-X
PT_LOAD at 0x10000 holding `li a0, 0; li a7, 93; ecall`) and breaks one
thing. The files are committed; the test is
crates/cli/tests/all/linux.rs::malformed_elf_corpus_gives_one_line_errors.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CODE = struct.pack("<3I", 0x00000513, 0x05D00893, 0x00000073)  # li a0,0; li a7,93; ecall


def phdr(p_type=1, flags=5, offset=0, vaddr=0x10000, filesz=None, memsz=None, align=0x1000):
    size = 64 + 56 + len(CODE)
    filesz = size if filesz is None else filesz
    memsz = filesz if memsz is None else memsz
    return struct.pack("<IIQQQQQQ", p_type, flags, offset, vaddr, vaddr, filesz, memsz, align)


def ehdr(e_type=2, machine=243, entry=0x10000 + 120, phoff=64, phentsize=56, phnum=1, ident=None):
    ident = ident or b"\x7fELF\x02\x01\x01" + b"\0" * 9
    return ident + struct.pack("<HHIQQQIHHHHHH", e_type, machine, 1, entry, phoff, 0, 5, 64, phentsize, phnum, 0, 0, 0)


def elf(eh=None, phs=None, tail=CODE):
    eh = eh if eh is not None else ehdr(phnum=len(phs) if phs is not None else 1)
    phs = phs if phs is not None else [phdr()]
    return eh + b"".join(phs) + tail


VALID = elf()
CASES = {
    "empty": b"",
    "truncated_ident": VALID[:10],
    "truncated_header": VALID[:40],
    "not_elf": b"#!/bin/sh\necho hello\n" + b"\0" * 64,
    "class32": elf(eh=ehdr(ident=b"\x7fELF\x01\x01\x01" + b"\0" * 9)),
    "big_endian": elf(eh=ehdr(ident=b"\x7fELF\x02\x02\x01" + b"\0" * 9)),
    "machine_x86_64": elf(eh=ehdr(machine=62)),
    "machine_aarch64": elf(eh=ehdr(machine=183)),
    "type_relocatable": elf(eh=ehdr(e_type=1)),
    "type_core": elf(eh=ehdr(e_type=4)),
    "phentsize_wrong": elf(eh=ehdr(phentsize=32)),
    "no_phdrs": elf(eh=ehdr(phnum=0), phs=[]),
    "phoff_past_end": elf(eh=ehdr(phoff=0x100000)),
    "phoff_overflow": elf(eh=ehdr(phoff=0xFFFFFFFFFFFFFFF0)),
    "phnum_huge": elf(eh=ehdr(phnum=0xFFFF)),
    "truncated_phdr": (ehdr() + phdr())[:64 + 30],
    "segment_outside_file": elf(phs=[phdr(offset=0x10000)]),
    "segment_offset_overflow": elf(phs=[phdr(offset=0xFFFFFFFFFFFFF000)]),
    "filesz_gt_memsz": elf(phs=[phdr(filesz=200, memsz=100)]),
    "memsz_huge": elf(phs=[phdr(memsz=1 << 60)]),
    "vaddr_kernel_half": elf(eh=ehdr(entry=0xFFFFFFC000000000 + 120), phs=[phdr(vaddr=0xFFFFFFC000000000)]),
    "vaddr_zero_page": elf(eh=ehdr(entry=120), phs=[phdr(vaddr=0)]),
    "vaddr_wraps": elf(phs=[phdr(vaddr=0xFFFFFFFFFFFFF000, memsz=0x2000)]),
    "overlapping_segments": elf(eh=ehdr(phnum=2), phs=[phdr(), phdr(vaddr=0x10080, offset=0x80, filesz=16)]),
    "misaligned_offset": elf(phs=[phdr(offset=8)]),
    "entry_outside": elf(eh=ehdr(entry=0x500000)),
    "entry_not_executable": elf(phs=[phdr(flags=6)]),
    "no_load_segments": elf(phs=[phdr(p_type=4)]),
    "interp_missing": elf(
        eh=ehdr(phnum=2),
        phs=[phdr(p_type=3, offset=64 + 2 * 56 + len(CODE), filesz=24), phdr()],
        tail=CODE + b"/nonexistent/ld-riscv.so\0",
    ),
    "interp_outside_file": elf(eh=ehdr(phnum=2), phs=[phdr(p_type=3, offset=0x7000, filesz=32), phdr()]),
    "interp_empty": elf(
        eh=ehdr(phnum=2), phs=[phdr(p_type=3, offset=64 + 2 * 56 + len(CODE), filesz=1), phdr()], tail=CODE + b"\0"
    ),
    "interp_is_not_elf": elf(
        eh=ehdr(phnum=2),
        phs=[phdr(p_type=3, offset=64 + 2 * 56 + len(CODE), filesz=8), phdr()],
        tail=CODE + b"/bin/sh\0",
    ),
}


def main():
    for old in os.listdir(HERE):
        if old.endswith(".elf"):
            os.remove(os.path.join(HERE, old))
    for name, data in sorted(CASES.items()):
        with open(os.path.join(HERE, name + ".elf"), "wb") as f:
            f.write(data)
    print(f"wrote {len(CASES)} files to {HERE}")


if __name__ == "__main__":
    main()
