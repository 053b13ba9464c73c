// mproc/thread_pool.hpp — mproc::ThreadPool, Python's multiprocessing.pool.ThreadPool: the API of
// mproc::Pool over threads of this process. Nothing is encoded: tasks take any callable (an
// mproc::fn<&f> or a lambda) and any arguments, and values are moved, not copied through bytes.
//
// The same error semantics as Pool: an exception a task throws reaches the caller as
// mproc::remote_error (type name, message, pid = this process); a task still queued when the
// pool is terminated fails with errc::closed. What threads cannot do: a running task cannot be
// stopped, so terminate() drops the queued tasks and waits for the running ones; a "worker death"
// is the death of the whole process.
//
// Callbacks run on the worker thread that completed the task, before the result is ready.
// The last copy of a ThreadPool terminates it when destroyed (as Python's `with`).
#ifndef MPROC_THREAD_POOL_HPP
#define MPROC_THREAD_POOL_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mproc/async_result.hpp"
#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/function.hpp"
#include "mproc/init.hpp"
#include "mproc/pool_common.hpp"
#include "mproc/pool.h"

namespace mproc {
namespace detail {

template <class C>
struct registered_fn : std::false_type {};
template <auto F>
struct registered_fn<fn_t<F>> : std::true_type {
  static constexpr auto pointer = F;
};

// fn<&f> calls f; anything else is called as it is (a copy is kept).
template <class C>
auto callable_of(C&& c) {
  if constexpr (registered_fn<std::decay_t<C>>::value) {
    return registered_fn<std::decay_t<C>>::pointer;
  } else {
    return std::decay_t<C>(std::forward<C>(c));
  }
}

template <class C, class... A>
using call_result_t =
    std::decay_t<std::invoke_result_t<decltype(callable_of(std::declval<C>()))&, A...>>;

// An exception a task threw, as the pool reports it.
inline std::exception_ptr as_remote_error(const std::string& pool, std::exception_ptr e) {
  std::string type = "unknown exception", message = "a non-std::exception was thrown";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    type = pretty_type_name(demangle(typeid(x).name()));
    message = x.what();
  } catch (...) {
  }
  const std::int64_t pid = mproc_current_pid();
  return std::make_exception_ptr(remote_error(
      MPROC_E_REMOTE,
      pool + ": the task raised " + type + ": " + message + " (in a thread of pid " +
          std::to_string(pid) + ")",
      type, message, pid));
}

inline std::exception_ptr closed_error(const std::string& pool) {
  return std::make_exception_ptr(
      error(errc::closed, pool + " was terminated before the task finished"));
}

// A result a thread pool completes.
template <class R>
class thread_source final : public result_source<R> {
 public:
  using value_type = R;
  using stored = typename result_source<R>::stored;

  explicit thread_source(std::size_t total) : total_(total) {}

  bool wait_ms(std::int64_t timeout_ms) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (timeout_ms < 0 || timeout_ms >= detail::forever_ms) {  // wait_for would overflow
      cv_.wait(lock, [&] { return ready_; });
      return true;
    }
    return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return ready_; });
  }

  const stored& value() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_) rethrow_copy(error_);
    return *value_;
  }

  bool succeeded() override {
    std::lock_guard<std::mutex> lock(mu_);
    return error_ == nullptr;
  }

  std::pair<std::size_t, std::size_t> progress() override {
    std::lock_guard<std::mutex> lock(mu_);
    return {done_, total_};
  }

  std::intptr_t wait_handle() override {
    throw error(errc::not_supported,
                "AsyncResult::wait_handle: a ThreadPool's result has no OS handle (its task "
                "completes inside this process); wait on it with wait() or get(timeout)");
  }

  stored take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (error_) rethrow_copy(error_);
    return std::move(*value_);
  }

  void add_done(std::size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    done_ += n;
  }

  // Sets the callbacks (before the task can complete).
  void on_ready(std::function<void(const stored&)> ok, std::function<void(const error&)> fail) {
    on_result_ = std::move(ok);
    on_error_ = std::move(fail);
  }

  // The first outcome wins; callbacks run before waiters see it.
  void set_value(stored v) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      finished_ = true;
      value_.emplace(std::move(v));
      done_ = total_;
    }
    if (on_result_) {
      run_callback("thread pool", "callback", [&] { on_result_(*value_); });
    }
    mark_ready();
  }

  void set_error(std::exception_ptr e) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (finished_) return;
      finished_ = true;
      error_ = e;
    }
    if (on_error_) {
      try {
        std::rethrow_exception(e);
      } catch (const error& x) {
        run_callback("thread pool", "error_callback", [&] { on_error_(x); });
      } catch (...) {
      }
    }
    mark_ready();
  }

  bool finished() {
    std::lock_guard<std::mutex> lock(mu_);
    return finished_;
  }

 private:
  void mark_ready() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ready_ = true;
    }
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false, ready_ = false;
  std::optional<stored> value_;
  std::exception_ptr error_;
  std::size_t done_ = 0, total_;
  std::function<void(const stored&)> on_result_;
  std::function<void(const error&)> on_error_;
};

