-- Binary trees (peer of bench/programs/binary_trees.lm). Size: max depth (default 16).
-- Runs on Lua 5.4 and LuaJIT 2.1. Empty is false; Node(l, r) is the table {l, r}.

local function make(d)
  if d == 0 then
    return {false, false}
  else
    return {make(d - 1), make(d - 1)}
  end
end

local function check(t)
  if not t then return 0 end
  return 1 + check(t[1]) + check(t[2])
end

local n = tonumber(arg[1]) or 16
local min_depth = 4
local max_depth = math.max(min_depth + 2, n)
local stretch = max_depth + 1
print("stretch tree of depth " .. stretch .. "\t check: " .. check(make(stretch)))
local long_lived = make(max_depth)
local d = min_depth
while d <= max_depth do
  local iterations = math.floor(2 ^ (max_depth - d + min_depth))
  local total = 0
  for _ = 1, iterations do
    total = total + check(make(d))
  end
  print(iterations .. "\t trees of depth " .. d .. "\t check: " .. total)
  d = d + 2
end
print("long lived tree of depth " .. max_depth .. "\t check: " .. check(long_lived))
