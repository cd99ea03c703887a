"""Higher-order functions with lambdas (peer of bench/programs/closures.lm).
Size: n (default 1000000)."""
import sys
from functools import reduce


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    xs = [i for i in range(n)]
    total = 0
    for r in range(10):
        ys = list(map(lambda x: x * 3 + r, xs))
        zs = list(filter(lambda y: y % 2 == 0, ys))
        s = reduce(lambda acc, z: (acc + z) % 1000000007, zs, 0)
        total = (total + s) % 1000000007
    print(total)


main()
