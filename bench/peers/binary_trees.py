"""Binary trees (peer of bench/programs/binary_trees.lm). Size: max depth (default 16).

Empty is None and Node(l, r) is a 2-tuple."""
import sys


def make(d):
    return (None, None) if d == 0 else (make(d - 1), make(d - 1))


def check(t):
    if t is None:
        return 0
    l, r = t
    return 1 + check(l) + check(r)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 16
    min_depth = 4
    max_depth = max(min_depth + 2, n)
    stretch = max_depth + 1
    print(f"stretch tree of depth {stretch}\t check: {check(make(stretch))}")
    long_lived = make(max_depth)
    d = min_depth
    while d <= max_depth:
        iterations = 1 << (max_depth - d + min_depth)
        total = 0
        for _ in range(iterations):
            total += check(make(d))
        print(f"{iterations}\t trees of depth {d}\t check: {total}")
        d += 2
    print(f"long lived tree of depth {max_depth}\t check: {check(long_lived)}")


main()
