-- GET /users/<id> with ids spread over the table: wrk ... -- first_id last_id
function init(args)
  first, last = tonumber(args[1]), tonumber(args[2])
end

function request()
  return wrk.format("GET", "/users/" .. math.random(first, last))
end
