/* Sieve of Eratosthenes (peer of bench/programs/sieve.lm). Size: n (default 10000000). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 10000000;
    bool *is_prime = malloc((size_t)(n > 0 ? n : 1));
    for (long long k = 0; k < n; k++) is_prime[k] = true;
    for (long long i = 2; i * i < n; i++) {
        if (is_prime[i]) {
            for (long long j = i * i; j < n; j += i) is_prime[j] = false;
        }
    }
    long long count = 0;
    for (long long k = 2; k < n; k++) {
        if (is_prime[k]) count += 1;
    }
    printf("%lld\n", count);
    free(is_prime);
    return 0;
}
