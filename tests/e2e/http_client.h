// What the --listen e2e tests share: the URL goretain says it serves at, a bounded HTTP GET
// (cpp-httplib's client), and a reader of Prometheus' text format.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness.h"

namespace e2e {

// Waits for goretain's "goretain: serving http://HOST:PORT/metrics, ..." line; returns
// "http://HOST:PORT", or "" if it never came.
std::string ServingUrl(Process& goretain, std::chrono::milliseconds timeout = kTimeout);

struct HttpReply {
  int status = 0;  // 0: no reply (connection refused, timeout)
  std::string body;
  std::string content_type;
};
// GET base_url + path, bounded by `timeout` (connect, read and write each).
HttpReply HttpGet(const std::string& base_url, const std::string& path,
                  std::chrono::milliseconds timeout = 10s);

// Polls /metrics until it answers 200 (the first live report is out); false on timeout.
bool WaitForFirstReport(const std::string& base_url, std::chrono::milliseconds timeout = kTimeout);

struct MetricSample {
  std::string name;
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};
// The sample lines of a text exposition (comments skipped). Throws on a malformed line.
std::vector<MetricSample> ParseMetrics(const std::string& text);
// The samples named `name` whose labels include every pair of `match`.
std::vector<MetricSample> Select(const std::vector<MetricSample>& samples, const std::string& name,
                                 const std::map<std::string, std::string>& match = {});

}  // namespace e2e
