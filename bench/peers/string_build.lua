-- String building (peer of bench/programs/string_build.lm). Size: pieces (default 1000000).
-- Runs on Lua 5.4 and LuaJIT 2.1.

local n = tonumber(arg[1]) or 1000000
local parts = {}
for i = 0, n - 1 do
  parts[#parts + 1] = "k" .. i .. "=" .. i % 97 .. ";"
end
local s = table.concat(parts, "")
local digits, semis = 0, 0
for k = 1, #s do
  local ch = string.sub(s, k, k)
  if ch == ";" then
    semis = semis + 1
  elseif ch >= "0" and ch <= "9" then
    digits = digits + 1
  end
end
print(#s .. " " .. digits .. " " .. semis)
