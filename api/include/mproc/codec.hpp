// mproc/codec.hpp — the facade's codec: typed values to bytes and back. The bytes only ever travel
// between processes running the same binary, so native byte order, sizes and layout are fine.
//
// A type's encoding is the first of these that applies:
//   1. a user specialisation of mproc::codec<T> (full or partial);
//   2. a trivially copyable T that holds no pointer: its sizeof(T) bytes, copied as they are;
//   3. std::basic_string<C> and std::vector<E> of such E (not vector<bool>): a u64 element count,
//      then the elements' bytes in one copy;
//   4. anything cereal can serialize (the standard containers, or a type with a serialize, save or
//      load function): a u64 byte count, then a cereal binary archive.
// Bytes that do not decode as the expected type throw mproc::error(errc::decode, ...), saying what
// was expected and what was found; a cereal failure while encoding throws errc::encode. Decoding
// never allocates more than a small multiple of the bytes it was given: every length read from
// the bytes (a string's, a vector's, a map's) is checked against the bytes that remain first, so
// hostile or corrupt bytes give errc::decode, never a huge allocation.
//
// A specialisation of mproc::codec<T> must be visible wherever T is encoded or decoded (as with
// any template specialisation), or different translation units would disagree on the bytes.
#ifndef MPROC_CODEC_HPP
#define MPROC_CODEC_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <istream>
#include <memory>
#include <new>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#if defined(__GNUC__) || defined(__clang__)
#include <cxxabi.h>
#endif

#include <cereal/archives/binary.hpp>
#include <cereal/types/array.hpp>
#include <cereal/types/chrono.hpp>
#include <cereal/types/deque.hpp>
#include <cereal/types/list.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/set.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/tuple.hpp>
#include <cereal/types/unordered_map.hpp>
#include <cereal/types/unordered_set.hpp>
#include <cereal/types/utility.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "mproc/error.hpp"

namespace mproc {

// The customisation point. A specialisation provides
//   static void encode(std::string& out, const T& value);  // appends to out
//   static T decode(reader& in);                           // takes exactly what encode appended
// The primary template is the built-in codec described at the top of this file.
template <class T, class Enable = void>
struct codec;

// A non-owning cursor over bytes being decoded. It never reads past the end: take() throws a
// decode error instead.
class reader {
 public:
  reader(const void* data, std::size_t size)
      // Never hands out a null pointer, so that take(0) can go straight to memcpy.
      : data_(data != nullptr ? static_cast<const char*>(data) : ""), size_(size) {
    if (data == nullptr && size != 0) {
      throw error(errc::invalid_argument, "codec: reader over a null pointer with a non-zero size");
    }
  }

  // The next n bytes, then moves past them.
  const char* take(std::size_t n) { return take(n, std::string_view()); }

  // The same, with `what` (e.g. a type name) naming the value in the error message.
  const char* take(std::size_t n, std::string_view what) {
    if (n > size_ - pos_) fail_short(n, what);
    const char* p = data_ + pos_;
    pos_ += n;
    return p;
  }

  std::size_t remaining() const noexcept { return size_ - pos_; }

