-- N-body simulation (peer of bench/programs/nbody.lm). Size: steps (default 500000).
-- Runs on Lua 5.4 and LuaJIT 2.1 (no // or bitwise operators). Lists are 1-based.
-- Floats are printed with the same fmt9 helper as the Lumen program.

local sqrt, floor = math.sqrt, math.floor

local function round_half_away(a)
  local f = floor(a)
  if a - f >= 0.5 then return f + 1 else return f end
end

local function pad_left(s, width, fill)
  if #s >= width then return s end
  return string.rep(fill, width - #s) .. s
end

local function fmt9(x)
  local sign = x < 0.0 and "-" or ""
  local scaled = round_half_away(math.abs(x) * 1000000000.0)
  return sign .. string.format("%d", floor(scaled / 1000000000)) .. "."
    .. pad_left(string.format("%d", scaled % 1000000000), 9, "0")
end

local function energy(x, y, z, vx, vy, vz, m)
  local nb = #m
  local e = 0.0
  for i = 1, nb do
    e = e + 0.5 * m[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i])
    for j = i + 1, nb do
      local dx = x[i] - x[j]
      local dy = y[i] - y[j]
      local dz = z[i] - z[j]
      e = e - m[i] * m[j] / sqrt(dx * dx + dy * dy + dz * dz)
    end
  end
  return e
end

local n = tonumber(arg[1]) or 500000
local solar_mass = 4.0 * math.pi * math.pi
local dpy = 365.24
local x = {0.0, 4.84143144246472090, 8.34336671824457987, 12.8943695621391310, 15.3796971148509165}
local y = {0.0, -1.16032004402742839, 4.12479856412430479, -15.1111514016986312, -25.9193146099879641}
local z = {0.0, -0.103622044471123109, -0.403523417114321381, -0.223307578892655734, 0.179258772950371181}
local vx = {0.0, 1.66007664274403694e-3 * dpy, -2.76742510726862411e-3 * dpy, 2.96460137564761618e-3 * dpy, 2.68067772490389322e-3 * dpy}
local vy = {0.0, 7.69901118419740425e-3 * dpy, 4.99852801234917238e-3 * dpy, 2.37847173959480950e-3 * dpy, 1.62824170038242295e-3 * dpy}
local vz = {0.0, -6.90460016972063023e-5 * dpy, 2.30417297573763929e-5 * dpy, -2.96589568540237556e-5 * dpy, -9.51592254519715870e-5 * dpy}
local m = {solar_mass, 9.54791938424326609e-4 * solar_mass, 2.85885980666130812e-4 * solar_mass, 4.36624404335156298e-5 * solar_mass, 5.15138902046611451e-5 * solar_mass}
local nb = #m

local px, py, pz = 0.0, 0.0, 0.0
for i = 1, nb do
  px = px + vx[i] * m[i]
  py = py + vy[i] * m[i]
  pz = pz + vz[i] * m[i]
end
vx[1] = -px / solar_mass
vy[1] = -py / solar_mass
vz[1] = -pz / solar_mass

print(fmt9(energy(x, y, z, vx, vy, vz, m)))
local dt = 0.01
for _ = 1, n do
  for i = 1, nb do
    for j = i + 1, nb do
      local dx = x[i] - x[j]
      local dy = y[i] - y[j]
      local dz = z[i] - z[j]
      local d2 = dx * dx + dy * dy + dz * dz
      local mag = dt / (d2 * sqrt(d2))
      local mi = m[i] * mag
      local mj = m[j] * mag
      vx[i] = vx[i] - dx * mj
      vy[i] = vy[i] - dy * mj
      vz[i] = vz[i] - dz * mj
      vx[j] = vx[j] + dx * mi
      vy[j] = vy[j] + dy * mi
      vz[j] = vz[j] + dz * mi
    end
  end
  for i = 1, nb do
    x[i] = x[i] + dt * vx[i]
    y[i] = y[i] + dt * vy[i]
    z[i] = z[i] + dt * vz[i]
  end
end
print(fmt9(energy(x, y, z, vx, vy, vz, m)))
