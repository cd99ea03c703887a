#!/usr/bin/env python3
"""Writes a large, valid Lumen program of exactly N lines to stdout (N from argv, default
5000), for timing the compiler front end (`bench/run --compile`).

The program is a sequence of independent "units" (a copy of UNIT with the unit number
substituted, so every top-level name is unique) covering most of LANGUAGE.md: constants,
type aliases, records (generic, with defaults, without fields), enums (generic, with
methods), cells (generic, recursive), loops with labels, if/match/when, patterns (list,
tuple, range, variant, result, guards), string interpolation and escapes, lists, maps,
tuples, lambdas and closures, pipes, null operators, builtins. `main` calls every unit
and prints one checksum, so the program also runs (without runtime errors). The last
lines are filled with small cells and comments to hit N exactly.
"""

import sys

# One unit; @K@ is the unit number, @M@ a small per-unit multiplier.
UNIT = """\
# ---------------------------------------------------------------- unit @K@
const LIMIT_@K@: Int = @K@ * 10 + 3
const TITLE_@K@ = "unit {LIMIT_@K@}"
type Grid@K@ = list[list[Int]]

record Item@K@
  name: String
  qty: Int
  price: Float = 1.5
  tags: list[String] = []
end

record Pair@K@[A, B]
  left: A
  right: B
end

record Marker@K@
end

enum Shape@K@
  Circle@K@(Float)
  Rect@K@(Float, Float)
  Dot@K@

  cell area(self) -> Float
    match self
      Circle@K@(r) -> PI * r * r
      Rect@K@(w, h) -> w * h
      Dot@K@ -> 0.0
    end
  end

  cell scaled(self, f: Float) -> Shape@K@
    match self
      Circle@K@(r) -> Circle@K@(r * f)
      Rect@K@(w, h) -> Rect@K@(w * f, h * f)
      Dot@K@ -> Dot@K@
    end
  end
end

enum Maybe@K@[T]
  Just@K@(T)
  Nothing@K@
end

cell u@K@_classify(n: Int) -> String
  when
    n < 0 -> "neg"
    n == 0 -> "zero"
    n % 2 == 0 -> "even @K@"
    _ -> "odd"
  end
end

cell u@K@_shapes(n: Int) -> Float
  let shapes: list[Shape@K@] = [Circle@K@(1.5), Rect@K@(2.0, n as Float), Dot@K@]
  let mut total = 0.0
  for s in shapes
    total += s.area() + s.scaled(0.5).area()
  end
  total
end

cell u@K@_items(n: Int) -> Int
  let mut items: list[Item@K@] = []
  for i in 0..n
    items = append(items, Item@K@(name: "item{i}", qty: i * @M@))
  end
  let mut stock: map[String, Int] = {}
  for it in items
    if it.qty > 3 and not (it.name in stock)
      stock[it.name] = it.qty
    else if it.qty == 0
      stock["zero"] = 0
    else
      stock[it.name] = (get(stock, it.name) ?? 0) + 1
    end
  end
  if len(items) > 0
    let mut head_item = items[0]
    head_item.qty += 1
    head_item.tags = append(head_item.tags, "head")
    items[0] = head_item
  end
  let big = filter(items, fn(it: Item@K@) -> Bool => it.qty > n / 2)
  let names = map(big, fn(it: Item@K@) -> String => upper(it.name))
  len(stock) + len(join(names, ","))
end

cell u@K@_find(xs: list[Int], target: Int) -> result[Int, String]
  let mut i = 0
  while i < len(xs)
    if xs[i] == target
      return ok(i)
    end
    i += 1
  end
  err("missing {target}")
end

cell u@K@_sum_list(xs: list[Int]) -> Int
  match xs
    [] -> 0
    [only] -> only
    [head, ...tail] -> head + u@K@_sum_list(tail)
  end
end

cell u@K@_loops(n: Int) -> Int
  let mut acc = 0
  let mut k = 0
  loop
    k += 1
    if k > n
      break
    end
    if k % 3 == 0
      continue
    end
    acc += k
  end
  for @outer i in 0..4
    for j in 0..4 if j != i
      if i * j > LIMIT_@K@ % 7
        continue @outer
      end
      acc += i * j
    end
  end
  let mut w = 0
  while w < 10
    w += 2
    acc = (acc * 31 + w) % 1000003
  end
  acc
end

cell u@K@_describe(v: Int | String, m: map[Int, String]) -> String
  let found: String? = get(m, 3)
  let head = if v is Int then "int {v + 1}" else "text {upper(v)}"
  let extra = if found != null then len(found) else 0
  "{head}/{found ?? "none"}/{extra}"
end

cell u@K@_first_or[T](xs: list[T], d: T) -> T
  if len(xs) > 0 then xs[0] else d
end

cell u@K@_grid(n: Int) -> Int
  let mut grid: Grid@K@ = [[r * c for c in 0..n] for r in 0..n]
  for r in 0..n
    grid[r][r] = -1
  end
  let mut s = 0
  for row in grid
    s += sum(row)
  end
  s
end

cell u@K@_text(n: Int) -> String
  let words = split("alpha,beta,gamma,delta", ",")
  let mut parts: list[String] = []
  for (i, w) in enumerate(words)
    parts = append(parts, "{i}:{w}")
  end
  let joined = join(parts, ";")
  let raw = r"C:\\temp\\{x}"
  let esc = "tab\\there \\{not interpolated\\} quote\\" done"
  let padded = pad_left(to_string(n), 6, "0")
  let shout = joined |> upper
  "{shout} {len(raw)} {len(esc)} {padded} {slice(joined, 0, 5)} {TITLE_@K@}"
end

cell u@K@_lambdas(n: Int) -> Int
  let k = n % 5 + @K@
  let add_k = fn(x: Int) -> Int => x + k
  let xs = range(0, n + 3)
  let scaled = map(xs, fn(x: Int) -> Int
    let y = add_k(x) * 2
    y + 1
  end)
  let positives = scaled |> filter(fn(x: Int) -> Bool => x > 4) |> len
  let total = reduce(scaled, fn(acc: Int, x: Int) -> Int => (acc + x) % 1000003, 0)
  let sorted = sort_by(xs, fn(x: Int) -> Int => -x)
  let hit = find(sorted, fn(x: Int) -> Bool => x % 2 == 1) ?? -1
  let flags = any(xs, fn(x: Int) -> Bool => x > 100) or all(xs, fn(x: Int) -> Bool => x >= 0)
  total + positives + hit + (if flags then 1 else 0)
end

cell u@K@_bits(n: Int) -> tuple[Int, Int]
  let a = n & 0xff
  let b = (n | 0b1010) ^ 0x0f
  let c = (1 << 4) + (1_000 >> 2) + (~n & 3)
  (a + c, b)
end

cell u@K@_collections(n: Int) -> Int
  let m1: map[String, Int] = {"a": 1, "b": n}
  let m2 = merge(m1, {"c": 3})
  let ks = keys(m2)
  let vs = values(m2)
  let pairs = zip(ks, vs)
  let flat = flatten([[1, 2], [n], []])
  let uniq = unique([1, 1, 2, n])
  let total = len(pairs) + sum(flat) + len(uniq) + len(take(flat, 2)) + len(drop(flat, 1))
  let has = if has_key(m2, "c") and contains(ks, "a") then 1 else 0
  let mut count = 0
  for (key, value) in m2
    count += len(key) * value
  end
  total + has + index_of(flat, n) + len(entries(m2)) + count
end

cell u@K@_floats(n: Int) -> Float
  let x = (n as Float) / 3.0
  let y = sqrt(x * x + 1.0) + abs(-x) + floor(x) + ceil(x) + round(x)
  let z = clamp(max(x, 1.0), 0.0, 100.0) + min(2, 3) + 2.0 ** 3.0 + pow(2, 5)
  y + z + 7.5 % 2.0 + (7 // 2) + (-7 % 3)
end

cell u@K@_run(seed: Int) -> Int
  if seed < 0
    halt "negative seed {seed}"
  end
  let xs = [i * @M@ % 17 for i in 0..seed + 5 if i % 3 != 1]
  let total = reduce(xs, fn(acc: Int, x: Int) -> Int => acc + x, 0)
  let label = match total % 4
    0 -> "zero"
    1 | 2 -> "low"
    _ -> "high"
  end
  let bucket = match seed % 20
    0..5 -> "a"
    5..=9 -> "b"
    _ -> "c"
  end
  let mut out = u@K@_items(seed % 10) + len(label) + len(bucket)
  out += (u@K@_shapes(seed) as Int) % 100
  let pos = match u@K@_find(xs, 3)
    ok(i) -> i
    err(msg) -> len(msg)
  end
  let m: Maybe@K@[Int] = if pos > 1 then Just@K@(pos) else Nothing@K@
  let got = match m
    Just@K@(v) if v > 2 -> v * 2
    Just@K@(v) -> v
    Nothing@K@ -> 0
  end
  let (lo, hi) = u@K@_bits(seed)
  let p = Pair@K@(left: lo, right: "x{hi}")
  let names: map[Int, String] = {1: "one", 3: "three"}
  let d = u@K@_describe(if got > 3 then got else "small", names)
  let forced = get(names, 1)!
  let maybe_item: Item@K@? = if seed > 2 then Item@K@(name: "m", qty: 1) else null
  let qty = maybe_item?.qty ?? 0
  let q = u@K@_first_or(["a", "b"], "none")
  let mk = Marker@K@()
  let grid = u@K@_grid(seed % 6)
  let loops = u@K@_loops(seed % 20)
  let text = u@K@_text(seed)
  let cls = u@K@_classify(out - 50)
  let summed = u@K@_sum_list([1, 2, 3, seed % 7])
  let lam = u@K@_lambdas(seed % 30)
  let coll = u@K@_collections(seed % 9)
  let fl = u@K@_floats(seed)
  let msg = "unit @K@: {out} {label} {p.right} {q} {cls} {type_of(mk)} {round(fl * 100.0) / 100.0}"
  let parts = [out, got, grid, loops, len(text), len(d), summed, lam, len(msg), p.left, coll]
  (sum(parts) + len(forced) + qty + (fl as Int)) % 1000003
end

"""

