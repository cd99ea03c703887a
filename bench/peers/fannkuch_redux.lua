-- Fannkuch-redux (peer of bench/programs/fannkuch_redux.lm). Size: n (default 10).
-- Runs on Lua 5.4 and LuaJIT 2.1. The three lists are 0-based tables so the
-- index arithmetic is the Lumen program's.

local function main()
  local n = tonumber(arg[1]) or 10
  local perm, perm1, count = {}, {}, {}
  for i = 0, n - 1 do
    perm[i] = 0
    perm1[i] = i
    count[i] = 0
  end
  local max_flips = 0
  local checksum = 0
  local perm_count = 0
  local r = n
  while true do
    while r ~= 1 do
      count[r - 1] = r
      r = r - 1
    end
    for i = 0, n - 1 do
      perm[i] = perm1[i]
    end
    local flips = 0
    local k = perm[0]
    while k ~= 0 do
      local k2 = math.floor((k + 1) / 2)
      for i = 0, k2 - 1 do
        local t = perm[i]
        perm[i] = perm[k - i]
        perm[k - i] = t
      end
      flips = flips + 1
      k = perm[0]
    end
    max_flips = math.max(max_flips, flips)
    if perm_count % 2 == 0 then
      checksum = checksum + flips
    else
      checksum = checksum - flips
    end
    while true do
      if r == n then
        print(checksum)
        print("Pfannkuchen(" .. n .. ") = " .. max_flips)
        return
      end
      local perm0 = perm1[0]
      for i = 0, r - 1 do
        perm1[i] = perm1[i + 1]
      end
      perm1[r] = perm0
      count[r] = count[r] - 1
      if count[r] > 0 then break end
      r = r + 1
    end
    perm_count = perm_count + 1
  end
end

main()
