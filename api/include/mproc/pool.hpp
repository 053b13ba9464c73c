// mproc/pool.hpp — mproc::Pool, Python's multiprocessing.Pool for C++ (facade of mproc/pool.h).
//
//   int job(int x) { return x * x; }
//   ...
//   mproc::Pool pool(2);
//   std::vector<int> squares = pool.map(mproc::fn<&job>, mproc::range(10));
//   auto r = pool.apply_async(mproc::fn<&job>, 2);
//   int four = r.get();
//
// Functions are named with mproc::fn<&f> (registered, so every start method can run them);
// arguments and results travel through mproc/codec.hpp. A task that throws fails with
// mproc::remote_error (type name, message, worker pid) and its worker serves the next task; a
// worker that dies mid-task fails only that task, with mproc::worker_lost, and is replaced (see
// mproc/async_result.hpp).
//
// Differences from Python, on purpose:
// - Destruction: the last copy of a Pool terminates it, as leaving Python's `with Pool() as p:`
//   does: call close() and join() first to let submitted tasks finish. Unfinished results then
//   fail with errc::closed instead of hanging.
// - imap / imap_unordered pull their input lazily with at most `window` chunks in flight
//   (default 4 x processes), so an input larger than memory streams in constant memory.
//
// Shared objects (Queue, SimpleQueue, JoinableQueue, Lock, RLock, Semaphore, Event, Condition,
// Barrier, Value, Array, Pipe Connection ends) work as initializer arguments (every worker gets
// them, replacements included) and as task arguments of apply, apply_async, map, imap and
// starmap, under every start method, as in Python: Pool(2, Initializer(mproc::fn<&init>, lock)).
// A task's handles go to the worker that runs it (mproc_pool_apply_async_v2).
#ifndef MPROC_POOL_HPP
#define MPROC_POOL_HPP

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "mproc/async_result.hpp"
#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/function.hpp"
#include "mproc/handles.hpp"
#include "mproc/init.hpp"
#include "mproc/pool.h"
#include "mproc/pool_common.hpp"

