/* Fannkuch-redux (peer of bench/programs/fannkuch_redux.lm). Size: n (default 10). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 10;
    long long *perm = calloc((size_t)n + 1, sizeof(long long));
    long long *perm1 = calloc((size_t)n + 1, sizeof(long long));
    long long *count = calloc((size_t)n + 1, sizeof(long long));
    for (long long i = 0; i < n; i++) perm1[i] = i;
    long long max_flips = 0, checksum = 0, perm_count = 0;
    long long r = n;
    for (;;) {
        while (r != 1) {
            count[r - 1] = r;
            r -= 1;
        }
        for (long long i = 0; i < n; i++) perm[i] = perm1[i];
        long long flips = 0;
        long long k = perm[0];
        while (k != 0) {
            long long k2 = (k + 1) / 2;
            for (long long i = 0; i < k2; i++) {
                long long t = perm[i];
                perm[i] = perm[k - i];
                perm[k - i] = t;
            }
            flips += 1;
            k = perm[0];
        }
        if (flips > max_flips) max_flips = flips;
        checksum += perm_count % 2 == 0 ? flips : -flips;
        for (;;) {
            if (r == n) {
                printf("%lld\n", checksum);
                printf("Pfannkuchen(%lld) = %lld\n", n, max_flips);
                free(perm);
                free(perm1);
                free(count);
                return 0;
            }
            long long perm0 = perm1[0];
            for (long long i = 0; i < r; i++) perm1[i] = perm1[i + 1];
            perm1[r] = perm0;
            count[r] -= 1;
            if (count[r] > 0) break;
            r += 1;
        }
        perm_count += 1;
    }
}
