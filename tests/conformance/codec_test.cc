// Conformance tests for mproc/codec.hpp: round trips through every encoding path, and decode errors
// that say what failed.
#include "mproc/codec.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace {

struct Pod {
  int id;
  double weight;
  char tag[5];
  bool operator==(const Pod& o) const {
    return id == o.id && weight == o.weight && std::memcmp(tag, o.tag, sizeof tag) == 0;
  }
};

// Trivially copyable but with no default constructor.
struct Point {
  Point(int px, int py) : x(px), y(py) {}
  int x;
  int y;
};

struct Person {
  std::string name;
  int age = 0;
  std::vector<std::string> tags;
  std::map<std::string, double> scores;

  template <class Archive>
  void serialize(Archive& ar) {
    ar(name, age, tags, scores);
  }
  bool operator==(const Person& o) const {
    return name == o.name && age == o.age && tags == o.tags && scores == o.scores;
  }
};

struct Labelled {
  std::string label;
  std::optional<int> value;
  bool operator==(const Labelled& o) const { return label == o.label && value == o.value; }
};

template <class Archive>
void serialize(Archive& ar, Labelled& l) {
  ar(l.label, l.value);
}

// Trivially copyable, so without its codec below it would go over as raw bytes.
struct Celsius {
  double degrees;
};

// Fails to encode the way a cereal type can, to check that encode errors are reported. (The string
// member keeps it off the raw path, which a trivially copyable type would take.)
struct Unencodable {
  std::string unused;
  template <class Archive>
  void save(Archive&) const {
    throw cereal::Exception("this value refuses to be saved");
  }
  template <class Archive>
  void load(Archive&) {}
};

// A class template given a codec by partial specialisation.
template <class T>
struct Boxed {
  T value;
};

}  // namespace

template <class T>
struct mproc::codec<Boxed<T>> {
  static void encode(std::string& out, const Boxed<T>& b) {
    out.push_back('B');
    mproc::encode(out, b.value);
  }
  static Boxed<T> decode(mproc::reader& in) {
    if (*in.take(1, "Boxed marker") != 'B') {
      throw mproc::error(mproc::errc::decode, "codec: Boxed marker missing");
    }
    return Boxed<T>{mproc::decode<T>(in)};
  }
};

// Encodes as text after a marker byte, so a test can see that this codec, not memcpy, ran.
template <>
struct mproc::codec<Celsius> {
  static void encode(std::string& out, const Celsius& c) {
    const std::string text = std::to_string(c.degrees);
    out.push_back('C');
    out.push_back(static_cast<char>(text.size()));
    out += text;
  }
  static Celsius decode(mproc::reader& in) {
    if (*in.take(1, "Celsius marker") != 'C') {
      throw mproc::error(mproc::errc::decode, "codec: Celsius marker missing");
    }
    const auto size = static_cast<unsigned char>(*in.take(1, "Celsius size"));
    return Celsius{std::stod(std::string(in.take(size, "Celsius text"), size))};
  }
};

namespace {

template <class T>
T RoundTrip(const T& value) {
  const std::string bytes = mproc::to_bytes(value);
  return mproc::from_bytes<T>(bytes.data(), bytes.size());
}

// Runs f, which must throw an mproc::error with code errc::decode; returns its message.
template <class F>
std::string DecodeErrorOf(F&& f) {
  try {
    f();
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), std::error_code(mproc::errc::decode)) << e.what();
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw something other than mproc::error: " << e.what();
    return {};
  }
  ADD_FAILURE() << "did not throw";
  return {};
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string U64Bytes(std::uint64_t v) {
  std::string s(sizeof v, '\0');
  std::memcpy(s.data(), &v, sizeof v);
  return s;
}

// ---- Round trips ------------------------------------------------------------

TEST(Codec, RoundTripsIntAsItsRawBytes) {
  for (int v : {0, 1, -1, 42, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()}) {
    const std::string bytes = mproc::to_bytes(v);
    ASSERT_EQ(bytes.size(), sizeof(int));
    EXPECT_EQ(mproc::from_bytes<int>(bytes.data(), bytes.size()), v);
  }
}

TEST(Codec, RoundTripsDoubleBitForBit) {
  for (double v : {0.0, -0.0, 3.141592653589793, std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::infinity()}) {
    const double back = RoundTrip(v);
    EXPECT_EQ(std::memcmp(&back, &v, sizeof v), 0) << v;
  }
  EXPECT_TRUE(std::isnan(RoundTrip(std::numeric_limits<double>::quiet_NaN())));
}

