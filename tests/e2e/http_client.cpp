#include "http_client.h"

#include <httplib.h>

#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace e2e {

std::string ServingUrl(Process& goretain, std::chrono::milliseconds timeout) {
  if (!goretain.WaitForStderr("goretain: serving http://", timeout)) return "";
  static const std::regex serving(R"(goretain: serving (http://[^/ ]+)/metrics)");
  std::smatch m;
  const std::string err = goretain.Stderr();
  return std::regex_search(err, m, serving) ? m[1].str() : "";
}

HttpReply HttpGet(const std::string& base_url, const std::string& path,
                  std::chrono::milliseconds timeout) {
  httplib::Client client(base_url);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  auto res = client.Get(path);
  if (!res) return {};
  return HttpReply{res->status, res->body, res->get_header_value("Content-Type")};
}

bool WaitForFirstReport(const std::string& base_url, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (HttpGet(base_url, "/metrics", 5s).status == 200) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

namespace {

// Reads `"value"` at `at` (just past the opening quote) with \\, \" and \n unescaped.
std::string QuotedValue(const std::string& line, size_t& at) {
  std::string out;
  for (; at < line.size() && line[at] != '"'; at++) {
    if (line[at] == '\\' && at + 1 < line.size()) {
      at++;
      out += line[at] == 'n' ? '\n' : line[at];
    } else {
      out += line[at];
    }
  }
  if (at >= line.size()) throw std::runtime_error("unterminated label value: " + line);
  at++;  // the closing quote
  return out;
}

MetricSample ParseSample(const std::string& line) {
  MetricSample s;
  size_t at = line.find_first_of("{ ");
  if (at == std::string::npos) throw std::runtime_error("no value: " + line);
  s.name = line.substr(0, at);
  if (line[at] == '{') {
    at++;
    while (line.at(at) != '}') {
      const size_t eq = line.find("=\"", at);
      if (eq == std::string::npos) throw std::runtime_error("bad label: " + line);
      const std::string key = line.substr(at, eq - at);
      at = eq + 2;
      s.labels[key] = QuotedValue(line, at);
      if (line.at(at) == ',') at++;
    }
    at++;
  }
  s.value = std::stod(line.substr(at));
  return s;
}

}  // namespace

std::vector<MetricSample> ParseMetrics(const std::string& text) {
  std::vector<MetricSample> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    out.push_back(ParseSample(line));
  }
  return out;
}

std::vector<MetricSample> Select(const std::vector<MetricSample>& samples, const std::string& name,
                                 const std::map<std::string, std::string>& match) {
  std::vector<MetricSample> out;
  for (const MetricSample& s : samples) {
    if (s.name != name) continue;
    bool all = true;
    for (const auto& [k, v] : match) {
      auto it = s.labels.find(k);
      all = all && it != s.labels.end() && it->second == v;
    }
    if (all) out.push_back(s);
  }
  return out;
}

}  // namespace e2e
