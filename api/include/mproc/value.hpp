// mproc/value.hpp — mproc::Value<T> and mproc::RawValue<T>: one T in shared memory (Python's
// multiprocessing.Value and RawValue; facade of mproc/value.h).
//
//   mproc::Value<double> v(1.0);              // Python: Value('d', 1)
//   mproc::Process p(mproc::fn<&negate>, v);   // the child sees the same memory
//   ...
//   void negate(mproc::Value<double> v) { v.set(-v.get()); }
//
// get() and set() each hold the value's lock (an RLock) for the copy. `v.set(v.get() + 1)` is two
// steps and loses updates when processes race, exactly as Python's `v.value += 1` does; hold the
// lock across both (std::lock_guard<mproc::RLock> hold(v.get_lock())), or, for integers, use the
// lock-free fetch_add(). A holder of the lock that died makes get()/set() throw mproc::owner_died
// WITHOUT doing anything; the thread that caught it holds the lock (see mproc/lock.hpp).
//
// T: any trivially copyable type without pointers (mproc/types.hpp says how it is stored). Copies
// of a Value share one value; every member is thread-safe.
#ifndef MPROC_VALUE_HPP
#define MPROC_VALUE_HPP

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>

#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/handles.hpp"
#include "mproc/lock.hpp"
#include "mproc/types.hpp"
#include "mproc/value.h"

namespace mproc {
namespace detail {

// The C handle and what Value and RawValue both do with it.
template <typename T>
class value_handle {
 public:
  // The name given at creation ("Value-N" by default).
  std::string name() const { return mproc_value_name(h_.get()); }
  // The OS handle a child receives (owned by the value).
  std::intptr_t handle() const {
    std::intptr_t h = -1;
    check(mproc_value_handle(h_.get(), &h));
    return h;
  }
  mproc_value* native_handle() const { return h_.get(); }

  // The T in shared memory: read and write it while holding get_lock() (Value), or as your own
  // protocol allows (RawValue).
  T* data() const { return static_cast<T*>(mproc_value_data(h_.get())); }

  // Lock-free atomic operations for integers, bool and char (as std::atomic<T>): they never take
  // the lock, and are correct however many processes use them at once.
  T load() const {
    static_assert(is_atomic_element_v<T>, "atomic operations need an integer type");
    std::int64_t v = 0;
    check(mproc_value_atomic_load(h_.get(), &v));
    return from_i64<T>(v);
  }
  void store(T desired) {
    static_assert(is_atomic_element_v<T>, "atomic operations need an integer type");
    check(mproc_value_atomic_store(h_.get(), to_i64(desired)));
  }
  T exchange(T desired) {
    static_assert(is_atomic_element_v<T>, "atomic operations need an integer type");
    std::int64_t old = 0;
    check(mproc_value_atomic_exchange(h_.get(), to_i64(desired), &old));
    return from_i64<T>(old);
  }
  // Returns the value before the addition; wraps around on overflow.
  T fetch_add(T delta) {
    static_assert(is_atomic_element_v<T> && !std::is_same_v<T, bool>,
                  "fetch_add needs an integer type other than bool");
    std::int64_t old = 0;
    check(mproc_value_atomic_fetch_add(h_.get(), to_i64(delta), &old));
    return from_i64<T>(old);
  }
  T fetch_sub(T delta) {
    static_assert(is_atomic_element_v<T> && !std::is_same_v<T, bool>,
                  "fetch_sub needs an integer type other than bool");
    std::int64_t old = 0;
    check(mproc_value_atomic_fetch_add(h_.get(), negated_i64(delta), &old));
    return from_i64<T>(old);
  }
  // Replaces the value with desired if it equals expected (true); otherwise loads it into
  // expected (false).
  bool compare_exchange(T& expected, T desired) {
    static_assert(is_atomic_element_v<T>, "atomic operations need an integer type");
    std::int64_t e = to_i64(expected);
    int swapped = 0;
    check(mproc_value_atomic_compare_exchange(h_.get(), &e, to_i64(desired), &swapped));
    expected = from_i64<T>(e);
    return swapped != 0;
  }

