-- wrk's done() hook: the figures of a run as one JSON object, written to the file that
-- $NOTES_BENCH_WRK_REPORT names. Durations and latencies are microseconds.
done = function(summary, latency, requests)
  local errors = summary.errors
  local percentiles = {}
  for _, p in ipairs({50, 90, 99, 99.9}) do
    percentiles[#percentiles + 1] = string.format('"%g": %d', p, latency:percentile(p))
  end
  local file = assert(io.open(os.getenv("NOTES_BENCH_WRK_REPORT"), "w"))
  file:write(string.format(
    '{"duration_us": %d, "requests": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "max": %d, "mean": %.1f, "stdev": %.1f, ' ..
    '"percentiles": {%s}}}\n',
    summary.duration, summary.requests, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.min, latency.max, latency.mean, latency.stdev, table.concat(percentiles, ", ")))
  file:close()
end
