-- Word counting (peer of bench/programs/map_count.lm). Size: words (default 3000000).
-- Runs on Lua 5.4 and LuaJIT 2.1. A table is the map; the walk in key order
-- iterates over the sorted keys (and counts them, as Lua tables keep no size).

local floor = math.floor
local n = tonumber(arg[1]) or 3000000
local syl = {"ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze"}
local seed = 7
local counts = {}
for _ = 1, n do
  seed = seed * 16807 % 2147483647
  local w = syl[seed % 10 + 1] .. syl[floor(seed / 10) % 10 + 1] .. syl[floor(seed / 100) % 10 + 1]
  counts[w] = (counts[w] or 0) + 1
end
local keys = {}
for w in pairs(counts) do keys[#keys + 1] = w end
table.sort(keys)
local best, best_n = "", 0
for _, w in ipairs(keys) do
  local c = counts[w]
  if c > best_n then
    best = w
    best_n = c
  end
end
print(#keys .. " " .. best .. " " .. best_n .. " " .. (counts["kakaka"] or 0))
