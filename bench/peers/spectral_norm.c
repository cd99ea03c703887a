/* Spectral norm (peer of bench/programs/spectral_norm.lm). Size: n (default 500). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static void fmt9(double x) {
    const char *sign = x < 0.0 ? "-" : "";
    long long scaled = (long long)round(fabs(x) * 1000000000.0);
    printf("%s%lld.%09lld\n", sign, scaled / 1000000000, scaled % 1000000000);
}

static double a_ij(long long i, long long j) {
    return 1.0 / (double)((i + j) * (i + j + 1) / 2 + i + 1);
}

/* Returns a new vector, as the Lumen cells do. */
static double *mul_av(const double *v, long long n) {
    double *out = calloc((size_t)n, sizeof(double));
    for (long long i = 0; i < n; i++) {
        double s = 0.0;
        for (long long j = 0; j < n; j++) s += a_ij(i, j) * v[j];
        out[i] = s;
    }
    return out;
}

static double *mul_atv(const double *v, long long n) {
    double *out = calloc((size_t)n, sizeof(double));
    for (long long i = 0; i < n; i++) {
        double s = 0.0;
        for (long long j = 0; j < n; j++) s += a_ij(j, i) * v[j];
        out[i] = s;
    }
    return out;
}

static double *mul_atav(const double *v, long long n) {
    double *t = mul_av(v, n);
    double *r = mul_atv(t, n);
    free(t);
    return r;
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 500;
    double *u = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    double *v = calloc((size_t)(n > 0 ? n : 1), sizeof(double));
    for (long long i = 0; i < n; i++) u[i] = 1.0;
    for (int k = 0; k < 10; k++) {
        free(v);
        v = mul_atav(u, n);
        free(u);
        u = mul_atav(v, n);
    }
    double vbv = 0.0, vv = 0.0;
    for (long long i = 0; i < n; i++) {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    fmt9(sqrt(vbv / vv));
    free(u);
    free(v);
    return 0;
}