 private:
  [[noreturn]] void fail_short(std::size_t n, std::string_view what) const {
    std::string message = "codec: ";
    if (!what.empty()) message.append(what).append(" ");
    message += "needs " + std::to_string(n) + " bytes, " + std::to_string(size_ - pos_) + " remain";
    throw error(errc::decode, message);
  }

  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

namespace detail {

template <class T>
struct dependent_false : std::false_type {};

// ---- Readable type names for error messages ---------------------------------

inline std::string demangle(const char* name) {
#if defined(__GNUC__) || defined(__clang__)
  int status = 0;
  const std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), std::free);
  if (status == 0 && demangled != nullptr) return demangled.get();
#endif
  return name;
}

inline void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// Drops every template argument that starts with `prefix` (", std::allocator<" ...), up to its
// matching '>'.
inline void drop_template_args(std::string& s, std::string_view prefix) {
  for (std::size_t pos = s.find(prefix); pos != std::string::npos; pos = s.find(prefix, pos)) {
    std::size_t end = pos + prefix.size();
    for (int depth = 1; depth > 0; ++end) {
      if (end == s.size()) return;
      if (s[end] == '<') ++depth;
      if (s[end] == '>') --depth;
    }
    s.erase(pos, end - pos);
  }
}

// A demangled standard type spells out every default argument, which buries the type the user
// wrote: "std::map<std::string, int>" reads better than its 150-character full form.
inline std::string pretty_type_name(std::string name) {
  replace_all(name, "std::__cxx11::", "std::");
  replace_all(name, "std::__1::", "std::");
  for (std::string_view prefix : {", std::char_traits<", ", std::allocator<", ", std::less<",
                                  ", std::hash<", ", std::equal_to<"}) {
    drop_template_args(name, prefix);
  }
  replace_all(name, " >", ">");
  replace_all(name, "std::basic_string<char>", "std::string");
  replace_all(name, "std::basic_string<wchar_t>", "std::wstring");
  replace_all(name, "std::basic_string<char16_t>", "std::u16string");
  replace_all(name, "std::basic_string<char32_t>", "std::u32string");
  replace_all(name, "std::basic_string_view<char>", "std::string_view");
  return name;
}

// Computed once per type, so that naming a type in a message costs nothing on the success path.
template <class T>
const std::string& type_name() {
  // typeid rather than a signature-parsing trick: cereal needs RTTI anyway.
  static const std::string name = pretty_type_name(demangle(typeid(T).name()));
  return name;
}

template <class T>
const std::string& length_name() {
  static const std::string name = type_name<T>() + " length";
  return name;
}

// ---- Fixed-width pieces -----------------------------------------------------

inline void put_u64(std::string& out, std::uint64_t value) {
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  out.append(bytes, sizeof bytes);
}

inline void patch_u64(std::string& out, std::size_t at, std::uint64_t value) {
  std::memcpy(&out[at], &value, sizeof value);
}

inline std::uint64_t get_u64(reader& in, std::string_view what) {
  std::uint64_t value;
  std::memcpy(&value, in.take(sizeof value, what), sizeof value);
  return value;
}

// Checks a count read from the bytes against what is left before anything is allocated for it, so
// a corrupt count fails here instead of asking for terabytes.
inline const char* take_elements(reader& in, std::uint64_t count, std::size_t element_size,
                                 const std::string& what) {
  const std::size_t left = in.remaining();
  if (count > left / element_size) {
    std::string message = "codec: " + what + " needs ";
    if (count <= SIZE_MAX / element_size) {
      message += std::to_string(count * element_size) + " bytes";
      if (element_size != 1) message += " (" + std::to_string(count) + " elements)";
    } else {
      message += std::to_string(count) + " elements of " + std::to_string(element_size) + " bytes";
    }
    message += ", " + std::to_string(left) + " remain";
    throw error(errc::decode, message);
  }
  return in.take(static_cast<std::size_t>(count * element_size));
}

// ---- Classification ---------------------------------------------------------

// Types whose bytes are, or hold, an address in this process.
template <class T>
struct is_pointer_like : std::bool_constant<std::is_pointer_v<T> || std::is_member_pointer_v<T>> {};
template <class T, std::size_t N>
struct is_pointer_like<T[N]> : is_pointer_like<T> {};
template <class T>
struct is_pointer_like<T[]> : is_pointer_like<T> {};
template <class T, std::size_t N>
struct is_pointer_like<std::array<T, N>> : is_pointer_like<T> {};
template <class T>
struct is_pointer_like<std::reference_wrapper<T>> : std::true_type {};
template <class T>
struct is_pointer_like<std::initializer_list<T>> : std::true_type {};

template <class T>
struct is_string_view : std::false_type {};
template <class C, class Traits>
struct is_string_view<std::basic_string_view<C, Traits>> : std::true_type {};

// Trivially copyable is what makes a byte copy a valid object; the exclusions are types that are
// trivially copyable but whose bytes are addresses. (C arrays are excluded because decode cannot
// return one.)
template <class T>
struct is_raw_candidate
    : std::bool_constant<std::is_trivially_copyable_v<T> && !std::is_array_v<T> &&
                         !is_pointer_like<T>::value && !is_string_view<T>::value> {};

template <class T, class = void>
struct uses_builtin_codec : std::false_type {};
template <class T>
struct uses_builtin_codec<T, std::void_t<typename codec<T>::mproc_builtin_codec_tag>>
    : std::true_type {};

}  // namespace detail

