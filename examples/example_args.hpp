// What every example shares and that has nothing to do with mproc: command-line options (every
// example takes --start-method, so the conformance suite can run it under each method) and a
// stopwatch. Kept here so each example shows only the seed it ports.
//
//   int task_ms = 1000;
//   example::Args args(argc, argv);
//   args.option("--task-ms", &task_ms, 0, 600000);
//   if (!args.parse()) return 2;   // printed "usage: ..." already
#ifndef MPROC_EXAMPLES_EXAMPLE_ARGS_HPP_
#define MPROC_EXAMPLES_EXAMPLE_ARGS_HPP_

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mproc/mproc.hpp"

namespace example {

class Args {
 public:
  Args(int argc, char** argv) : argc_(argc), argv_(argv) {}

  // `--name N`, N an integer in [min, max].
  void option(const char* name, int* value, long long min = INT_MIN, long long max = INT_MAX) {
    options_.push_back({name, value, nullptr, nullptr, min, max});
  }
  void option(const char* name, long long* value, long long min, long long max) {
    options_.push_back({name, nullptr, value, nullptr, min, max});
  }
  // `--name TEXT`.
  void option(const char* name, std::string* value) {
    options_.push_back({name, nullptr, nullptr, value, 0, 0});
  }
  // One argument that does not start with '-'; `what` names it in the usage line.
  void positional(const char* what, std::string* value) {
    positional_name_ = what;
    positional_ = value;
  }

  // Parses argv; --start-method M sets the global start method. On a bad argument prints the usage
  // line and returns false.
  bool parse() {
    for (int i = 1; i < argc_; ++i) {
      const std::string arg = argv_[i];
      if (positional_ != nullptr && !arg.empty() && arg[0] != '-') {
        *positional_ = arg;
        continue;
      }
      if (i + 1 >= argc_) return usage();
      const char* text = argv_[++i];
      if (arg == "--start-method") {
        mproc_start_method m = MPROC_START_DEFAULT;
        if (mproc_start_method_from_name(text, &m) != MPROC_OK) return usage();
        mproc::set_start_method(static_cast<mproc::start_method>(m));
        continue;
      }
      const Option* o = find(arg);
      if (o == nullptr) return usage();
      if (o->text != nullptr) {
        *o->text = text;
        continue;
      }
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(text, &end, 10);
      if (errno != 0 || end == text || *end != '\0' || v < o->min || v > o->max) return usage();
      if (o->number != nullptr) *o->number = static_cast<int>(v);
      if (o->wide != nullptr) *o->wide = v;
    }
    return true;
  }

 private:
  struct Option {
    std::string name;
    int* number;
    long long* wide;
    std::string* text;
    long long min, max;
  };

  const Option* find(const std::string& name) const {
    for (const Option& o : options_)
      if (o.name == name) return &o;
    return nullptr;
  }

  bool usage() const {
    std::string line = "usage: " + std::string(argv_[0]);
    if (positional_ != nullptr) line += " [" + positional_name_ + "]";
    for (const Option& o : options_) line += " [" + o.name + (o.text ? " TEXT]" : " N]");
    line += " [--start-method fork|spawn|forkserver]\n";
    std::fputs(line.c_str(), stderr);
    return false;
  }

  int argc_;
  char** argv_;
  std::vector<Option> options_;
  std::string positional_name_;
  std::string* positional_ = nullptr;
};

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace example

#endif  // MPROC_EXAMPLES_EXAMPLE_ARGS_HPP_
