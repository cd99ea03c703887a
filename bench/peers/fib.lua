-- Recursive Fibonacci (peer of bench/programs/fib.lm). Size: n (default 32).
-- Runs on Lua 5.4 and LuaJIT 2.1.

local function fib(n)
  if n < 2 then return n else return fib(n - 1) + fib(n - 2) end
end

local n = tonumber(arg[1]) or 32
print(fib(n))