TEST(Codec, RoundTripsOtherScalars) {
  EXPECT_EQ(RoundTrip(true), true);
  EXPECT_EQ(RoundTrip(false), false);
  EXPECT_EQ(RoundTrip('x'), 'x');
  EXPECT_EQ(RoundTrip(std::uint64_t{0xfedcba9876543210}), std::uint64_t{0xfedcba9876543210});
  enum class Colour : std::uint8_t { red = 1, blue = 7 };
  EXPECT_EQ(RoundTrip(Colour::blue), Colour::blue);
  EXPECT_EQ(RoundTrip(std::chrono::milliseconds(1234)), std::chrono::milliseconds(1234));
}

TEST(Codec, RoundTripsPodStruct) {
  const Pod pod{7, 2.5, {'a', '\0', 'b', 'c', 'd'}};
  const std::string bytes = mproc::to_bytes(pod);
  EXPECT_EQ(bytes.size(), sizeof(Pod));
  EXPECT_EQ(mproc::from_bytes<Pod>(bytes.data(), bytes.size()), pod);
}

TEST(Codec, RoundTripsTriviallyCopyableTypeWithoutDefaultConstructor) {
  const Point p = RoundTrip(Point(-3, 9));
  EXPECT_EQ(p.x, -3);
  EXPECT_EQ(p.y, 9);
  const std::vector<Point> points = RoundTrip(std::vector<Point>{{1, 2}, {3, 4}});
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].x, 3);
  EXPECT_EQ(points[1].y, 4);
}

TEST(Codec, RoundTripsStdArray) {
  const std::array<int, 4> ints{1, -2, 3, -4};
  EXPECT_EQ(mproc::to_bytes(ints).size(), sizeof ints);
  EXPECT_EQ(RoundTrip(ints), ints);
  const std::array<std::string, 2> strings{"left", "right"};  // not trivially copyable: cereal
  EXPECT_EQ(RoundTrip(strings), strings);
}

TEST(Codec, RoundTripsEmptyString) {
  const std::string bytes = mproc::to_bytes(std::string());
  EXPECT_EQ(bytes.size(), sizeof(std::uint64_t));
  EXPECT_EQ(mproc::from_bytes<std::string>(bytes.data(), bytes.size()), "");
}

TEST(Codec, RoundTripsStringWithNuls) {
  const std::string s("a\0b\0\0c", 6);
  const std::string bytes = mproc::to_bytes(s);
  EXPECT_EQ(bytes.size(), sizeof(std::uint64_t) + 6);
  EXPECT_EQ(RoundTrip(s), s);
}

TEST(Codec, RoundTripsOneMebibyteString) {
  std::string s(1 << 20, '\0');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 31 + 7);
  EXPECT_EQ(RoundTrip(s), s);
}

TEST(Codec, RoundTripsWideStrings) {
  EXPECT_EQ(RoundTrip(std::wstring(L"wide \u00e9")), L"wide \u00e9");
  EXPECT_EQ(RoundTrip(std::u16string(u"sixteen")), u"sixteen");
  EXPECT_EQ(RoundTrip(std::u32string(U"thirty-two")), U"thirty-two");
}

TEST(Codec, StringViewEncodesLikeString) {
  const std::string_view view("viewed\0text", 11);
  EXPECT_EQ(mproc::to_bytes(view), mproc::to_bytes(std::string(view)));
}

TEST(Codec, RoundTripsVectorOfInt) {
  const std::vector<int> v{5, -1, 0, 1 << 30};
  const std::string bytes = mproc::to_bytes(v);
  EXPECT_EQ(bytes.size(), sizeof(std::uint64_t) + v.size() * sizeof(int));
  EXPECT_EQ(mproc::from_bytes<std::vector<int>>(bytes.data(), bytes.size()), v);
  EXPECT_EQ(RoundTrip(std::vector<int>()), std::vector<int>());
  const std::vector<Pod> pods{{1, 1.5, "abcd"}, {2, -0.5, "efgh"}};
  EXPECT_EQ(RoundTrip(pods), pods);
}

