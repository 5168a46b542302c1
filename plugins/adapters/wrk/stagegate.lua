-- wrk script for stagegate's command executor (used by stagegate-wrk.sh). It counts every
-- response by status in each wrk thread, and when wrk is done it writes the stage result
-- (schemas/stage-result.schema.json) to $STAGEGATE_RESULT_FILE: requests, errors by kind,
-- status counts and latency percentiles, as one operation.
--
-- Environment (all optional):
--   WRK_OPERATION  the operation's name in the result (default "request"); name it in the
--                  pipeline's scenario.operations to get per-operation metrics
--   WRK_METHOD     HTTP method (default GET)
--   WRK_BODY       request body (e.g. JSON for a POST)
--   WRK_CONTENT_TYPE  Content-Type of the body (default application/json when WRK_BODY is set)
--   WRK_HEADERS    extra headers, one "Name: value" per line
--
-- How wrk's numbers map (wrk 4.1):
--   requests           = responses (summary.requests) + connect + read + write errors +
--                        timeouts (requests that got no response)
--   errors.connection_refused = summary.errors.connect (wrk cannot tell refused from other
--                        connect failures; on 127.0.0.1 it is nearly always refused)
--   errors.connection_reset   = summary.errors.read + summary.errors.write
--   errors.timeout            = summary.errors.timeout
--   errors.status_429/4xx/5xx = responses with that status, counted per response here
--                        (wrk itself only counts "status > 399" in summary.errors.status)
--   latency_ms.percentiles    = wrk's latency histogram of the responses (microseconds / 1000)

local threads = {}

wrk.method = os.getenv("WRK_METHOD") or "GET"
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = os.getenv("WRK_CONTENT_TYPE") or "application/json"
end
for line in (os.getenv("WRK_HEADERS") or ""):gmatch("[^\n]+") do
    local name, value = line:match("^%s*([^:]+):%s*(.-)%s*$")
    if name then
        wrk.headers[name] = value
    end
end

-- Runs in the main Lua state, once per thread: keep the threads to read their counts later.
function setup(thread)
    table.insert(threads, thread)
end

-- Runs in each thread's own Lua state.
function init(args)
    statuses = {}
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
end

local function number(value)
    if value ~= value or value == math.huge or value == -math.huge then
        return "0"
    end
    if value == math.floor(value) and math.abs(value) < 2^53 then
        return string.format("%d", value)
    end
    return string.format("%.6f", value)
end

local function json_string(text)
    return '"' .. tostring(text):gsub('[%c"\\]', function(c)
        return string.format("\\u%04x", c:byte())
    end) .. '"'
end

function done(summary, latency, requests)
    local counts = {}
    for _, thread in ipairs(threads) do
        local thread_statuses = thread:get("statuses") or {}
        for status, n in pairs(thread_statuses) do
            counts[status] = (counts[status] or 0) + n
        end
    end

    local e = summary.errors
    local errors = { status_429 = 0, status_4xx = 0, status_5xx = 0 }
    local status_parts = {}
    local statuses_sorted = {}
    for status in pairs(counts) do
        table.insert(statuses_sorted, status)
    end
    table.sort(statuses_sorted)
    for _, status in ipairs(statuses_sorted) do
        local n = counts[status]
        table.insert(status_parts, string.format('"%d": %s', status, number(n)))
        if status == 429 then
            errors.status_429 = errors.status_429 + n
        elseif status >= 400 and status < 500 then
            errors.status_4xx = errors.status_4xx + n
        elseif status >= 500 then
            errors.status_5xx = errors.status_5xx + n
        end
    end

    local unanswered = e.connect + e.read + e.write + e.timeout
    local out = {}
    table.insert(out, '{"schema": "stagegate.stage-result/v1"')
    table.insert(out, ', "tool": {"name": "wrk", "adapter": "plugins/adapters/wrk", "errors_status": ' ..
        number(e.status) .. '}')
    table.insert(out, ', "duration_s": ' .. number(summary.duration / 1e6))
    table.insert(out, ', "operations": [{"name": ' ..
        json_string(os.getenv("WRK_OPERATION") or "request"))
    table.insert(out, ', "requests": ' .. number(summary.requests + unanswered))
    table.insert(out, ', "errors": {"connection_refused": ' .. number(e.connect) ..
        ', "connection_reset": ' .. number(e.read + e.write) ..
        ', "timeout": ' .. number(e.timeout) ..
        ', "status_429": ' .. number(errors.status_429) ..
        ', "status_4xx": ' .. number(errors.status_4xx) ..
        ', "status_5xx": ' .. number(errors.status_5xx) .. '}')
    table.insert(out, ', "status_counts": {' .. table.concat(status_parts, ", ") .. '}')
    if summary.requests > 0 then
        local p = {}
        local function add(name, us)
            table.insert(p, string.format('"%s": %s', name, number(us / 1000)))
        end
        add("min", latency.min)
        add("p50", latency:percentile(50))
        add("p75", latency:percentile(75))
        add("p90", latency:percentile(90))
        add("p95", latency:percentile(95))
        add("p99", latency:percentile(99))
        add("p999", latency:percentile(99.9))
        add("max", latency.max)
        add("avg", latency.mean)
        table.insert(out, ', "latency_ms": {"percentiles": {' .. table.concat(p, ", ") .. '}}')
    end
    table.insert(out, '}]}\n')

    local path = os.getenv("STAGEGATE_RESULT_FILE")
    if not path or path == "" then
        io.stderr:write("stagegate.lua: STAGEGATE_RESULT_FILE is not set: result not written\n")
        return
    end
    local tmp = path .. ".tmp"
    local file = assert(io.open(tmp, "w"))
    file:write(table.concat(out))
    file:close()
    assert(os.rename(tmp, path))
end