namespace mproc {
namespace detail {

// What F returns, as a value type.
template <auto F>
using task_result_t = std::decay_t<typename fn_t<F>::signature::result>;

// What map(F, ...) gives: a vector of F's results, or nothing when F returns nothing.
template <auto F>
using map_result_t =
    std::conditional_t<std::is_void_v<task_result_t<F>>, void, std::vector<task_result_t<F>>>;

// Converts a value to parameter type P (as fn_t::encode does) and appends it as one argument.
template <class P, class V>
void encode_argument(std::string& out, V&& v) {
  if constexpr (std::is_same_v<std::decay_t<V>, P>) {
    encode_framed(out, v);
  } else {
    encode_framed(out, P(std::forward<V>(v)));
  }
}

template <class Params, class Tuple, std::size_t... I>
void encode_pack(std::string& out, Tuple&& t, std::index_sequence<I...>) {
  (encode_argument<std::tuple_element_t<I, Params>>(out, std::get<I>(std::forward<Tuple>(t))), ...);
}

template <class Params>
struct raw_params;
template <class... P>
struct raw_params<std::tuple<P...>> {
  static constexpr bool value = (is_memcpy_encodable_v<P> && ...);
  static constexpr std::size_t pack_size = ((sizeof(std::uint64_t) + sizeof(P)) + ... + 0);
};

template <class Params, class Tuple, std::size_t... I>
void write_raw_pack(char* p, Tuple&& t, std::index_sequence<I...>) {
  const auto one = [&p](const auto& v) {
    const std::uint64_t n = sizeof(v);
    std::memcpy(p, &n, sizeof n);
    std::memcpy(p + sizeof n, std::addressof(v), sizeof(v));
    p += sizeof n + sizeof(v);
  };
  (one(static_cast<std::tuple_element_t<I, Params>>(std::get<I>(std::forward<Tuple>(t)))), ...);
}

// F's arguments are all raw bytes: every item of its batches has the same size and is written
// with plain stores (write_raw_item), with no encoder and no string append per element.
template <auto F>
inline constexpr bool raw_items_v = raw_params<typename fn_t<F>::signature::args>::value;
template <auto F>
inline constexpr std::size_t raw_item_size_v =
    sizeof(std::uint32_t) + raw_params<typename fn_t<F>::signature::args>::pack_size;

template <auto F, class Tuple>
void check_arity() {
  static_assert(std::tuple_size_v<typename fn_t<F>::signature::args> ==
                    std::tuple_size_v<std::decay_t<Tuple>>,
                "mproc::Pool: wrong number of arguments for this function (map calls it with one "
                "argument per element; starmap with each element's tuple)");
}

// Writes one item (raw_item_size_v<F> bytes at p): the same bytes append_item gives.
template <auto F, class Tuple>
void write_raw_item(char* p, Tuple&& values) {
  check_arity<F, Tuple>();
  using params = typename fn_t<F>::signature::args;
  const auto n32 = static_cast<std::uint32_t>(raw_params<params>::pack_size);
  std::memcpy(p, &n32, sizeof n32);
  write_raw_pack<params>(p + sizeof n32, std::forward<Tuple>(values),
                         std::make_index_sequence<std::tuple_size_v<params>>{});
}

// Appends one item of an encoded batch: a u32 byte count, then F's argument pack.
template <auto F, class Tuple>
void append_item(std::string& batch, Tuple&& values) {
  check_arity<F, Tuple>();
  using params = typename fn_t<F>::signature::args;
  if constexpr (raw_items_v<F>) {
    char item[raw_item_size_v<F>];
    write_raw_item<F>(item, std::forward<Tuple>(values));
    batch.append(item, sizeof item);
    return;
  }
  const std::size_t at = batch.size();
  batch.append(sizeof(std::uint32_t), '\0');
  encode_pack<params>(batch, std::forward<Tuple>(values),
                      std::make_index_sequence<std::tuple_size_v<params>>{});
  const std::size_t n = batch.size() - at - sizeof(std::uint32_t);
  if (n > UINT32_MAX) {
    batch.resize(at);
    throw error(errc::too_big, "mproc::Pool: a task's arguments encode to " + std::to_string(n) +
                                   " bytes, over the 4 GiB a task may have");
  }
  const auto n32 = static_cast<std::uint32_t>(n);
  std::memcpy(&batch[at], &n32, sizeof n32);
}

struct result_deleter {
  void operator()(mproc_result* r) const { mproc_result_destroy(r); }
};
using result_ptr = std::unique_ptr<mproc_result, result_deleter>;

// The exception a failed result's C call stands for; status is what that call returned.
[[noreturn]] inline void throw_task_failure(mproc_result* h, int status) {
  const std::string text = mproc_last_error();
  mproc_task_error e = MPROC_TASK_ERROR_INIT;
  if (mproc_result_error(h, &e) == MPROC_OK && e.status == status) {
    if (status == MPROC_E_WORKER_LOST) throw worker_lost(text, e.pid, e.exitcode);
    if (e.pid != 0 && (status == MPROC_E_REMOTE || status == MPROC_E_DECODE ||
                       status == MPROC_E_ENCODE || status == MPROC_E_NOT_REGISTERED)) {
      throw remote_error(status, text, e.type, e.message, e.pid);
    }
  }
  throw error(status, text);
}

// Reads a completed result handle: one value (apply) or every part's values (map).
template <class R, bool Map>
class pool_source final : public result_source<R> {
 public:
  using stored = typename result_source<R>::stored;

  explicit pool_source(result_ptr h) : h_(std::move(h)) {}

  bool wait_ms(std::int64_t timeout_ms) override {
    int st = mproc_result_wait(h_.get(), timeout_ms < 0 ? MPROC_INFINITE : timeout_ms);
    if (st == MPROC_E_TIMEOUT) return false;
    check(st);
    return true;
  }

