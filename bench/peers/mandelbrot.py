"""Mandelbrot membership count (peer of bench/programs/mandelbrot.lm). Size: n (default 600)."""
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    max_iter = 50
    count = 0
    for y in range(n):
        ci = 2.0 * y / n - 1.0
        for x in range(n):
            cr = 2.0 * x / n - 1.5
            zr = 0.0
            zi = 0.0
            i = 0
            inside = True
            while i < max_iter:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    inside = False
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                i += 1
            if inside:
                count += 1
    print(count)


main()