// True when T goes over as its raw bytes: trivially copyable, no pointer, no user codec<T>.
template <class T>
struct is_memcpy_encodable : std::conjunction<detail::is_raw_candidate<std::remove_cv_t<T>>,
                                              detail::uses_builtin_codec<std::remove_cv_t<T>>> {};

template <class T>
inline constexpr bool is_memcpy_encodable_v = is_memcpy_encodable<T>::value;

namespace detail {

template <class T>
struct is_basic_string : std::false_type {};
template <class C, class Traits, class Alloc>
struct is_basic_string<std::basic_string<C, Traits, Alloc>> : std::true_type {};

template <class T>
struct is_contiguous_raw : std::false_type {};
template <class C, class Traits, class Alloc>
struct is_contiguous_raw<std::basic_string<C, Traits, Alloc>> : std::true_type {};
// vector<bool> is excluded because it packs bits and has no data().
template <class E, class Alloc>
struct is_contiguous_raw<std::vector<E, Alloc>>
    : std::bool_constant<!std::is_same_v<E, bool> && is_memcpy_encodable_v<E>> {};

template <class T>
constexpr void reject_pointer_like() {
  static_assert(!is_pointer_like<T>::value,
                "mproc::codec: cannot send a pointer, member pointer, std::reference_wrapper or "
                "std::initializer_list: an address means nothing in another process. Send the "
                "value it refers to instead (e.g. std::string rather than const char*).");
}

// ---- Raw bytes --------------------------------------------------------------

template <class T>
T raw_load(const char* p) {
  if constexpr (std::is_default_constructible_v<T> && std::is_copy_assignable_v<T>) {
    T value;
    std::memcpy(static_cast<void*>(std::addressof(value)), p, sizeof(T));
    return value;
  } else {
    // No default constructor to call: copying the bytes into suitable storage creates the object,
    // since a trivially copyable type has implicit lifetime.
    alignas(T) unsigned char storage[sizeof(T)];
    std::memcpy(storage, p, sizeof(T));
    return *std::launder(reinterpret_cast<T*>(storage));
  }
}

template <class T>
void raw_encode(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(std::addressof(value)), sizeof(T));
}

template <class T>
T raw_decode(reader& in) {
  const char* p = in.take(sizeof(T), type_name<T>());
  if constexpr (std::is_same_v<T, bool>) {
    // Any byte but 0 or 1 in a bool is undefined behaviour to read, so it is checked here.
    const auto byte = static_cast<unsigned char>(*p);
    if (byte > 1) {
      throw error(errc::decode,
                  "codec: bool holds byte " + std::to_string(byte) + ", expected 0 or 1");
    }
    return byte == 1;
  } else {
    return raw_load<T>(p);
  }
}

// ---- Count + elements -------------------------------------------------------

template <class Container>
void contiguous_encode(std::string& out, const Container& c) {
  using element = typename Container::value_type;
  put_u64(out, static_cast<std::uint64_t>(c.size()));
  if (!c.empty()) out.append(reinterpret_cast<const char*>(c.data()), c.size() * sizeof(element));
}

template <class Container>
Container contiguous_decode(reader& in) {
  using element = typename Container::value_type;
  const std::uint64_t count = get_u64(in, length_name<Container>());
  const char* p = take_elements(in, count, sizeof(element), type_name<Container>());
  const auto n = static_cast<std::size_t>(count);
  if constexpr (is_basic_string<Container>::value && std::is_same_v<element, char>) {
    return Container(p, n);  // one copy, where resize() would zero-fill first
  } else if constexpr (std::is_default_constructible_v<element>) {
    Container c;
    c.resize(n);
    if (n != 0) std::memcpy(static_cast<void*>(c.data()), p, n * sizeof(element));
    return c;
  } else {
    Container c;
    c.reserve(n);
    for (std::size_t i = 0; i < n; ++i) c.push_back(raw_load<element>(p + i * sizeof(element)));
    return c;
  }
}

