// The seed tutorials' Process programs (seeds 001 and 004), with the same observable results, under
// every start method: the hello child and its pid, five I/O tasks overlapping in five processes,
// one function run by a thread and by a process. Then the C++ and C examples in examples/, run end
// to end as whole programs.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "support.h"

namespace seed_process_test {

// Seed 001's hello(name), which also writes "<pid> <parent pid>" to id_path for the test to read.
void hello(std::string name, std::string id_path) {
  std::printf("child process: %lld\n", static_cast<long long>(mproc::current_pid()));
  std::printf("Hello %s\n", name.c_str());
  mproc_test::write_file(
      id_path, std::to_string(mproc::current_pid()) + " " + std::to_string(mproc::parent_pid()));
}

// Seed 001's main(), whose children use `method`. The test runs it in a spawned child so that its
// stdout is a file from its first line, as when the seed's output is piped: fully buffered.
void seed_001_main(int method, std::string id_path) {
  std::printf("parent process: %lld\n", static_cast<long long>(mproc::current_pid()));
  mproc::Process p(mproc::Context(static_cast<mproc::start_method>(method)), mproc::fn<&hello>,
                   std::string("shiyanlou"), id_path);
  std::printf("child process start\n");
  p.start();
  if (!p.join(mproc_test::kJoinTimeout)) mproc::exit(3);
  std::printf("child process stop\n");
  std::printf("parent process: %lld\n", static_cast<long long>(mproc::current_pid()));
  mproc::exit(p.exitcode() == 0 ? 0 : 4);
}

// Seed 001's io_task: a wait that takes no CPU. The marker shows that the wait was done.
void io_task(int ms, std::string marker) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  mproc_test::write_file(marker, "done");
}

// io_task that first meets the other tasks at a barrier: passing it proves they all run at once.
void io_task_together(mproc::Barrier all, int ms, std::string marker) {
  all.wait(std::chrono::seconds(60));  // throws (exit 1) if the others never come
  io_task(ms, std::move(marker));
}

// Seed 004's job_t / job_p: one worker for a thread and for a process.
void job(std::string word, int a, int d) {
  std::printf("%s %d %d %lld %s\n", word.c_str(), a, d,
              static_cast<long long>(mproc::current_pid()), mproc::current_name().c_str());
}

}  // namespace seed_process_test

