"""N-body simulation (peer of bench/programs/nbody.lm). Size: steps (default 500000).

Floats are printed with the same fmt9 helper as the Lumen program (Python's round()
rounds half to even, so half-away-from-zero is spelled out)."""
import math
import sys


def round_half_away(a):
    f = math.floor(a)
    return f + 1 if a - f >= 0.5 else f


def fmt9(x):
    sign = "-" if x < 0.0 else ""
    scaled = int(round_half_away(abs(x) * 1000000000.0))
    return f"{sign}{scaled // 1000000000}." + str(scaled % 1000000000).rjust(9, "0")


def energy(x, y, z, vx, vy, vz, m):
    nb = len(m)
    e = 0.0
    for i in range(nb):
        e += 0.5 * m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i])
        for j in range(i + 1, nb):
            dx = x[i] - x[j]
            dy = y[i] - y[j]
            dz = z[i] - z[j]
            e -= m[i] * m[j] / math.sqrt(dx * dx + dy * dy + dz * dz)
    return e


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500000
    solar_mass = 4.0 * math.pi * math.pi
    dpy = 365.24
    x = [0.0, 4.84143144246472090, 8.34336671824457987, 12.8943695621391310, 15.3796971148509165]
    y = [0.0, -1.16032004402742839, 4.12479856412430479, -15.1111514016986312, -25.9193146099879641]
    z = [0.0, -0.103622044471123109, -0.403523417114321381, -0.223307578892655734, 0.179258772950371181]
    vx = [0.0, 1.66007664274403694e-3 * dpy, -2.76742510726862411e-3 * dpy, 2.96460137564761618e-3 * dpy, 2.68067772490389322e-3 * dpy]
    vy = [0.0, 7.69901118419740425e-3 * dpy, 4.99852801234917238e-3 * dpy, 2.37847173959480950e-3 * dpy, 1.62824170038242295e-3 * dpy]
    vz = [0.0, -6.90460016972063023e-5 * dpy, 2.30417297573763929e-5 * dpy, -2.96589568540237556e-5 * dpy, -9.51592254519715870e-5 * dpy]
    m = [solar_mass, 9.54791938424326609e-4 * solar_mass, 2.85885980666130812e-4 * solar_mass, 4.36624404335156298e-5 * solar_mass, 5.15138902046611451e-5 * solar_mass]
    nb = len(m)

    px = 0.0
    py = 0.0
    pz = 0.0
    for i in range(nb):
        px += vx[i] * m[i]
        py += vy[i] * m[i]
        pz += vz[i] * m[i]
    vx[0] = -px / solar_mass
    vy[0] = -py / solar_mass
    vz[0] = -pz / solar_mass

    print(fmt9(energy(x, y, z, vx, vy, vz, m)))
    dt = 0.01
    for _ in range(n):
        for i in range(nb):
            for j in range(i + 1, nb):
                dx = x[i] - x[j]
                dy = y[i] - y[j]
                dz = z[i] - z[j]
                d2 = dx * dx + dy * dy + dz * dz
                mag = dt / (d2 * math.sqrt(d2))
                mi = m[i] * mag
                mj = m[j] * mag
                vx[i] -= dx * mj
                vy[i] -= dy * mj
                vz[i] -= dz * mj
                vx[j] += dx * mi
                vy[j] += dy * mi
                vz[j] += dz * mi
        for i in range(nb):
            x[i] += dt * vx[i]
            y[i] += dt * vy[i]
            z[i] += dt * vz[i]
    print(fmt9(energy(x, y, z, vx, vy, vz, m)))


main()
