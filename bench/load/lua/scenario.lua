-- The requests of one scenario. bench/load/wrk.py writes a `bench` table above this file:
--   bench.method   "GET" or "POST"
--   bench.headers  { [name] = value }
--   bench.paths    paths taken in turn (one path, or ticket codes to rotate over)
--   bench.body     nil, "create" (a new ticket) or "reply" (a reply to the ticket of the path)
--   bench.mark     what makes this run's bodies unique and countable in the database afterwards
--   bench.department, bench.contacts, bench.text: what the bodies are made of
-- Each wrk thread has its own Lua state: `thread_id` (set in setup) and `sent` are per thread.

local threads_made = 0

function setup(thread)
  threads_made = threads_made + 1
  thread:set("thread_id", threads_made)
end

sent = 0

local function body_for(n)
  if bench.body == "create" then
    local contact = bench.contacts[(n % #bench.contacts) + 1]
    return string.format(
      '{"subject":"%s %d-%d","department":"%s","contact_email":"%s"}',
      bench.mark, thread_id, n, bench.department, contact
    )
  elseif bench.body == "reply" then
    return string.format('{"text":"%s %d-%d. %s"}', bench.mark, thread_id, n, bench.text)
  end
  return nil
end

function request()
  sent = sent + 1
  -- Threads start at different places, so they do not walk the same tickets in step.
  local path = bench.paths[((sent + thread_id * 97) % #bench.paths) + 1]
  return wrk.format(bench.method, path, bench.headers, body_for(sent))
end
