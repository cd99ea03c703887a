"""Sieve of Eratosthenes (peer of bench/programs/sieve.lm). Size: n (default 10000000)."""
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000000
    is_prime = [True for _ in range(n)]
    i = 2
    while i * i < n:
        if is_prime[i]:
            j = i * i
            while j < n:
                is_prime[j] = False
                j += i
        i += 1
    count = 0
    for k in range(2, n):
        if is_prime[k]:
            count += 1
    print(count)


main()