namespace {

using namespace seed_process_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;

// Redirects one standard fd into a file for the lifetime of the object (stdio flushed around it).
std::vector<std::string> split_lines(const std::string& text) {
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

class SeedProcessTest : public MethodTest {};

TEST_P(SeedProcessTest, HelloChildPrintsItsOwnPidAndTheGreeting) {
  mproc_test::TempDir dir;
  mproc::Process p(ctx(), mproc::fn<&hello>, std::string("shiyanlou"), dir.file("id"));
  {
    mproc_test::CaptureStdio out(mproc_test::CaptureStdio::kStdout, dir.file("stdout"));
    p.start();
    ASSERT_TRUE(p.join(kJoinTimeout));
  }
  ASSERT_EQ(p.exitcode(), 0);
  EXPECT_EQ(mproc_test::read_file(dir.file("stdout")),
            "child process: " + std::to_string(p.pid()) + "\nHello shiyanlou\n");
  EXPECT_NE(p.pid(), mproc::current_pid());
  // The child's own view: its pid is the one the parent sees, its parent is this process.
  EXPECT_EQ(mproc_test::read_file(dir.file("id")),
            std::to_string(p.pid()) + " " + std::to_string(mproc::current_pid()));
}

TEST_P(SeedProcessTest, SeedMainPrintsItsLinesInProgramOrderWhenOutputIsAFile) {
  mproc_test::TempDir dir;
  // The seed's main runs in a spawned child (stdout a file from the start); its own child, the
  // hello process, uses the method under test. Python flushes stdout before starting a process
  // under every method, so the lines come out in program order even through a pipe.
  mproc::Process seed_main(mproc::Context(mproc::start_method::spawn), mproc::fn<&seed_001_main>,
                           static_cast<int>(GetParam()), dir.file("id"));
  {
    mproc_test::CaptureStdio out(mproc_test::CaptureStdio::kStdout, dir.file("stdout"));
    seed_main.start();
    ASSERT_TRUE(seed_main.join(kJoinTimeout));
  }
  ASSERT_EQ(seed_main.exitcode(), 0) << mproc_test::read_file(dir.file("stdout"));
  std::string id = mproc_test::read_file(dir.file("id"));
  ASSERT_NE(id.find(' '), std::string::npos) << id;
  std::string child_pid = id.substr(0, id.find(' '));
  std::string parent = std::to_string(seed_main.pid());
  EXPECT_EQ(id.substr(id.find(' ') + 1), parent) << "the hello child's parent_pid()";
  EXPECT_NE(child_pid, parent);
  EXPECT_EQ(mproc_test::read_file(dir.file("stdout")),
            "parent process: " + parent + "\nchild process start\nchild process: " + child_pid +
                "\nHello shiyanlou\nchild process stop\nparent process: " + parent + "\n");
}

TEST_P(SeedProcessTest, FiveSleepingProcessesSleepAtTheSameTime) {
  // The seed's five 1-second I/O tasks take about 1 s in five processes because the sleeps overlap.
  // Wall time would make a flaky assertion on a loaded machine, so the overlap is proven instead:
  // each task first waits at a 5-party barrier, which only opens when all five run at once.
  constexpr int kTaskMs = 300;
  mproc_test::TempDir dir;
  mproc::Barrier all(5);
  std::vector<mproc::Process> processes;
  for (int i = 0; i < 5; ++i) {
    processes.emplace_back(ctx(), mproc::fn<&io_task_together>, all, kTaskMs,
                           dir.file("task" + std::to_string(i)));
  }
  auto start = std::chrono::steady_clock::now();
  for (auto& p : processes) p.start();
  for (auto& p : processes) ASSERT_TRUE(p.join(kJoinTimeout));
  auto elapsed = std::chrono::steady_clock::now() - start;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(processes[static_cast<std::size_t>(i)].exitcode(), 0)
        << "task " << i << " did not pass the barrier: the five did not run at the same time";
    EXPECT_TRUE(mproc_test::file_exists(dir.file("task" + std::to_string(i)))) << "task " << i;
  }
  EXPECT_GE(elapsed, std::chrono::milliseconds(kTaskMs))
      << "join returned before the tasks could have slept";
}

TEST_P(SeedProcessTest, ThreadAndProcessRunTheSameFunctionThreadInThisPidProcessInItsOwn) {
  mproc_test::TempDir dir;
  mproc::Process p1(ctx(), mproc::fn<&job>, std::string("pppp"), 1, 2);
  {
    mproc_test::CaptureStdio out(mproc_test::CaptureStdio::kStdout, dir.file("stdout"));
    // The process starts first: forking while another thread runs is unsafe (see init.h).
    p1.start();
    std::thread t1(job, std::string("tttt"), 1, 2);
    t1.join();
    ASSERT_TRUE(p1.join(kJoinTimeout));
  }
  ASSERT_EQ(p1.exitcode(), 0);
  EXPECT_NE(p1.pid(), mproc::current_pid());
  std::vector<std::string> lines = split_lines(mproc_test::read_file(dir.file("stdout")));
  std::sort(lines.begin(), lines.end());  // the two run at once: either may print first
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "pppp 1 2 " + std::to_string(p1.pid()) + " " + p1.name(),
                       "tttt 1 2 " + std::to_string(mproc::current_pid()) + " MainProcess"}));
}

MPROC_INSTANTIATE_FOR_METHODS(SeedProcessTest);

// ---- the examples, run as whole programs ---------------------------------------------------

using SeedExampleTest = mproc_test::ExampleTest;

// Whole-line search in multi-line text.
bool search_line(const std::string& text, const std::string& line_regex, std::smatch* m) {
  return std::regex_search(text, *m, std::regex("(^|\n)" + line_regex + "\n"));
}

TEST_P(SeedExampleTest, ParentChildPidPrintsTheSeedsLinesInOrder) {
  std::string out;
  ASSERT_EQ(run("parent_child_pid", {}, &out), 0) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(out, m,
                               std::regex("parent process: ([0-9]+)\n"
                                          "child process start\n"
                                          "child process: ([0-9]+)\n"
                                          "Hello shiyanlou\n"
                                          "child process stop\n"
                                          "parent process: ([0-9]+)\n")))
      << out;
  EXPECT_EQ(m[1], m[3]) << out;
  EXPECT_NE(m[1], m[2]) << out;
}

