#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Checks, on the host, that the JSON of a kvm-exit-stat snapshot taken in
# the bed equals the module's files it was read from, both as make check's
# job wrote them into a boot's results ("#J " lines: the JSON; "#F PATH"
# then "#f " lines: each file). The files are read here by Python alone,
# apart from kvm-exit-stat's parser. Compared: every row of every table
# (count to p99: the rates per second move as the files are read), the
# EL2 section's counts, and each histogram's percentiles and buckets.
# Usage: check-exit-stat-json.py RESULTS_TXT   (exit 0: equal, 1: not, 2: none)
import json
import sys

COLUMNS = ["count", "min", "max", "avg", "total", "stddev", "p50", "p99"]


def sections(path):
    js, files, cur = [], {}, None
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#J "):
                js.append(line[3:])
            elif line.startswith("#F "):
                cur = line[3:]
                files[cur] = []
            elif line.startswith("#f ") or line == "#f":
                files[cur].append(line[3:])
    return "\n".join(js), files


def table_rows(lines):
    """The rows of a stats or summary file, up to its first empty line."""
    rows, on = {}, False
    for line in lines:
        f = line.split()
        if not on:
            on = bool(f) and f[0] == "type"
            continue
        if not f:
            break
        rows[f[0]] = [int(x) for x in f[1:9]]
    return rows


def el2_counts(lines):
    out, on = {}, False
    for line in lines:
        f = line.split()
        if f[:1] == ["type"] and "share" in f:
            on = True
            continue
        if on and f:
            out[f[0]] = int(f[1])
    return out


def histogram(lines):
    out = {}
    for line in lines:
        f = line.split()
        if f[:1] == ["percentiles"]:
            out[f[1]] = {"p": [int(x) for x in f[2:7]], "b": []}
        elif f[:1] == ["bucket"]:
            out[f[1]]["b"].append([int(x) for x in f[2:5]])
    return out


def main():
    js, files = sections(sys.argv[1])
    if not js or not files:
        print("no kvm-exit-stat JSON or files in", sys.argv[1])
        return 2
    snap = json.loads(js)
    bad, compared = [], 0

    def check_table(path, table):
        nonlocal compared
        rows = table_rows(files[path])
        if len(rows) != 32 or len(table["rows"]) != 32:
            bad.append(f"{path}: {len(rows)} rows in the file, {len(table['rows'])} in the JSON")
        for r in table["rows"]:
            got = [int(r[c]) for c in COLUMNS]
            if rows.get(r["type"]) != got:
                bad.append(f"{path} {r['type']}: JSON {got}, file {rows.get(r['type'])}")
            compared += 1
        el2 = el2_counts(files[path])
        for r in (table.get("el2") or {}).get("rows", []):
            if el2.get(r["type"]) != r["count"]:
                bad.append(f"{path} {r['type']}: JSON {r['count']}, file {el2.get(r['type'])}")
            compared += 1

    check_table("summary", snap["summary"])
    for vm in snap["vms"]:
        check_table(f"{vm['name']}/summary", vm["summary"])
        for c in vm["vcpus"]:
            base = f"{vm['name']}/vcpu{c['id']}"
            check_table(f"{base}/stats", c["stats"])
            h = histogram(files[f"{base}/histogram"])
            for r in c["histogram"]["rows"]:
                got = {"p": [r["count"], r["p50"], r["p90"], r["p99"], r["p999"]],
                       "b": [[b["lowest"], b["highest"], b["count"]] for b in r["buckets"]]}
                if h.get(r["type"]) != got:
                    bad.append(f"{base}/histogram {r['type']}: JSON and file differ")
                compared += 1
    for b in bad[:20]:
        print(b)
    print(f"{compared} rows compared, {len(bad)} differ")
    return 1 if bad or compared < 100 else 0


sys.exit(main())
