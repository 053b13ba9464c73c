// mproc/function.hpp — C++ functions that can run in another process.
//
// `mproc::fn<&work>` names a function for a Process or a pool. It registers the function before
// main under a name derived from the function itself, so the user never writes the name twice
// and every run of the same binary agrees on it (spawn and forkserver children find it). The
// arguments are encoded with mproc/codec.hpp and decoded in the child into the function's
// parameter types; a value returned is encoded as the call's result (pools use it). An exception
// leaving the function fails the call with the exception's type and what().
//
// MPROC_REGISTER_AS(&work, "name") gives an explicit, stable name instead (needed when two
// functions would get the same derived name, e.g. same-named functions in anonymous namespaces).
#ifndef MPROC_FUNCTION_HPP
#define MPROC_FUNCTION_HPP

#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/registry.h"

namespace mproc {
namespace detail {

template <typename F>
struct fn_signature;
template <typename R, typename... A>
struct fn_signature<R (*)(A...)> {
  using result = R;
  using args = std::tuple<std::decay_t<A>...>;
};
template <typename R, typename... A>
struct fn_signature<R (*)(A...) noexcept> : fn_signature<R (*)(A...)> {};

// The compiler's own spelling of F, stable across runs of one binary.
template <auto F>
const char* pretty_function() {
  return __PRETTY_FUNCTION__;
}

inline std::string name_from_pretty(const char* pretty) {
  std::string s(pretty);
  auto at = s.find("F = ");
  if (at == std::string::npos) return s;
  s = s.substr(at + 4);
  auto end = s.find_first_of(";]");
  if (end != std::string::npos) s.resize(end);
  if (!s.empty() && s[0] == '&') s.erase(0, 1);
  return s;
}

template <typename Tuple>
struct tuple_decoder;
template <typename... T>
struct tuple_decoder<std::tuple<T...>> {
  static std::tuple<T...> run(const void* data, size_t len) { return decode_args<T...>(data, len); }
};

// Set by MPROC_REGISTER_AS: an explicit name wins over the derived one.
template <auto F>
struct explicit_name {
  static constexpr const char* value = nullptr;
};

// Reports the exception being handled as the call's failure, under its own type name.
inline void fail_with_current_exception(mproc_call* call) {
  try {
    throw;
  } catch (const std::exception& e) {
    mproc_call_fail(call, pretty_type_name(demangle(typeid(e).name())).c_str(), e.what());
  } catch (...) {
    mproc_call_fail(call, "unknown exception", "a non-std::exception was thrown");
  }
}

// Runs F on decoded arguments in the child; C ABI signature of mproc_fn. The three stages fail
// under different names, so that a pool can tell its caller which one failed: the arguments did
// not decode ("mproc::decode_error"), F threw (the exception's own type), or F's result did not
// encode ("mproc::encode_error").
template <auto F>
int invoke(const void* args, size_t len, mproc_call* call, void*) {
  using sig = fn_signature<decltype(F)>;
  std::optional<typename sig::args> tuple;
  try {
    tuple.emplace(tuple_decoder<typename sig::args>::run(args, len));
  } catch (const std::exception& e) {
    mproc_call_fail(call, "mproc::decode_error", e.what());
    return 1;
  }
  if constexpr (std::is_void_v<typename sig::result>) {
    try {
      std::apply(F, std::move(*tuple));
    } catch (...) {
      fail_with_current_exception(call);
      return 1;
    }
  } else {
    std::optional<std::decay_t<typename sig::result>> value;
    try {
      value.emplace(std::apply(F, std::move(*tuple)));
    } catch (...) {
      fail_with_current_exception(call);
      return 1;
    }
    try {
      if constexpr (is_memcpy_encodable_v<std::decay_t<typename sig::result>>) {
        // Its encoding is its bytes: no string in between (pools call this once per element).
        mproc_call_set_result(call, std::addressof(*value), sizeof(*value));
      } else {
        std::string out = to_bytes(*value);
        mproc_call_set_result(call, out.data(), out.size());
      }
    } catch (const std::exception& e) {
      mproc_call_fail(call, "mproc::encode_error", e.what());
      return 1;
    }
  }
  return 0;
}

struct registration {
  std::string name;
  int status = 0;
  std::string message;
};

template <auto F>
registration register_function(std::string name) {
  registration r{std::move(name), 0, {}};
  r.status = mproc_register(r.name.c_str(), &invoke<F>, nullptr);
  if (r.status != 0) r.message = mproc_last_error();
  return r;
}

// Instantiated by fn<F>: its initialiser runs before main in every run of the program.
template <auto F>
struct auto_registrar {
  static inline const registration value = register_function<F>(
      explicit_name<F>::value != nullptr ? std::string(explicit_name<F>::value)
                                         : name_from_pretty(pretty_function<F>()));
};

}  // namespace detail

// A registered function, usable wherever mproc runs code in another process.
template <auto F>
struct fn_t {
  static_assert(std::is_pointer_v<decltype(F)> &&
                    std::is_function_v<std::remove_pointer_t<decltype(F)>>,
                "mproc::fn<&f> takes the address of a free function or static member function");
  using signature = detail::fn_signature<decltype(F)>;

  // The registered name; throws mproc::error if registration failed (a name clash).
  static const std::string& name() {
    const detail::registration& r = detail::auto_registrar<F>::value;
    if (r.status != 0) throw error(r.status, r.message + " (use MPROC_REGISTER_AS to pick a name)");
    return r.name;
  }

  // Encodes arguments as F's parameter types, converting first (so fn<&f>(3) works for a long).
  template <typename... A>
  static std::string encode(A&&... args) {
    static_assert(sizeof...(A) == std::tuple_size_v<typename signature::args>,
                  "wrong number of arguments for this function");
    return encode_tuple(typename signature::args(std::forward<A>(args)...));
  }

 private:
  template <typename... T>
  static std::string encode_tuple(const std::tuple<T...>& t) {
    return std::apply([](const auto&... v) { return encode_args(v...); }, t);
  }
};

template <auto F>
inline constexpr fn_t<F> fn{};

}  // namespace mproc

// Gives F an explicit registered name. Use at global namespace scope, before the first use of
// mproc::fn<F> in the file, once per function in the program.
#define MPROC_REGISTER_AS(F, NAME)           \
  template <>                                \
  struct mproc::detail::explicit_name<F> {   \
    static constexpr const char* value = NAME; \
  }

#endif  // MPROC_FUNCTION_HPP
