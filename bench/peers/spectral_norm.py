"""Spectral norm (peer of bench/programs/spectral_norm.lm). Size: n (default 500)."""
import math
import sys


def round_half_away(a):
    f = math.floor(a)
    return f + 1 if a - f >= 0.5 else f


def fmt9(x):
    sign = "-" if x < 0.0 else ""
    scaled = int(round_half_away(abs(x) * 1000000000.0))
    return f"{sign}{scaled // 1000000000}." + str(scaled % 1000000000).rjust(9, "0")


def a_ij(i, j):
    return 1.0 / ((i + j) * (i + j + 1) // 2 + i + 1)


def mul_av(v):
    n = len(v)
    out = [0.0 for _ in range(n)]
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += a_ij(i, j) * v[j]
        out[i] = s
    return out


def mul_atv(v):
    n = len(v)
    out = [0.0 for _ in range(n)]
    for i in range(n):
        s = 0.0
        for j in range(n):
            s += a_ij(j, i) * v[j]
        out[i] = s
    return out


def mul_atav(v):
    return mul_atv(mul_av(v))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    u = [1.0 for _ in range(n)]
    v = [0.0 for _ in range(n)]
    for _ in range(10):
        v = mul_atav(u)
        u = mul_atav(v)
    vbv = 0.0
    vv = 0.0
    for i in range(n):
        vbv += u[i] * v[i]
        vv += v[i] * v[i]
    print(fmt9(math.sqrt(vbv / vv)))


main()