// The queue and threads behind a ThreadPool.
struct thread_pool_state {
  struct job {
    std::function<void()> run;
    std::function<void()> cancel;  // fails the job's result when the pool is terminated
  };

  std::mutex mu;
  std::condition_variable work_cv;  // a job or the end
  std::condition_variable idle_cv;  // threads ended
  std::deque<job> queue;
  std::vector<std::thread> threads;
  int live = 0;
  bool closed = false, terminated = false;
  std::string describe;
  std::function<void()> initializer;

  void push(job j, const char* where) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (closed) {
        throw error(errc::closed, std::string(where) + ": " + describe + " is " +
                                      (terminated ? "terminated" : "closed") +
                                      ": it takes no new tasks");
      }
      queue.push_back(std::move(j));
    }
    work_cv.notify_one();
  }

  void worker() {
    if (initializer) {
      try {
        initializer();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "mproc: %s: the initializer threw %s: %s\n", describe.c_str(),
                     pretty_type_name(demangle(typeid(e).name())).c_str(), e.what());
      }
    }
    for (;;) {
      job j;
      {
        std::unique_lock<std::mutex> lock(mu);
        work_cv.wait(lock, [&] { return !queue.empty() || closed; });
        if (queue.empty()) break;
        j = std::move(queue.front());
        queue.pop_front();
      }
      j.run();
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      --live;
    }
    idle_cv.notify_all();
  }
};

