-- wrk script for bench/load_run.py: replays pre-built requests, each with a unique message id,
-- and records exactly which ones were accepted.
--
-- Run with as many threads as connections (-t N -c N): each thread then has one connection,
-- so request() and response() alternate and a response belongs to the request sent just before
-- it. That is what lets us name every accepted message, not just count them.
--
-- Environment (set by load_run.py):
--   LOAD_REQUESTS  file of "id<TAB>method<TAB>path<TAB>headers<TAB>body" lines; headers are
--                  "Name: value" pairs joined by "\r\n" written as the two characters \n
--   LOAD_OUT       directory for accepted-<thread>.tsv ("epoch second<TAB>id") and summary.json
--   LOAD_OK        the status code that means "accepted" (201 for REST, 200 for webhooks)
--   LOAD_THREADS   the -t given to wrk
--   LOAD_RATE      messages per second for this endpoint, all threads together; 0 = closed loop
--                  (each connection sends again as soon as it has its answer)
--
-- With a rate, each connection sends on a fixed schedule (open loop, as senders do): a request
-- due while the previous answer is still outstanding goes out late, and the lateness is recorded
-- (wrk's latency does not include it), so a service that cannot keep up shows it.

local ffi = require("ffi")
ffi.cdef([[
  typedef struct { long tv_sec; long tv_nsec; } load_timespec;
  int clock_gettime(int clock_id, load_timespec *tp);
]])
local timespec = ffi.new("load_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local threads = {}
local counter = 0

-- wrk calls request() once on thread 0 before the run to check the request parses; that
-- request is never sent, so its id is simply never used.
function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  -- Each thread's Lua state is separate and sees only what setup() set on it, so the thread
  -- count comes from the environment.
  local total_threads = tonumber(os.getenv("LOAD_THREADS"))
  local requests_file = os.getenv("LOAD_REQUESTS")
  out_dir = os.getenv("LOAD_OUT")
  ok_status = tonumber(os.getenv("LOAD_OK") or "200")
  queue = {}
  ids = {}
  local line_no = 0
  for line in io.lines(requests_file) do
    -- Thread k takes lines k, k+T, k+2T...: disjoint slices, so no id is sent twice.
    if line_no % total_threads == index then
      local id, method, path, headers, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local header_table = {}
      for name, value in headers:gmatch("([^:\\]+): ([^\\]*)\\n") do
        header_table[name] = value
      end
      table.insert(ids, id)
      table.insert(queue, wrk.format(method, path, header_table, body))
    end
    line_no = line_no + 1
  end
  local rate = tonumber(os.getenv("LOAD_RATE") or "0")
  -- Milliseconds between this connection's sends; the threads' schedules are staggered evenly.
  interval = rate > 0 and (1000 * total_threads / rate) or 0
  next_send = nil
  late = 0
  max_late_ms = 0
  position = 0
  sent = 0
  accepted = 0
  rejected = 0
  exhausted = 0
  last_id = nil
  accepted_file = io.open(out_dir .. "/accepted-" .. index .. ".tsv", "w")
  accepted_file:setvbuf("line")
end

function delay()
  if interval == 0 then
    return 0
  end
  local now = now_ms()
  if next_send == nil then
    next_send = now + interval * index / tonumber(os.getenv("LOAD_THREADS"))
  end
  local wait = next_send - now
  if wait < -1 then
    late = late + 1
    max_late_ms = math.max(max_late_ms, -wait)
  end
  next_send = next_send + interval
  return math.max(0, math.floor(wait))
end

function request()
  position = position + 1
  if position > #queue then
    -- Out of unique requests: repeat the last one (a duplicate, answered 200 and stored once)
    -- and count it so load_run.py can say the run was cut short.
    exhausted = exhausted + 1
    position = #queue
  end
  sent = sent + 1
  last_id = ids[position]
  return queue[position]
end

function response(status, headers, body)
  if status == ok_status and last_id ~= nil then
    accepted = accepted + 1
    accepted_file:write(os.time(), "\t", last_id, "\n")
  else
    rejected = rejected + 1
  end
  last_id = nil
end

function done(summary, latency, requests)
  local sent_total, accepted_total, rejected_total, exhausted_total = 0, 0, 0, 0
  local late_total, max_late = 0, 0
  for _, thread in ipairs(threads) do
    late_total = late_total + thread:get("late")
    max_late = math.max(max_late, thread:get("max_late_ms"))
    sent_total = sent_total + thread:get("sent")
    accepted_total = accepted_total + thread:get("accepted")
    rejected_total = rejected_total + thread:get("rejected")
    exhausted_total = exhausted_total + thread:get("exhausted")
  end
  local parts = {}
  local function add(name, value)
    table.insert(parts, string.format('"%s": %s', name, value))
  end
  add("duration_us", summary.duration)
  add("requests", summary.requests)
  add("bytes", summary.bytes)
  add("errors_connect", summary.errors.connect)
  add("errors_read", summary.errors.read)
  add("errors_write", summary.errors.write)
  add("errors_status", summary.errors.status)
  add("errors_timeout", summary.errors.timeout)
  add("sent", sent_total)
  add("accepted", accepted_total)
  add("rejected", rejected_total)
  add("exhausted", exhausted_total)
  add("sent_late", late_total)
  add("max_late_ms", string.format("%.1f", max_late))
  add("latency_min_us", latency.min)
  add("latency_max_us", latency.max)
  add("latency_mean_us", string.format("%.1f", latency.mean))
  for _, p in ipairs({ 50, 90, 95, 99, 99.9 }) do
    add(string.format("latency_p%s_us", p), latency:percentile(p))
  end
  local file = io.open(os.getenv("LOAD_OUT") .. "/summary.json", "w")
  file:write("{", table.concat(parts, ", "), "}\n")
  file:close()
end
