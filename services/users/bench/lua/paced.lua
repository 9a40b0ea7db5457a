-- GET the URL's path, each connection pausing between requests: wrk ... -- pause_ms
-- A light, steady probe whose latency shows how the service treats a cheap request
-- while something else saturates it.
function init(args)
  pause = tonumber(args[1])
  req = wrk.format("GET")
end

function request()
  return req
end

function delay()
  return pause
end