// ---- cereal -----------------------------------------------------------------

// Lets the archive append straight to the caller's string, with no intermediate buffer to copy.
class string_appender final : public std::streambuf {
 public:
  explicit string_appender(std::string& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.append(s, static_cast<std::size_t>(n));
    return n;
  }
  int_type overflow(int_type ch) override {
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      out_.push_back(traits_type::to_char_type(ch));
    }
    return traits_type::not_eof(ch);
  }

 private:
  std::string& out_;
};

// cereal's own BinaryInputArchive reads a container's element count and resizes to it before
// reading a single element, so a few forged bytes could ask for terabytes. This archive reads the
// same bytes from memory and knows how many are left: a count (cereal's SizeTag, read before
// every string, vector, map, set, deque, list ...) larger than the bytes that remain is a decode
// error before anything is allocated for it, since each element takes at least one byte. (So an
// element type that encodes to nothing at all, e.g. an empty struct, cannot be sent in a
// container; give it a byte or a codec<T>.) Every allocation is then bounded by a small multiple of
// the bytes actually received, whatever they say.
class bounded_input_archive final
    : public cereal::InputArchive<bounded_input_archive, cereal::AllowEmptyClassElision> {
 public:
  bounded_input_archive(const char* data, std::size_t size)
      : cereal::InputArchive<bounded_input_archive, cereal::AllowEmptyClassElision>(this),
        data_(data),
        size_(size) {}

  void loadBinary(void* out, std::size_t n) {
    if (n > remaining()) {
      throw cereal::Exception("needs " + std::to_string(n) + " more bytes, " +
                              std::to_string(remaining()) + " remain");
    }
    if (n != 0) std::memcpy(out, data_ + pos_, n);
    pos_ += n;
  }

  // A container's element count, checked against what is left.
  void check_count(std::uint64_t count) const {
    if (count > remaining()) {
      throw cereal::Exception("a container or string claims " + std::to_string(count) +
                              " elements, but only " + std::to_string(remaining()) +
                              " bytes remain");
    }
  }

  std::size_t remaining() const noexcept { return size_ - pos_; }
  std::size_t consumed() const noexcept { return pos_; }

 private:
  const char* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// The loads cereal's binary format needs, found by argument-dependent lookup on the archive.
template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> load(bounded_input_archive& ar, T& t) {
  if constexpr (std::is_same_v<T, bool>) {
    unsigned char byte = 0;  // any byte but 0 or 1 in a bool is undefined behaviour to read
    ar.loadBinary(&byte, 1);
    if (byte > 1) {
      throw cereal::Exception("a bool holds byte " + std::to_string(byte) + ", expected 0 or 1");
    }
    t = byte == 1;
  } else {
    ar.loadBinary(std::addressof(t), sizeof(t));
  }
}

template <class T>
void serialize(bounded_input_archive& ar, cereal::NameValuePair<T>& t) {
  ar(t.value);
}

template <class T>
void serialize(bounded_input_archive& ar, cereal::SizeTag<T>& t) {
  ar(t.size);
  ar.check_count(static_cast<std::uint64_t>(t.size));
}

template <class T>
void load(bounded_input_archive& ar, cereal::BinaryData<T>& bd) {
  ar.loadBinary(bd.data, static_cast<std::size_t>(bd.size));
}

template <class T>
void cereal_encode(std::string& out, const T& value) {
  static_assert(cereal::traits::is_output_serializable<T, cereal::BinaryOutputArchive>::value,
                "mproc::codec: this type is not trivially copyable, not a string or vector of "
                "trivially copyable elements, has no mproc::codec specialisation, and cereal finds "
                "no single way to serialize it: give it a serialize(Archive&) member (or "
                "save/load), or specialise mproc::codec<T>.");
  const std::size_t start = out.size();
  put_u64(out, 0);
  try {
    string_appender sink(out);
    std::ostream stream(&sink);
    cereal::BinaryOutputArchive archive(stream);
    archive(value);
  } catch (const cereal::Exception& e) {
    out.resize(start);
    throw error(errc::encode, "codec: cereal could not encode " + type_name<T>() + ": " + e.what());
  } catch (...) {
    out.resize(start);  // the caller's string keeps only whole values
    throw;
  }
  patch_u64(out, start, static_cast<std::uint64_t>(out.size() - start - sizeof(std::uint64_t)));
}

template <class T>
T cereal_decode(reader& in) {
  static_assert(cereal::traits::is_input_serializable<T, bounded_input_archive>::value,
                "mproc::codec: this type is not trivially copyable, not a string or vector of "
                "trivially copyable elements, has no mproc::codec specialisation, and cereal finds "
                "no single way to deserialize it: give it a serialize(Archive&) member (or "
                "save/load), or specialise mproc::codec<T>.");
  static_assert(std::is_default_constructible_v<T>,
                "mproc::codec: cereal decodes into an existing object, so this type needs a "
                "default constructor (or specialise mproc::codec<T>).");
  const std::uint64_t length = get_u64(in, length_name<T>());
  const char* p = take_elements(in, length, 1, type_name<T>());
  const auto size = static_cast<std::size_t>(length);
  bounded_input_archive archive(p, size);
  T value{};
  try {
    archive(value);
  } catch (const cereal::Exception& e) {
    throw error(errc::decode, "codec: " + type_name<T>() + ": cereal could not read the " +
                                  std::to_string(size) + "-byte archive: " + e.what());
  } catch (const std::length_error& e) {
    // Only a corrupt count can exceed a container's max_size().
    throw error(errc::decode, "codec: " + type_name<T>() + ": the " + std::to_string(size) +
                                  "-byte archive holds an impossible length (" + e.what() + ")");
  }
  if (archive.consumed() != size) {
    throw error(errc::decode, "codec: " + type_name<T>() + ": the archive is " +
                                  std::to_string(size) + " bytes, but decoding used " +
                                  std::to_string(archive.consumed()) + " (a different type?)");
  }
  return value;
}

// ---- Dispatch ---------------------------------------------------------------

template <class T>
void builtin_encode(std::string& out, const T& value) {
  reject_pointer_like<T>();
  if constexpr (is_pointer_like<T>::value) {
    // Rejected above; this branch only keeps the rest from piling on more errors.
  } else if constexpr (is_string_view<T>::value) {
    contiguous_encode(out, value);  // the same bytes as the std::basic_string it views
  } else if constexpr (is_raw_candidate<T>::value) {
    raw_encode(out, value);
  } else if constexpr (is_contiguous_raw<T>::value) {
    contiguous_encode(out, value);
  } else {
    cereal_encode(out, value);
  }
}

template <class T>
T builtin_decode(reader& in) {
  reject_pointer_like<T>();
  if constexpr (is_pointer_like<T>::value) {
    std::abort();  // unreachable: the static_assert above fails
  } else if constexpr (is_string_view<T>::value) {
    static_assert(dependent_false<T>::value,
                  "mproc::codec: std::string_view cannot be decoded: it would point into the "
                  "received bytes, which do not outlive the call. Decode a std::string instead.");
    std::abort();
  } else if constexpr (is_raw_candidate<T>::value) {
    return raw_decode<T>(in);
  } else if constexpr (is_contiguous_raw<T>::value) {
    return contiguous_decode<T>(in);
  } else {
    return cereal_decode<T>(in);
  }
}

}  // namespace detail