  const stored& value() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!decoded_) {
      decoded_ = true;
      try {
        decode();
      } catch (...) {
        error_ = std::current_exception();
      }
    }
    if (error_) rethrow_copy(error_);
    return *value_;
  }

  bool succeeded() override {
    try {
      value();
      return true;
    } catch (...) {
      return false;
    }
  }

  std::pair<std::size_t, std::size_t> progress() override {
    std::size_t done = 0, total = 0;
    check(mproc_result_progress(h_.get(), &done, &total));
    return {done, total};
  }

  std::intptr_t wait_handle() override {
    std::intptr_t h = -1;
    check(mproc_result_wait_handle(h_.get(), &h));
    return h;
  }

  mproc_result* native_handle() const { return h_.get(); }

  // For the synchronous calls: moves the value out (the source is not shared).
  stored take() {
    value();
    return std::move(*value_);
  }

 private:
  void decode() {
    if constexpr (!Map) {
      const void* data = nullptr;
      std::size_t len = 0;
      int st = mproc_result_get(h_.get(), 0, 0, &data, &len);
      if (st != MPROC_OK) throw_task_failure(h_.get(), st);
      if constexpr (std::is_void_v<R>) {
        value_.emplace(true);
      } else {
        value_.emplace(from_bytes<R>(data, len));
      }
    } else {
      mproc_task_error e = MPROC_TASK_ERROR_INIT;
      check(mproc_result_error(h_.get(), &e));
      if (e.status != MPROC_OK) {
        const void* data = nullptr;
        std::size_t len = 0, n = 0;
        throw_task_failure(h_.get(), mproc_result_part(h_.get(), 0, &data, &len, &n));
      }
      if constexpr (std::is_void_v<R>) {
        value_.emplace(true);
      } else {
        R out;
        out.reserve(mproc_result_count(h_.get()));
        const std::size_t parts = mproc_result_parts(h_.get());
        for (std::size_t part = 0; part < parts; ++part) append_part(h_.get(), part, out);
        value_.emplace(std::move(out));
      }
    }
  }

  std::mutex mu_;
  result_ptr h_;
  bool decoded_ = false;
  std::optional<stored> value_;
  std::exception_ptr error_;

 public:
  // Decodes one part (an encoded batch of results) onto the end of out.
  template <class Vec>
  static void append_part(mproc_result* h, std::size_t part, Vec& out) {
    using T = typename Vec::value_type;
    const void* data = nullptr;
    std::size_t len = 0, n = 0;
    int st = mproc_result_part(h, part, &data, &len, &n);
    if (st != MPROC_OK) throw_task_failure(h, st);
    const char* p = static_cast<const char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t item = 0;
      std::memcpy(&item, p, sizeof item);
      if constexpr (is_memcpy_encodable_v<T> && !std::is_same_v<T, bool>) {
        if (item == sizeof(T)) {
          out.push_back(raw_load<T>(p + sizeof item));
        } else {
          out.push_back(from_bytes<T>(p + sizeof item, item));  // throws the decode error
        }
      } else {
        out.push_back(from_bytes<T>(p + sizeof item, item));
      }
      p += sizeof item + item;
    }
  }
};

// A callback pair waiting for a result; freed after it ran.
template <class R>
struct callback_box {
  using stored = typename result_source<R>::stored;
  std::shared_ptr<result_source<R>> source;
  std::function<void(const stored&)> on_result;
  std::function<void(const error&)> on_error;
};

template <class R>
void run_callbacks(callback_box<R>& box) {
  const typename callback_box<R>::stored* value = nullptr;
  try {
    value = &box.source->value();
  } catch (const error& e) {
    if (box.on_error) run_callback("pool", "error_callback", [&] { box.on_error(e); });
    return;
  } catch (const std::exception& e) {
    error wrapped(errc::internal, e.what());
    if (box.on_error) run_callback("pool", "error_callback", [&] { box.on_error(wrapped); });
    return;
  }
  if (box.on_result) run_callback("pool", "callback", [&] { box.on_result(*value); });
}

