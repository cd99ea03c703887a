-- Sieve of Eratosthenes (peer of bench/programs/sieve.lm). Size: n (default 10000000).
-- Runs on Lua 5.4 and LuaJIT 2.1. The list is 1-based: is_prime[k + 1] is k.

local n = tonumber(arg[1]) or 10000000
local is_prime = {}
for k = 1, n do is_prime[k] = true end
local i = 2
while i * i < n do
  if is_prime[i + 1] then
    local j = i * i
    while j < n do
      is_prime[j + 1] = false
      j = j + i
    end
  end
  i = i + 1
end
local count = 0
for k = 2, n - 1 do
  if is_prime[k + 1] then count = count + 1 end
end
print(count)
