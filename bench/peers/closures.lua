-- Higher-order functions with closures (peer of bench/programs/closures.lm).
-- Size: n (default 1000000). Runs on Lua 5.4 and LuaJIT 2.1. map, filter and
-- reduce each build a new list, as the Lumen builtins do.

local function map(xs, f)
  local out = {}
  for i = 1, #xs do out[i] = f(xs[i]) end
  return out
end

local function filter(xs, f)
  local out = {}
  for i = 1, #xs do
    local x = xs[i]
    if f(x) then out[#out + 1] = x end
  end
  return out
end

local function reduce(xs, f, init)
  local acc = init
  for i = 1, #xs do acc = f(acc, xs[i]) end
  return acc
end

local n = tonumber(arg[1]) or 1000000
local xs = {}
for i = 0, n - 1 do xs[i + 1] = i end
local total = 0
for r = 0, 9 do
  local ys = map(xs, function(x) return x * 3 + r end)
  local zs = filter(ys, function(y) return y % 2 == 0 end)
  local s = reduce(zs, function(acc, z) return (acc + z) % 1000000007 end, 0)
  total = (total + s) % 1000000007
end
print(total)