template <class R>
void callback_trampoline(mproc_result*, void* userdata) {
  std::unique_ptr<callback_box<R>> box(static_cast<callback_box<R>*>(userdata));
  run_callbacks(*box);
}

// imap's chunks for a process pool: each chunk is one map task of the C ABI.
template <auto F, bool Star, class Range>
class pool_imap_source final
    : public chunked_imap_source<task_result_t<F>, Range, pool_imap_source<F, Star, Range>> {
  using base = chunked_imap_source<task_result_t<F>, Range, pool_imap_source<F, Star, Range>>;
  friend base;

 public:
  using T = task_result_t<F>;

  pool_imap_source(std::shared_ptr<mproc_pool> pool, Range&& range, std::size_t chunksize,
                   std::size_t window, bool ordered)
      : base(std::forward<Range>(range), chunksize, window, ordered), pool_(std::move(pool)) {
    this->fill();
  }

 private:
  std::size_t in_flight() const { return inflight_.size(); }

  bool submit_chunk() {
    batch_.clear();
    std::size_t n = 0;
    handle_set handles;
    if constexpr (raw_items_v<F>) {
      // Sized once, then each element is a few stores (no handles can hide in raw bytes).
      constexpr std::size_t item = raw_item_size_v<F>;
      batch_.resize(this->chunksize() * item);
      std::size_t at = 0;
      n = this->pull_chunk([this, &at](auto&& element) {
        if constexpr (Star) {
          write_raw_item<F>(&batch_[at], element);
        } else {
          write_raw_item<F>(&batch_[at], std::forward_as_tuple(element));
        }
        at += item;
      });
      batch_.resize(at);
    } else {
      handle_sink sink;  // shared objects among the chunk's arguments
      n = this->pull_chunk([this](auto&& element) {
        const std::size_t good = batch_.size();
        try {
          if constexpr (Star) {
            append_item<F>(batch_, element);
          } else {
            append_item<F>(batch_, std::forward_as_tuple(element));
          }
        } catch (...) {
          batch_.resize(good);
          throw;
        }
      });
      handles = sink.take();
    }
    if (n == 0) return false;
    mproc_result* h = nullptr;
    check(mproc_pool_map_async_v2(pool_.get(), fn_t<F>::name().c_str(), batch_.data(),
                                  batch_.size(), n, handles.data(), handles.size(), &h));
    inflight_.emplace_back(h);
    return true;
  }

  void take_chunk(std::vector<T>& values) {
    std::size_t i = 0;
    if (!this->ordered()) {
      handles_.clear();
      for (auto& h : inflight_) handles_.push_back(h.get());
      check(mproc_result_wait_any(handles_.data(), handles_.size(), MPROC_INFINITE, &i));
    }
    result_ptr h = std::move(inflight_[i]);
    inflight_.erase(inflight_.begin() + static_cast<std::ptrdiff_t>(i));
    check(mproc_result_wait(h.get(), MPROC_INFINITE));
    this->fill();  // the workers get new chunks before this thread decodes
    pool_source<std::vector<T>, true>::append_part(h.get(), 0, values);
  }

  std::shared_ptr<mproc_pool> pool_;
  std::deque<result_ptr> inflight_;
  std::string batch_;                   // the chunk being encoded, reused
  std::vector<mproc_result*> handles_;  // for wait_any, reused
};

}  // namespace detail

// A pool's initializer: a registered function and its arguments, run once in each worker before
// its first task (Python's initializer + initargs).
class Initializer {
 public:
  Initializer() = default;
  template <auto F, typename... A>
  explicit Initializer(fn_t<F>, A&&... args) : name_(fn_t<F>::name()) {
    detail::handle_sink sink;  // shared objects among the arguments: kept for the pool
    args_ = fn_t<F>::encode(std::forward<A>(args)...);
    if (!sink.collected().empty()) {
      handles_ = std::make_shared<detail::handle_set>(sink.take());
    }
  }
  bool empty() const { return name_.empty(); }
  const std::string& name() const { return name_; }
  const std::string& args() const { return args_; }
  // The OS handles of the shared objects among the arguments (duplicates kept while this lives).
  const std::intptr_t* handles() const { return handles_ ? handles_->data() : nullptr; }
  std::size_t handle_count() const { return handles_ ? handles_->size() : 0; }

