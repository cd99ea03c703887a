/* Higher-order functions with closures (peer of bench/programs/closures.lm).
   Size: n (default 1000000). A closure is a function pointer plus its captured
   environment; map/filter/reduce each build a new array, as the Lumen builtins do. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    long long (*f)(const void *env, long long x);
    const void *env;
} IntFn;

typedef struct {
    bool (*f)(const void *env, long long x);
    const void *env;
} PredFn;

typedef struct {
    long long (*f)(const void *env, long long acc, long long x);
    const void *env;
} FoldFn;

static long long *map_ll(const long long *xs, size_t n, IntFn fn) {
    long long *out = malloc((n > 0 ? n : 1) * sizeof(long long));
    for (size_t i = 0; i < n; i++) out[i] = fn.f(fn.env, xs[i]);
    return out;
}

static long long *filter_ll(const long long *xs, size_t n, PredFn fn, size_t *out_n) {
    long long *out = malloc((n > 0 ? n : 1) * sizeof(long long));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (fn.f(fn.env, xs[i])) out[k++] = xs[i];
    }
    *out_n = k;
    return out;
}

static long long reduce_ll(const long long *xs, size_t n, FoldFn fn, long long init) {
    long long acc = init;
    for (size_t i = 0; i < n; i++) acc = fn.f(fn.env, acc, xs[i]);
    return acc;
}

static long long times3_plus_r(const void *env, long long x) {
    return x * 3 + *(const long long *)env;
}

static bool is_even(const void *env, long long y) {
    (void)env;
    return y % 2 == 0;
}

static long long add_mod(const void *env, long long acc, long long z) {
    (void)env;
    return (acc + z) % 1000000007;
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 1000000;
    size_t len = (size_t)(n > 0 ? n : 0);
    long long *xs = malloc((len > 0 ? len : 1) * sizeof(long long));
    for (size_t i = 0; i < len; i++) xs[i] = (long long)i;
    long long total = 0;
    for (long long r = 0; r < 10; r++) {
        long long *ys = map_ll(xs, len, (IntFn){times3_plus_r, &r});
        size_t nz;
        long long *zs = filter_ll(ys, len, (PredFn){is_even, NULL}, &nz);
        long long s = reduce_ll(zs, nz, (FoldFn){add_mod, NULL}, 0);
        total = (total + s) % 1000000007;
        free(ys);
        free(zs);
    }
    printf("%lld\n", total);
    free(xs);
    return 0;
}
