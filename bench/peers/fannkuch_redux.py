"""Fannkuch-redux (peer of bench/programs/fannkuch_redux.lm). Size: n (default 10)."""
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    perm = [0 for _ in range(n)]
    perm1 = [i for i in range(n)]
    count = [0 for _ in range(n)]
    max_flips = 0
    checksum = 0
    perm_count = 0
    r = n
    while True:
        while r != 1:
            count[r - 1] = r
            r -= 1
        for i in range(n):
            perm[i] = perm1[i]
        flips = 0
        k = perm[0]
        while k != 0:
            k2 = (k + 1) // 2
            for i in range(k2):
                t = perm[i]
                perm[i] = perm[k - i]
                perm[k - i] = t
            flips += 1
            k = perm[0]
        max_flips = max(max_flips, flips)
        checksum += flips if perm_count % 2 == 0 else -flips
        while True:
            if r == n:
                print(checksum)
                print(f"Pfannkuchen({n}) = {max_flips}")
                return
            perm0 = perm1[0]
            for i in range(r):
                perm1[i] = perm1[i + 1]
            perm1[r] = perm0
            count[r] -= 1
            if count[r] > 0:
                break
            r += 1
        perm_count += 1


main()
