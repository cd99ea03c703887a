"""String building (peer of bench/programs/string_build.lm). Size: pieces (default 1000000)."""
import sys


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    parts = []
    for i in range(n):
        parts.append(f"k{i}={i % 97};")
    s = "".join(parts)
    digits = 0
    semis = 0
    for ch in s:
        if ch == ";":
            semis += 1
        elif ch >= "0" and ch <= "9":
            digits += 1
    print(len(s), digits, semis)


main()