TEST_P(SeedExampleTest, FiveIoTasksOverlapInFiveProcesses) {
  std::string out;
  ASSERT_EQ(run("five_io_tasks", {"--task-ms", "300"}, &out), 0) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(out, m,
                               std::regex("Serial: 5 I/O tasks of 0\\.30s each, one after another\n"
                                          "Elapsed time: ([0-9]+\\.[0-9][0-9])s\n"
                                          "Multiprocess: the same 5 tasks, one process each\n"
                                          "Elapsed time: ([0-9]+\\.[0-9][0-9])s\n")))
      << out;
  double serial = std::stod(m[1]), parallel = std::stod(m[2]);
  EXPECT_GE(serial, 1.50) << out;
  EXPECT_GE(parallel, 0.30) << out;
  EXPECT_LT(parallel, 0.90) << "the five waits did not overlap:\n" << out;
}

TEST_P(SeedExampleTest, ThreadsVsProcessesRunTheWorkerHereAndInAChild) {
  std::string out;
  ASSERT_EQ(run("threads_vs_processes", {}, &out), 0) << out;
  EXPECT_EQ(split_lines(out).size(), 3u) << out;
  std::smatch main_m, thread_m, process_m;
  ASSERT_TRUE(search_line(out, "main process: pid ([0-9]+)", &main_m)) << out;
  ASSERT_TRUE(search_line(out,
                          "tttt \\(std::thread\\): args \\(1, 2\\), pid ([0-9]+), "
                          "process name MainProcess",
                          &thread_m))
      << out;
  ASSERT_TRUE(search_line(out,
                          "pppp \\(mproc::Process\\): args \\(1, 2\\), pid ([0-9]+), "
                          "process name Process-1",
                          &process_m))
      << out;
  EXPECT_EQ(thread_m[2], main_m[2]) << out;
  EXPECT_NE(process_m[2], main_m[2]) << out;
}

TEST_P(SeedExampleTest, CApiRunsAChildAndExplainsAnUnregisteredName) {
  std::string out;
  ASSERT_EQ(run("c_api", {}, &out), 0) << out;
  std::smatch parent_m, child_m, end_m, m;
  ASSERT_TRUE(search_line(out,
                          std::string("parent: pid ([0-9]+), mproc [0-9.]+, [a-z0-9]+ backend, "
                                      "start method ") +
                              mproc::to_string(GetParam()),
                          &parent_m))
      << out;
  ASSERT_TRUE(search_line(out, "child: pid ([0-9]+), parent pid ([0-9]+), name adder", &child_m))
      << out;
  EXPECT_NE(child_m[2], child_m[3]) << out;
  EXPECT_EQ(child_m[3], parent_m[2]) << out;
  EXPECT_TRUE(search_line(out, "child: Hello shiyanlou, 3 \\+ 4 = 7", &m)) << out;
  ASSERT_TRUE(
      search_line(out, "parent: process adder \\(pid ([0-9]+)\\) ended with exit code 7", &end_m))
      << out;
  EXPECT_EQ(end_m[2], child_m[2]) << out;
  EXPECT_TRUE(search_line(out, "parent: status -6, E_NOT_REGISTERED: .+", &m)) << out;
  EXPECT_TRUE(search_line(out, "parent: mproc_last_error\\(\\): .*'no_such_function'.*", &m))
      << out;
}

TEST_P(SeedExampleTest, SeedComputeGivesTheSameExactSumNormallyInThreadsAndInProcesses) {
  // Seeds 000/004's efficiency comparison: job() sums i + i^2 + i^3 for i < 10^6, twice. The
  // three ways must print the same exact (128-bit) sum; the times are printed but not checked.
  std::string out;
  ASSERT_EQ(run("seed_compute", {}, &out), 0) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_match(out, m,
                               std::regex("normal: ([0-9]+)\n"
                                          "normal time: [0-9]+\\.[0-9]+\n"
                                          "multithread: ([0-9]+)\n"
                                          "multithread time: [0-9]+\\.[0-9]+\n"
                                          "multicore: ([0-9]+)\n"
                                          "multicore time: [0-9]+\\.[0-9]+\n")))
      << out;
  // 2 * sum_{i<10^6} (i + i^2 + i^3), as the seed prints it (Python's big integers).
  const std::string exact = "499999666667166666000000";
  EXPECT_EQ(m[1], exact) << out;
  EXPECT_EQ(m[2], exact) << out;
  EXPECT_EQ(m[3], exact) << out;
}

MPROC_INSTANTIATE_FOR_METHODS(SeedExampleTest);

}  // namespace