 private:
  std::string name_, args_;
  std::shared_ptr<const detail::handle_set> handles_;
};

struct PoolOptions {
  std::optional<int> processes;   // workers; default: mproc::cpu_count()
  Initializer initializer;        // run once per worker; default: none
  std::size_t maxtasksperchild = 0;  // 0: no limit; N: a worker is replaced after N tasks
  Context context;                // the start method of the workers
  std::string name;               // for messages; default "Pool-N"
};

class Pool {
 public:
  // mproc::cpu_count() workers.
  Pool() : Pool(PoolOptions{}) {}

  // Python's Pool(processes, initializer, initargs, maxtasksperchild, context).
  explicit Pool(int processes, Initializer initializer = {}, std::size_t maxtasksperchild = 0,
                const Context& context = Context())
      : Pool(make_options(processes, std::move(initializer), maxtasksperchild, context)) {}

  explicit Pool(const PoolOptions& o) {
    if (o.processes.has_value() && *o.processes < 1) {
      throw error(errc::invalid_argument, "mproc::Pool: processes must be at least 1, not " +
                                              std::to_string(*o.processes));
    }
    mproc_pool_options c = MPROC_POOL_OPTIONS_INIT;
    c.processes = o.processes.value_or(0);
    if (!o.initializer.empty()) {
      c.initializer = o.initializer.name().c_str();
      c.initargs = o.initializer.args().data();
      c.initargs_len = o.initializer.args().size();
      c.init_handles = o.initializer.handles();
      c.init_handle_count = o.initializer.handle_count();
    }
    c.maxtasksperchild = static_cast<std::int64_t>(o.maxtasksperchild);
    c.start_method = o.context.c_method();
    if (!o.name.empty()) c.name = o.name.c_str();
    mproc_pool* p = nullptr;
    detail::check(mproc_pool_create(&c, &p));
    handle_.reset(p, mproc_pool_destroy);
  }

  // ---- one call ----

  // Runs F(args...) in a worker and waits for its value (Python's apply).
  template <auto F, class... A>
  detail::task_result_t<F> apply(fn_t<F> f, A&&... args) {
    auto source = submit_apply(f, std::forward<A>(args)...);
    source->wait_ms(-1);
    if constexpr (std::is_void_v<detail::task_result_t<F>>) {
      source->value();
    } else {
      return source->take();
    }
  }

  // Submits F(args...) (Python's apply_async).
  template <auto F, class... A,
            class = std::enable_if_t<!detail::first_is_args<A...>::value>>
  AsyncResult<detail::task_result_t<F>> apply_async(fn_t<F> f, A&&... args) {
    return AsyncResult<detail::task_result_t<F>>(submit_apply(f, std::forward<A>(args)...));
  }

  // The same with callbacks (Python's callback / error_callback), run on the pool's result thread
  // before the result is ready: on_result(value) (on_result() for a function returning nothing),
  // or on_error(const mproc::error&) (a remote_error, worker_lost, ...). Pass nullptr for either.
  template <auto F, class... A, class OnResult, class OnError = std::nullptr_t>
  AsyncResult<detail::task_result_t<F>> apply_async(fn_t<F> f, args_t<A...> a, OnResult on_result,
                                                    OnError on_error = nullptr) {
    using R = detail::task_result_t<F>;
    auto source = std::apply(
        [&](auto&... v) { return submit_apply(f, v...); }, a.values);
    attach<R>(source, detail::adapt_callback<R>(std::move(on_result)),
           detail::adapt_error_callback(std::move(on_error)));
    return AsyncResult<R>(source);
  }

  // ---- map ----

