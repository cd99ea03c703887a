/* Sorting (peer of bench/programs/list_sort.lm). Size: n (default 1000000). */
#include <stdio.h>
#include <stdlib.h>

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 1000000;
    long long seed = 42;
    size_t cap = 8, len = 0;
    long long *xs = malloc(cap * sizeof(long long));
    for (long long i = 0; i < n; i++) {
        seed = seed * 16807 % 2147483647;
        if (len == cap) {
            cap *= 2;
            xs = realloc(xs, cap * sizeof(long long));
        }
        xs[len++] = seed % 1000000;
    }
    /* sort returns a new list in Lumen */
    long long *s = malloc((len > 0 ? len : 1) * sizeof(long long));
    for (size_t i = 0; i < len; i++) s[i] = xs[i];
    qsort(s, len, sizeof(long long), cmp_ll);
    long long check = 0;
    for (size_t i = 0; i < len; i++) check = (check * 31 + s[i]) % 1000000007;
    printf("%lld %lld %lld %lld %lld\n", n, s[0], s[n / 2], s[n - 1], check);
    free(xs);
    free(s);
    return 0;
}