FILLER = """\
cell pad_@K@() -> Int
  @K@ * 2
end
"""


def unit_text(k):
    """The unit with number k."""
    return UNIT.replace("@K@", str(k)).replace("@M@", str(k % 7 + 1))


def main_text(units):
    """The main cell: calls every unit's entry cell and prints a checksum."""
    lines = ["cell main()", "  let mut total = 0"]
    for k in range(1, units + 1):
        lines.append(f"  total = (total + u{k}_run({k % 25})) % 1000003")
    lines += ["  print(total)", "end", ""]
    return "\n".join(lines)


def generate(n_lines):
    """The program text, exactly n_lines lines (at least the header and an empty main)."""
    header = (
        "# Generated by bench/gen_large.py: a large valid Lumen program for timing the\n"
        "# compiler. Every unit is independent; main prints one checksum.\n"
    )
    unit_lines = unit_text(1).count("\n")
    units = 0
    # each unit costs its own lines plus one line in main
    while header.count("\n") + (units + 1) * (unit_lines + 1) + main_text(0).count("\n") <= n_lines:
        units += 1
    body = header + "".join(unit_text(k) for k in range(1, units + 1))
    main = main_text(units)
    remaining = n_lines - body.count("\n") - main.count("\n")
    fillers = []
    k = 0
    while remaining >= FILLER.count("\n"):
        k += 1
        fillers.append(FILLER.replace("@K@", str(k)))
        remaining -= FILLER.count("\n")
    fillers.append("# filler\n" * max(remaining, 0))
    return body + "".join(fillers) + main


def main():
    try:
        n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    except ValueError:
        sys.exit("usage: gen_large.py [LINES]")
    sys.stdout.write(generate(n))


if __name__ == "__main__":
    main()
