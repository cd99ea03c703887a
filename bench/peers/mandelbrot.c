/* Mandelbrot membership count (peer of bench/programs/mandelbrot.lm). Size: n (default 600). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 600;
    const long long max_iter = 50;
    long long count = 0;
    for (long long y = 0; y < n; y++) {
        double ci = 2.0 * (double)y / (double)n - 1.0;
        for (long long x = 0; x < n; x++) {
            double cr = 2.0 * (double)x / (double)n - 1.5;
            double zr = 0.0, zi = 0.0;
            long long i = 0;
            int inside = 1;
            while (i < max_iter) {
                double zr2 = zr * zr;
                double zi2 = zi * zi;
                if (zr2 + zi2 > 4.0) {
                    inside = 0;
                    break;
                }
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                i += 1;
            }
            if (inside) count += 1;
        }
    }
    printf("%lld\n", count);
    return 0;
}
