-- Records in a list (peer of bench/programs/records.lm). Size: n (default 200000).
-- Runs on Lua 5.4 and LuaJIT 2.1. A record is a table with named fields.

local n = tonumber(arg[1]) or 200000
local ps = {}
for i = 0, n - 1 do
  ps[#ps + 1] = {x = i % 1000, y = i * 7 % 1000, vx = i % 7 + 1, vy = i % 5 + 1, hits = 0}
end
for _ = 1, 20 do
  for i = 1, n do
    local p = ps[i]
    p.x = (p.x + p.vx) % 1000
    p.y = (p.y + p.vy) % 1000
    if p.x < p.y then p.hits = p.hits + 1 end
    ps[i] = p
  end
end
local sx, sy, sh = 0, 0, 0
for _, p in ipairs(ps) do
  sx = sx + p.x
  sy = sy + p.y
  sh = sh + p.hits
end
print(sx .. " " .. sy .. " " .. sh)
