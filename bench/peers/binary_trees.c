/* Binary trees (peer of bench/programs/binary_trees.lm). Size: max depth (default 16).
   Empty is NULL; every Node is a separate allocation, freed after its check. */
#include <stdio.h>
#include <stdlib.h>

typedef struct Node {
    struct Node *l;
    struct Node *r;
} Node;

static Node *node(Node *l, Node *r) {
    Node *t = malloc(sizeof(Node));
    if (!t) abort();
    t->l = l;
    t->r = r;
    return t;
}

static Node *make(long long d) {
    if (d == 0) return node(NULL, NULL);
    Node *l = make(d - 1);
    return node(l, make(d - 1));
}

static long long check(const Node *t) {
    if (!t) return 0;
    return 1 + check(t->l) + check(t->r);
}

static void release(Node *t) {
    if (!t) return;
    release(t->l);
    release(t->r);
    free(t);
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 16;
    long long min_depth = 4;
    long long max_depth = n > min_depth + 2 ? n : min_depth + 2;
    long long stretch = max_depth + 1;
    Node *st = make(stretch);
    printf("stretch tree of depth %lld\t check: %lld\n", stretch, check(st));
    release(st);
    Node *long_lived = make(max_depth);
    for (long long d = min_depth; d <= max_depth; d += 2) {
        long long iterations = 1LL << (max_depth - d + min_depth);
        long long total = 0;
        for (long long k = 0; k < iterations; k++) {
            Node *t = make(d);
            total += check(t);
            release(t);
        }
        printf("%lld\t trees of depth %lld\t check: %lld\n", iterations, d, total);
    }
    printf("long lived tree of depth %lld\t check: %lld\n", max_depth, check(long_lived));
    release(long_lived);
    return 0;
}
