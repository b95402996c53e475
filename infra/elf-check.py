"""`make build`'s check of the link flags in LAMBDA_RUSTFLAGS (README "Cold-start levers"):
the bootstrap in every zip is an ELF executable of type EXEC, not DYN (a PIE), with
--non-pie, and carries no unwind tables (.eh_frame) with --no-unwind-tables. A build that lost
the flags (a cargo lambda that set CARGO_ENCODED_RUSTFLAGS, say, would drop RUSTFLAGS) fails
here instead of quietly growing.

Usage: python elf-check.py [--non-pie] [--no-unwind-tables] ZIP...
"""

import struct
import sys
import zipfile

ET_EXEC = 2


def sections(elf: bytes) -> dict[str, int]:
    """Section name -> size, from a 64-bit little-endian ELF's section headers."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
    headers = [struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    names_at, names_size = headers[shstrndx][4], headers[shstrndx][5]
    names = elf[names_at : names_at + names_size]
    out = {}
    for name, _type, _flags, _addr, _offset, size in headers:
        out[names[name : names.index(b"\0", name)].decode()] = size
    return out


def problems(elf: bytes, non_pie: bool, no_unwind_tables: bool) -> list[str]:
    found = []
    (e_type,) = struct.unpack_from("<H", elf, 16)
    if non_pie and e_type != ET_EXEC:
        found.append(f"ELF type {e_type}, not an executable of type EXEC ({ET_EXEC}): linked as a PIE")
    if no_unwind_tables and sections(elf).get(".eh_frame", 0) > 0:
        found.append(".eh_frame present: infra/lambda-link.ld was not used")
    return found


def main(args: list[str]) -> int:
    non_pie = "--non-pie" in args
    no_unwind_tables = "--no-unwind-tables" in args
    zips = [a for a in args if not a.startswith("--")]
    bad = 0
    for path in zips:
        with zipfile.ZipFile(path) as z:
            elf = z.read("bootstrap")
        for problem in problems(elf, non_pie, no_unwind_tables):
            print(f"{path}: {problem} (LAMBDA_RUSTFLAGS)", file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