// The built-in codec; see the top of this file. A user specialisation replaces it for its type.
template <class T, class Enable>
struct codec {
  // Marks the built-in codec, so is_memcpy_encodable_v can tell that no user codec replaced it.
  using mproc_builtin_codec_tag = void;

  static void encode(std::string& out, const T& value) { detail::builtin_encode<T>(out, value); }
  static T decode(reader& in) { return detail::builtin_decode<T>(in); }
};

// Appends value's encoding to out.
template <class T>
void encode(std::string& out, const T& value) {
  static_assert(!std::is_array_v<T>,
                "mproc::codec: C arrays are not supported (decode cannot return one): use "
                "std::array, or std::string for text.");
  if constexpr (!std::is_array_v<T>) codec<std::remove_cv_t<T>>::encode(out, value);
}

// Decodes one T from in and moves past it.
template <class T>
T decode(reader& in) {
  static_assert(!std::is_reference_v<T> && !std::is_array_v<T> && !std::is_void_v<T>,
                "mproc::decode: T must be a value type (not a reference, C array or void).");
  return codec<std::remove_cv_t<T>>::decode(in);
}

template <class T>
std::string to_bytes(const T& value) {
  std::string out;
  encode(out, value);
  return out;
}

// Decodes a T that must use all size bytes.
template <class T>
T from_bytes(const void* data, std::size_t size) {
  reader in(data, size);
  T value = decode<T>(in);
  if (in.remaining() != 0) {
    throw error(errc::decode, "codec: " + detail::type_name<T>() + " used " +
                                  std::to_string(size - in.remaining()) + " of " +
                                  std::to_string(size) + " bytes, " +
                                  std::to_string(in.remaining()) +
                                  " trailing bytes are left over (a different type?)");
  }
  return value;
}

