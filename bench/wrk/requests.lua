-- wrk script of `cargo xtask bench`: the requests come from a file, one per line,
--   METHOD <TAB> PATH [<TAB> JSON BODY]
-- written by the benchmark before the run (random patients, days, free slots...).
--
-- Arguments (after `--`): the file, a bearer token or "-", a nonce unique to this run, and the
-- number of wrk threads.
-- Thread t of n sends lines t, t+n, t+2n, ... so a line (a booking of one free slot) is sent
-- once per run unless the file runs out and wraps. Every POST carries a unique
-- Idempotency-Key. Statuses are counted per thread: 2xx, 409 (expected for some writes),
-- anything else (an error). `done` prints one JSON line for the benchmark to read.

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file, token = args[1], args[2]
  nonce = args[3] or "run"
  nthreads = tonumber(args[4] or "1")
  lines = {}
  for line in io.lines(file) do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    if method then
      table.insert(lines, { method = method, path = path, body = (body ~= "" and body or nil) })
    end
  end
  if #lines == 0 then
    error("no requests in " .. file)
  end
  headers = { ["Content-Type"] = "application/json" }
  if token and token ~= "-" then
    headers["Authorization"] = "Bearer " .. token
  end
  position = tid - 1
  sent = 0
  ok, conflict, other = 0, 0, 0
  sample = ""
end

function request()
  local r = lines[(position % #lines) + 1]
  position = position + nthreads
  sent = sent + 1
  if r.method ~= "GET" then
    headers["Idempotency-Key"] = nonce .. "-" .. tid .. "-" .. sent
  else
    headers["Idempotency-Key"] = nil
  end
  return wrk.format(r.method, r.path, headers, r.body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 409 then
    conflict = conflict + 1
  else
    other = other + 1
    if sample == "" then
      sample = status .. " " .. string.sub(body or "", 1, 300):gsub("[\r\n\t\"\\]", " ")
    end
  end
end

function done(summary, latency, requests)
  local n_ok, n_conflict, n_other, samples = 0, 0, 0, {}
  for _, t in ipairs(threads) do
    n_ok = n_ok + (t:get("ok") or 0)
    n_conflict = n_conflict + (t:get("conflict") or 0)
    n_other = n_other + (t:get("other") or 0)
    local s = t:get("sample")
    if s and s ~= "" then
      table.insert(samples, s)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"mean_us":%.1f,"ok":%d,"conflict":%d,"other":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"sample":"%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, n_ok, n_conflict, n_other, e.connect,
    e.read, e.write, e.timeout, samples[1] or ""))
end
