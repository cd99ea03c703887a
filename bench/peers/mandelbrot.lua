-- Mandelbrot membership count (peer of bench/programs/mandelbrot.lm). Size: n (default 600).
-- Runs on Lua 5.4 and LuaJIT 2.1.

local n = tonumber(arg[1]) or 600
local max_iter = 50
local count = 0
for y = 0, n - 1 do
  local ci = 2.0 * y / n - 1.0
  for x = 0, n - 1 do
    local cr = 2.0 * x / n - 1.5
    local zr, zi = 0.0, 0.0
    local i = 0
    local inside = true
    while i < max_iter do
      local zr2 = zr * zr
      local zi2 = zi * zi
      if zr2 + zi2 > 4.0 then
        inside = false
        break
      end
      zi = 2.0 * zr * zi + ci
      zr = zr2 - zi2 + cr
      i = i + 1
    end
    if inside then count = count + 1 end
  end
end
print(count)