template <class T>
T from_bytes(std::string_view bytes) {
  return from_bytes<T>(bytes.data(), bytes.size());
}

namespace detail {

inline std::string argument_label(std::size_t index, const std::string& type) {
  // Numbered from 1, as a person counts a call's arguments.
  return "argument " + std::to_string(index + 1) + " (" + type + ")";
}

inline std::string count_of_arguments(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " argument" : " arguments");
}

// system_error::what() is "<message>: <code's text>"; the message alone is what gets a context.
[[noreturn]] inline void rethrow_in_context(const error& e, const std::string& context) {
  std::string message = e.what();
  const std::string suffix = ": " + e.code().message();
  if (message.size() >= suffix.size() &&
      message.compare(message.size() - suffix.size(), suffix.size(), suffix) == 0) {
    message.resize(message.size() - suffix.size());
  }
  const std::string_view prefix = "codec: ";
  if (message.compare(0, prefix.size(), prefix) == 0) message.erase(0, prefix.size());
  throw error(e.code().value(), "codec: " + context + ": " + message);
}

template <class T>
void encode_framed(std::string& out, const T& value) {
  const std::size_t start = out.size();
  put_u64(out, 0);
  encode(out, value);
  patch_u64(out, start, static_cast<std::uint64_t>(out.size() - start - sizeof(std::uint64_t)));
}

struct arg_frame {
  const char* data = nullptr;
  std::size_t size = 0;
};

// Splits the pack into its frames before any argument is decoded, so a wrong count is reported as
// such rather than as whatever the first misplaced argument fails with.
inline void split_frames(const void* data, std::size_t size, arg_frame* frames,
                         std::size_t expected, const std::string* const* names) {
  const auto expected_list = [&] {
    std::string list = "expected " + count_of_arguments(expected);
    for (std::size_t i = 0; i < expected; ++i) list += (i == 0 ? " (" : ", ") + *names[i];
    if (expected != 0) list += ")";
    return list;
  };
  reader in(data, size);
  std::size_t found = 0;
  while (in.remaining() != 0) {
    const std::size_t left = in.remaining();
    const auto fail = [&](const std::string& needs, std::size_t remain) {
      if (found >= expected) {
        throw error(errc::decode, "codec: " + expected_list() + ", but " + std::to_string(left) +
                                      " more bytes follow them");
      }
      throw error(errc::decode, "codec: " + argument_label(found, *names[found]) + " needs " +
                                    needs + ", " + std::to_string(remain) + " remain");
    };
    std::uint64_t length = 0;
    if (left < sizeof length) fail(std::to_string(sizeof length) + " bytes for its length", left);
    std::memcpy(&length, in.take(sizeof length), sizeof length);
    if (length > in.remaining()) fail(std::to_string(length) + " bytes", in.remaining());
    const char* p = in.take(static_cast<std::size_t>(length));
    if (found < expected) frames[found] = {p, static_cast<std::size_t>(length)};
    ++found;
  }
  if (found != expected) {
    throw error(errc::decode, "codec: " + expected_list() + ", found " + std::to_string(found));
  }
}

