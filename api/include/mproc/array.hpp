// mproc/array.hpp — mproc::Array<T> and mproc::RawArray<T>: a fixed-length array of T in shared
// memory (Python's multiprocessing.Array and RawArray; facade of mproc/array.h).
//
//   mproc::Array<int> a{1, 2, 3};          // Python: Array('i', [1, 2, 3])
//   mproc::Array<int> zeros(10);           // Python: Array('i', 10)
//   a[0] = -a[0];                          // each access holds the lock once
//   std::vector<int> all = a.read();       // one consistent snapshot
//
// As with std::vector, Array<int>(5) is five zeros and Array<int>{5} is one element, 5.
// Indices are checked: an index past the end throws mproc::error(errc::out_of_range) naming the
// index and the length. Element access holds the array's lock (an RLock) for the copy; hold
// get_lock() across several steps. A holder of the lock that died makes an access throw
// mproc::owner_died WITHOUT doing anything (see mproc/lock.hpp). Copies of an Array share one
// array; every member is thread-safe.
#ifndef MPROC_ARRAY_HPP
#define MPROC_ARRAY_HPP

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "mproc/array.h"
#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/handles.hpp"
#include "mproc/lock.hpp"
#include "mproc/types.hpp"

namespace mproc {
namespace detail {

template <typename T, bool Raw>
class array_handle {
 public:
  // A proxy for one element: reads and writes go through get()/set().
  class reference {
   public:
    operator T() const { return a_->get(i_); }
    reference& operator=(const T& v) {
      a_->set(i_, v);
      return *this;
    }
    reference& operator=(const reference& other) { return *this = static_cast<T>(other); }

   private:
    friend class array_handle;
    reference(array_handle* a, std::size_t i) : a_(a), i_(i) {}
    array_handle* a_;
    std::size_t i_;
  };

  std::size_t size() const { return mproc_array_length(h_.get()); }
  std::size_t length() const { return size(); }  // Python's len()
  bool empty() const { return size() == 0; }

  T get(std::size_t index) const {
    T out;
    external_hold hold(external_);
    done(mproc_array_get(h_.get(), index, &out, MPROC_INFINITE));
    return out;
  }
  void set(std::size_t index, const T& v) {
    external_hold hold(external_);
    done(mproc_array_set(h_.get(), index, &v, MPROC_INFINITE));
  }
  reference operator[](std::size_t index) { return reference(this, index); }
  T operator[](std::size_t index) const { return get(index); }

  // count elements from start, in one hold of the lock (Python's a[start:start+count]).
  std::vector<T> read(std::size_t start, std::size_t count) const {
    external_hold hold(external_);
    if constexpr (std::is_same_v<T, bool>) {  // vector<bool> has no data()
      std::unique_ptr<bool[]> buf(new bool[count]);
      done(mproc_array_read(h_.get(), start, count, buf.get(), MPROC_INFINITE));
      return std::vector<T>(buf.get(), buf.get() + count);
    } else {
      std::vector<T> out(count);
      done(mproc_array_read(h_.get(), start, count, out.data(), MPROC_INFINITE));
      return out;
    }
  }
  // Every element (Python's a[:]).
  std::vector<T> read() const { return read(0, size()); }

  // Replaces count elements from start, in one hold of the lock.
  void write(std::size_t start, const T* values, std::size_t count) {
    external_hold hold(external_);
    done(mproc_array_write(h_.get(), start, count, values, MPROC_INFINITE));
  }
  void write(std::size_t start, const std::vector<T>& values) {
    if constexpr (std::is_same_v<T, bool>) {
      std::unique_ptr<bool[]> buf(new bool[values.size()]);
      for (std::size_t i = 0; i < values.size(); ++i) buf[i] = values[i];
      write(start, buf.get(), values.size());
    } else {
      write(start, values.data(), values.size());
    }
  }
  void write(std::size_t start, std::initializer_list<T> values) {
    write(start, values.begin(), values.size());
  }

