/* Nested Int loops (peer of bench/programs/loop_sum.lm). Size: n (default 10000). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 10000;
    long long s = 0;
    for (long long i = 0; i < n; i++) {
        for (long long j = 0; j < n; j++) {
            s += (i * j) % 7 + (i + j) % 3;
        }
    }
    printf("%lld\n", s);
    return 0;
}