template <class T>
T decode_argument(std::size_t index, const arg_frame& frame) {
  reader in(frame.data, frame.size);
  T value = [&]() -> T {
    try {
      return decode<T>(in);
    } catch (const error& e) {
      rethrow_in_context(e, argument_label(index, type_name<T>()));
    }
  }();
  if (in.remaining() != 0) {
    throw error(errc::decode, "codec: " + argument_label(index, type_name<T>()) + " is " +
                                  std::to_string(frame.size) + " bytes, but decoding it used " +
                                  std::to_string(frame.size - in.remaining()) +
                                  " (a different type?)");
  }
  return value;
}

// Arguments that are all raw bytes (no bool, whose bytes need checking) have a fixed layout:
// [u64 sizeof(A0)][A0][u64 sizeof(A1)][A1]... A pack with exactly that layout decodes with plain
// copies; anything else takes the general path, which explains what is wrong.
template <class... A>
inline constexpr bool all_raw_args_v =
    sizeof...(A) > 0 && ((is_memcpy_encodable_v<A> && !std::is_same_v<A, bool>) && ...);

template <class... A>
constexpr std::size_t raw_arg_offset(std::size_t index) {
  constexpr std::size_t sizes[] = {sizeof(A)...};
  std::size_t offset = 0;
  for (std::size_t i = 0; i < index; ++i) offset += sizeof(std::uint64_t) + sizes[i];
  return offset;
}

template <class... A, std::size_t... I>
bool raw_args_match(const char* p, std::size_t size, std::index_sequence<I...>) {
  constexpr std::size_t total = raw_arg_offset<A...>(sizeof...(A));
  if (size != total) return false;
  const auto length_is = [p](std::size_t offset, std::size_t expected) {
    std::uint64_t n;
    std::memcpy(&n, p + offset, sizeof n);
    return n == expected;
  };
  return (length_is(raw_arg_offset<A...>(I), sizeof(A)) && ...);
}

template <class... A, std::size_t... I>
std::tuple<A...> decode_args_impl(const void* data, std::size_t size, std::index_sequence<I...>) {
  if constexpr (all_raw_args_v<A...>) {
    const char* p = static_cast<const char*>(data);
    if (p != nullptr && raw_args_match<A...>(p, size, std::index_sequence<I...>{})) {
      return std::tuple<A...>{
          raw_load<A>(p + raw_arg_offset<A...>(I) + sizeof(std::uint64_t))...};
    }
  }
  const std::array<const std::string*, sizeof...(A)> names{{&type_name<A>()...}};
  std::array<arg_frame, sizeof...(A)> frames{};
  split_frames(data, size, frames.data(), sizeof...(A), names.data());
  // Braced initialisation decodes the arguments in order, left to right.
  return std::tuple<A...>{decode_argument<A>(I, frames[I])...};
}

}  // namespace detail

// An argument pack: each argument as a u64 byte count followed by its encoding.
template <class... A>
std::string encode_args(const A&... args) {
  std::string out;
  (detail::encode_framed(out, args), ...);
  return out;
}

// Decodes a pack made by encode_args<A...>; the number of arguments and each one's length must
// match exactly. Errors name the argument (numbered from 1) and its type.
template <class... A>
std::tuple<A...> decode_args(const void* data, std::size_t size) {
  static_assert((!std::is_reference_v<A> && ...),
                "mproc::decode_args: the tuple owns what it decodes, so its types must be values: "
                "decay reference parameter types first.");
  return detail::decode_args_impl<A...>(data, size, std::index_sequence_for<A...>{});
}

template <class... A>
std::tuple<A...> decode_args(std::string_view bytes) {
  return decode_args<A...>(bytes.data(), bytes.size());
}

}  // namespace mproc

// cereal's registration of the facade's input archive (for types that use cereal's polymorphic
// support), and its output counterpart (for save_minimal/load_minimal checks). Written out rather
// than with CEREAL_SETUP_ARCHIVE_TRAITS, which would also claim BinaryOutputArchive's input side.
CEREAL_REGISTER_ARCHIVE(mproc::detail::bounded_input_archive)
namespace cereal {
namespace traits {
namespace detail {
template <>
struct get_output_from_input<mproc::detail::bounded_input_archive> {
  using type = cereal::BinaryOutputArchive;
};
}  // namespace detail
}  // namespace traits
}  // namespace cereal

#endif  // MPROC_CODEC_HPP