TEST(Codec, RoundTripsVectorsOfBytes) {
  const std::vector<char> chars{'a', '\0', 'z'};
  EXPECT_EQ(RoundTrip(chars), chars);
  const std::vector<unsigned char> bytes{0, 255, 7};
  EXPECT_EQ(RoundTrip(bytes), bytes);
  const std::vector<std::byte> raw{std::byte{1}, std::byte{0xfe}};
  EXPECT_EQ(RoundTrip(raw), raw);
  EXPECT_EQ(mproc::to_bytes(raw).size(), sizeof(std::uint64_t) + 2);
}

TEST(Codec, RoundTripsVectorOfBool) {
  const std::vector<bool> v{true, false, false, true, true};
  EXPECT_EQ(RoundTrip(v), v);
}

TEST(Codec, RoundTripsVectorOfStrings) {
  const std::vector<std::string> v{"", "one", std::string("t\0o", 3), std::string(1000, 'z')};
  EXPECT_EQ(RoundTrip(v), v);
}

TEST(Codec, RoundTripsMapOfStringToInt) {
  const std::map<std::string, int> m{{"alpha", 1}, {"beta", -2}, {"", 0}};
  EXPECT_EQ(RoundTrip(m), m);
  const std::unordered_map<int, std::string> u{{1, "one"}, {2, "two"}};
  EXPECT_EQ(RoundTrip(u), u);
  const std::set<std::string> s{"x", "y"};
  EXPECT_EQ(RoundTrip(s), s);
}

TEST(Codec, RoundTripsTuple) {
  const std::tuple<int, std::string, std::vector<double>> t{3, "three", {3.0, 0.3}};
  EXPECT_EQ(RoundTrip(t), t);
}

TEST(Codec, RoundTripsOptionalSetAndEmpty) {
  EXPECT_EQ(RoundTrip(std::optional<int>(12)), std::optional<int>(12));
  EXPECT_EQ(RoundTrip(std::optional<int>()), std::nullopt);
  EXPECT_EQ(RoundTrip(std::optional<std::string>("set")), std::optional<std::string>("set"));
  EXPECT_EQ(RoundTrip(std::optional<std::string>()), std::nullopt);
}

TEST(Codec, RoundTripsPair) {
  const std::pair<int, int> ints{1, 2};
  EXPECT_EQ(RoundTrip(ints), ints);
  const std::pair<std::string, std::vector<int>> mixed{"key", {1, 2, 3}};
  EXPECT_EQ(RoundTrip(mixed), mixed);
}

TEST(Codec, RoundTripsVariantAndNestedContainers) {
  using V = std::variant<int, std::string, std::vector<std::pair<int, std::string>>>;
  EXPECT_EQ(RoundTrip(V(5)), V(5));
  EXPECT_EQ(RoundTrip(V("text")), V("text"));
  const V nested(std::vector<std::pair<int, std::string>>{{1, "a"}, {2, "b"}});
  EXPECT_EQ(RoundTrip(nested), nested);
  const std::map<std::string, std::vector<std::optional<int>>> deep{{"k", {1, std::nullopt, 3}}};
  EXPECT_EQ(RoundTrip(deep), deep);
}

TEST(Codec, RoundTripsUserStructWithSerializeMember) {
  const Person p{"Ada", 36, {"maths", "engines"}, {{"logic", 9.5}}};
  EXPECT_EQ(RoundTrip(p), p);
  EXPECT_EQ(RoundTrip(std::vector<Person>{p, Person{}}), (std::vector<Person>{p, Person{}}));
}

TEST(Codec, RoundTripsUserStructWithFreeSerialize) {
  EXPECT_EQ(RoundTrip(Labelled{"answer", 42}), (Labelled{"answer", 42}));
  EXPECT_EQ(RoundTrip(Labelled{"none", std::nullopt}), (Labelled{"none", std::nullopt}));
}

TEST(Codec, UserCodecSpecialisationTakesPrecedence) {
  const std::string bytes = mproc::to_bytes(Celsius{21.5});
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes[0], 'C');  // the specialisation ran, not the raw path
  EXPECT_EQ(mproc::from_bytes<Celsius>(bytes.data(), bytes.size()).degrees, 21.5);
  const auto args = mproc::encode_args(Celsius{-4.0}, 1);
  EXPECT_EQ(std::get<0>(mproc::decode_args<Celsius, int>(args.data(), args.size())).degrees, -4.0);
}

