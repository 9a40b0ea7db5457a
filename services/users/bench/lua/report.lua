-- Prepended to every scenario: prints one machine-readable line when wrk finishes.
-- "refused" is the number of 503 replies when the scenario counts them (refusals.lua), summed
-- over wrk's threads (each runs its own copy of the script), else null.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function refused_total()
  local total = nil
  for _, thread in ipairs(threads) do
    local count = thread:get("refused")
    if count then total = (total or 0) + count end
  end
  return total and tostring(total) or "null"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}, "refused": %s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout, refused_total()))
end
