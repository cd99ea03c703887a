-- Spectral norm (peer of bench/programs/spectral_norm.lm). Size: n (default 500).
-- Runs on Lua 5.4 and LuaJIT 2.1. Lists are 1-based; i and j keep the 0-based
-- values the matrix formula uses.

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

local function a_ij(i, j)
  -- (i + j) * (i + j + 1) is even, so the division is exact in both Luas
  return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1)
end

local function mul_av(v)
  local n = #v
  local out = {}
  for i = 1, n do out[i] = 0.0 end
  for i = 0, n - 1 do
    local s = 0.0
    for j = 0, n - 1 do
      s = s + a_ij(i, j) * v[j + 1]
    end
    out[i + 1] = s
  end
  return out
end

local function mul_atv(v)
  local n = #v
  local out = {}
  for i = 1, n do out[i] = 0.0 end
  for i = 0, n - 1 do
    local s = 0.0
    for j = 0, n - 1 do
      s = s + a_ij(j, i) * v[j + 1]
    end
    out[i + 1] = s
  end
  return out
end

local function mul_atav(v)
  return mul_atv(mul_av(v))
end

local n = tonumber(arg[1]) or 500
local u, v = {}, {}
for i = 1, n do
  u[i] = 1.0
  v[i] = 0.0
end
for _ = 1, 10 do
  v = mul_atav(u)
  u = mul_atav(v)
end
local vbv, vv = 0.0, 0.0
for i = 1, n do
  vbv = vbv + u[i] * v[i]
  vv = vv + v[i] * v[i]
end
print(fmt9(sqrt(vbv / vv)))