  // The elements in shared memory: access them while holding get_lock() (Array), or as your own
  // protocol allows (RawArray).
  T* data() const { return static_cast<T*>(mproc_array_data(h_.get())); }

  // Lock-free atomic operations on one element, for integers, bool and char.
  T load(std::size_t index) const {
    static_assert(is_atomic_element_v<T>, "atomic operations need an integer type");
    std::int64_t v = 0;
    check(mproc_array_atomic_load(h_.get(), index, &v));
    return from_i64<T>(v);
  }
  void store(std::size_t index, T desired) {
    static_assert(is_atomic_element_v<T>, "atomic operations need an integer type");
    check(mproc_array_atomic_store(h_.get(), index, to_i64(desired)));
  }
  T exchange(std::size_t index, T desired) {
    static_assert(is_atomic_element_v<T>, "atomic operations need an integer type");
    std::int64_t old = 0;
    check(mproc_array_atomic_exchange(h_.get(), index, to_i64(desired), &old));
    return from_i64<T>(old);
  }
  T fetch_add(std::size_t index, T delta) {
    static_assert(is_atomic_element_v<T> && !std::is_same_v<T, bool>,
                  "fetch_add needs an integer type other than bool");
    std::int64_t old = 0;
    check(mproc_array_atomic_fetch_add(h_.get(), index, to_i64(delta), &old));
    return from_i64<T>(old);
  }
  T fetch_sub(std::size_t index, T delta) {
    static_assert(is_atomic_element_v<T> && !std::is_same_v<T, bool>,
                  "fetch_sub needs an integer type other than bool");
    std::int64_t old = 0;
    check(mproc_array_atomic_fetch_add(h_.get(), index, negated_i64(delta), &old));
    return from_i64<T>(old);
  }
  bool compare_exchange(std::size_t index, T& expected, T desired) {
    static_assert(is_atomic_element_v<T>, "atomic operations need an integer type");
    std::int64_t e = to_i64(expected);
    int swapped = 0;
    check(mproc_array_atomic_compare_exchange(h_.get(), index, &e, to_i64(desired), &swapped));
    expected = from_i64<T>(e);
    return swapped != 0;
  }

  std::string name() const { return mproc_array_name(h_.get()); }
  std::intptr_t handle() const {
    std::intptr_t h = -1;
    check(mproc_array_handle(h_.get(), &h));
    return h;
  }
  mproc_array* native_handle() const { return h_.get(); }

 protected:
  // raw: no lock of its own (a RawArray, or an Array given the caller's lock).
  array_handle(std::size_t length, const T* initial, const std::string& name, bool raw = Raw) {
    check_element_type<T>();
    mproc_array_options o = MPROC_ARRAY_OPTIONS_INIT;
    o.name = name.empty() ? nullptr : name.c_str();
    o.raw = raw ? 1 : 0;
    mproc_array* a = nullptr;
    check(mproc_array_create(type_code_v<T>, sizeof(T), length, initial, &o, &a));
    h_.reset(a, &mproc_array_destroy);
    if (!raw) lock_ = own_lock();
  }
  array_handle(const std::vector<T>& init, const std::string& name, bool raw = Raw)
      : array_handle(init.size(), contiguous(init).get(), name, raw) {}
  struct adopt_tag {};  // keeps Array<int>(0) from meaning a null handle
  array_handle(adopt_tag, mproc_array* adopted) : h_(adopted, &mproc_array_destroy) {
    if (!Raw && mproc_array_has_lock(adopted) != 0) lock_ = own_lock();
  }

  // Opens the memory without asking for a lock of its own (an Array given the caller's lock).
  static mproc_array* open_raw_handle(std::intptr_t handle) {
    check_element_type<T>();
    mproc_array* a = nullptr;
    check(mproc_array_open(handle, type_code_v<T>, sizeof(T), &a));
    return a;
  }