 protected:
  value_handle(const T& initial, const std::string& name, bool raw) {
    check_element_type<T>();
    mproc_value_options o = MPROC_VALUE_OPTIONS_INIT;
    o.name = name.empty() ? nullptr : name.c_str();
    o.raw = raw ? 1 : 0;
    mproc_value* v = nullptr;
    check(mproc_value_create(type_code_v<T>, sizeof(T), &initial, &o, &v));
    h_.reset(v, &mproc_value_destroy);
  }
  struct adopt_tag {};  // keeps Value<long>(0) from meaning a null handle
  value_handle(adopt_tag, mproc_value* adopted) : h_(adopted, &mproc_value_destroy) {}

  static mproc_value* open_handle(std::intptr_t handle) {
    check_element_type<T>();
    mproc_value* v = nullptr;
    check(mproc_value_open(handle, type_code_v<T>, sizeof(T), &v));
    return v;
  }

  template <class U, class E>
  friend struct ::mproc::codec;  // encoding keeps the shared state alive (see export_handle)
  std::shared_ptr<mproc_value> h_;
};

}  // namespace detail

// Python's Value(typecode, value[, lock]): a T with a lock. By default the value has an RLock of
// its own. Python's `Value('i', 5, lock=my_lock)` is `Value<int, mproc::Lock>(5, my_lock)` (or
// `Value<int>(5, my_rlock)`): get() and set() then hold the caller's lock, get_lock() returns it,
// and one lock can guard several values. L is Lock or RLock.
template <typename T, typename L = RLock>
class Value : public detail::value_handle<T> {
  using base = detail::value_handle<T>;
  static_assert(std::is_same_v<L, RLock> || std::is_same_v<L, Lock>,
                "a Value's lock is an mproc::RLock or an mproc::Lock");

 public:
  Value() : base(T{}, std::string(), false) { lock_ = own_lock(); }
  explicit Value(const T& initial) : base(initial, std::string(), false) { lock_ = own_lock(); }
  // name: how messages name it ("Value 'counter'"); at most 63 bytes.
  Value(const T& initial, const std::string& name) : base(initial, name, false) {
    lock_ = own_lock();
  }
  // With the caller's lock instead of one of its own (Python's lock=...): the memory holds only
  // the T, and copies of the Value, here or in a child, share the lock.
  Value(const T& initial, L lock) : Value(initial, std::move(lock), std::string()) {}
  Value(const T& initial, L lock, const std::string& name)
      : base(initial, name, /*raw=*/true), lock_(std::move(lock)), external_(true) {}

  // Opens the Value behind a handle this process received (its codec does this for you).
  // Throws errc::type_mismatch if it holds another type or was created raw.
  static Value open(std::intptr_t handle) {
    mproc_value* v = base::open_handle(handle);
    if (mproc_value_has_lock(v) == 0) {
      std::string name = mproc_value_name(v);
      mproc_value_destroy(v);
      throw error(errc::type_mismatch,
                  "Value '" + name + "' was created without a lock; open it as a RawValue");
    }
    return Value(typename base::adopt_tag{}, v);
  }
  // Opens a Value created with a caller's lock: its memory and that lock, received together.
  static Value open(std::intptr_t handle, L lock) {
    return Value(typename base::adopt_tag{}, base::open_handle(handle), std::move(lock));
  }

  // A copy of the value, taken under the lock.
  T get() const {
    T out;
    if (external_) {
      std::lock_guard<L> hold(lock_);
      detail::check(mproc_value_get(this->h_.get(), &out, MPROC_INFINITE));
      return out;
    }
    int st = mproc_value_get(this->h_.get(), &out, MPROC_INFINITE);
    if (st != MPROC_OK) fail(st);
    return out;
  }
  // Replaces the value, under the lock.
  void set(const T& v) {
    if (external_) {
      std::lock_guard<L> hold(lock_);
      detail::check(mproc_value_set(this->h_.get(), &v, MPROC_INFINITE));
      return;
    }
    int st = mproc_value_set(this->h_.get(), &v, MPROC_INFINITE);
    if (st != MPROC_OK) fail(st);
  }

