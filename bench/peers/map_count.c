/* Word counting (peer of bench/programs/map_count.lm). Size: words (default 3000000).
   The map is a string-keyed open-addressing hash table; the walk in key order sorts
   the keys first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *key;
    long long val;
} Slot;

typedef struct {
    Slot *slots;
    size_t cap; /* power of two */
    size_t len;
} Map;

static uint64_t hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static Slot *find(Map *m, const char *k) {
    size_t i = hash(k) & (m->cap - 1);
    while (m->slots[i].key && strcmp(m->slots[i].key, k) != 0) i = (i + 1) & (m->cap - 1);
    return &m->slots[i];
}

static void grow(Map *m) {
    Map old = *m;
    m->cap *= 2;
    m->slots = calloc(m->cap, sizeof(Slot));
    for (size_t i = 0; i < old.cap; i++) {
        if (old.slots[i].key) *find(m, old.slots[i].key) = old.slots[i];
    }
    free(old.slots);
}

static long long get_or(Map *m, const char *k, long long dflt) {
    Slot *s = find(m, k);
    return s->key ? s->val : dflt;
}

static void put(Map *m, const char *k, long long v) {
    Slot *s = find(m, k);
    if (!s->key) {
        if (2 * (m->len + 1) > m->cap) {
            grow(m);
            s = find(m, k);
        }
        s->key = strdup(k);
        m->len++;
    }
    s->val = v;
}

static int cmp_key(const void *a, const void *b) {
    return strcmp(((const Slot *)a)->key, ((const Slot *)b)->key);
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 3000000;
    const char *syl[10] = {"ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze"};
    long long seed = 7;
    Map counts = {calloc(16, sizeof(Slot)), 16, 0};
    for (long long i = 0; i < n; i++) {
        seed = seed * 16807 % 2147483647;
        char w[7];
        memcpy(w, syl[seed % 10], 2);
        memcpy(w + 2, syl[seed / 10 % 10], 2);
        memcpy(w + 4, syl[seed / 100 % 10], 2);
        w[6] = '\0';
        put(&counts, w, get_or(&counts, w, 0) + 1);
    }
    Slot *entries = malloc((counts.len > 0 ? counts.len : 1) * sizeof(Slot));
    size_t ne = 0;
    for (size_t i = 0; i < counts.cap; i++) {
        if (counts.slots[i].key) entries[ne++] = counts.slots[i];
    }
    qsort(entries, ne, sizeof(Slot), cmp_key);
    const char *best = "";
    long long best_n = 0;
    for (size_t i = 0; i < ne; i++) {
        if (entries[i].val > best_n) {
            best = entries[i].key;
            best_n = entries[i].val;
        }
    }
    printf("%zu %s %lld %lld\n", counts.len, best, best_n, get_or(&counts, "kakaka", 0));
    for (size_t i = 0; i < counts.cap; i++) free(counts.slots[i].key);
    free(counts.slots);
    free(entries);
    return 0;
}
