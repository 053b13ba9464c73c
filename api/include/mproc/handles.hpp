// mproc/handles.hpp — how shared objects travel as arguments.
//
// A shared object (Queue, Value, Lock, a Pipe end, ...) encodes as an index into the list of OS
// handles that go with the arguments; the receiving process maps the index back to its own handle
// and reopens the object. The codec of such an object calls export_handle()/import_handle(); the
// code that encodes arguments installs a handle_sink around the encoding: a Process passes the
// handles it collected to the child at start; a Pool passes a task's to the worker that runs it
// (mproc_pool_apply_async_v2 and the like), and an initializer's to every worker it starts. In the
// receiver, import_handle(i) is mproc_inherited_handle(i), which inside a pool task or initializer
// gives that call's i-th handle.
#ifndef MPROC_HANDLES_HPP
#define MPROC_HANDLES_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mproc/error.hpp"
#include "mproc/process.h"

namespace mproc {
namespace detail {

// The handles collected while encoding: duplicates, closed with the set, and the objects that own
// the originals, kept alive as long as the set (the shared state behind a handle must outlive the
// encoding too).
class handle_set {
 public:
  handle_set() = default;
  handle_set(handle_set&& o) noexcept
      : handles_(std::move(o.handles_)), owners_(std::move(o.owners_)) {
    o.handles_.clear();
    o.owners_.clear();
  }
  handle_set& operator=(handle_set&& o) noexcept {
    if (this != &o) {
      close_all();
      handles_ = std::move(o.handles_);
      owners_ = std::move(o.owners_);
      o.handles_.clear();
      o.owners_.clear();
    }
    return *this;
  }
  handle_set(const handle_set&) = delete;
  handle_set& operator=(const handle_set&) = delete;
  ~handle_set() { close_all(); }

  // Keeps a duplicate of the handle, so it stays open until the handles are passed on even when
  // the encoded object is a temporary copy that dies first. Returns its index.
  std::uint64_t add(std::intptr_t handle) {
    std::intptr_t dup = -1;
    check(mproc_handle_dup(handle, &dup));
    handles_.push_back(dup);
    return handles_.size() - 1;
  }
  std::uint64_t add(std::intptr_t handle, std::shared_ptr<const void> owner) {
    owners_.push_back(std::move(owner));
    return add(handle);
  }
  const std::vector<std::intptr_t>& handles() const { return handles_; }
  const std::intptr_t* data() const { return handles_.empty() ? nullptr : handles_.data(); }
  std::size_t size() const { return handles_.size(); }
  bool empty() const { return handles_.empty(); }

 private:
  void close_all() {
    for (std::intptr_t h : handles_) mproc_handle_close(h);
    handles_.clear();
  }

  std::vector<std::intptr_t> handles_;
  std::vector<std::shared_ptr<const void>> owners_;
};

// Collects the handles of what is encoded on this thread while it lives (sinks nest: the previous
// one is back when this one ends).
class handle_sink {
 public:
  handle_sink() : previous_(current()) { current() = this; }
  ~handle_sink() { current() = previous_; }
  handle_sink(const handle_sink&) = delete;
  handle_sink& operator=(const handle_sink&) = delete;

  std::uint64_t add(std::intptr_t handle) { return set_.add(handle); }
  std::uint64_t add(std::intptr_t handle, std::shared_ptr<const void> owner) {
    return set_.add(handle, std::move(owner));
  }
  const std::vector<std::intptr_t>& handles() const { return set_.handles(); }
  handle_set& collected() { return set_; }
  // What was collected so far, to keep beyond the sink (the sink starts empty again).
  handle_set take() { return std::move(set_); }

  static handle_sink*& current() {
    static thread_local handle_sink* sink = nullptr;
    return sink;
  }

 private:
  handle_sink* previous_;
  handle_set set_;
};

}  // namespace detail

// For a shared object's codec: the index under which `handle` travels. Throws when no Process or
// task is encoding (a shared object only makes sense as an argument to another process).
//
// Pass `owner`, a shared pointer to what owns the handle, whenever the object being encoded may
// be the last one keeping the handle open (a temporary argument is copied into the argument tuple,
// encoded, and destroyed before the Process passes the handles on).
inline std::uint64_t export_handle(std::intptr_t handle, const std::string& what,
                                   std::shared_ptr<const void> owner) {
  detail::handle_sink* sink = detail::handle_sink::current();
  if (sink == nullptr) {
    throw error(
        errc::not_supported,
        what +
            " can be encoded only as an argument of a Process, a pool task or a pool initializer");
  }
  return sink->add(handle, std::move(owner));
}

inline std::uint64_t export_handle(std::intptr_t handle, const std::string& what) {
  detail::handle_sink* sink = detail::handle_sink::current();
  if (sink == nullptr) {
    throw error(
        errc::not_supported,
        what +
            " can be encoded only as an argument of a Process, a pool task or a pool initializer");
  }
  return sink->add(handle);
}

// For a shared object's codec, in the receiver: the handle behind an index. Owned by mproc (for a
// pool task's or initializer's handle, until the call returns: the object opened on it keeps its
// own duplicate).
inline std::intptr_t import_handle(std::uint64_t index) {
  std::intptr_t handle = -1;
  detail::check(mproc_inherited_handle(static_cast<size_t>(index), &handle));
  return handle;
}

// Like import_handle, but the caller owns the result and closes it with mproc_handle_close: for a
// codec whose object duplicates the handle when it opens, so that closing the object in the
// receiver leaves no copy behind (a Pipe end's peer sees EOF).
inline std::intptr_t import_handle_owned(std::uint64_t index) {
  std::intptr_t handle = -1;
  detail::check(mproc_inherited_handle_take(static_cast<size_t>(index), &handle));
  return handle;
}

}  // namespace mproc

#endif  // MPROC_HANDLES_HPP