  // The value's lock: hold it across several steps
  // (std::lock_guard<mproc::RLock> hold(v.get_lock())). Valid while this Value object lives.
  L& get_lock() const { return lock_; }
  // True when the lock is the caller's (given at construction), not one of the value's own.
  bool has_external_lock() const { return external_; }

 private:
  template <class U, class E>
  friend struct ::mproc::codec;

  Value(typename base::adopt_tag t, mproc_value* adopted) : base(t, adopted) { lock_ = own_lock(); }
  Value(typename base::adopt_tag t, mproc_value* adopted, L lock)
      : base(t, adopted), lock_(std::move(lock)), external_(true) {}

  L own_lock() const {
    static_assert(std::is_same_v<L, RLock>,
                  "a Value's own lock is an RLock: give a Value<T, mproc::Lock> its Lock");
    mproc_lock* l = nullptr;
    detail::check(mproc_value_get_lock(this->h_.get(), &l));
    return RLock::adopt(l);
  }

  [[noreturn]] void fail(int st) const {
    if (st == MPROC_E_OWNER_DIED) throw owner_died(mproc_last_error(), lock_);
    detail::throw_status(st);
  }

  mutable L lock_ = L::adopt(nullptr);  // shared by copies, like the handle
  bool external_ = false;
};

// Python's RawValue(typecode, value): a T without a lock. get()/set() copy at once (an integer
// is never torn; a larger T can be, if another process writes it meanwhile).
template <typename T>
class RawValue : public detail::value_handle<T> {
  using base = detail::value_handle<T>;

 public:
  RawValue() : base(T{}, std::string(), true) {}
  explicit RawValue(const T& initial) : base(initial, std::string(), true) {}
  RawValue(const T& initial, const std::string& name) : base(initial, name, true) {}

  // Opens a raw value, or a Value ignoring its lock.
  static RawValue open(std::intptr_t handle) {
    return RawValue(typename base::adopt_tag{}, base::open_handle(handle));
  }

  T get() const {
    T out;
    detail::check(mproc_value_get(this->h_.get(), &out, MPROC_INFINITE));
    return out;
  }
  void set(const T& v) { detail::check(mproc_value_set(this->h_.get(), &v, MPROC_INFINITE)); }

 private:
  RawValue(typename base::adopt_tag t, mproc_value* adopted) : base(t, adopted) {}
};

// Values travel to another process as their handle (and the caller's lock, when it has one);
// the receiver checks the element type.
template <typename T, typename L>
struct codec<Value<T, L>> {
  static void encode(std::string& out, const Value<T, L>& v) {
    detail::put_u64(out, export_handle(v.handle(), "Value '" + v.name() + "'", v.h_));
    detail::put_u64(out, v.external_ ? 1 : 0);
    if (v.external_) codec<L>::encode(out, v.lock_);
  }
  static Value<T, L> decode(reader& in) {
    std::intptr_t handle = import_handle(detail::get_u64(in, "Value"));
    if (detail::get_u64(in, "Value") == 0) {
      if constexpr (std::is_same_v<L, RLock>) {
        return Value<T, L>::open(handle);
      } else {
        throw error(errc::type_mismatch,
                    "a Value with its own RLock was received as a Value<T, mproc::Lock>");
      }
    }
    return Value<T, L>::open(handle, codec<L>::decode(in));
  }
};

template <typename T>
struct codec<RawValue<T>> {
  static void encode(std::string& out, const RawValue<T>& v) {
    detail::put_u64(out, export_handle(v.handle(), "Value '" + v.name() + "'", v.h_));
  }
  static RawValue<T> decode(reader& in) {
    return RawValue<T>::open(import_handle(detail::get_u64(in, "RawValue")));
  }
};

}  // namespace mproc

#endif  // MPROC_VALUE_HPP
