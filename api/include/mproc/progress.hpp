// mproc/progress.hpp — a terminal progress bar for pools, in the spirit of Python's tqdm:
//
//   mproc::ProgressBar bar(files.size(), "files");
//   for (auto& info : pool.imap_unordered(mproc::fn<&scan>, files)) bar.update();
//
// or, wrapping the range itself,
//
//   for (auto& info : mproc::progress(pool.imap_unordered(mproc::fn<&scan>, files), files.size()))
//     ...
//
// or, for a map_async, polling its progress:
//
//   auto r = pool.map_async(mproc::fn<&scan>, files);
//   while (!r.wait(std::chrono::milliseconds(100))) bar.set(r.progress().first);
//
// On a terminal the bar is one line, redrawn in place ("\r") at most every 100 ms and once at the
// end:
//   files  42% [############................]  42/100  00:01<00:02  35.2/s
// Anywhere else (a file, a pipe: any stream but a stdout or stderr that is a terminal) nothing
// can be redrawn, so the bar writes whole lines instead: the first state, one line at most every
// 10 s, and the final state — each state once.
#ifndef MPROC_PROGRESS_HPP
#define MPROC_PROGRESS_HPP

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <iterator>
#include <memory>
#include <string>
#include <utility>

#include "mproc/init.h"

namespace mproc {

class ProgressBar {
 public:
  // total 0: unknown (no percentage or estimate). out: where to draw, stderr by default, so that
  // the program's own output on stdout stays clean.
  explicit ProgressBar(std::size_t total, std::string description = "", std::FILE* out = stderr,
                       int width = 30)
      : total_(total), description_(std::move(description)), out_(out), width_(width),
        start_(clock::now()),
        in_place_(out != nullptr && ((out == stderr && mproc_stdio_is_terminal(2) != 0) ||
                                     (out == stdout && mproc_stdio_is_terminal(1) != 0))) {
    draw(true);
  }
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { close(); }

  void update(std::size_t n = 1) { set(done_ + n); }

  void set(std::size_t done) {
    if (done != done_) dirty_ = true;
    done_ = done;
    draw(total_ != 0 && done_ >= total_);
  }

  void set_description(std::string description) {
    description_ = std::move(description);
    dirty_ = true;
    draw(false);
  }

  // Draws the final state and ends the line. Further calls do nothing.
  void close() {
    if (closed_) return;
    if (dirty_) draw(true);  // the final state, unless it is what was drawn last
    if (out_ != nullptr && in_place_) {
      std::fputc('\n', out_);
      std::fflush(out_);
    }
    closed_ = true;
  }

  std::size_t count() const { return done_; }

  // The line as it would be drawn now.
  std::string render() const {
    const double elapsed = std::chrono::duration<double>(clock::now() - start_).count();
    std::string line;
    if (!description_.empty()) line += description_ + "  ";
    char buf[64];
    if (total_ != 0) {
      const double fraction = done_ >= total_ ? 1.0 : static_cast<double>(done_) / static_cast<double>(total_);
      std::snprintf(buf, sizeof buf, "%3d%% ", static_cast<int>(fraction * 100.0));
      line += buf;
      const int filled = static_cast<int>(fraction * width_);
      line += '[';
      line.append(static_cast<std::size_t>(filled), '#');
      line.append(static_cast<std::size_t>(width_ - filled), '.');
      line += "]  ";
      std::snprintf(buf, sizeof buf, "%zu/%zu  ", done_, total_);
      line += buf;
    } else {
      std::snprintf(buf, sizeof buf, "%zu  ", done_);
      line += buf;
    }
    line += clock_text(elapsed);
    const double rate = elapsed > 0 ? static_cast<double>(done_) / elapsed : 0.0;
    if (total_ != 0 && done_ < total_ && rate > 0) {
      line += "<" + clock_text(static_cast<double>(total_ - done_) / rate);
    }
    std::snprintf(buf, sizeof buf, "  %.1f/s", rate);
    line += buf;
    return line;
  }

 private:
  using clock = std::chrono::steady_clock;

  static std::string clock_text(double seconds) {
    const long s = static_cast<long>(seconds);
    char buf[32];
    if (s >= 3600) {
      std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    } else {
      std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
    }
    return buf;
  }

  void draw(bool force) {
    if (out_ == nullptr || closed_) return;
    const auto now = clock::now();
    const auto every =
        in_place_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000);
    if (!force && now - last_draw_ < every) return;
    if (force && !dirty_ && drawn_) return;  // this state is on screen already: never twice
    last_draw_ = now;
    const std::string line = render();
    if (in_place_) {
      // Pads over what a longer previous line left behind.
      std::fprintf(out_, "\r%-*s", static_cast<int>(last_length_), line.c_str());
    } else {
      std::fprintf(out_, "%s\n", line.c_str());
    }
    std::fflush(out_);
    last_length_ = line.size();
    drawn_ = true;
    dirty_ = false;
  }

  std::size_t total_;
  std::size_t done_ = 0;
  std::string description_;
  std::FILE* out_;
  int width_;
  clock::time_point start_;
  clock::time_point last_draw_{};
  std::size_t last_length_ = 0;
  bool in_place_;       // a terminal: redraw one line with "\r"; otherwise whole lines
  bool drawn_ = false;  // something has been drawn
  bool dirty_ = true;   // the state changed since it was last drawn
  bool closed_ = false;
};

// A range that advances a progress bar as it is iterated (an input range; iterate it once).
template <class Range>
class progress_range {
 public:
  using base_iterator = decltype(std::begin(std::declval<Range&>()));

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = typename std::iterator_traits<base_iterator>::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = typename std::iterator_traits<base_iterator>::pointer;
    using reference = typename std::iterator_traits<base_iterator>::reference;

    iterator(base_iterator it, ProgressBar* bar) : it_(std::move(it)), bar_(bar) {}
    reference operator*() const { return *it_; }
    iterator& operator++() {
      ++it_;
      bar_->update();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& a, const iterator& b) { return a.it_ == b.it_; }
    friend bool operator!=(const iterator& a, const iterator& b) { return !(a == b); }

   private:
    base_iterator it_;
    ProgressBar* bar_;
  };

  progress_range(Range&& range, std::size_t total, std::string description, std::FILE* out)
      : range_(std::forward<Range>(range)),
        bar_(std::make_unique<ProgressBar>(total, std::move(description), out)) {}

  iterator begin() { return iterator(std::begin(range_), bar_.get()); }
  iterator end() { return iterator(std::end(range_), bar_.get()); }
  ProgressBar& bar() { return *bar_; }

 private:
  Range range_;
  std::unique_ptr<ProgressBar> bar_;
};

// Wraps a range (kept if a temporary, referred to otherwise) so that iterating it draws a bar.
template <class Range>
progress_range<Range> progress(Range&& range, std::size_t total, std::string description = "",
                               std::FILE* out = stderr) {
  return progress_range<Range>(std::forward<Range>(range), total, std::move(description), out);
}

}  // namespace mproc

#endif  // MPROC_PROGRESS_HPP
