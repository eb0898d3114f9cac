#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""table.py - make bench's table and chart from the figure lines.

    table.py FIGURES PNG

Reads the lines tests/bench/figures.sh describes, prints one row per
figure (figure, ODM, baseline, unit, ratio, target, verdict: meets, MISSES,
or NOT MEASURED for a target whose ODM figure is not-measured) and draws PNG
with gnuplot: each figure's ratio beside its target, and, when series
lines are present, the data received over time across a move. Exit status
1 when a figure misses its target, is not measured or a line is
malformed, else 0.
"""
import os
import subprocess
import sys
import tempfile


def num(s):
    try:
        return float(s)
    except ValueError:
        return None


def fmt(v):
    if v is None:
        return "-"
    if abs(v) >= 100 or v == int(v):
        return "{:.0f}".format(v)
    return "{:.2f}".format(v)


def verdict(target, odm, ratio, base=None):
    """(bound, 'meets'/'MISSES'/'-') for a target string: ratio<=X, ratio>=X,
    odm<=X, odm>=X, or added<=X (odm - baseline, for a time on top of one)."""
    if target == "-":
        return None, "-"
    added = odm - base if odm is not None and base is not None else None
    for what, value in (("ratio", ratio), ("odm", odm), ("added", added)):
        for op in ("<=", ">="):
            if target.startswith(what + op):
                bound = num(target[len(what) + 2:])
                if bound is None:
                    return None, "BAD TARGET"
                if value is None:
                    return bound, "MISSES (no value)"
                ok = value <= bound if op == "<=" else value >= bound
                return bound, "meets" if ok else "MISSES"
    return None, "BAD TARGET"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: table.py FIGURES PNG")
    rows, series, bad = [], {}, 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            p = line.rstrip("\n").split("\t")
            if p[0] == "figure" and len(p) == 6:
                odm, base = num(p[2]), num(p[3])
                ratio = odm / base if odm is not None and base else None
                bound, v = verdict(p[5], odm, ratio, base)
                if p[2] == "not-measured" and p[5] != "-" and v != "BAD TARGET":
                    v = "NOT MEASURED"  # the run could not (its log says why)
                rows.append((p[1], odm, base, p[4], ratio, p[5], v, bound))
            elif p[0] == "series" and len(p) == 4 and num(p[2]) is not None \
                    and num(p[3]) is not None:
                series.setdefault(p[1], []).append((num(p[2]), num(p[3])))
            else:
                print("table: line {} malformed: {!r}".format(n, line.rstrip("\n")))
                bad = 1
    w = max([len(r[0]) for r in rows] + [6])
    head = "{:<{w}}  {:>10}  {:>10}  {:<7} {:>6}  {:<13} {}".format(
        "figure", "ODM", "baseline", "unit", "ratio", "target", "verdict", w=w)
    print(head)
    print("-" * len(head))
    for name, odm, base, unit, ratio, target, v, _ in rows:
        print("{:<{w}}  {:>10}  {:>10}  {:<7} {:>6}  {:<13} {}".format(
            name, fmt(odm), fmt(base), unit, fmt(ratio), target, v, w=w))
    missed = sum(1 for r in rows if r[6].startswith(("MISSES", "BAD")))
    unmeasured = sum(1 for r in rows if r[6] == "NOT MEASURED")
    print("{} figures, {} with a target, {} missed{}".format(
        len(rows), sum(1 for r in rows if r[5] != "-"), missed,
        ", {} not measured".format(unmeasured) if unmeasured else ""))
    draw(rows, series, sys.argv[2])
    return 1 if missed or unmeasured or bad else 0


def draw(rows, series, png):
    """One PNG: the ratios that have a target, beside it; data over time if
    there are series."""
    ratios = [r for r in rows if r[4] is not None and r[5].startswith("ratio")]
    with tempfile.TemporaryDirectory() as tmp:
        dat = os.path.join(tmp, "ratios.dat")
        with open(dat, "w", encoding="utf-8") as f:
            for i, (name, _, _, _, ratio, target, v, bound) in enumerate(ratios):
                tb = bound if target.startswith("ratio") else "NaN"
                f.write('{} "{}" {} {}\n'.format(i, name.replace('"', "'"), ratio, tb))
        cmds = ["set terminal pngcairo noenhanced size 1200,{} font ',9'".format(
                    900 if series else 600),
                "set output '{}'".format(png)]
        if series:
            cmds += ["set multiplot layout 2,1"]
            sfiles = []
            for label, pts in sorted(series.items()):
                sf = os.path.join(tmp, "s{}.dat".format(len(sfiles)))
                with open(sf, "w", encoding="utf-8") as f:
                    for t, v in sorted(pts):
                        f.write("{} {}\n".format(t, v))
                sfiles.append((sf, label))
            cmds += ["set title 'Data received across a move'",
                     "set xlabel 'seconds'", "set ylabel 'MB received'",
                     "set key top left",
                     "plot " + ", ".join("'{}' using 1:2 with lines lw 2 title '{}'".format(
                         sf, label.replace("'", "")) for sf, label in sfiles),
                     "unset xlabel", "unset ylabel"]
        cmds += ["set title 'make bench: ODM / baseline (bars) and the target (dots)'",
                 "set rmargin 12",
                 "set style fill solid 0.6", "set boxwidth 0.6",
                 "set yrange [0:*]", "set xtics rotate by -35 left",
                 "set key top right",
                 "set bmargin 12" if not series else "set bmargin 14"]
        if ratios:
            cmds += ["plot '{0}' using 1:3:xtic(2) with boxes title 'ratio', "
                     "'{0}' using 1:4 with points pt 7 ps 1.5 title 'target'".format(dat)]
        else:
            cmds += ["set label 'no ratios measured' at graph 0.4,0.5", "plot NaN notitle"]
        if series:
            cmds += ["unset multiplot"]
        try:
            subprocess.run(["gnuplot"], input="\n".join(cmds) + "\n", text=True,
                           check=True, capture_output=True)
            print("chart: {}".format(png))
        except (OSError, subprocess.CalledProcessError) as e:
            err = getattr(e, "stderr", "") or str(e)
            print("chart: gnuplot failed: {}".format(err.strip().splitlines()[-1:]))


if __name__ == "__main__":
    sys.exit(main())