// imap's chunks for a thread pool: each chunk is a copy of its input elements, run as one job.
template <class T, class Fn, bool Star, class Range>
class thread_imap_source final
    : public chunked_imap_source<T, Range, thread_imap_source<T, Fn, Star, Range>> {
  using base = chunked_imap_source<T, Range, thread_imap_source<T, Fn, Star, Range>>;
  friend base;

 public:
  thread_imap_source(std::shared_ptr<thread_pool_state> pool, Fn fn, Range&& range,
                     std::size_t chunksize, std::size_t window, bool ordered)
      : base(std::forward<Range>(range), chunksize, window, ordered),
        pool_(std::move(pool)),
        fn_(std::move(fn)),
        shared_(std::make_shared<shared>()) {
    this->fill();
  }

 private:
  using item = std::conditional_t<Star, std::decay_t<decltype(*std::begin(std::declval<Range&>()))>,
                                  std::tuple<std::decay_t<decltype(*std::begin(std::declval<Range&>()))>>>;
  struct outcome {
    std::vector<T> values;
    std::exception_ptr error;
  };
  struct shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::uint64_t> completed;  // in completion order
    std::vector<std::pair<std::uint64_t, outcome>> outcomes;
    void complete(std::uint64_t id, outcome o) {
      {
        std::lock_guard<std::mutex> lock(mu);
        outcomes.emplace_back(id, std::move(o));
        completed.push_back(id);
      }
      cv.notify_all();
    }
  };

  std::size_t in_flight() const { return inflight_.size(); }

  bool submit_chunk() {
    auto chunk = std::make_shared<std::vector<item>>();
    this->pull_chunk([&](auto&& element) { chunk->emplace_back(element); });
    if (chunk->empty()) return false;
    const std::uint64_t id = next_id_++;
    std::shared_ptr<shared> sh = shared_;
    const std::string describe = pool_->describe;
    Fn fn = fn_;
    thread_pool_state::job j;
    j.run = [sh, chunk, fn, id, describe]() mutable {
      outcome o;
      try {
        o.values.reserve(chunk->size());
        for (auto& args : *chunk) o.values.push_back(std::apply(fn, std::move(args)));
      } catch (...) {
        o.values.clear();
        o.error = as_remote_error(describe, std::current_exception());
      }
      sh->complete(id, std::move(o));
    };
    j.cancel = [sh, id, describe] {
      outcome o;
      o.error = closed_error(describe);
      sh->complete(id, std::move(o));
    };
    pool_->push(std::move(j), "mproc::ThreadPool::imap");
    inflight_.push_back(id);
    return true;
  }

  void take_chunk(std::vector<T>& values) {
    outcome out;
    {
      std::unique_lock<std::mutex> lock(shared_->mu);
      std::uint64_t id = 0;
      shared_->cv.wait(lock, [&] {
        if (this->ordered()) {
          id = inflight_.front();
          return std::find(shared_->completed.begin(), shared_->completed.end(), id) !=
                 shared_->completed.end();
        }
        if (shared_->completed.empty()) return false;
        id = shared_->completed.front();
        return true;
      });
      auto at = std::find(shared_->completed.begin(), shared_->completed.end(), id);
      shared_->completed.erase(at);
      auto found = std::find_if(shared_->outcomes.begin(), shared_->outcomes.end(),
                                [&](const auto& o) { return o.first == id; });
      out = std::move(found->second);
      shared_->outcomes.erase(found);
      inflight_.erase(std::find(inflight_.begin(), inflight_.end(), id));
    }
    this->fill();
    if (out.error) rethrow_copy(out.error);
    if (values.empty()) {
      values = std::move(out.values);
    } else {
      for (auto& v : out.values) values.push_back(std::move(v));
    }
  }

  std::shared_ptr<thread_pool_state> pool_;
  Fn fn_;
  std::shared_ptr<shared> shared_;
  std::deque<std::uint64_t> inflight_;
  std::uint64_t next_id_ = 0;
};

}  // namespace detail

class ThreadPool {
 public:
  // mproc::cpu_count() threads.
  ThreadPool() : ThreadPool(cpu_count()) {}

  // `processes` threads (the name is Python's); each runs initializer(initargs...) first.
  template <class Init = std::nullptr_t, class... InitArgs>
  explicit ThreadPool(int processes, Init&& initializer = nullptr, InitArgs&&... initargs) {
    if (processes < 1) {
      throw error(errc::invalid_argument,
                  "mproc::ThreadPool: processes must be at least 1, not " +
                      std::to_string(processes));
    }
    if (processes > MPROC_POOL_MAX_PROCESSES) {
      throw error(errc::invalid_argument,
                  "mproc::ThreadPool: processes is " + std::to_string(processes) +
                      ", above the limit of " + std::to_string(MPROC_POOL_MAX_PROCESSES) +
                      " workers a pool may have (MPROC_POOL_MAX_PROCESSES)");
    }
    auto s = std::make_shared<detail::thread_pool_state>();
    static std::atomic<int> counter{0};
    s->describe = "ThreadPool 'ThreadPool-" + std::to_string(++counter) + "'";
    if constexpr (!std::is_same_v<std::decay_t<Init>, std::nullptr_t>) {
      s->initializer = [f = detail::callable_of(std::forward<Init>(initializer)),
                        args = std::make_tuple(std::forward<InitArgs>(initargs)...)]() mutable {
        std::apply(f, args);
      };
    }
    processes_ = processes;
    s->threads.reserve(static_cast<std::size_t>(processes));
    core_ = std::make_shared<core>(s);
    for (int i = 0; i < processes; ++i) {
      try {
        std::lock_guard<std::mutex> lock(s->mu);
        s->threads.emplace_back([s] { s->worker(); });
        ++s->live;
      } catch (const std::system_error& e) {
        // A thread the system refuses fails the construction; the ones started end with the core.
        core_.reset();
        throw error(errc::os_error, "mproc::ThreadPool: " + s->describe +
                                        ": could not start thread " + std::to_string(i + 1) +
                                        " of " + std::to_string(processes) + ": " + e.what());
      }
    }
  }

