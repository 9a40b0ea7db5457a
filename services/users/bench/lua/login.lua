-- POST /auth/login as seeded users in turn: wrk ... -- email_format count password
-- (email_format has one %d, replaced by 1..count).
function init(args)
  local email_format, count, password = args[1], tonumber(args[2]), args[3]
  wrk.headers["Content-Type"] = "application/json"
  bodies = {}
  for i = 1, count do
    bodies[i] = string.format('{"email": "%s", "password": "%s"}',
                              string.format(email_format, i), password)
  end
  n = 0
end

function request()
  n = n % #bodies + 1
  return wrk.format("POST", "/auth/login", nil, bodies[n])
end