TEST(Codec, UserPartialSpecialisationTakesPrecedence) {
  const std::string bytes = mproc::to_bytes(Boxed<int>{5});
  EXPECT_EQ(bytes, "B" + mproc::to_bytes(5));
  EXPECT_EQ(mproc::from_bytes<Boxed<int>>(bytes.data(), bytes.size()).value, 5);
  EXPECT_EQ(RoundTrip(Boxed<std::string>{"boxed"}).value, "boxed");
  static_assert(!mproc::is_memcpy_encodable_v<Boxed<int>>);
}

TEST(Codec, EncodeAppendsAndReaderDecodesInSequence) {
  std::string out = "prefix";
  mproc::encode(out, 17);
  mproc::encode(out, std::string("middle"));
  mproc::encode(out, std::map<std::string, int>{{"m", 1}});
  mproc::encode(out, 2.0);
  mproc::reader in(out.data() + 6, out.size() - 6);
  EXPECT_EQ(mproc::decode<int>(in), 17);
  EXPECT_EQ(mproc::decode<std::string>(in), "middle");
  EXPECT_EQ((mproc::decode<std::map<std::string, int>>(in)),
            (std::map<std::string, int>{{"m", 1}}));
  EXPECT_EQ(mproc::decode<double>(in), 2.0);
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(Codec, FailedEncodeThrowsEncodeErrorAndLeavesOutputWhole) {
  std::string out = mproc::to_bytes(1);
  try {
    mproc::encode(out, std::vector<Unencodable>(2));
    ADD_FAILURE() << "did not throw";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), std::error_code(mproc::errc::encode));
    EXPECT_TRUE(Contains(e.what(), "refuses to be saved")) << e.what();
  }
  EXPECT_EQ(out, mproc::to_bytes(1));
}

TEST(Codec, EncodeArgsRoundTrip) {
  const std::vector<double> doubles{1.5, -2.25, 1e300};
  const std::string bytes = mproc::encode_args(7, std::string("seven"), doubles);
  const auto [i, s, d] =
      mproc::decode_args<int, std::string, std::vector<double>>(bytes.data(), bytes.size());
  EXPECT_EQ(i, 7);
  EXPECT_EQ(s, "seven");
  EXPECT_EQ(d, doubles);
  const auto [ci] = mproc::decode_args<const int>(mproc::encode_args(3));
  EXPECT_EQ(ci, 3);
  // Each argument is its u64 length followed by its encoding.
  EXPECT_EQ(bytes.size(), (8 + sizeof(int)) + (8 + 8 + 5) + (8 + 8 + 3 * sizeof(double)));
}

TEST(Codec, EncodeArgsOfEmptyPack) {
  const std::string bytes = mproc::encode_args();
  EXPECT_TRUE(bytes.empty());
  EXPECT_EQ(mproc::decode_args<>(bytes.data(), bytes.size()), std::tuple<>());
}

TEST(Codec, MemcpyEncodableTrait) {
  static_assert(mproc::is_memcpy_encodable_v<int>);
  static_assert(mproc::is_memcpy_encodable_v<const int>);
  static_assert(mproc::is_memcpy_encodable_v<Pod>);
  static_assert(mproc::is_memcpy_encodable_v<std::array<double, 3>>);
  static_assert(!mproc::is_memcpy_encodable_v<std::string>);
  static_assert(!mproc::is_memcpy_encodable_v<std::vector<int>>);
  static_assert(!mproc::is_memcpy_encodable_v<std::string_view>);
  static_assert(!mproc::is_memcpy_encodable_v<int*>);
  static_assert(!mproc::is_memcpy_encodable_v<const char*>);
  static_assert(!mproc::is_memcpy_encodable_v<int Pod::*>);
  static_assert(!mproc::is_memcpy_encodable_v<std::array<int*, 2>>);
  static_assert(!mproc::is_memcpy_encodable_v<Celsius>);  // trivially copyable, but has a codec
  static_assert(!mproc::is_memcpy_encodable_v<Person>);
  EXPECT_TRUE(mproc::is_memcpy_encodable_v<int>);
  EXPECT_TRUE(mproc::is_memcpy_encodable_v<Pod>);
  EXPECT_FALSE(mproc::is_memcpy_encodable_v<std::string>);
}

// ---- Decode errors ----------------------------------------------------------