  static mproc_array* open_handle(std::intptr_t handle) {
    check_element_type<T>();
    mproc_array* a = nullptr;
    check(mproc_array_open(handle, type_code_v<T>, sizeof(T), &a));
    if (!Raw && mproc_array_has_lock(a) == 0) {
      std::string name = mproc_array_name(a);
      mproc_array_destroy(a);
      throw error(errc::type_mismatch,
                  "Array '" + name + "' was created without a lock; open it as a RawArray");
    }
    return a;
  }

  // A new handle onto the array's lock.
  RLock own_lock() const {
    mproc_lock* l = nullptr;
    check(mproc_array_get_lock(h_.get(), &l));
    return RLock::adopt(l);
  }

  template <class U, class E>
  friend struct ::mproc::codec;  // encoding keeps the shared state alive (see export_handle)
  std::shared_ptr<mproc_array> h_;
  mutable RLock lock_ = RLock::adopt(nullptr);  // Array only; shared by copies, like the handle
  // The caller's lock of an Array made with one (Python's lock=...): the memory is raw, and every
  // access holds this lock instead. Copies share it.
  mutable std::optional<lock_base> external_;

  // Holds the caller's lock, if any, for one access.
  class external_hold {
   public:
    explicit external_hold(std::optional<lock_base>& l) : l_(l ? &*l : nullptr) {
      if (l_ != nullptr) l_->lock();
    }
    ~external_hold() {
      if (l_ != nullptr) l_->unlock();
    }
    external_hold(const external_hold&) = delete;
    external_hold& operator=(const external_hold&) = delete;

   private:
    lock_base* l_;
  };

 private:
  // A vector's elements as one block (vector<bool> packs bits, so it is copied).
  struct block {
    const T* ptr;
    std::unique_ptr<T[]> owned;
    const T* get() const { return ptr; }
  };
  static block contiguous(const std::vector<T>& v) {
    if constexpr (std::is_same_v<T, bool>) {
      std::unique_ptr<T[]> buf(new T[v.size()]);
      for (std::size_t i = 0; i < v.size(); ++i) buf[i] = v[i];
      const T* p = buf.get();
      return block{p, std::move(buf)};
    } else {
      return block{v.data(), nullptr};
    }
  }

  void done(int st) const {
    if (st == MPROC_OK) return;
    if (!Raw && st == MPROC_E_OWNER_DIED) throw owner_died(mproc_last_error(), lock_);
    throw_status(st);
  }
};

}  // namespace detail

// Python's Array(typecode, size_or_initializer[, lock]): elements with a lock, by default an
// RLock of the array's own. Python's `Array('i', 10, lock=my_lock)` is
// `Array<int, mproc::Lock>(10, my_lock)` (or `Array<int>(10, my_rlock)`): every access then holds
// the caller's lock and get_lock() returns it. L is Lock or RLock.
template <typename T, typename L = RLock>
class Array : public detail::array_handle<T, false> {
  using base = detail::array_handle<T, false>;
  static_assert(std::is_same_v<L, RLock> || std::is_same_v<L, Lock>,
                "an Array's lock is an mproc::RLock or an mproc::Lock");

 public:
  // With the caller's lock instead of one of its own: length zero-initialised elements, or the
  // given ones; copies, here or in a child, share the lock.
  Array(std::size_t length, L lock, const std::string& name = std::string())
      : base(length, nullptr, name, /*raw=*/true) {
    adopt_external(std::move(lock));
  }
  Array(const std::vector<T>& init, L lock, const std::string& name = std::string())
      : base(init, name, /*raw=*/true) {
    adopt_external(std::move(lock));
  }

  // length zero-initialised elements.
  explicit Array(std::size_t length) : base(length, nullptr, std::string()) {}
  Array(std::size_t length, const std::string& name) : base(length, nullptr, name) {}
  Array(std::initializer_list<T> init) : base(init.size(), init.begin(), std::string()) {}
  Array(std::initializer_list<T> init, const std::string& name)
      : base(init.size(), init.begin(), name) {}
  explicit Array(const std::vector<T>& init) : base(init, std::string()) {}
  Array(const std::vector<T>& init, const std::string& name) : base(init, name) {}