  // F over every element of a (sized or forward) range, in chunks of chunksize elements
  // (0: Python's default, ceil(size / (4 * processes))). Waits; returns the values in order
  // (nothing when F returns nothing). The first failure of any chunk is thrown.
  template <auto F, class Range>
  detail::map_result_t<F> map(fn_t<F> f, const Range& range, std::size_t chunksize = 0) {
    return run_map<false>(f, range, chunksize);
  }

  template <auto F, class Range>
  AsyncResult<detail::map_result_t<F>> map_async(fn_t<F> f, const Range& range,
                                                 std::size_t chunksize = 0) {
    return AsyncResult<detail::map_result_t<F>>(submit_map<false>(f, range, chunksize));
  }

  template <auto F, class Range, class OnResult, class OnError = std::nullptr_t>
  AsyncResult<detail::map_result_t<F>> map_async(fn_t<F> f, const Range& range,
                                                 std::size_t chunksize, OnResult on_result,
                                                 OnError on_error = nullptr) {
    return map_async_with<false>(f, range, chunksize, std::move(on_result), std::move(on_error));
  }

  // F(args...) for every element, which is a tuple (or pair) of F's arguments (Python's starmap).
  template <auto F, class Range>
  detail::map_result_t<F> starmap(fn_t<F> f, const Range& range, std::size_t chunksize = 0) {
    return run_map<true>(f, range, chunksize);
  }

  template <auto F, class Range>
  AsyncResult<detail::map_result_t<F>> starmap_async(fn_t<F> f, const Range& range,
                                                     std::size_t chunksize = 0) {
    return AsyncResult<detail::map_result_t<F>>(submit_map<true>(f, range, chunksize));
  }

  template <auto F, class Range, class OnResult, class OnError = std::nullptr_t>
  AsyncResult<detail::map_result_t<F>> starmap_async(fn_t<F> f, const Range& range,
                                                     std::size_t chunksize, OnResult on_result,
                                                     OnError on_error = nullptr) {
    return map_async_with<true>(f, range, chunksize, std::move(on_result), std::move(on_error));
  }

  // ---- imap ----

  // F over the range lazily: returns at once a range whose iteration yields the values in input
  // order, streaming (Python's imap). The input is read as room frees up, chunksize elements per
  // task (default 1, as in Python), with at most `window` chunks in flight (0: 4 x processes).
  // An exception from the input is thrown where it happened, after the values before it. An lvalue
  // range is referred to (it must outlive the iteration); a temporary is kept.
  template <auto F, class Range>
  ImapRange<detail::task_result_t<F>> imap(fn_t<F> f, Range&& range, std::size_t chunksize = 1,
                                           std::size_t window = 0) {
    return make_imap<false>(f, std::forward<Range>(range), chunksize, window, true);
  }

  // The same, yielding each chunk's values as soon as it completes (Python's imap_unordered).
  template <auto F, class Range>
  ImapRange<detail::task_result_t<F>> imap_unordered(fn_t<F> f, Range&& range,
                                                     std::size_t chunksize = 1,
                                                     std::size_t window = 0) {
    return make_imap<false>(f, std::forward<Range>(range), chunksize, window, false);
  }

  // imap over the elements' tuples of arguments (starmap's lazy form; Python has no such call).
  template <auto F, class Range>
  ImapRange<detail::task_result_t<F>> istarmap(fn_t<F> f, Range&& range, std::size_t chunksize = 1,
                                               std::size_t window = 0) {
    return make_imap<true>(f, std::forward<Range>(range), chunksize, window, true);
  }

  // ---- life cycle ----

  // No new tasks; the workers exit once the submitted ones are done.
  void close() { detail::check(mproc_pool_close(handle_.get())); }

  // Stops the workers now; unfinished results fail with errc::closed. Waits for the workers.
  void terminate() { detail::check(mproc_pool_terminate(handle_.get())); }

  // Waits for the workers to exit, after close() or terminate() (errc::bad_state otherwise).
  void join() { detail::check(mproc_pool_join(handle_.get(), MPROC_INFINITE)); }