TEST(Codec, TruncatedBufferIsDecodeError) {
  const std::string s = mproc::to_bytes(std::string(17, 'x'));
  std::string message =
      DecodeErrorOf([&] { mproc::from_bytes<std::string>(s.data(), s.size() - 14); });
  EXPECT_TRUE(Contains(message, "std::string needs 17 bytes, 3 remain")) << message;

  const std::string i = mproc::to_bytes(5);
  message = DecodeErrorOf([&] { mproc::from_bytes<int>(i.data(), 2); });
  EXPECT_TRUE(Contains(message, "int needs 4 bytes, 2 remain")) << message;

  message = DecodeErrorOf([&] { mproc::from_bytes<std::vector<int>>(s.data(), 5); });
  EXPECT_TRUE(Contains(message, "std::vector<int> length needs 8 bytes, 5 remain")) << message;

  const std::string m = mproc::to_bytes(std::map<std::string, int>{{"key", 1}});
  message = DecodeErrorOf([&] { mproc::from_bytes<std::map<std::string, int>>(m.data(), 12); });
  EXPECT_TRUE(Contains(message, "std::map<std::string, int> needs")) << message;

  message = DecodeErrorOf([] { mproc::from_bytes<double>(nullptr, 0); });
  EXPECT_TRUE(Contains(message, "double needs 8 bytes, 0 remain")) << message;
}

TEST(Codec, TrailingBytesIsDecodeError) {
  std::string bytes = mproc::to_bytes(std::string("abc"));
  bytes += "zz";
  const std::string message =
      DecodeErrorOf([&] { mproc::from_bytes<std::string>(bytes.data(), bytes.size()); });
  EXPECT_TRUE(Contains(message, "std::string used 11 of 13 bytes, 2 trailing bytes")) << message;
}

TEST(Codec, WrongArgumentCountIsDecodeError) {
  const std::string two = mproc::encode_args(1, std::string("x"));
  std::string message = DecodeErrorOf([&] { mproc::decode_args<int>(two.data(), two.size()); });
  EXPECT_TRUE(Contains(message, "expected 1 argument (int), found 2")) << message;

  message = DecodeErrorOf(
      [&] { mproc::decode_args<int, std::string, std::vector<double>>(two.data(), two.size()); });
  EXPECT_TRUE(Contains(message,
                       "expected 3 arguments (int, std::string, std::vector<double>), "
                       "found 2"))
      << message;

  message = DecodeErrorOf([&] { mproc::decode_args<>(two.data(), two.size()); });
  EXPECT_TRUE(Contains(message, "expected 0 arguments, found 2")) << message;

  // Bytes after the last argument that do not even form another one.
  const std::string ragged = mproc::encode_args(1) + "abc";
  message = DecodeErrorOf([&] { mproc::decode_args<int>(ragged.data(), ragged.size()); });
  EXPECT_TRUE(Contains(message, "expected 1 argument (int), but 3 more bytes follow")) << message;
}

TEST(Codec, TruncatedArgumentNamesItsIndexAndType) {
  const std::string bytes = mproc::encode_args(1, std::string(9, 's'), std::vector<double>{1.0});
  // Cut inside argument 2, whose frame is 8 (frame length) + 8 (string length) + 9 bytes.
  const std::size_t cut = (8 + 4) + 8 + 3;
  const std::string message = DecodeErrorOf(
      [&] { mproc::decode_args<int, std::string, std::vector<double>>(bytes.data(), cut); });
  EXPECT_TRUE(Contains(message, "codec: argument 2 (std::string) needs 17 bytes, 3 remain"))
      << message;
}

TEST(Codec, WrongTypeSizesAreDecodeErrors) {
  const std::string wide = mproc::encode_args(std::int64_t{1});
  std::string message = DecodeErrorOf([&] { mproc::decode_args<int>(wide.data(), wide.size()); });
  EXPECT_TRUE(Contains(message, "argument 1 (int) is 8 bytes, but decoding it used 4")) << message;

  const std::string narrow = mproc::encode_args(std::string("ok"), 1);
  message =
      DecodeErrorOf([&] { mproc::decode_args<std::string, double>(narrow.data(), narrow.size()); });
  EXPECT_TRUE(Contains(message, "codec: argument 2 (double): double needs 8 bytes, 4 remain"))
      << message;

  const std::string i = mproc::to_bytes(std::int64_t{1});
  message = DecodeErrorOf([&] { mproc::from_bytes<std::int32_t>(i.data(), i.size()); });
  EXPECT_TRUE(Contains(message, "4 trailing bytes")) << message;
}

