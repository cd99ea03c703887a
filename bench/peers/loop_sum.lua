-- Nested Int loops (peer of bench/programs/loop_sum.lm). Size: n (default 10000).
-- Runs on Lua 5.4 and LuaJIT 2.1.

local n = tonumber(arg[1]) or 10000
local s = 0
for i = 0, n - 1 do
  for j = 0, n - 1 do
    s = s + (i * j) % 7 + (i + j) % 3
  end
end
print(s)
