/* Records in a list (peer of bench/programs/records.lm). Size: n (default 200000).
   Records are structs copied out of and back into a growable array. */
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    long long x, y, vx, vy, hits;
} Particle;

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 200000;
    size_t cap = 8, len = 0;
    Particle *ps = malloc(cap * sizeof(Particle));
    for (long long i = 0; i < n; i++) {
        if (len == cap) {
            cap *= 2;
            ps = realloc(ps, cap * sizeof(Particle));
        }
        ps[len++] = (Particle){i % 1000, i * 7 % 1000, i % 7 + 1, i % 5 + 1, 0};
    }
    for (int step = 0; step < 20; step++) {
        for (long long i = 0; i < n; i++) {
            Particle p = ps[i];
            p.x = (p.x + p.vx) % 1000;
            p.y = (p.y + p.vy) % 1000;
            if (p.x < p.y) p.hits += 1;
            ps[i] = p;
        }
    }
    long long sx = 0, sy = 0, sh = 0;
    for (size_t i = 0; i < len; i++) {
        sx += ps[i].x;
        sy += ps[i].y;
        sh += ps[i].hits;
    }
    printf("%lld %lld %lld\n", sx, sy, sh);
    free(ps);
    return 0;
}
