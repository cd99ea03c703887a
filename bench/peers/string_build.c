/* String building (peer of bench/programs/string_build.lm). Size: pieces (default 1000000).
   Each piece is its own heap string kept in a growable list, then joined. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 1000000;
    size_t cap = 8, len = 0;
    char **parts = malloc(cap * sizeof(char *));
    size_t *lens = malloc(cap * sizeof(size_t));
    for (long long i = 0; i < n; i++) {
        char buf[64];
        int k = snprintf(buf, sizeof buf, "k%lld=%lld;", i, i % 97);
        if (len == cap) {
            cap *= 2;
            parts = realloc(parts, cap * sizeof(char *));
            lens = realloc(lens, cap * sizeof(size_t));
        }
        parts[len] = malloc((size_t)k + 1);
        memcpy(parts[len], buf, (size_t)k + 1);
        lens[len] = (size_t)k;
        len++;
    }
    size_t total = 0;
    for (size_t i = 0; i < len; i++) total += lens[i];
    char *s = malloc(total + 1);
    size_t pos = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(s + pos, parts[i], lens[i]);
        pos += lens[i];
    }
    s[pos] = '\0';
    long long digits = 0, semis = 0;
    for (size_t i = 0; i < total; i++) {
        char ch = s[i];
        if (ch == ';') {
            semis += 1;
        } else if (ch >= '0' && ch <= '9') {
            digits += 1;
        }
    }
    printf("%zu %lld %lld\n", total, digits, semis);
    for (size_t i = 0; i < len; i++) free(parts[i]);
    free(parts);
    free(lens);
    free(s);
    return 0;
}
