-- wrk script for bench/search.py: cycle through a fixed list of request paths (one per line,
-- the file named after `--`), each thread from its own starting point, and print the latency
-- percentiles as one JSON line (prefixed WRK_JSON) when the run is done.
local paths = {}
local position = 0
local threads = {}

setup = function(thread)
  thread:set("start", #threads * 7919)
  table.insert(threads, thread)
end

init = function(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  position = start or 0
end

request = function()
  position = position + 1
  return wrk.format("GET", paths[(position % #paths) + 1])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"mean": %.1f, "p50": %d, ' ..
    '"p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
