#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Prints make bench's table for one host from the guest's results files.

Usage: bench-table.py HOST UNPATCHED_RESULTS PATCHED_RESULTS

Lines read (from exit_bench, prefixed by the guest's bench job with the
scenario they ran in):
  scenario=S bench NAME n=N repeats=R ticks_hz=F min=T median=T
  scenario=S read FILE bytes=B min=T median=T
  scenario=S control memory...: V bytes
T is in tenths of a nanosecond of virtual time: under -icount shift=0,
tenths of an instruction. The table shows medians, in instructions.
Results of runs before the scenarios had names ("config=1" to "config=5",
in the order of SCENARIOS) are read too.
"""
import re
import sys

HOSTS = {
    "ls2080": "LS2080-like host: -cpu cortex-a72, GICv3, nVHE",
    "modern": "modern host: -cpu max, GICv3, VHE",
    "gicv2": "GICv2 host: -cpu max, GICv2, nVHE",
}
# What one round trip of each benchmark is.
WHAT = {
    "hvc64": "HVC64 exit handled by KVM",
    "sys64": "SYS64 exit (ID register trap)",
    "dabt_io_mem": "DABT_IO_MEM exit (vGIC distributor read)",
    "dabt_io_user": "DABT_IO_USER exit (MMIO completed by the VMM)",
    "sgi": "SGI there and back: 2 SGI + 2 WFX exits, 2 wake-ups",
    "wfi_timer": "WFI woken by the timer: deadline to guest running",
}
# The scenarios, in the table's order.
SCENARIOS = ["unpatched", "patched", "module", "tracefs", "module+tracefs"]
# A line's scenario: "scenario=NAME", or "config=N" of older runs.
PREFIX = r"^(?:scenario=(?P<name>\S+)|config=(?P<number>[1-5])) "
LINE = re.compile(PREFIX + r"(bench|read) (\S+) (.*)$")
CONTROL = re.compile(PREFIX + r"control (\S+): (\d+)")


def scenario(m):
    return m.group("name") or SCENARIOS[int(m.group("number")) - 1]


def parse(paths):
    bench, reads, control = {}, {}, {}
    for path in paths:
        with open(path, errors="replace") as f:
            for line in f:
                line = line.strip()
                m = LINE.match(line)
                if m:
                    kind, name, rest = m.groups()[2:]
                    fields = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
                    med, lo = int(fields["median"]), int(fields["min"])
                    if kind == "bench":
                        bench[(name, scenario(m))] = (med, lo)
                    else:
                        reads[name] = (med, lo, int(fields["bytes"]))
                    continue
                m = CONTROL.match(line)
                if m:
                    control[m.group(3)] = int(m.group(4))
    return bench, reads, control


def fmt(tenths):
    return f"{tenths / 10:.1f}"


def added(a, b):
    """b relative to a, in instructions and percent."""
    if a is None or b is None:
        return "-"
    d = (b - a) / 10
    return f"{d:+.1f} ({100 * (b - a) / a:+.2f}%)"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    host, unpatched, patched = sys.argv[1:]
    bench, reads, control = parse([unpatched, patched])
    names = [n for n in WHAT if any((n, s) in bench for s in SCENARIOS)]
    missing = [(n, s) for n in WHAT for s in SCENARIOS if (n, s) not in bench]
    print()
    print(f"### {HOSTS.get(host, host)}")
    print()
    print("Instructions per round trip (median of the passes; the run's results.txt files keep the minimum too):")
    print()
    cols = ["benchmark"] + SCENARIOS + ["patched vs unpatched", "module vs patched",
                                        "tracefs vs patched", "module/tracefs added"]
    rows = []
    for n in names:
        v = [bench.get((n, s), (None, None))[0] for s in SCENARIOS]
        a3 = None if v[2] is None or v[1] is None else v[2] - v[1]
        a4 = None if v[3] is None or v[1] is None else v[3] - v[1]
        ratio = "-" if a3 is None or not a4 else f"{a3 / a4:.3f}"
        rows.append([n] + [fmt(x) if x is not None else "-" for x in v]
                    + [added(v[0], v[1]), added(v[1], v[2]), added(v[1], v[3]), ratio])
    widths = [max(len(str(r[i])) for r in rows + [cols]) for i in range(len(cols))]
    print("| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    print()
    for n in names:
        print(f"- {n}: {WHAT[n]}")
    cycles = [n for n in names if (n, "module-cycles") in bench]
    if cycles:
        print()
        print("The module timing in CPU cycles (`clock=cycles`) against the generic counter,")
        print("instructions per round trip added to the patched kernel (medians):")
        print()
        print("| benchmark | counter | cycles | cycles - counter |")
        print("|---|---|---|---|")
        for n in cycles:
            p, m, c = (bench.get((n, s), (None, None))[0] for s in ("patched", "module", "module-cycles"))
            if None in (p, m, c):
                continue
            print(f"| {n} | {added(p, m)} | {added(p, c)} | {(c - m) / 10:+.1f} |")
    keyed = [n for n in names if (n, "module-breakdowns") in bench]
    if keyed:
        print()
        print("The module with every breakdown on (sysregs, hypercalls, wfx, mmio, interrupts, ipi) against all off,")
        print("instructions per round trip added to the patched kernel (medians):")
        print()
        print("| benchmark | all off | all on | on - off |")
        print("|---|---|---|---|")
        for n in keyed:
            p, m, k = (bench.get((n, s), (None, None))[0] for s in ("patched", "module", "module-breakdowns"))
            if None in (p, m, k):
                continue
            print(f"| {n} | {added(p, m)} | {added(p, k)} | {(k - m) / 10:+.1f} |")
    if reads:
        print()
        print("Reading the tables with the module loaded (8 VMs x 4 vCPUs unless told otherwise),")
        print("instructions per whole-file read (open, read to EOF, close), median:")
        print()
        for name, (med, lo, size) in reads.items():
            print(f"- {name}: {fmt(med)} ({size} bytes)")
    if control:
        print()
        print("Memory the module holds (its control file, with those VMs alive):")
        print()
        for k, v in control.items():
            if k.startswith("memory"):
                print(f"- {k}: {v} bytes ({v / 1024:.1f} KiB)")
            else:
                print(f"- {k}: {v}")
    if missing:
        print()
        print("MISSING: " + ", ".join(f"{n} in scenario {s}" for n, s in missing))
        sys.exit(1)


main()
