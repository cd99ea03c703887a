"""Word counting (peer of bench/programs/map_count.lm). Size: words (default 3000000).

A dict is the map; the walk in key order iterates over the sorted keys."""
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000000
    syl = ["ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze"]
    seed = 7
    counts = {}
    for _ in range(n):
        seed = seed * 16807 % 2147483647
        w = syl[seed % 10] + syl[seed // 10 % 10] + syl[seed // 100 % 10]
        counts[w] = counts.get(w, 0) + 1
    best = ""
    best_n = 0
    for w in sorted(counts):
        c = counts[w]
        if c > best_n:
            best = w
            best_n = c
    print(len(counts), best, best_n, counts.get("kakaka", 0))


main()
