-- Shared by the bench scripts (bench/run.sh): thread numbering, a per-thread random seed, and
-- a done() that appends one line of figures to the file named by BENCH_RESULT:
--   requests seconds req/s p50_ms p99_ms max_ms connect_err read_err write_err status_err timeouts bytes
-- status_err counts answers with a status of 400 or more (wrk's own count).
local thread_count = 0
function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
end

-- Each wrk run gets its own BENCH_NONCE from the driver, so ids made by one run (warm-up,
-- measure, profile) never collide with another's.
nonce = os.getenv("BENCH_NONCE") or tostring(os.time())

function seed_thread()
  math.randomseed((tonumber(nonce) or 0) % 1000003 + 7919 * ((tid or 0) + 1))
end

function auth_header()
  local token = os.getenv("BENCH_TOKEN")
  if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local line = string.format("%d %.3f %.1f %.3f %.3f %.3f %d %d %d %d %d %d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout, summary.bytes)
  local path = os.getenv("BENCH_RESULT")
  if path then
    local f = assert(io.open(path, "a"))
    f:write(line)
    f:close()
  end
  io.write(line)
end
