"""Nested Int loops (peer of bench/programs/loop_sum.lm). Size: n (default 10000)."""
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    s = 0
    for i in range(n):
        for j in range(n):
            s += (i * j) % 7 + (i + j) % 3
    print(s)


main()