  template <typename Rep, typename Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    int st = mproc_pool_join(handle_.get(), detail::duration_ms(timeout));
    if (st == MPROC_E_TIMEOUT) return false;
    detail::check(st);
    return true;
  }

  int processes() const { return mproc_pool_processes(handle_.get()); }
  std::string name() const { return mproc_pool_name(handle_.get()); }

  // The pids of the workers now.
  std::vector<std::int64_t> worker_pids() const {
    std::vector<std::int64_t> pids(static_cast<std::size_t>(processes()) + 4);
    std::size_t count = 0;
    for (;;) {
      detail::check(mproc_pool_worker_pids(handle_.get(), pids.data(), pids.size(), &count));
      if (count <= pids.size()) break;
      pids.resize(count * 2);
    }
    pids.resize(count);
    return pids;
  }

  // Ready (readable / signalled) when a result completes: for an outside event loop. Call
  // clear_event() before looking at the results.
  std::intptr_t event_handle() const {
    std::intptr_t h = -1;
    detail::check(mproc_pool_event_handle(handle_.get(), &h));
    return h;
  }
  void clear_event() { detail::check(mproc_pool_event_clear(handle_.get())); }

  mproc_pool* native_handle() const { return handle_.get(); }

 private:
  static PoolOptions make_options(int processes, Initializer initializer,
                                  std::size_t maxtasksperchild, const Context& context) {
    PoolOptions o;
    o.processes = processes;
    o.initializer = std::move(initializer);
    o.maxtasksperchild = maxtasksperchild;
    o.context = context;
    return o;
  }

  template <auto F, class... A>
  std::shared_ptr<detail::pool_source<detail::task_result_t<F>, false>> submit_apply(fn_t<F>,
                                                                                       A&&... args) {
    detail::handle_sink sink;  // shared objects among the arguments go with the task
    const std::string bytes = fn_t<F>::encode(std::forward<A>(args)...);
    const detail::handle_set& handles = sink.collected();
    mproc_result* h = nullptr;
    detail::check(mproc_pool_apply_async_v2(handle_.get(), fn_t<F>::name().c_str(), bytes.data(),
                                            bytes.size(), handles.data(), handles.size(), &h));
    return std::make_shared<detail::pool_source<detail::task_result_t<F>, false>>(
        detail::result_ptr(h));
  }

  // map / starmap: submit, wait, and give the values (or throw the first failure).
  template <bool Star, auto F, class Range>
  detail::map_result_t<F> run_map(fn_t<F> f, const Range& range, std::size_t chunksize) {
    auto source = submit_map<Star>(f, range, chunksize);
    source->wait_ms(-1);
    if constexpr (std::is_void_v<detail::task_result_t<F>>) {
      source->value();
    } else {
      return source->take();
    }
  }

  // map_async / starmap_async with callbacks.
  template <bool Star, auto F, class Range, class OnResult, class OnError>
  AsyncResult<detail::map_result_t<F>> map_async_with(fn_t<F> f, const Range& range,
                                                      std::size_t chunksize, OnResult on_result,
                                                      OnError on_error) {
    using R = detail::map_result_t<F>;
    auto source = submit_map<Star>(f, range, chunksize);
    attach<R>(source, detail::adapt_callback<R>(std::move(on_result)),
              detail::adapt_error_callback(std::move(on_error)));
    return AsyncResult<R>(source);
  }

  // Encodes the range a chunk at a time into one reused buffer and hands each chunk over at once,
  // so the workers start while the rest is encoded and the whole batch is never built.
  template <bool Star, auto F, class Range>
  std::shared_ptr<detail::pool_source<detail::map_result_t<F>, true>> submit_map(
      fn_t<F>, const Range& range, std::size_t chunksize) {
    std::size_t count = 0;
    if constexpr (detail::has_size<Range>::value) {
      count = static_cast<std::size_t>(std::size(range));
    } else {
      count = static_cast<std::size_t>(std::distance(std::begin(range), std::end(range)));
    }
    if (chunksize == 0) chunksize = detail::default_chunksize(count, processes());
    const std::size_t parts = count == 0 ? 0 : (count + chunksize - 1) / chunksize;
    mproc_result* raw = nullptr;
    detail::check(
        mproc_pool_map_begin(handle_.get(), fn_t<F>::name().c_str(), count, parts, &raw));
    detail::result_ptr h(raw);  // dropped before every part was given, it fails the map
    const char* where = Star ? "mproc::Pool::starmap" : "mproc::Pool::map";
    std::string batch;
    std::size_t in_chunk = 0;
    detail::handle_sink sink;  // shared objects among a chunk's arguments go with that chunk
    auto it = std::begin(range);
    const auto end = std::end(range);
    const auto range_ended = [&](std::size_t given) {
      return error(errc::invalid_argument,
                   std::string(where) + ": the range ended after " + std::to_string(given) +
                       " of the " + std::to_string(count) + " elements its size promised");
    };
    if constexpr (detail::raw_items_v<F>) {
      // Each chunk sized once and written with plain stores: a map over a million numbers
      // otherwise spends much of its time appending to a string element by element.
      constexpr std::size_t item = detail::raw_item_size_v<F>;
      for (std::size_t given = 0; given < count;) {
        const std::size_t n = std::min(chunksize, count - given);
        batch.resize(n * item);
        char* p = &batch[0];
        for (std::size_t i = 0; i < n; ++i, ++it) {
          if (it == end) throw range_ended(given + i);
          if constexpr (Star) {
            detail::write_raw_item<F>(p + i * item, *it);
          } else {
            detail::write_raw_item<F>(p + i * item, std::forward_as_tuple(*it));
          }
        }
        detail::check(mproc_pool_map_part(h.get(), batch.data(), batch.size()));
        given += n;
      }
      return std::make_shared<detail::pool_source<detail::map_result_t<F>, true>>(std::move(h));
    }
    for (std::size_t given = 0; given < count; ++it) {
      if (it == end) throw range_ended(given);
      if constexpr (Star) {
        detail::append_item<F>(batch, *it);
      } else {
        detail::append_item<F>(batch, std::forward_as_tuple(*it));
      }
      ++given;
      if (++in_chunk == chunksize || given == count) {
        const detail::handle_set handles = sink.take();  // the next chunk counts from 0 again
        detail::check(mproc_pool_map_part_v2(h.get(), batch.data(), batch.size(), handles.data(),
                                             handles.size()));
        batch.clear();
        in_chunk = 0;
      }
    }
    return std::make_shared<detail::pool_source<detail::map_result_t<F>, true>>(std::move(h));
  }

  template <bool Star, auto F, class Range>
  ImapRange<detail::task_result_t<F>> make_imap(fn_t<F>, Range&& range, std::size_t chunksize,
                                                std::size_t window, bool ordered) {
    static_assert(!std::is_void_v<detail::task_result_t<F>>,
                  "mproc::Pool::imap yields F's values: F must return one (use map for a function "
                  "that returns nothing)");
    if (window == 0) window = detail::default_imap_window(processes());
    using T = detail::task_result_t<F>;
    return ImapRange<T>(std::make_shared<detail::pool_imap_source<F, Star, Range>>(
        handle_, std::forward<Range>(range), chunksize, window, ordered));
  }

  template <class R, class Source>
  static void attach(const std::shared_ptr<Source>& source,
                     std::function<void(const typename detail::result_source<R>::stored&)> ok,
                     std::function<void(const error&)> fail) {
    if (!ok && !fail) return;
    auto* box = new detail::callback_box<R>{source, std::move(ok), std::move(fail)};
    int st = mproc_result_on_ready(source->native_handle(), &detail::callback_trampoline<R>, box);
    if (st != MPROC_OK) {
      delete box;
      detail::check(st);
    }
  }

  std::shared_ptr<mproc_pool> handle_;
};

}  // namespace mproc

#endif  // MPROC_POOL_HPP
