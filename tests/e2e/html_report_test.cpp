// --format html, opened in a real browser: goretain traces the demo program (tests/targets/
// leakydemo, two steady leaks) long enough to flag them and writes one page (-f html) and the
// JSON report of the same figures (-f json). Debian's chromium, headless, then loads the page from
// the file (it may load nothing else) and the test reads the DOM the page's script left:
// no script error, the script ran to its end, every leaking call site of the JSON is a leak row
// with a sparkline that rises, the table sorts by a header (through the "#sort=" fragment the
// script honours), the icicle graph holds the leaking function and zooms into it (through
// "#zoom="); and a screenshot is taken.
#include <csignal>
#include <optional>
#include <regex>

#include "harness.h"

namespace e2e {
namespace {

constexpr int kSeconds = 15;  // as scripts/demo.sh: the demo's leaks are flagged by then

// `chromium --headless ARGS... URL` run to completion; returns its stdout (e.g. --dump-dom).
std::string Chromium(const fs::path& profile, const std::vector<std::string>& args,
                     const std::string& url) {
  // Root needs --no-sandbox; a profile of the test's own, since CI has no HOME.
  std::vector<std::string> argv = {"/usr/bin/chromium", "--headless=new", "--no-sandbox",
                                   "--disable-gpu", "--no-first-run",
                                   "--user-data-dir=" + profile.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  Process p = RunToEnd(argv, 60s);
  EXPECT_EQ(p.exit_code(), 0) << p.Describe();
  return p.Stdout();
}

// The opening tag of the first element matching `tag_regex` (e.g. "<body[^>]*>").
std::string Tag(const std::string& dom, const std::string& tag_regex) {
  std::smatch m;
  return std::regex_search(dom, m, std::regex(tag_regex)) ? m.str(0) : "";
}

// The text between the element with id `id` and the next `end` after it.
std::string Section(const std::string& dom, const std::string& id, const std::string& end) {
  const size_t at = dom.find("id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  const size_t stop = dom.find(end, at);
  return dom.substr(at, stop == std::string::npos ? std::string::npos : stop - at);
}

// The <tr>...</tr> elements of `html`, in order.
std::vector<std::string> Rows(const std::string& html) {
  std::vector<std::string> rows;
  for (size_t at = html.find("<tr"); at != std::string::npos; at = html.find("<tr", at + 1)) {
    rows.push_back(html.substr(at, html.find("</tr>", at) - at));
  }
  return rows;
}

// The numbers of a polyline's points attribute: (x, y) pairs.
std::vector<std::pair<double, double>> Points(const std::string& svg) {
  std::smatch m;
  std::vector<std::pair<double, double>> out;
  if (!std::regex_search(svg, m, std::regex(R"(<polyline points="([^"]*)\")"))) return out;
  const std::string pts = m[1];
  static const std::regex pair(R"((-?[\d.]+),(-?[\d.]+))");
  for (std::sregex_iterator it(pts.begin(), pts.end(), pair), end; it != end; ++it) {
    out.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  }
  return out;
}

// The boxes of an icicle graph's HTML, in order: their whole opening tag and their text.
std::vector<std::pair<std::string, std::string>> Boxes(const std::string& graph) {
  static const std::regex box("(<div[^>]* data-x=\"[^\"]*\"[^>]*>)([^<]*)</div>");
  std::vector<std::pair<std::string, std::string>> out;
  for (std::sregex_iterator it(graph.begin(), graph.end(), box), end; it != end; ++it) {
    out.emplace_back((*it)[1], (*it)[2]);
  }
  return out;
}

// One leak row per leaking call site, each with a sparkline of real points that rises.
void ExpectLeakRows(const std::string& dom, const std::vector<std::string>& leaking) {
  const std::vector<std::string> leak_rows = Rows(Section(dom, "leak-table", "</table>"));
  ASSERT_EQ(leak_rows.size(), leaking.size() + 1) << "header + one row per leak";
  for (const std::string& fn : leaking) {
    EXPECT_NE(Section(dom, "leaks", "</section>").find(">" + fn + "<"), std::string::npos) << fn;
  }
  for (size_t i = 1; i < leak_rows.size(); i++) {
    const auto pts = Points(leak_rows[i]);
    ASSERT_GE(pts.size(), 4u) << leak_rows[i];
    // y grows downward: the last retained figure is above (smaller y than) the first.
    EXPECT_LT(pts.back().second, pts.front().second) << leak_rows[i];
    EXPECT_GT(pts.back().first, pts.front().first) << leak_rows[i];
  }
}

const std::string kGraphEnd = "id=\"icicle-allocated\"";  // the retained graph comes first

// The icicle graph of retained bytes has a box of the leaking function `fn`, narrower than the
// whole; returns its index among the graph's boxes (nullopt: none).
std::optional<size_t> ExpectLeakBox(const std::string& dom, const std::string& fn) {
  const auto boxes = Boxes(Section(dom, "icicle-retained", kGraphEnd));
  size_t at = 0;
  while (at < boxes.size() && boxes[at].second != fn) at++;
  if (at == boxes.size()) return std::nullopt;
  EXPECT_NE(boxes[at].first.find(R"(class="leak")"), std::string::npos) << boxes[at].first;
  EXPECT_EQ(boxes[at].first.find("width:100.000%"), std::string::npos) << boxes[at].first;
  return at;
}

// `sorted` (the page opened with #sort=alloc:asc&zoom=BOX): the box spans the graph and boxes
// beside it are hidden; the table says it is sorted and its `rows` rows follow.
void ExpectZoomedAndSorted(const std::string& sorted, const std::string& dom, size_t box,
                           size_t rows) {
  const std::string graph = Section(sorted, "icicle-retained", kGraphEnd);
  EXPECT_NE(graph.find("data-zoom=\"" + std::to_string(box) + "\""), std::string::npos)
      << graph.substr(0, 300);
  const auto zoomed = Boxes(graph);
  ASSERT_EQ(zoomed.size(), Boxes(Section(dom, "icicle-retained", kGraphEnd)).size());
  EXPECT_NE(zoomed[box].first.find("width: 100%"), std::string::npos) << zoomed[box].first;
  EXPECT_NE(graph.find("hidden"), std::string::npos) << "nothing hidden by the zoom";
  const std::string table = Section(sorted, "sites", "</table>");
  EXPECT_NE(table.find(R"(data-sorted="alloc:asc")"), std::string::npos) << table.substr(0, 300);
  std::vector<uint64_t> alloc;  // a row's second data-v is its allocated bytes (after "leak")
  static const std::regex value(R"(data-v="([-\d.e]+)\")");
  for (const std::string& row : Rows(table)) {
    std::sregex_iterator it(row.begin(), row.end(), value), end;
    if (it == end || ++it == end) continue;  // the header row
    alloc.push_back(std::stoull((*it)[1]));
  }
  ASSERT_EQ(alloc.size(), rows);
  EXPECT_TRUE(std::is_sorted(alloc.begin(), alloc.end()));
  EXPECT_NE(alloc.front(), alloc.back());
}

// A screenshot of the page in the build tree (ctest runs e2e tests in <build>/tests/e2e): a PNG
// of some substance.
void ExpectScreenshot(const fs::path& profile, const std::string& url) {
  const fs::path png = fs::current_path() / "html-report.png";
  fs::remove(png);
  Chromium(profile, {"--screenshot=" + png.string(), "--window-size=1280,1600", "--hide-scrollbars"},
           url);
  ASSERT_TRUE(fs::exists(png));
  const std::string bytes = ReadFile(png);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(bytes.size(), 30000u) << "a near-empty screenshot";
}

class HtmlReport : public E2ETest {};

TEST_F(HtmlReport, ChromiumShowsTheLeaksSparklinesAndSortsTheTable) {
  Process demo({Target("leakydemo")});
  ASSERT_TRUE(demo.WaitForStderr("serving")) << demo.Describe();
  const fs::path page = tmp_ / "report.html", report_path = tmp_ / "report.json";
  Process gr = Goretain({"--pid", std::to_string(demo.pid()), "--duration",
                         std::to_string(kSeconds), "-f", "json", "-o", report_path.string(), "-f",
                         "html", "-o", page.string()});
  ASSERT_TRUE(Attached(gr));
  ASSERT_EQ(gr.Wait(std::chrono::seconds(kSeconds) + 15s), 0) << gr.Describe();
  ASSERT_TRUE(demo.Running()) << demo.Describe();
  demo.Signal(SIGTERM);
  EXPECT_EQ(demo.Wait(10s), 0) << demo.Describe();

  json report;
  ASSERT_TRUE(OneReport(ReadFile(report_path), &report));
  std::vector<std::string> leaking;
  for (const json& c : report["callsites"]) {
    if (c["leaking"].get<bool>()) leaking.push_back(c["function"].get<std::string>());
  }
  ASSERT_FALSE(leaking.empty()) << "the demo's leaks not flagged:\n" << DescribeCallsites(report);

  // Self-contained: the file names nothing to fetch (its own target's names hold no URL).
  const std::string html = ReadFile(page);
  for (const char* fetch : {"http:", "https:", " src=", " href=", "url(", "@import"}) {
    EXPECT_EQ(html.find(fetch), std::string::npos) << fetch;
  }

  const std::string url = "file://" + page.string();
  const std::string dom = Chromium(tmp_ / "chromium", {"--dump-dom"}, url);
  ASSERT_NE(dom.find("</html>"), std::string::npos) << dom.substr(0, 2000);
  EXPECT_EQ(Tag(dom, "<html[^>]*>").find("data-errors"), std::string::npos) << Tag(dom, "<html[^>]*>");
  EXPECT_NE(Tag(dom, "<body[^>]*>").find(R"(data-ready="1")"), std::string::npos)
      << "the page's script did not run to its end: " << Tag(dom, "<body[^>]*>");

  ExpectLeakRows(dom, leaking);
  const std::optional<size_t> leak_box = ExpectLeakBox(dom, leaking[0]);
  ASSERT_TRUE(leak_box) << leaking[0] << " has no box in the icicle graph";
  const std::string sorted = Chromium(tmp_ / "chromium", {"--dump-dom"},
                                      url + "#sort=alloc:asc&zoom=" + std::to_string(*leak_box));
  ExpectZoomedAndSorted(sorted, dom, *leak_box, report["callsites"].size());
  ExpectScreenshot(tmp_ / "chromium", url);
}

// The page needs a file (-o), checked before anything is traced: one error line, exit 2.
TEST_F(HtmlReport, NeedsAWritableOutputFile) {
  Process never({Target("counts"), "-wait", (tmp_ / "never").string()});
  const std::string pid = std::to_string(never.pid());
  for (const auto& [args, says] :
       {std::pair<std::vector<std::string>, std::string>{{"-f", "html"}, "give -o FILE"},
        {{"-f", "html", "-o", (tmp_ / "no-such-dir" / "r.html").string()}, "cannot write"}}) {
    std::vector<std::string> argv = {"--pid", pid};
    argv.insert(argv.end(), args.begin(), args.end());
    Process gr = Goretain(argv);
    ASSERT_EQ(gr.Wait(15s), 2) << gr.Describe();
    EXPECT_TRUE(IsOneErrorLine(gr.Stderr())) << gr.Describe();
    EXPECT_NE(gr.Stderr().find(says), std::string::npos) << gr.Describe();
  }
  EXPECT_TRUE(never.Running()) << never.Describe();
}

}  // namespace
}  // namespace e2e
