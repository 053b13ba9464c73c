// mproc/function.hpp — C++ functions that can run in another process.
//
// `mproc::fn<&work>` names a function for a Process or a pool. It registers the function before
// main under a name derived from the function itself (its qualified name, "ns::work", read off
// typeid; see function_key), so the user never writes the name twice and every run of the same
// binary agrees on it (spawn and forkserver children find it). The arguments are encoded with
// mproc/codec.hpp and decoded in the child into the function's parameter types; a value returned
// is encoded as the call's result (pools use it). An exception leaving the function fails the
// call with the exception's type and what().
//
// MPROC_REGISTER_AS(&work, "name") gives an explicit, stable name instead (needed when two
// functions would get the same derived name: overloads, or same-named functions in anonymous
// namespaces of different files).
#ifndef MPROC_FUNCTION_HPP
#define MPROC_FUNCTION_HPP

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
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

// A name unique to F in this build, on every compiler: the type name of an integral_constant
// that holds F (its mangled name on GCC and Clang, a readable one on MSVC). Every run of the same
// binary derives the same one, which is all a spawned child or the forkserver needs.
template <auto F>
const char* function_key() {
  return typeid(std::integral_constant<decltype(F), F>).name();
}

// F's spelling in the key: demangled where names are mangled (demangle, codec.hpp) and shortened
// as a type name is (pretty_type_name: no default template arguments), then the integral_constant's
// value alone, which is F's qualified name ("ns::work"; MSVC spells it with its signature). The
// standard spelling is read defensively: anything unexpected keeps the whole demangled key.
inline std::string value_of_key(const char* key) {
  const std::string full = pretty_type_name(demangle(key));
  const std::string_view open = "integral_constant<";
  const std::size_t at = full.find(open);
  if (at == std::string::npos || full.empty() || full.back() != '>') return full;
  const std::size_t end = full.size() - 1;  // the closing '>'
  std::size_t comma = std::string::npos;
  int depth = 0;
  for (std::size_t i = at + open.size(); i < end; ++i) {
    const char c = full[i];
    if (c == '<' || c == '(' || c == '[') {
      ++depth;
    } else if (c == '>' || c == ')' || c == ']') {
      if (depth-- == 0) return full;
    } else if (c == ',' && depth == 0) {
      comma = i;
    }
  }
  if (depth != 0 || comma == std::string::npos) return full;
  std::string value = full.substr(comma + 1, end - comma - 1);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  if (!value.empty() && value.front() == '&') value.erase(0, 1);
  // "&(void tmpl<int>(int))": a template's specialisation comes parenthesised.
  if (value.size() > 2 && value.front() == '(' && value.back() == ')') {
    value = value.substr(1, value.size() - 2);
  }
  return value.empty() ? full : value;
}

// The registered name: F's spelling (value_of_key), which messages quote, so it reads as the
// function. A registered name is at most 255 bytes (mproc_register): a longer one (a template
// instantiated over long types) keeps its first part and ends in a hash of the key, so it stays
// unique to F.
inline std::string name_from_key(const char* key) {
  constexpr std::size_t kMax = 255;
  std::string name = value_of_key(key);
  if (name.size() <= kMax) return name;
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a, 64 bits
  for (const char* p = key; *p != '\0'; ++p) {
    h ^= static_cast<unsigned char>(*p);
    h *= 1099511628211ull;
  }
  std::string tag = "...#";
  for (int shift = 60; shift >= 0; shift -= 4) tag += "0123456789abcdef"[(h >> shift) & 0xfu];
  name.resize(kMax - tag.size());
  return name + tag;
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
  static inline const registration value =
      register_function<F>(explicit_name<F>::value != nullptr ? std::string(explicit_name<F>::value)
                                                              : name_from_key(function_key<F>()));
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
