-- Appended to a scenario: counts the 503 replies (load the service shed) apart from the other
-- non-2xx replies, which wrk lumps together as status errors. Defining response() makes wrk
-- hand every reply's headers and body to Lua, which costs wrk some CPU: only the overload
-- scenario uses it.
refused = 0

function response(status, headers, body)
  if status == 503 then
    refused = refused + 1
  end
end
