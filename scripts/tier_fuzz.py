#!/usr/bin/env python3
"""Differential fuzzing of the tiers: random Lumen programs of Int loops (`for` and
`while`, products of loop counters, `break`/`continue`, nested loops, calls), each run
interpreted and natively (`--tier jit` at -O0, -O1 and -O3, and `--tier tiered` with
LUMEN_JIT_THRESHOLD 0, 1 and 20, so OSR entries run too, also ones an inner loop
deferred to the loop around it). Output, errors with their traces,
and exit codes must be identical; a program that differs is kept for inspection.

    scripts/tier_fuzz.py --lumen target/release/lumen [--seed 1] [--count 300] [--keep DIR]

Most programs end in `integer overflow` somewhere (factors near 2^31, 2^62 and the Int
extremes): where it is raised is what the native code's overflow checks, proofs and
strength reductions must get right.
"""
import argparse
import os
import random
import subprocess
import sys

BIG = [0, 1, -1, 2, 3, 7, -5, 1 << 30, 1 << 31, 3037000499, -3037000500, 1 << 62,
       -(1 << 62), 9223372036854775807, -9223372036854775807, 1 << 40, 123456789]


class Gen:
    def __init__(self, rnd):
        self.r = rnd
        self.depth = 0

    def lit(self):
        r = self.r
        return str(r.choice(BIG)) if r.random() < 0.3 else str(r.randint(-20, 20))

    def expr(self, names, d=0):
        r = self.r
        if d > 2 or r.random() < 0.3:
            return r.choice(names) if names and r.random() < 0.75 else self.lit()
        a, b = self.expr(names, d + 1), self.expr(names, d + 1)
        op = r.choice(["+", "-", "*", "*", "*", "%", "/", "//"])
        if op in ("%", "/", "//"):
            # Constant divisors (multiplications in native code) of both signs, 0 and
            # ±1 now and then, and sometimes a variable one.
            d = r.choice(["3", "7", "1000", "-5", "13", "2", "-8", "10", "1000003", "-7",
                          "1", "-1", "0", "9223372036854775807", b])
            return f"({a} {op} {d})"
        return f"({a} {op} {b})"

    def cond(self, names):
        op = self.r.choice(["<", "<=", ">", ">=", "==", "!="])
        return f"{self.expr(names)} {op} {self.expr(names)}"

    def product_line(self, pad, counter, names, mut):
        r = self.r
        factor, m = r.choice(names), r.choice(mut)
        prod = f"{counter} * {factor}" if r.random() < 0.5 else f"{factor} * {counter}"
        return f"{pad}  {m} = ({m} + {prod} % 1000) % 1000003"

    def updates(self, names, mut):
        """One-line statements on the Float `f`, the lists `xs`/`ys`, the String `w` and
        the map `m` (out-of-range indices, multi-byte text, closures)."""
        r = self.r
        x = self.expr(names)
        return [
            f"f = f * 0.5 + ({x}) as Float",
            f"f = sqrt(abs(f)) - floor(({x}) as Float / 3.0)",
            f"f = min(f, ({x}) as Float) / 7.0",
            "f = max(f * 1.0e300, -1.0e300) - f",
            f"xs[({x}) % 8] = xs[{r.randint(-1, 8)}] + {r.choice(names)}",
            f"xs = append(xs, ({x}) % 100)",
            f"{r.choice(mut)} = (xs[len(xs) - 1] + ({x})) % 1000003",
            f"w = w + to_string(({x}) % 10)",
            "w = slice(w, 1, 6) + \"é\"",
            f"m[to_string(({x}) % 5)] = (get(m, to_string(({x}) % 5)) ?? 0) + 1",
            f"m = remove(m, to_string(({x}) % 5))",
            f"{r.choice(mut)} = (len(w) + len(m) + (({x}) % 7)) % 1000003",
            f"ys = map(xs, fn(v: Int) -> Int => (v * ({x})) % 1000)",
            f"xs = append(filter(ys, fn(v: Int) => v > ({x}) % 9), {r.randint(-3, 3)})",
            "w = \"{w}{len(xs)}\" + (if contains(w, \"1\") then \"a\" else \"b\")",
        ]

    def block(self, names, mut, indent, loops, in_while=False):
        """Statements at `indent`; `in_while`: a `continue` could skip the step."""
        r = self.r
        pad = "  " * indent
        out = []
        for _ in range(r.randint(1, 4)):
            k = r.random()
            if k < 0.23:
                out.append(f"{pad}{r.choice(mut)} = ({self.expr(names)}) % 1000003")
            elif k < 0.43:
                out.append(pad + r.choice(self.updates(names, mut)))
            elif k < 0.55 and self.depth < 3:
                self.depth += 1
                c = f"c{self.depth}{r.randint(0, 99)}"
                lo, hi = r.choice([("0", "n"), ("lo", "n"), ("-3", "4"), ("0", "0"),
                                   ("big", "big + 3"), ("lo", "lo + 5"), ("0", "big")])
                out.append(f"{pad}for {c} in {lo}..{hi}")
                if hi == "big":
                    # A bound past the limit of a versioned loop: left early.
                    out += [f"{pad}  if {c} >= {r.randint(1, 4)}", f"{pad}    break",
                            f"{pad}  end"]
                if r.random() < 0.6:
                    out.append(self.product_line(pad, c, names, mut))
                out += self.block(names + [c], mut, indent + 1, loops + 1)
                out.append(f"{pad}end")
                self.depth -= 1
            elif k < 0.65 and self.depth < 3:
                self.depth += 1
                c = f"w{self.depth}{r.randint(0, 99)}"
                out.append(f"{pad}let mut {c} = {r.choice(['0', 'lo', '-2'])}")
                out.append(f"{pad}while {c} < {r.choice(['n', '5', 'lo + 4'])}")
                if r.random() < 0.6:
                    out.append(self.product_line(pad, c, names, mut))
                out += self.block(names + [c], mut, indent + 1, loops + 1, True)
                out.append(f"{pad}  {c} += {r.choice(['1', '1', '2'])}")
                if r.random() < 0.5:
                    out += self.block(names + [c], mut, indent + 1, loops + 1, True)
                out.append(f"{pad}end")
                self.depth -= 1
            elif k < 0.75 and loops > 0:
                jump = "break" if in_while else r.choice(["break", "continue"])
                out += [f"{pad}if {self.cond(names)}", f"{pad}  {jump}", f"{pad}end"]
            elif k < 0.85:
                out.append(f"{pad}if {self.cond(names)}")
                out += self.block(names, mut, indent + 1, loops, in_while)
                out.append(f"{pad}end")
            else:
                out.append(f"{pad}print({', '.join(r.choice(names) for _ in range(2))})")
        return out


