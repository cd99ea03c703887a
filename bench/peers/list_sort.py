"""Sorting (peer of bench/programs/list_sort.lm). Size: n (default 1000000)."""
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    seed = 42
    xs = []
    for _ in range(n):
        seed = seed * 16807 % 2147483647
        xs.append(seed % 1000000)
    s = sorted(xs)
    check = 0
    for v in s:
        check = (check * 31 + v) % 1000000007
    print(n, s[0], s[n // 2], s[n - 1], check)


main()