TEST(Codec, GarbageIntoCerealTypeIsDecodeError) {
  using Map = std::map<std::string, int>;
  // A well-framed archive whose contents are not a map: 3 entries claimed, then 4 stray bytes.
  const std::string archive = U64Bytes(3) + "abcd";
  const std::string framed = U64Bytes(archive.size()) + archive;
  std::string message =
      DecodeErrorOf([&] { mproc::from_bytes<Map>(framed.data(), framed.size()); });
  EXPECT_TRUE(Contains(message,
                       "std::map<std::string, int>: cereal could not read the 12-byte "
                       "archive"))
      << message;

  // Pure garbage: its first 8 bytes, read as the archive's length, are far too large.
  const std::string garbage = "garbage!garbage!garbage!";
  message = DecodeErrorOf([&] { mproc::from_bytes<Map>(garbage.data(), garbage.size()); });
  EXPECT_TRUE(Contains(message, "std::map<std::string, int> needs")) << message;
  EXPECT_TRUE(Contains(message, "16 remain")) << message;

  // An archive that decodes but leaves bytes unread is not the type that was sent.
  const std::string longer = U64Bytes(12) + U64Bytes(0) + "tail";
  message = DecodeErrorOf([&] { mproc::from_bytes<Map>(longer.data(), longer.size()); });
  EXPECT_TRUE(Contains(message, "the archive is 12 bytes, but decoding used 8")) << message;

  // A count beyond what any vector can hold.
  const std::string impossible = U64Bytes(8) + U64Bytes(std::uint64_t{1} << 62);
  message = DecodeErrorOf(
      [&] { mproc::from_bytes<std::vector<std::string>>(impossible.data(), impossible.size()); });
  EXPECT_TRUE(Contains(message, "std::vector<std::string>")) << message;

  // A variant index that names no alternative.
  using V = std::variant<int, std::string>;
  const std::string bad_index = U64Bytes(8) + U64Bytes(9);
  message = DecodeErrorOf([&] { mproc::from_bytes<V>(bad_index.data(), bad_index.size()); });
  EXPECT_TRUE(Contains(message, "std::variant<int, std::string>")) << message;
}

TEST(Codec, HugeLengthPrefixFailsBeforeAllocating) {
  const std::string bytes = U64Bytes(std::numeric_limits<std::uint64_t>::max()) + "xy";
  std::string message =
      DecodeErrorOf([&] { mproc::from_bytes<std::vector<double>>(bytes.data(), bytes.size()); });
  EXPECT_TRUE(Contains(message, "std::vector<double> needs")) << message;
  EXPECT_TRUE(Contains(message, "2 remain")) << message;
  message = DecodeErrorOf([&] { mproc::from_bytes<std::string>(bytes.data(), bytes.size()); });
  EXPECT_TRUE(Contains(message, "std::string needs 18446744073709551615 bytes, 2 remain"))
      << message;
}

TEST(Codec, InvalidBoolByteIsDecodeError) {
  const char byte = 7;
  const std::string message = DecodeErrorOf([&] { mproc::from_bytes<bool>(&byte, 1); });
  EXPECT_TRUE(Contains(message, "bool holds byte 7, expected 0 or 1")) << message;
}

TEST(Codec, UserCodecErrorGainsArgumentContext) {
  std::string bytes = mproc::encode_args(Celsius{1.0});
  bytes[8] = 'F';  // the marker byte of the only argument
  const std::string message =
      DecodeErrorOf([&] { mproc::decode_args<Celsius>(bytes.data(), bytes.size()); });
  EXPECT_TRUE(Contains(message, "codec: argument 1 (")) << message;
  EXPECT_TRUE(Contains(message, "Celsius marker missing")) << message;
}

TEST(Codec, ReaderRefusesToReadPastTheEnd) {
  const char data[4] = {1, 2, 3, 4};
  mproc::reader in(data, sizeof data);
  EXPECT_EQ(in.take(3), data);
  EXPECT_EQ(in.remaining(), 1u);
  const std::string message = DecodeErrorOf([&] { in.take(2, "thing"); });
  EXPECT_TRUE(Contains(message, "codec: thing needs 2 bytes, 1 remain")) << message;
  EXPECT_EQ(in.remaining(), 1u);  // a failed take does not move the cursor
  EXPECT_EQ(*in.take(1), 4);
  EXPECT_NE(mproc::reader(nullptr, 0).take(0), nullptr);
}

}  // namespace
