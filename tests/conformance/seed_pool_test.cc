// The pool examples (examples/pool_*.cc), run end to end as whole programs under every start
// method: the seeds' pool programs with the output the seeds show.
#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "support.h"

namespace {

using mproc_test::MethodTest;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// The lines of one "== title ==" section, up to the next section.
std::vector<std::string> section(const std::vector<std::string>& lines, const std::string& title) {
  std::vector<std::string> out;
  bool in = false;
  for (const auto& l : lines) {
    if (l.rfind("== ", 0) == 0) {
      in = l == "== " + title + " ==";
      continue;
    }
    if (in) out.push_back(l);
  }
  return out;
}

std::vector<std::string> matching(const std::vector<std::string>& lines, const std::string& re) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (std::regex_match(l, std::regex(re))) out.push_back(l);
  }
  return out;
}

using SeedPoolExampleTest = mproc_test::ExampleTest;

TEST_P(SeedPoolExampleTest, PoolMapPrintsWhatPythonPrints) {
  std::string out;
  ASSERT_EQ(run("pool_map", {}, &out), 0) << out;
  std::smatch m;
  EXPECT_TRUE(std::regex_match(out, m,
                               std::regex("\\[0, 1, 4, 9, 16, 25, 36, 49, 64, 81\\]\n"
                                          "4\n"
                                          "\\[0, 1, 4, 9, 16, 25, 36, 49, 64, 81\\]\n"
                                          "main process [0-9]+; work done by [12] of the 2 worker "
                                          "processes\n")))
      << out;
}

TEST_P(SeedPoolExampleTest, FiveTasksRunInFourWorkersAndJoinWaitsForThemAll) {
  std::string out;
  ASSERT_EQ(run("pool_apply_async", {"--max-ms", "200"}, &out), 0) << out;
  const auto lines = lines_of(out);
  const auto started = matching(lines, "task [1-5] started, process id [0-9]+");
  const auto finished = matching(lines, "task [1-5] finished after [0-9.]+s");
  EXPECT_EQ(started.size(), 5u) << out;
  EXPECT_EQ(finished.size(), 5u) << out;
  std::set<std::string> pids;
  for (const auto& l : started) pids.insert(l.substr(l.rfind(' ') + 1));
  EXPECT_LE(pids.size(), 4u) << "more processes than the pool has:\n" << out;
  // join() returned after every task's last line.
  const auto done = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
    return l.rfind("all tasks done", 0) == 0;
  });
  ASSERT_NE(done, lines.end()) << out;
  for (const auto& f : finished) {
    EXPECT_LT(std::find(lines.begin(), lines.end(), f), done) << f << "\n" << out;
  }
  // Seed 003's three calls: every message and "end", then "done." after join. ("start" comes
  // first in the seed's output only because Python's workers take a while to start.)
  const auto apply = section(lines, "apply_async");
  ASSERT_FALSE(apply.empty()) << out;
  EXPECT_EQ(matching(apply, "start").size(), 1u) << out;
  EXPECT_EQ(apply.back(), "done.") << out;
  EXPECT_EQ(matching(apply, "msg: hello [0-4]").size(), 5u) << out;
  EXPECT_EQ(matching(apply, "end").size(), 5u) << out;
  const auto map = section(lines, "map_async");
  ASSERT_FALSE(map.empty()) << out;
  EXPECT_EQ(matching(map, "start").size(), 1u) << out;
  EXPECT_EQ(map.back(), "done.") << out;
  EXPECT_EQ(matching(map, "msg: [0-4]").size(), 5u) << out;
  const auto star = section(lines, "starmap_async");
  ASSERT_FALSE(star.empty()) << out;
  EXPECT_EQ(matching(star, "msg1: ([12]) msg2: \\1").size(), 2u) << out;
  EXPECT_EQ(star.back(), "done.") << out;
}

TEST_P(SeedPoolExampleTest, ImapYieldsInInputOrderAndImapUnorderedYieldsEveryResult) {
  std::string out;
  ASSERT_EQ(run("pool_imap", {"--unit-ms", "100"}, &out), 0) << out;
  const auto lines = lines_of(out);
  const auto ordered = section(lines, "imap");
  EXPECT_EQ(matching(ordered, "res: [0-9]+"),
            (std::vector<std::string>{"res: 0", "res: 1", "res: 2"}))
      << out;
  EXPECT_EQ(ordered.back(), "done.") << out;
  // Completion order depends on timing here (the deterministic check is in pool_test.cc).
  auto unordered = matching(section(lines, "imap_unordered"), "res: [0-9]+");
  std::sort(unordered.begin(), unordered.end());
  EXPECT_EQ(unordered, (std::vector<std::string>{"res: 0", "res: 1", "res: 2"})) << out;
  EXPECT_NE(out.find("10/10"), std::string::npos) << "the progress bar did not finish:\n" << out;
  EXPECT_NE(out.find("last: result=90"), std::string::npos) << out;
}

TEST_P(SeedPoolExampleTest, DirectoryDemoProcessesEveryFileUnderAProgressBar) {
  std::string out;
  ASSERT_EQ(run("pool_directory_progress", {"--files", "120"}, &out), 0) << out;
  EXPECT_NE(out.find("120 files to process with 2 processes"), std::string::npos) << out;
  EXPECT_NE(out.find("100% [##############################]  120/120"), std::string::npos)
      << out;
  std::smatch m;
  EXPECT_TRUE(std::regex_search(out, m, std::regex("processed 120 files: [0-9]+ bytes"))) << out;
  EXPECT_NE(out.find("serial pass agrees: yes"), std::string::npos) << out;
}

TEST_P(SeedPoolExampleTest, FileReadGivesTheSameBytesSeriallyAndInThePool) {
  std::string out;
  ASSERT_EQ(run("pool_file_read", {"--mb", "1", "--max-reads", "10"}, &out), 0) << out;
  EXPECT_EQ(matching(lines_of(out), " +(1|5|10) +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+").size(), 3u)
      << out;
  EXPECT_NE(out.find("every read gave the same bytes: yes"), std::string::npos) << out;
}

MPROC_INSTANTIATE_FOR_METHODS(SeedPoolExampleTest);

// The progress bar's line, drawn to nowhere.
TEST(ProgressBar, RendersPercentageCountsAndRate) {
  mproc::ProgressBar bar(200, "files", nullptr);
  EXPECT_NE(bar.render().find("files    0% [......"), std::string::npos) << bar.render();
  bar.update(50);
  EXPECT_NE(bar.render().find(" 25% [#######.......................]  50/200  "),
            std::string::npos)
      << bar.render();
  bar.set(200);
  EXPECT_NE(bar.render().find("100% [##############################]  200/200  "),
            std::string::npos)
      << bar.render();
  mproc::ProgressBar unknown(0, "", nullptr);
  unknown.update(7);
  EXPECT_EQ(unknown.render().rfind("7  ", 0), 0u) << unknown.render();
}

TEST(ProgressBar, WrapsARangeAndCountsWhatWasIterated) {
  std::vector<int> values{1, 2, 3, 4};
  int sum = 0;
  auto wrapped = mproc::progress(values, values.size(), "sum", nullptr);
  for (int v : wrapped) sum += v;
  EXPECT_EQ(sum, 10);
  EXPECT_EQ(wrapped.bar().count(), 4u);
}

}  // namespace
