-- One scenario's request for wrk, configured through the environment by tests/bench/load.py:
--   BENCH_METHOD, BENCH_BODY, BENCH_HEADERS ("Name: value" lines), BENCH_UNIQUE_KEY=1 (a fresh
--   Idempotency-Key per request, also substituted for "{n}" in the body), BENCH_RUN_ID (keeps
--   keys unique across runs), BENCH_OUT (where done() writes the summary as JSON).
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body == "" then body = nil end
local unique = os.getenv("BENCH_UNIQUE_KEY") == "1"
local run_id = os.getenv("BENCH_RUN_ID") or "run"
local out = os.getenv("BENCH_OUT")

local headers = {}
for line in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then headers[name] = value end
end

local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count)
end

local fixed = nil
function request()
  if not unique then
    if fixed == nil then fixed = wrk.format(method, nil, headers, body) end
    return fixed
  end
  n = (n or 0) + 1
  local id = run_id .. "-" .. tostring(tid) .. "-" .. n
  local h = {}
  for k, v in pairs(headers) do h[k] = v end
  h["Idempotency-Key"] = id
  local b = body and string.gsub(body, "{n}", id) or nil
  return wrk.format(method, nil, h, b)
end

function done(summary, latency, requests)
  local e = summary.errors
  local f = io.open(out, "w")
  f:write(string.format(
    '{"requests": %d, "duration_s": %.6f, "errors": %d, "status_errors": %d, '
    .. '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}',
    summary.requests, summary.duration / 1e6, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
  f:close()
end