def program(seed):
    r = random.Random(seed)
    g = Gen(r)
    body = g.block(["n", "lo", "big", "k", "s", "t"], ["s", "t"], 1, 0)
    lines = ["cell helper(a: Int, b: Int) -> Int", f"  (a * {r.randint(-9, 9)} + b) % 1009",
             "end", "", "cell f(n: Int, lo: Int, big: Int, k: Int) -> Int",
             "  let mut s = 0", "  let mut t = 1", "  let mut f = 0.5",
             "  let mut xs = [1, 2, 3, 4, 5, 6, 7, 8]", "  let mut ys = [0]",
             "  let mut w = \"\"", "  let mut m: map[String, Int] = {}"]
    lines += body
    lines += ["  print(f, len(xs), xs[0], len(ys), slice(w, 0, 12), m)", "  s + helper(t, s)",
              "end", "", "cell main()"]
    for _ in range(3):
        args = [r.choice(["0", "3", "6", "12"]), str(r.randint(-4, 3)), str(r.choice(BIG)),
                str(r.choice(BIG))]
        lines.append(f"  print(f({', '.join(args)}))")
    lines.append("end")
    return "\n".join(lines) + "\n"


MODES = [(["--tier", "jit", "-O0"], 0), (["--tier", "jit", "-O1"], 0),
         (["--tier", "jit", "-O3"], 0), (["--tier", "tiered"], 0), (["--tier", "tiered"], 1),
         (["--tier", "tiered"], 20)]


def run(lumen, args, path, threshold):
    env = dict(os.environ, LUMEN_JIT_THRESHOLD=str(threshold))
    try:
        p = subprocess.run([lumen, "run", *args, path], capture_output=True, text=True,
                           timeout=20, env=env)
    except subprocess.TimeoutExpired:
        return None
    return (p.returncode, p.stdout, p.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lumen", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--keep", default="fuzz-mismatches")
    a = ap.parse_args()
    os.makedirs(a.keep, exist_ok=True)
    tmp = os.path.join(a.keep, "current.lm")
    ran = failed = errors = 0
    for seed in range(a.seed, a.seed + a.count):
        with open(tmp, "w") as f:
            f.write(program(seed))
        want = run(a.lumen, ["--tier", "interp"], tmp, 100)
        if want is None:
            continue  # A loop the generator made too long.
        ran += 1
        errors += want[0] != 0
        for mode, threshold in MODES:
            got = run(a.lumen, mode, tmp, threshold)
            if got != want:
                failed += 1
                kept = os.path.join(a.keep, f"seed{seed}.lm")
                os.replace(tmp, kept)
                print(f"MISMATCH seed {seed}: {' '.join(mode)} threshold {threshold}"
                      f" ({kept})", flush=True)
                break
    if os.path.exists(tmp):
        os.remove(tmp)
    print(f"{ran} programs ({errors} ending in a runtime error), {failed} mismatches")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
