-- Sorting (peer of bench/programs/list_sort.lm). Size: n (default 1000000).
-- Runs on Lua 5.4 and LuaJIT 2.1. Lists are 1-based.

local n = tonumber(arg[1]) or 1000000
local seed = 42
local xs = {}
for _ = 1, n do
  seed = seed * 16807 % 2147483647
  xs[#xs + 1] = seed % 1000000
end
-- sort returns a new list in Lumen: copy, then sort the copy
local s = {}
for i = 1, #xs do s[i] = xs[i] end
table.sort(s)
local check = 0
for _, v in ipairs(s) do
  check = (check * 31 + v) % 1000000007
end
print(n .. " " .. s[1] .. " " .. s[math.floor(n / 2) + 1] .. " " .. s[n] .. " " .. check)
