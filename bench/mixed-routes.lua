-- wrk: a mix of every read route and format, each request a random series or place. KEYS names a
-- file of "place,indicator" lines.
local keys = {}
for line in io.lines(os.getenv("KEYS")) do
  local place, indicator = line:match("([^,]+),([^,]+)")
  keys[#keys + 1] = { place, indicator }
end

local routes = {
  function(p, i) return "/v1/observations?place=" .. p .. "&indicator=" .. i end,
  function(p, i) return "/v1/observations?place=" .. p .. "&indicator=" .. i end,
  function(p, i) return "/v1/observations?place=" .. p .. "&indicator=" .. i .. "&lang=en" end,
  function(p, i) return "/v1/observations?place=" .. p .. "&limit=50&sort=-period" end,
  function(p, i) return "/v1/observations?place=" .. p:sub(1, 6) .. "&descendants=true&indicator=" .. i .. "&from=2018&to=2018" end,
  function(p, i) return "/v1/observations?place=" .. p .. "&indicator=" .. i .. "&format=csv" end,
  function(p, i) return "/v1/observations?place=" .. p .. "&format=jsonstat" end,
  function(p, i) return "/v1/observations?place=" .. p .. "&indicator=" .. i .. "&format=sdmx-csv" end,
  function(p, i) return "/v1/places/" .. p end,
  function(p, i) return "/v1/places?parent=" .. p:sub(1, 6) .. "&limit=20" end,
  function(p, i) return "/v1/places?q=shuang&level=township" end,
  function(p, i) return "/v1/indicators/" .. i end,
  function(p, i) return "/v1/indicators?format=csv" end,
  function(p, i) return "/v1/sources" end,
  function(p, i) return "/v1/sources/shuangsheng-2021-government-work-report/text" end,
  function(p, i) return "/v1/releases" end,
  function(p, i) return "/v1/feeds/releases.atom" end,
  function(p, i) return "/v1/catalog" end,
  function(p, i) return "/v1/downloads/datapackage.json" end,
  function(p, i) return "/v1/downloads/sources.csv" end,
  function(p, i) return "/readyz" end,
}

local threads = {}

function setup(thread)
  thread:set("seed", math.random(1, 1e9))
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(seed or os.time())
  failures = {}
end

local last = ""

function request()
  local k = keys[math.random(#keys)]
  last = routes[math.random(#routes)](k[1], k[2])
  return wrk.format("GET", last)
end

-- Counts answers that are not 2xx by status and route (its path up to "?"), reported at the end.
function response(status, headers, body)
  if status >= 300 then
    local key = status .. " " .. last:gsub("%?.*", "")
    failures[key] = (failures[key] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("failures")) do
      total[key] = (total[key] or 0) + n
    end
  end
  for key, n in pairs(total) do
    io.write(string.format("not 2xx: %s x %d\n", key, n))
  end
end