  // Opens the Array behind a handle this process received (its codec does this for you).
  static Array open(std::intptr_t handle) {
    static_assert(std::is_same_v<L, RLock>, "an Array<T, mproc::Lock> opens with its Lock");
    return Array(typename base::adopt_tag{}, base::open_handle(handle));
  }
  // Opens an Array created with a caller's lock: its memory and that lock, received together.
  static Array open(std::intptr_t handle, L lock) {
    Array a(typename base::adopt_tag{}, base::open_raw_handle(handle));
    a.adopt_external(std::move(lock));
    return a;
  }

  // The array's lock: hold it across several steps, or to use data()
  // (std::lock_guard<mproc::RLock> hold(a.get_lock())). Valid while this Array object lives.
  L& get_lock() const {
    if constexpr (std::is_same_v<L, RLock>) {
      if (!has_external_lock()) return this->lock_;
    }
    return mine_;
  }
  // True when the lock is the caller's (given at construction), not one of the array's own.
  bool has_external_lock() const { return this->external_.has_value(); }

 private:
  template <class U, class E>
  friend struct ::mproc::codec;

  Array(typename base::adopt_tag t, mproc_array* adopted) : base(t, adopted) {}
  void adopt_external(L lock) {
    mine_ = lock;
    this->external_ = lock_base(lock);
  }

  mutable L mine_ = L::adopt(nullptr);  // the caller's lock, as its own type
};

// Python's RawArray(typecode, size_or_initializer): elements without a lock. An element of up to
// 8 bytes is never torn; a larger one, or a range, can be if another process writes meanwhile.
template <typename T>
class RawArray : public detail::array_handle<T, true> {
  using base = detail::array_handle<T, true>;

 public:
  explicit RawArray(std::size_t length) : base(length, nullptr, std::string()) {}
  RawArray(std::size_t length, const std::string& name) : base(length, nullptr, name) {}
  RawArray(std::initializer_list<T> init) : base(init.size(), init.begin(), std::string()) {}
  RawArray(std::initializer_list<T> init, const std::string& name)
      : base(init.size(), init.begin(), name) {}
  explicit RawArray(const std::vector<T>& init) : base(init, std::string()) {}
  RawArray(const std::vector<T>& init, const std::string& name) : base(init, name) {}

  // Opens a raw array, or an Array ignoring its lock.
  static RawArray open(std::intptr_t handle) {
    return RawArray(typename base::adopt_tag{}, base::open_handle(handle));
  }

 private:
  RawArray(typename base::adopt_tag t, mproc_array* adopted) : base(t, adopted) {}
};

// Arrays travel as their handle, and the caller's lock when they have one.
template <typename T, typename L>
struct codec<Array<T, L>> {
  static void encode(std::string& out, const Array<T, L>& a) {
    detail::put_u64(out, export_handle(a.handle(), "Array '" + a.name() + "'", a.h_));
    detail::put_u64(out, a.has_external_lock() ? 1 : 0);
    if (a.has_external_lock()) codec<L>::encode(out, a.mine_);
  }
  static Array<T, L> decode(reader& in) {
    std::intptr_t handle = import_handle(detail::get_u64(in, "Array"));
    if (detail::get_u64(in, "Array") == 0) {
      if constexpr (std::is_same_v<L, RLock>) {
        return Array<T, L>::open(handle);
      } else {
        throw error(errc::type_mismatch,
                    "an Array with its own RLock was received as an Array<T, mproc::Lock>");
      }
    }
    return Array<T, L>::open(handle, codec<L>::decode(in));
  }
};

template <typename T>
struct codec<RawArray<T>> {
  static void encode(std::string& out, const RawArray<T>& a) {
    detail::put_u64(out, export_handle(a.handle(), "Array '" + a.name() + "'", a.h_));
  }
  static RawArray<T> decode(reader& in) {
    return RawArray<T>::open(import_handle(detail::get_u64(in, "RawArray")));
  }
};

}  // namespace mproc

#endif  // MPROC_ARRAY_HPP
