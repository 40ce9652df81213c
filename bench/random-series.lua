-- wrk: every request a random series. KEYS names a file of "place,indicator" lines (or "place"
-- lines); PATH_FMT the request path with a %s for each (default: the service's listing of one
-- series).
local keys = {}
for line in io.lines(os.getenv("KEYS")) do
  local place, indicator = line:match("([^,]+),?([^,]*)")
  keys[#keys + 1] = { place, indicator }
end
local fmt = os.getenv("PATH_FMT")
if fmt == nil or fmt == "" then fmt = "/v1/observations?place=%s&indicator=%s" end

function setup(thread)
  thread:set("seed", math.random(1, 1e9))
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  local k = keys[math.random(#keys)]
  return wrk.format("GET", string.format(fmt, k[1], k[2]))
end
