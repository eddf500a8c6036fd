-- wrk script for bench/bench_intake.py: every request is a DISTINCT alert (its own "id", so tvbridge's
-- duplicate gate never fires), alternating buy and sell of 0.01 lots EURUSD so a netting account's position
-- stays small however many alerts are executed.
--
--   WRK_TAG=run1 WRK_OUT=result.json wrk -t1 -c50 -d10s --timeout 60s -s bench/intake.lua URL
--
-- WRK_TAG makes ids unique across runs; WRK_OUT receives one JSON object: completed requests, duration,
-- latency percentiles (microseconds), counts by HTTP status, socket errors, and the signal ids answered 200.

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   tag = os.getenv("WRK_TAG") or "run"
   counter = 0
   statuses = {}
   ids = {}
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "text/plain; charset=utf-8"
end

function request()
   counter = counter + 1
   local side = (counter % 2 == 0) and "sell" or "buy"
   local body = string.format('{"symbol":"EURUSD","action":"%s","volume":0.01,"id":"%s-%d-%d"}',
                              side, tag, tid, counter)
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status == 200 then
      local id = string.match(body, '"signal_id":%s*(%d+)')
      if id then
         ids[#ids + 1] = id
      end
   end
end

function done(summary, latency, requests)
   local counts = {}
   local all_ids = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + n
      end
      for _, id in ipairs(thread:get("ids")) do
         all_ids[#all_ids + 1] = id
      end
   end
   local status_parts = {}
   for status, n in pairs(counts) do
      status_parts[#status_parts + 1] = string.format('"%d":%d', status, n)
   end
   local e = summary.errors
   local out = io.open(os.getenv("WRK_OUT"), "w")
   out:write(string.format(
      '{"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"statuses":{%s},"ids":[%s]}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout,
      table.concat(status_parts, ","), table.concat(all_ids, ",")))
   out:close()
end
