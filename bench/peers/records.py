"""Records in a list (peer of bench/programs/records.lm). Size: n (default 200000)."""
import sys


class Particle:
    __slots__ = ("x", "y", "vx", "vy", "hits")

    def __init__(self, x, y, vx, vy, hits=0):
        self.x = x
        self.y = y
        self.vx = vx
        self.vy = vy
        self.hits = hits


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    ps = []
    for i in range(n):
        ps.append(Particle(x=i % 1000, y=i * 7 % 1000, vx=i % 7 + 1, vy=i % 5 + 1))
    for _ in range(20):
        for i in range(n):
            p = ps[i]
            p.x = (p.x + p.vx) % 1000
            p.y = (p.y + p.vy) % 1000
            if p.x < p.y:
                p.hits += 1
            ps[i] = p
    sx = 0
    sy = 0
    sh = 0
    for p in ps:
        sx += p.x
        sy += p.y
        sh += p.hits
    print(sx, sy, sh)


main()
