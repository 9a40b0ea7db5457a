-- GET the URL's path, with an optional bearer token: wrk ... -- [token]
function init(args)
  if args[1] then
    wrk.headers["Authorization"] = "Bearer " .. args[1]
  end
  req = wrk.format("GET")
end

function request()
  return req
end