  // ---- one call ----

  template <class C, class... A>
  detail::call_result_t<C, A...> apply(C&& c, A&&... args) {
    auto source = submit_apply(std::forward<C>(c), std::forward<A>(args)...);
    source->wait_ms(-1);
    if constexpr (std::is_void_v<detail::call_result_t<C, A...>>) {
      source->value();
    } else {
      return source->take();
    }
  }

  template <class C, class... A, class = std::enable_if_t<!detail::first_is_args<A...>::value>>
  AsyncResult<detail::call_result_t<C, A...>> apply_async(C&& c, A&&... args) {
    return AsyncResult<detail::call_result_t<C, A...>>(
        submit_apply(std::forward<C>(c), std::forward<A>(args)...));
  }

  template <class C, class... A, class OnResult, class OnError = std::nullptr_t>
  AsyncResult<detail::call_result_t<C, A...>> apply_async(C&& c, args_t<A...> a,
                                                          OnResult on_result,
                                                          OnError on_error = nullptr) {
    using R = detail::call_result_t<C, A...>;
    auto source = std::make_shared<detail::thread_source<R>>(1);
    source->on_ready(detail::adapt_callback<R>(std::move(on_result)),
                     detail::adapt_error_callback(std::move(on_error)));
    enqueue_apply(source, detail::callable_of(std::forward<C>(c)), std::move(a.values));
    return AsyncResult<R>(source);
  }

  // ---- map ----

  template <class C, class Range>
  auto map(C&& c, const Range& range, std::size_t chunksize = 0) {
    auto source = submit_map<false>(std::forward<C>(c), range, chunksize);
    source->wait_ms(-1);
    return take(*source);
  }

  template <class C, class Range>
  auto map_async(C&& c, const Range& range, std::size_t chunksize = 0) {
    auto source = submit_map<false>(std::forward<C>(c), range, chunksize);
    return AsyncResult<typename std::decay_t<decltype(*source)>::value_type>(source);
  }

  template <class C, class Range, class OnResult, class OnError = std::nullptr_t>
  auto map_async(C&& c, const Range& range, std::size_t chunksize, OnResult on_result,
                 OnError on_error = nullptr) {
    auto source = submit_map<false>(std::forward<C>(c), range, chunksize, std::move(on_result),
                                    std::move(on_error));
    return AsyncResult<typename std::decay_t<decltype(*source)>::value_type>(source);
  }

  template <class C, class Range>
  auto starmap(C&& c, const Range& range, std::size_t chunksize = 0) {
    auto source = submit_map<true>(std::forward<C>(c), range, chunksize);
    source->wait_ms(-1);
    return take(*source);
  }

  template <class C, class Range>
  auto starmap_async(C&& c, const Range& range, std::size_t chunksize = 0) {
    auto source = submit_map<true>(std::forward<C>(c), range, chunksize);
    return AsyncResult<typename std::decay_t<decltype(*source)>::value_type>(source);
  }

  template <class C, class Range, class OnResult, class OnError = std::nullptr_t>
  auto starmap_async(C&& c, const Range& range, std::size_t chunksize, OnResult on_result,
                     OnError on_error = nullptr) {
    auto source = submit_map<true>(std::forward<C>(c), range, chunksize, std::move(on_result),
                                   std::move(on_error));
    return AsyncResult<typename std::decay_t<decltype(*source)>::value_type>(source);
  }

  // ---- imap ----

  template <class C, class Range>
  auto imap(C&& c, Range&& range, std::size_t chunksize = 1, std::size_t window = 0) {
    return make_imap<false>(std::forward<C>(c), std::forward<Range>(range), chunksize, window,
                            true);
  }

  template <class C, class Range>
  auto imap_unordered(C&& c, Range&& range, std::size_t chunksize = 1, std::size_t window = 0) {
    return make_imap<false>(std::forward<C>(c), std::forward<Range>(range), chunksize, window,
                            false);
  }

  template <class C, class Range>
  auto istarmap(C&& c, Range&& range, std::size_t chunksize = 1, std::size_t window = 0) {
    return make_imap<true>(std::forward<C>(c), std::forward<Range>(range), chunksize, window,
                           true);
  }

  // ---- life cycle ----

  void close() {
    auto& s = *core_->s;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.closed = true;
    }
    s.work_cv.notify_all();
  }

  // Drops the queued tasks (their results fail with errc::closed) and waits for the running ones
  // (a thread cannot be stopped).
  void terminate() { core_->terminate(); }

  void join() { join_for(-1); }

  template <typename Rep, typename Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    return join_for(detail::duration_ms(timeout));
  }

  int processes() const { return processes_; }

 private:
  struct core {
    explicit core(std::shared_ptr<detail::thread_pool_state> state) : s(std::move(state)) {}
    ~core() {
      terminate();
      join_threads();
    }
    void terminate() {
      std::deque<detail::thread_pool_state::job> dropped;
      {
        std::lock_guard<std::mutex> lock(s->mu);
        s->closed = s->terminated = true;
        dropped.swap(s->queue);
      }
      s->work_cv.notify_all();
      for (auto& j : dropped) j.cancel();
      join_threads();
    }
    void join_threads() {
      std::lock_guard<std::mutex> lock(join_mu);
      for (auto& t : s->threads) {
        if (t.joinable()) {
          if (t.get_id() == std::this_thread::get_id()) {
            t.detach();  // from a callback of this pool: the thread ends by itself
          } else {
            t.join();
          }
        }
      }
    }
    std::shared_ptr<detail::thread_pool_state> s;
    std::mutex join_mu;
  };

  bool join_for(std::int64_t timeout_ms) {
    auto& s = *core_->s;
    {
      std::unique_lock<std::mutex> lock(s.mu);
      if (!s.closed) {
        throw error(errc::bad_state, "mproc::ThreadPool::join: " + s.describe +
                                         " is still running: call close() or terminate() first");
      }
      auto done = [&] { return s.live == 0; };
      if (timeout_ms < 0 || timeout_ms >= detail::forever_ms) {  // wait_for would overflow
        s.idle_cv.wait(lock, done);
      } else if (!s.idle_cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), done)) {
        return false;
      }
    }
    core_->join_threads();
    return true;
  }

  template <class R, class Fn, class Tuple>
  void enqueue_apply(const std::shared_ptr<detail::thread_source<R>>& source, Fn fn, Tuple args) {
    const std::string describe = core_->s->describe;
    detail::thread_pool_state::job j;
    j.run = [source, fn = std::move(fn), args = std::move(args), describe]() mutable {
      try {
        if constexpr (std::is_void_v<R>) {
          std::apply(fn, std::move(args));
          source->set_value(true);
        } else {
          source->set_value(std::apply(fn, std::move(args)));
        }
      } catch (...) {
        source->set_error(detail::as_remote_error(describe, std::current_exception()));
      }
    };
    j.cancel = [source, describe] { source->set_error(detail::closed_error(describe)); };
    core_->s->push(std::move(j), "mproc::ThreadPool::apply_async");
  }

  template <class C, class... A>
  auto submit_apply(C&& c, A&&... args) {
    using R = detail::call_result_t<C, A...>;
    auto source = std::make_shared<detail::thread_source<R>>(1);
    enqueue_apply(source, detail::callable_of(std::forward<C>(c)),
                  std::make_tuple(std::forward<A>(args)...));
    return source;
  }

  template <class Source>
  static auto take(Source& s) {
    using R = typename Source::value_type;
    if constexpr (std::is_void_v<R>) {
      s.value();
    } else {
      return s.take();
    }
  }

  template <bool Star, class C, class Range, class OnResult = std::nullptr_t,
            class OnError = std::nullptr_t>
  auto submit_map(C&& c, const Range& range, std::size_t chunksize, OnResult on_result = nullptr,
                  OnError on_error = nullptr) {
    using element = std::decay_t<decltype(*std::begin(range))>;
    using args = std::conditional_t<Star, element, std::tuple<element>>;
    auto fn = detail::callable_of(std::forward<C>(c));
    using T = std::decay_t<decltype(std::apply(fn, std::declval<args>()))>;
    using R = std::conditional_t<std::is_void_v<T>, void, std::vector<T>>;
    // Copied up front, as Python's map makes a list of its input.
    auto items = std::make_shared<std::vector<args>>();
    for (auto&& e : range) items->emplace_back(e);
    const std::size_t count = items->size();
    if (chunksize == 0) chunksize = detail::default_chunksize(count, processes_);
    auto source = std::make_shared<detail::thread_source<R>>(count);
    source->on_ready(detail::adapt_callback<R>(std::move(on_result)),
                     detail::adapt_error_callback(std::move(on_error)));
    using slot = std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>;
    auto values = std::make_shared<std::vector<slot>>(count);
    auto left = std::make_shared<std::atomic<std::size_t>>((count + chunksize - 1) / chunksize);
    const std::string describe = core_->s->describe;
    if (count == 0) {
      if constexpr (std::is_void_v<T>) {
        source->set_value(true);
      } else {
        source->set_value(std::vector<T>());
      }
    }
    for (std::size_t first = 0; first < count; first += chunksize) {
      const std::size_t last = std::min(count, first + chunksize);
      detail::thread_pool_state::job j;
      j.run = [=]() mutable {
        if (source->finished()) return;  // another chunk failed: the map has failed
        try {
          for (std::size_t i = first; i < last; ++i) {
            if constexpr (std::is_void_v<T>) {
              std::apply(fn, std::move((*items)[i]));
            } else {
              (*values)[i].emplace(std::apply(fn, std::move((*items)[i])));
            }
          }
        } catch (...) {
          source->set_error(detail::as_remote_error(describe, std::current_exception()));
          return;
        }
        source->add_done(last - first);
        if (left->fetch_sub(1) == 1) {
          if constexpr (std::is_void_v<T>) {
            source->set_value(true);
          } else {
            std::vector<T> out;
            out.reserve(values->size());
            for (auto& v : *values) out.push_back(std::move(*v));
            source->set_value(std::move(out));
          }
        }
      };
      j.cancel = [source, describe] { source->set_error(detail::closed_error(describe)); };
      core_->s->push(std::move(j), Star ? "mproc::ThreadPool::starmap" : "mproc::ThreadPool::map");
    }
    return source;
  }

  template <bool Star, class C, class Range>
  auto make_imap(C&& c, Range&& range, std::size_t chunksize, std::size_t window, bool ordered) {
    using element = std::decay_t<decltype(*std::begin(range))>;
    using args = std::conditional_t<Star, element, std::tuple<element>>;
    auto fn = detail::callable_of(std::forward<C>(c));
    using Fn = decltype(fn);
    using T = std::decay_t<decltype(std::apply(fn, std::declval<args>()))>;
    static_assert(!std::is_void_v<T>,
                  "mproc::ThreadPool::imap yields the function's values: it must return one");
    if (window == 0) window = detail::default_imap_window(processes_);
    return ImapRange<T>(std::make_shared<detail::thread_imap_source<T, Fn, Star, Range>>(
        core_->s, std::move(fn), std::forward<Range>(range), chunksize, window, ordered));
  }

  int processes_ = 0;
  std::shared_ptr<core> core_;
};

}  // namespace mproc

#endif  // MPROC_THREAD_POOL_HPP
