// Queue, JoinableQueue, SimpleQueue: the seed programs, blocking and timeouts, many producers and
// consumers, large and empty messages, the lifetime of messages beyond their producer, close and
// shutdown, errors, processes killed in the middle of a put or get, and leaks — under every start
// method where another process is involved.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support.h"

namespace queue_test {

using namespace std::chrono_literals;
constexpr auto kWait = std::chrono::seconds(60);  // bound on every wait that should succeed

// ---- seed 003: producer / consumer with a None sentinel --------------------------------------

void seed_producer(mproc::Queue<std::optional<int>> q) {
  for (int i = 0; i < 10; ++i) q.put(i);
  q.put(std::nullopt);
}

// The seed prints each item; here they go to `seen` so the test can check them.
void seed_consumer(mproc::Queue<std::optional<int>> q, mproc::Queue<int> seen) {
  while (std::optional<int> item = q.get(kWait)) seen.put(*item);
  seen.put(-1);
}

// ---- seeds 000 / 004: results of two `job` processes ------------------------------------------

void job(mproc::Queue<long long> q) {
  long long res = 0;
  for (long long i = 0; i < 1000; ++i) res += i + i * i + i * i * i;
  q.put(res);
}

// ---- helpers run in children ---------------------------------------------------------------------

void put_range(mproc::Queue<int> q, int from, int count) {
  for (int i = from; i < from + count; ++i) q.put(i);
}

void get_range_expect(mproc::Queue<int> q, int from, int count) {
  for (int i = from; i < from + count; ++i) {
    if (q.get(kWait) != i) mproc::exit(3);
  }
}

void produce_tagged(mproc::Queue<std::pair<int, int>> q, int producer, int count) {
  for (int i = 0; i < count; ++i) q.put({producer, i}, kWait);  // bounded: may block
}

void consume_tagged(mproc::Queue<std::pair<int, int>> q,
                    mproc::Queue<std::vector<std::pair<int, int>>> out) {
  std::vector<std::pair<int, int>> got;
  for (;;) {
    auto item = q.get(kWait);
    if (item.first < 0) break;
    got.push_back(item);
  }
  out.put(got);
}

std::string blob(int index, std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 31 + static_cast<std::size_t>(index)) & 0xff);
  return s;
}

void put_blobs(mproc::Queue<std::string> q, int count, int size) {
  for (int i = 0; i < count; ++i) q.put(blob(i, static_cast<std::size_t>(size)));
}

// Mostly small messages with a large one now and then: the ring wraps and grows (several times)
// while the other side is reading, and has to map the larger ring.
std::size_t varied_size(int i) {
  return i % 97 == 0 ? static_cast<std::size_t>(200000 + 4000 * i) : static_cast<std::size_t>(i % 300);
}

void put_varied(mproc::Queue<std::string> q, int count) {
  for (int i = 0; i < count; ++i) q.put(blob(i, varied_size(i)));
}

void get_blobs_expect(mproc::Queue<std::string> q, int count, int size) {
  for (int i = 0; i < count; ++i) {
    if (q.get(kWait) != blob(i, static_cast<std::size_t>(size))) mproc::exit(3);
  }
  if (!q.empty()) mproc::exit(4);
}

std::vector<char> big_vector(std::size_t size, int seed) {
  std::vector<char> v(size);
  for (std::size_t i = 0; i < size; i += 4096) v[i] = static_cast<char>(i / 4096 + static_cast<std::size_t>(seed));
  v[size - 1] = 'z';
  return v;
}

void put_big(mproc::Queue<std::vector<char>> q, std::uint64_t size) {
  q.put(big_vector(static_cast<std::size_t>(size), 7));
}

void get_big_expect(mproc::Queue<std::vector<char>> q, std::uint64_t size) {
  mproc::exit(q.get(kWait) == big_vector(static_cast<std::size_t>(size), 7) ? 0 : 3);
}

void get_bytes_expect(mproc::Queue<std::string> q, std::string expected) {
  mproc::exit(q.get(kWait) == expected ? 0 : 3);
}

void take_two(mproc::Queue<int> q) {
  if (q.get(kWait) != 1 || q.get(kWait) != 2) mproc::exit(3);
}

// Reads until the queue is shut down; the exit code is 10 + the number of items read.
void get_until_eof(mproc::Queue<int> q) {
  int n = 0;
  try {
    for (;;) {
      q.get(kWait);
      ++n;
    }
  } catch (const mproc::error& e) {
    mproc::exit(e.code() == mproc::errc::eof ? 10 + n : 3);
  }
}

void joinable_worker(mproc::JoinableQueue<int> q, mproc::Queue<long long> out) {
  long long sum = 0;
  for (;;) {
    int v = q.get(kWait);
    q.task_done();
    if (v < 0) break;
    sum += v;
  }
  out.put(sum);
}

void simple_echo(mproc::SimpleQueue<std::string> in, mproc::SimpleQueue<std::string> out) {
  for (;;) {
    std::string s = in.get(kWait);
    out.put(s + "!");
    if (s == "bye") break;
  }
}

struct point {
  int x;
  double y;
  bool operator==(const point& o) const { return x == o.x && y == o.y; }
};

struct record {
  std::string name;
  std::vector<int> values;
  std::map<std::string, double> attributes;
  template <class Archive>
  void serialize(Archive& ar) {
    ar(name, values, attributes);
  }
  bool operator==(const record& o) const {
    return name == o.name && values == o.values && attributes == o.attributes;
  }
};

template <typename T>
void echo(mproc::Queue<T> in, mproc::Queue<T> out) {
  out.put(in.get(kWait));
}

// Opens the index-th inherited handle the way a child would: the exit code says what happened.
void open_handle_as_queue(int index, std::string expect_in_message) {
  mproc_queue* q = nullptr;
  int st = mproc_queue_open(mproc::import_handle(static_cast<std::uint64_t>(index)),
                            MPROC_QUEUE_KIND_QUEUE, nullptr, &q);
  mproc_queue_destroy(q);
  if (st != MPROC_E_TYPE_MISMATCH) mproc::exit(3);
  mproc::exit(std::string(mproc_last_error()).find(expect_in_message) != std::string::npos ? 0 : 4);
}

void open_handle_as_string_queue(int index) {
  try {
    mproc::Queue<std::string>::open(mproc::import_handle(static_cast<std::uint64_t>(index)));
  } catch (const mproc::error& e) {
    bool named = std::string(e.what()).find("carries int") != std::string::npos &&
                 std::string(e.what()).find("std::string") != std::string::npos;
    mproc::exit(e.code() == mproc::errc::type_mismatch ? (named ? 0 : 4) : 5);
  }
  mproc::exit(3);
}

// ---- killed in the middle (MPROC_TEST_QUEUE_PAUSE) ---------------------------------------------

// Puts `before` normally, then a large message through a fresh handle that stops in the middle of
// copying it (with the queue's put lock held), signalling `marker`.
void put_then_pause(mproc::Queue<std::string> q, std::vector<std::string> before, std::string marker) {
  for (const auto& s : before) q.put(s);
  mproc_test::platform::set_env("MPROC_TEST_QUEUE_PAUSE", "put:" + marker);
  auto paused = mproc::Queue<std::string>::open(q.handle());  // reads the variable at its first put
  paused.put(std::string(100000, 'x'));
  mproc::exit(3);  // never reached: the test kills us in the middle
}

// Gets one message normally and reports it, then stops in the middle of copying the next one.
void get_then_pause(mproc::Queue<std::string> q, mproc::Queue<std::string> report,
                    std::string marker) {
  report.put(q.get(kWait));
  mproc_test::platform::set_env("MPROC_TEST_QUEUE_PAUSE", "get:" + marker);
  auto paused = mproc::Queue<std::string>::open(q.handle());
  paused.get(kWait);
  mproc::exit(3);
}

void put_strings(mproc::Queue<std::string> q, std::vector<std::string> items) {
  for (const auto& s : items) q.put(s);
}

// Blocks in get on an empty queue whose producer will die mid-put: expects the loss report.
void expect_lost(mproc::Queue<std::string> q) {
  try {
    q.get(kWait);
  } catch (const mproc::error& e) {
    mproc::exit(e.code() == mproc::errc::message_lost ? 0 : 4);
  }
  mproc::exit(3);
}

void block_in_get(mproc::Queue<int> q, std::string marker) {
  mproc_test::write_file(marker, "waiting");
  q.get(kWait);
}

}  // namespace queue_test

namespace {

using namespace queue_test;
using mproc_test::kJoinTimeout;
using mproc_test::MethodTest;
using std::chrono::steady_clock;

class QueueTest : public MethodTest {};

// Joins p and expects exit code 0, showing the child's failure otherwise.
void expect_clean_exit(mproc::Process& p, int code = 0) {
  ASSERT_TRUE(p.join(kJoinTimeout)) << "child did not end";
  EXPECT_EQ(p.exitcode(), code) << p.failure().value_or("(no failure reported)");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- single process: the C ABI and the facade's basics -------------------------------------------

TEST(Queue, PutThenGetReturnsSameBytes) {
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(nullptr, &q), MPROC_OK);
  ASSERT_EQ(mproc_queue_put(q, "hello", 5, 0), MPROC_OK);
  char buf[16];
  size_t len = 0;
  ASSERT_EQ(mproc_queue_get(q, buf, sizeof buf, &len, 0), MPROC_OK);
  EXPECT_EQ(std::string(buf, len), "hello");
  EXPECT_EQ(std::string(mproc_queue_name(q)).rfind("Queue-", 0), 0u) << mproc_queue_name(q);
  EXPECT_EQ(mproc_queue_kind_of(q), MPROC_QUEUE_KIND_QUEUE);
  mproc_queue_destroy(q);
  mproc_queue_destroy(nullptr);
}

TEST(Queue, FifoFromOneProducerAcrossWrapAndGrowth) {
  // Small messages until the ring wraps, then one larger than the whole ring: the ring grows with
  // part of its data wrapped, and every message still comes out in order.
  mproc::Queue<std::string> q;
  int next_put = 0, next_get = 0;
  for (int round = 0; round < 40; ++round) {
    for (int i = 0; i < 500; ++i) q.put(std::to_string(next_put++) + std::string(20, 'p'));
    for (int i = 0; i < 490; ++i) {
      ASSERT_EQ(q.get_nowait(), std::to_string(next_get++) + std::string(20, 'p'));
    }
  }
  std::string huge = queue_test::blob(1, 1 << 20);
  q.put(huge);
  q.put("after");
  while (next_get < next_put) {
    ASSERT_EQ(q.get_nowait(), std::to_string(next_get++) + std::string(20, 'p'));
  }
  EXPECT_EQ(q.get_nowait(), huge);
  EXPECT_EQ(q.get_nowait(), "after");
  EXPECT_TRUE(q.empty());
}

TEST(Queue, ZeroByteMessagesArePreserved) {
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(nullptr, &q), MPROC_OK);
  ASSERT_EQ(mproc_queue_put(q, nullptr, 0, 0), MPROC_OK);
  ASSERT_EQ(mproc_queue_put(q, "x", 1, 0), MPROC_OK);
  ASSERT_EQ(mproc_queue_put(q, nullptr, 0, 0), MPROC_OK);
  size_t n = 0;
  ASSERT_EQ(mproc_queue_qsize(q, &n), MPROC_OK);
  EXPECT_EQ(n, 3u);
  size_t len = 99;
  ASSERT_EQ(mproc_queue_get(q, nullptr, 0, &len, 0), MPROC_OK);
  EXPECT_EQ(len, 0u);
  char c = 0;
  ASSERT_EQ(mproc_queue_get(q, &c, 1, &len, 0), MPROC_OK);
  EXPECT_EQ(len, 1u);
  ASSERT_EQ(mproc_queue_get(q, nullptr, 0, &len, 0), MPROC_OK);
  EXPECT_EQ(len, 0u);
  mproc_queue_destroy(q);

  mproc::Queue<std::string> typed;
  typed.put("");
  EXPECT_EQ(typed.get_nowait(), "");
}

TEST(Queue, PutNowaitOnAFullQueueThrowsFullAndGetNowaitOnAnEmptyOneThrowsEmpty) {
  mproc::Queue<int> q(2);
  q.put_nowait(1);
  q.put_nowait(2);
  EXPECT_TRUE(q.full());
  EXPECT_EQ(q.qsize(), 2u);
  try {
    q.put_nowait(3);
    FAIL() << "put_nowait on a full queue succeeded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::full);
    EXPECT_TRUE(contains(e.what(), q.describe())) << e.what();
  }
  EXPECT_FALSE(q.try_put(3));
  EXPECT_EQ(q.get_nowait(), 1);
  EXPECT_EQ(q.get_nowait(), 2);
  EXPECT_TRUE(q.empty());
  try {
    q.get_nowait();
    FAIL() << "get_nowait on an empty queue succeeded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::empty);
    EXPECT_TRUE(contains(e.what(), q.describe())) << e.what();
  }
  EXPECT_FALSE(q.try_get().has_value());

  mproc_queue* c = nullptr;
  mproc_queue_options o = MPROC_QUEUE_OPTIONS_INIT;
  o.maxsize = 1;
  ASSERT_EQ(mproc_queue_create(&o, &c), MPROC_OK);
  ASSERT_EQ(mproc_queue_put(c, "a", 1, 0), MPROC_OK);
  EXPECT_EQ(mproc_queue_put(c, "b", 1, 0), MPROC_E_FULL);
  char buf[4];
  size_t len = 0;
  ASSERT_EQ(mproc_queue_get(c, buf, sizeof buf, &len, 0), MPROC_OK);
  EXPECT_EQ(mproc_queue_get(c, buf, sizeof buf, &len, 0), MPROC_E_EMPTY);
  mproc_queue_destroy(c);
}

TEST(Queue, GetAndPutTimeOutAfterTheTimeoutAndNotLongAfter) {
  mproc::Queue<int> q(1);
  auto start = steady_clock::now();
  EXPECT_FALSE(q.try_get_for(150ms).has_value());
  auto waited = steady_clock::now() - start;
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 10s);

  q.put(1);
  start = steady_clock::now();
  try {
    q.put(2, 150ms);
    FAIL() << "put on a full queue succeeded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::full);
    EXPECT_TRUE(contains(e.what(), "after 150 ms")) << e.what();
  }
  waited = steady_clock::now() - start;
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 10s);

  q.get_nowait();
  start = steady_clock::now();
  try {
    q.get(150ms);
    FAIL() << "get on an empty queue succeeded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::empty);
  }
  waited = steady_clock::now() - start;
  EXPECT_GE(waited, 150ms);
  EXPECT_LT(waited, 10s);
}

TEST(Queue, AMessageOverTheMaximumIsTooBigNamingTheQueueAndBothSizes) {
  mproc_queue_options o = MPROC_QUEUE_OPTIONS_INIT;
  o.name = "small";
  o.max_message_size = 100;
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(&o, &q), MPROC_OK);
  std::string msg(101, 'x');
  EXPECT_EQ(mproc_queue_put(q, msg.data(), msg.size(), 0), MPROC_E_TOO_BIG);
  std::string text = mproc_last_error();
  EXPECT_TRUE(contains(text, "Queue 'small'")) << text;
  EXPECT_TRUE(contains(text, "101 bytes")) << text;
  EXPECT_TRUE(contains(text, "100 bytes")) << text;
  EXPECT_EQ(mproc_queue_put(q, msg.data(), 100, 0), MPROC_OK);
  mproc_queue_destroy(q);

  mproc::queue_options typed;
  typed.max_message_size = 64;
  mproc::Queue<std::string> s(typed);
  try {
    s.put(std::string(100, 'y'));
    FAIL() << "a message over the maximum was accepted";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::too_big);
  }
}

TEST(Queue, ABufferTooShortLeavesTheMessageInTheQueue) {
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(nullptr, &q), MPROC_OK);
  ASSERT_EQ(mproc_queue_put(q, "0123456789", 10, 0), MPROC_OK);
  char small[4];
  size_t len = 0;
  EXPECT_EQ(mproc_queue_get(q, small, sizeof small, &len, 0), MPROC_E_BUFFER_TOO_SHORT);
  EXPECT_EQ(len, 10u);
  char big[16];
  ASSERT_EQ(mproc_queue_get(q, big, sizeof big, &len, 0), MPROC_OK);
  EXPECT_EQ(std::string(big, len), "0123456789");
  mproc_queue_destroy(q);
}

TEST(Queue, GetAllocAsksForExactlyTheMessageSize) {
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(nullptr, &q), MPROC_OK);
  ASSERT_EQ(mproc_queue_put(q, "abc", 3, 0), MPROC_OK);
  ASSERT_EQ(mproc_queue_put(q, "def", 3, 0), MPROC_OK);
  std::string out;
  size_t len = 0;
  auto alloc = [](void* ud, size_t size) -> void* {
    auto* s = static_cast<std::string*>(ud);
    s->resize(size);
    return &(*s)[0];
  };
  ASSERT_EQ(mproc_queue_get_alloc(q, alloc, &out, &len, 0), MPROC_OK);
  EXPECT_EQ(out, "abc");
  auto refuse = [](void*, size_t) -> void* { return nullptr; };
  EXPECT_EQ(mproc_queue_get_alloc(q, refuse, nullptr, &len, 0), MPROC_E_NOMEM);
  ASSERT_EQ(mproc_queue_get_alloc(q, alloc, &out, &len, 0), MPROC_OK);
  EXPECT_EQ(out, "def") << "a refused message stays in the queue";
  mproc_queue_destroy(q);
}

TEST(Queue, PutvConcatenatesItsPartsIntoOneMessage) {
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(nullptr, &q), MPROC_OK);
  const mproc_queue_part parts[3] = {{"head:", 5}, {nullptr, 0}, {"body", 4}};
  ASSERT_EQ(mproc_queue_putv(q, parts, 3, 0), MPROC_OK);
  ASSERT_EQ(mproc_queue_putv(q, nullptr, 0, 0), MPROC_OK);  // an empty message
  char buf[16];
  size_t len = 0;
  ASSERT_EQ(mproc_queue_get(q, buf, sizeof buf, &len, 0), MPROC_OK);
  EXPECT_EQ(std::string(buf, len), "head:body");
  ASSERT_EQ(mproc_queue_get(q, buf, sizeof buf, &len, 0), MPROC_OK);
  EXPECT_EQ(len, 0u);
  const mproc_queue_part bad[1] = {{nullptr, 3}};
  EXPECT_EQ(mproc_queue_putv(q, bad, 1, 0), MPROC_E_INVAL);
  const mproc_queue_part huge[2] = {{"a", SIZE_MAX}, {"b", SIZE_MAX}};
  EXPECT_EQ(mproc_queue_putv(q, huge, 2, 0), MPROC_E_TOO_BIG);
  mproc_queue_destroy(q);
}

TEST(Queue, GetVisitSeesAWrappedMessageInTwoPieces) {
  mproc_queue_options o = MPROC_QUEUE_OPTIONS_INIT;
  o.buffer_size = 64 * 1024;
  mproc_queue* q = nullptr;
  ASSERT_EQ(mproc_queue_create(&o, &q), MPROC_OK);
  // A first record (8-byte header + payload) that ends 16 bytes before the end of the ring, so
  // that the next message's payload starts 8 bytes before the end and wraps.
  std::string filler(64 * 1024 - 24, 'f');
  ASSERT_EQ(mproc_queue_put(q, filler.data(), filler.size(), 0), MPROC_OK);
  size_t len = 0;
  std::vector<char> sink(filler.size());
  ASSERT_EQ(mproc_queue_get(q, sink.data(), sink.size(), &len, 0), MPROC_OK);
  std::string message = queue_test::blob(3, 100);
  ASSERT_EQ(mproc_queue_put(q, message.data(), message.size(), 0), MPROC_OK);
  struct seen {
    std::vector<std::string> pieces;
  } s;
  auto visit = [](void* ud, const void* a, size_t alen, const void* b, size_t blen) {
    auto* v = static_cast<seen*>(ud);
    v->pieces.emplace_back(static_cast<const char*>(a), alen);
    if (b != nullptr) v->pieces.emplace_back(static_cast<const char*>(b), blen);
  };
  ASSERT_EQ(mproc_queue_get_visit(q, visit, &s, &len, 0), MPROC_OK);
  EXPECT_EQ(len, 100u);
  ASSERT_EQ(s.pieces.size(), 2u);
  EXPECT_EQ(s.pieces[0].size(), 8u);
  EXPECT_EQ(s.pieces[0] + s.pieces[1], message);
  EXPECT_EQ(mproc_queue_get_visit(q, visit, &s, &len, 0), MPROC_E_EMPTY);
  EXPECT_EQ(mproc_queue_get_visit(q, nullptr, nullptr, &len, 0), MPROC_E_INVAL);

  // The facade decodes a wrapped message too.
  mproc::queue_options small;
  small.buffer_size = 64 * 1024;
  mproc::Queue<std::string> typed(small);
  for (int i = 0; i < 200; ++i) {
    std::string v = queue_test::blob(i, static_cast<size_t>(1000 + i * 7));
    typed.put(v);
    ASSERT_EQ(typed.get_nowait(), v);
  }
  mproc_queue_destroy(q);
}

TEST(Queue, CloseMakesPutAndGetOfThisHandleFailWithClosed) {
  mproc::Queue<int> q;
  q.put(1);
  auto other = mproc::Queue<int>::open(q.handle());  // another handle, as another process has
  q.close();
  q.close();  // harmless
  for (int step = 0; step < 2; ++step) {
    try {
      if (step == 0) {
        q.put(2);
      } else {
        q.get(1s);
      }
      FAIL() << "a closed queue accepted " << (step == 0 ? "put" : "get");
    } catch (const mproc::error& e) {
      EXPECT_EQ(e.code(), mproc::errc::closed);
      EXPECT_TRUE(contains(e.what(), q.describe() + " is closed")) << e.what();
    }
  }
  q.join_thread();  // nothing to join: kept for Python's API
  EXPECT_EQ(other.get(kWait), 1) << "messages put before close stay for the others";
  other.put(3);
  EXPECT_EQ(other.get(kWait), 3);
}

TEST(Queue, ShutdownFailsPutsDrainsGetsThenReportsEof) {
  mproc::Queue<int> q;
  q.put(1);
  q.put(2);
  q.shutdown();
  try {
    q.put(3);
    FAIL() << "put after shutdown succeeded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::closed);
    EXPECT_TRUE(contains(e.what(), "shut down")) << e.what();
  }
  EXPECT_EQ(q.get(kWait), 1);
  EXPECT_EQ(q.get(kWait), 2);
  try {
    q.get(kWait);
    FAIL() << "get on a shut-down empty queue succeeded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::eof);
  }

  mproc::JoinableQueue<int> j;
  j.put(1);
  j.put(2);
  j.shutdown(/*immediate=*/true);
  EXPECT_TRUE(j.empty());
  EXPECT_TRUE(j.join(1s)) << "messages dropped by an immediate shutdown count as done";
}

TEST(Queue, NullAndInvalidArgumentsAreRefusedNamingTheQueue) {
  mproc_queue* q = nullptr;
  EXPECT_EQ(mproc_queue_create(nullptr, nullptr), MPROC_E_INVAL);
  mproc_queue_options o = MPROC_QUEUE_OPTIONS_INIT;
  o.kind = 42;
  EXPECT_EQ(mproc_queue_create(&o, &q), MPROC_E_INVAL);
  o.kind = MPROC_QUEUE_KIND_SIMPLE;
  o.maxsize = 3;
  EXPECT_EQ(mproc_queue_create(&o, &q), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "SimpleQueue")) << mproc_last_error();
  o = MPROC_QUEUE_OPTIONS_INIT;
  o.name = "named";
  ASSERT_EQ(mproc_queue_create(&o, &q), MPROC_OK);
  size_t len = 0;
  EXPECT_EQ(mproc_queue_put(q, nullptr, 3, 0), MPROC_E_INVAL);
  EXPECT_TRUE(contains(mproc_last_error(), "Queue 'named'")) << mproc_last_error();
  EXPECT_EQ(mproc_queue_put(q, "a", 1, -7), MPROC_E_INVAL);
  EXPECT_EQ(mproc_queue_get(q, nullptr, 4, &len, 0), MPROC_E_INVAL);
  EXPECT_EQ(mproc_queue_get(q, nullptr, 0, nullptr, 0), MPROC_E_INVAL);
  EXPECT_EQ(mproc_queue_get_alloc(q, nullptr, nullptr, &len, 0), MPROC_E_INVAL);
  EXPECT_EQ(mproc_queue_task_done(q), MPROC_E_STATE);
  EXPECT_TRUE(contains(mproc_last_error(), "Queue 'named' is not a JoinableQueue"))
      << mproc_last_error();
  EXPECT_EQ(mproc_queue_join(q, 0), MPROC_E_STATE);
  EXPECT_EQ(mproc_queue_put(nullptr, "a", 1, 0), MPROC_E_INVAL);
  EXPECT_EQ(mproc_queue_open(0, MPROC_QUEUE_KIND_QUEUE, nullptr, nullptr), MPROC_E_INVAL);
  mproc_queue_destroy(q);
}

TEST(Queue, WrongKindOrElementTypeIsATypeMismatchNamingBoth) {
  mproc::SimpleQueue<int> simple;
  mproc_queue* q = nullptr;
  EXPECT_EQ(mproc_queue_open(simple.handle(), MPROC_QUEUE_KIND_QUEUE, nullptr, &q),
            MPROC_E_TYPE_MISMATCH);
  EXPECT_TRUE(contains(mproc_last_error(), "SimpleQueue '")) << mproc_last_error();
  EXPECT_TRUE(contains(mproc_last_error(), "opened as a Queue")) << mproc_last_error();

  mproc::Queue<int> ints;
  EXPECT_EQ(mproc_queue_open(ints.handle(), MPROC_QUEUE_KIND_JOINABLE, nullptr, &q),
            MPROC_E_TYPE_MISMATCH);
  EXPECT_EQ(mproc_queue_open(ints.handle(), MPROC_QUEUE_KIND_QUEUE, "std::string", &q),
            MPROC_E_TYPE_MISMATCH);
  EXPECT_TRUE(contains(mproc_last_error(), "carries int but was opened as a Queue of std::string"))
      << mproc_last_error();
  ASSERT_EQ(mproc_queue_open(ints.handle(), MPROC_QUEUE_KIND_QUEUE, nullptr, &q), MPROC_OK)
      << "without a type name, nothing is checked";
  mproc_queue_destroy(q);

  mproc::JoinableQueue<int> joinable;
  auto as_queue = mproc::Queue<int>::open(joinable.handle());  // a JoinableQueue is a Queue
  as_queue.put(5);
  EXPECT_EQ(joinable.get(kWait), 5);

  {
    mproc_test::platform::OsPipe pipe;
    EXPECT_EQ(mproc_queue_open(pipe.read_end(), MPROC_QUEUE_KIND_QUEUE, nullptr, &q),
              MPROC_E_TYPE_MISMATCH);
    EXPECT_TRUE(contains(mproc_last_error(), "not an mproc object")) << mproc_last_error();
  }
  EXPECT_EQ(mproc_queue_open(987654, MPROC_QUEUE_KIND_QUEUE, nullptr, &q), MPROC_E_OS);
}

TEST(Queue, JoinableQueueTaskDoneTooManyTimesIsARangeError) {
  mproc::JoinableQueue<int> q;
  q.put(1);
  EXPECT_FALSE(q.join(100ms));
  EXPECT_EQ(q.get(kWait), 1);
  q.task_done();
  EXPECT_TRUE(q.join(kWait));
  try {
    q.task_done();
    FAIL() << "task_done() with nothing unfinished succeeded";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::out_of_range);
    EXPECT_TRUE(contains(e.what(), "task_done() called too many times")) << e.what();
    EXPECT_TRUE(contains(e.what(), q.describe())) << e.what();
  }
}

TEST(Queue, SixtyFourMebibyteMessagePassesThroughADefaultQueue) {
  mproc::Queue<std::vector<char>> q;
  auto v = queue_test::big_vector(64u << 20, 1);
  q.put(v);
  q.put({'e', 'n', 'd'});
  EXPECT_EQ(q.get(kWait), v);
  EXPECT_EQ(q.get(kWait), (std::vector<char>{'e', 'n', 'd'}));
}

TEST(Queue, ThreadsOfOneProcessShareAHandle) {
  mproc::Queue<int> q(8);
  constexpr int kEach = 20000;
  std::vector<std::thread> producers;
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([q, t]() mutable {
      for (int i = 0; i < kEach; ++i) q.put(t * kEach + i, kWait);
    });
  }
  std::vector<int> last(3, -1);
  bool in_order = true;
  for (int n = 0; n < 3 * kEach; ++n) {
    int v = q.get(kWait);
    int t = v / kEach;
    in_order = in_order && v % kEach == last[t] + 1;
    last[t] = v % kEach;
  }
  for (auto& th : producers) th.join();
  EXPECT_TRUE(in_order);
  EXPECT_TRUE(q.empty());
}

// ---- across processes, under every start method ------------------------------------------------

TEST_P(QueueTest, SeedProducerConsumerWithANoneSentinel) {
  mproc::Queue<std::optional<int>> q;
  mproc::Queue<int> seen;
  mproc::Process p1(ctx(), mproc::fn<&seed_producer>, q);
  mproc::Process p2(ctx(), mproc::fn<&seed_consumer>, q, seen);
  p1.start();
  p2.start();
  expect_clean_exit(p1);
  expect_clean_exit(p2);
  std::vector<int> got;
  for (int v = seen.get(kWait); v != -1; v = seen.get(kWait)) got.push_back(v);
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST_P(QueueTest, SeedResultsOfTwoJobsAreSummedAfterJoiningThem) {
  mproc::Queue<long long> q;
  mproc::Process p1(ctx(), mproc::fn<&job>, q);
  mproc::Process p2(ctx(), mproc::fn<&job>, q);
  p1.start();
  p2.start();
  expect_clean_exit(p1);  // joined before get, as the seed does
  expect_clean_exit(p2);
  long long res1 = q.get(kWait);
  long long res2 = q.get(kWait);
  EXPECT_EQ(res1, 249833583000LL);
  EXPECT_EQ(res2, 249833583000LL);
  EXPECT_EQ(res1 + res2, 499667166000LL);
}

TEST_P(QueueTest, FifoFromOneProducerInAnotherProcess) {
  mproc::Queue<int> q;
  mproc::Process p(ctx(), mproc::fn<&put_range>, q, 0, 20000);
  p.start();
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(q.get(kWait), i);
  expect_clean_exit(p);
}

TEST_P(QueueTest, FourProducersTwoConsumersEveryMessageOnceInOrderPerProducer) {
  constexpr int kProducers = 4, kConsumers = 2, kEach = 5000;
  mproc::Queue<std::pair<int, int>> q(100);  // bounded: producers block and wake too
  mproc::Queue<std::vector<std::pair<int, int>>> out;
  std::vector<mproc::Process> consumers, producers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back(ctx(), mproc::fn<&consume_tagged>, q, out);
    consumers.back().start();
  }
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back(ctx(), mproc::fn<&produce_tagged>, q, p, kEach);
    producers.back().start();
  }
  for (auto& p : producers) expect_clean_exit(p);
  for (int c = 0; c < kConsumers; ++c) q.put({-1, 0}, kWait);
  std::map<int, std::vector<int>> all;
  for (int c = 0; c < kConsumers; ++c) {
    auto got = out.get(kWait);
    std::map<int, int> last;
    for (auto [producer, seq] : got) {
      auto it = last.find(producer);
      EXPECT_TRUE(it == last.end() || seq > it->second)
          << "producer " << producer << ": " << seq << " after " << it->second;
      last[producer] = seq;
      all[producer].push_back(seq);
    }
  }
  for (auto& c : consumers) expect_clean_exit(c);
  ASSERT_EQ(all.size(), static_cast<size_t>(kProducers));
  for (auto& [producer, seqs] : all) {
    std::sort(seqs.begin(), seqs.end());
    ASSERT_EQ(seqs.size(), static_cast<size_t>(kEach)) << "producer " << producer;
    for (int i = 0; i < kEach; ++i) ASSERT_EQ(seqs[static_cast<size_t>(i)], i);
  }
}

TEST_P(QueueTest, ZeroByteAndSixtyFourMebibyteMessagesCrossProcesses) {
  mproc::Queue<std::vector<char>> to_parent;
  mproc::Process p(ctx(), mproc::fn<&put_big>, to_parent, std::uint64_t{64} << 20);
  p.start();
  EXPECT_EQ(to_parent.get(kWait), queue_test::big_vector(64u << 20, 7));
  expect_clean_exit(p);

  mproc::Queue<std::vector<char>> to_child;
  mproc::Process c(ctx(), mproc::fn<&get_big_expect>, to_child, std::uint64_t{64} << 20);
  to_child.put(queue_test::big_vector(64u << 20, 7));
  c.start();
  expect_clean_exit(c);

  mproc::Queue<std::string> empty_messages;
  mproc::Process e(ctx(), mproc::fn<&get_bytes_expect>, empty_messages, std::string());
  e.start();
  empty_messages.put("");
  expect_clean_exit(e);
}

TEST_P(QueueTest, TheRingGrowsWhileAnotherProcessReadsAndEveryMessageSurvives) {
  mproc::Queue<std::string> q;
  mproc::Process p(ctx(), mproc::fn<&put_varied>, q, 1000);
  p.start();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(q.get(kWait), queue_test::blob(i, queue_test::varied_size(i))) << "message " << i;
  }
  expect_clean_exit(p);
  EXPECT_TRUE(q.empty());
}

TEST_P(QueueTest, AConsumerStartedAfterTheProducerExitedGetsEveryMessage) {
  mproc::Queue<std::string> q;
  {
    mproc::Process producer(ctx(), mproc::fn<&put_blobs>, q, 100, 1000);
    producer.start();
    expect_clean_exit(producer);
  }
  mproc::Process consumer(ctx(), mproc::fn<&get_blobs_expect>, q, 100, 1000);
  consumer.start();
  expect_clean_exit(consumer);
}

TEST_P(QueueTest, AProducerOfFiftyMegabytesCanBeJoinedBeforeAnyoneGets) {
  // CPython deadlocks here: its feeder thread keeps the producer alive until the pipe is drained.
  mproc::Queue<std::string> q;
  mproc::Process p(ctx(), mproc::fn<&put_blobs>, q, 50, 1000 * 1000);
  p.start();
  expect_clean_exit(p);
  EXPECT_EQ(q.qsize(), 50u);
  for (int i = 0; i < 50; ++i) ASSERT_EQ(q.get(kWait), queue_test::blob(i, 1000 * 1000));
}

TEST_P(QueueTest, BoundedPutBlocksUntilAConsumerInAnotherProcessGets) {
  mproc::Queue<int> q(1);
  mproc::Process p(ctx(), mproc::fn<&take_two>, q);
  q.put(1);
  p.start();
  q.put(2, kWait);  // only possible once the child took 1
  expect_clean_exit(p);
}

TEST_P(QueueTest, ShutdownWakesAConsumerBlockedInAnotherProcess) {
  mproc::Queue<int> q;
  mproc::Process p(ctx(), mproc::fn<&get_until_eof>, q);
  p.start();
  q.put(1);
  q.put(2);
  q.shutdown();
  expect_clean_exit(p, 12);
}

TEST_P(QueueTest, ClosedInTheParentStillDeliversToAChild) {
  mproc::Queue<int> q;
  mproc::Process p(ctx(), mproc::fn<&get_range_expect>, q, 0, 3);
  for (int i = 0; i < 3; ++i) q.put(i);
  p.start();
  q.close();
  expect_clean_exit(p);
}

TEST_P(QueueTest, JoinableQueueTaskDoneAndJoinAcrossProcesses) {
  mproc::JoinableQueue<int> q;
  mproc::Queue<long long> out;
  mproc::Process worker(ctx(), mproc::fn<&joinable_worker>, q, out);
  worker.start();
  for (int i = 1; i <= 100; ++i) q.put(i);
  q.put(-1);
  EXPECT_TRUE(q.join(kWait));
  EXPECT_EQ(out.get(kWait), 5050);
  expect_clean_exit(worker);
  EXPECT_THROW(q.task_done(), mproc::error);
}

TEST_P(QueueTest, SimpleQueueGetPutEmptyClose) {
  mproc::SimpleQueue<std::string> in, out;
  mproc::Process p(ctx(), mproc::fn<&simple_echo>, in, out);
  p.start();
  EXPECT_TRUE(out.empty());
  in.put("hello");
  in.put("bye");
  EXPECT_EQ(out.get(kWait), "hello!");
  EXPECT_EQ(out.get(kWait), "bye!");
  expect_clean_exit(p);
  out.close();
  EXPECT_THROW(out.put("x"), mproc::error);
}

TEST_P(QueueTest, StringsAndStructsTravelThroughTheCodec) {
  {
    mproc::Queue<queue_test::point> in, out;
    mproc::Process p(ctx(), mproc::fn<&echo<queue_test::point>>, in, out);
    p.start();
    in.put({3, -2.5});
    EXPECT_EQ(out.get(kWait), (queue_test::point{3, -2.5}));
    expect_clean_exit(p);
  }
  {
    mproc::Queue<queue_test::record> in, out;
    mproc::Process p(ctx(), mproc::fn<&echo<queue_test::record>>, in, out);
    p.start();
    queue_test::record r{"r\0x", {1, 2, 3}, {{"pi", 3.14}, {"e", 2.72}}};
    r.name = std::string("r\0x", 3);
    in.put(r);
    EXPECT_EQ(out.get(kWait), r);
    expect_clean_exit(p);
  }
  {
    mproc::Queue<std::map<std::string, std::vector<std::string>>> in, out;
    mproc::Process p(ctx(), mproc::fn<&echo<std::map<std::string, std::vector<std::string>>>>,
                     in, out);
    p.start();
    std::map<std::string, std::vector<std::string>> m{{"a", {"x", ""}}, {"", {}}};
    in.put(m);
    EXPECT_EQ(out.get(kWait), m);
    expect_clean_exit(p);
  }
}

TEST_P(QueueTest, OpeningAnotherKindOfHandleInAChildIsATypeMismatch) {
  mproc::SimpleQueue<int> simple;
  {
    mproc::Process p(ctx(), mproc::fn<&open_handle_as_queue>, 0, std::string("SimpleQueue '"));
    size_t index = 99;
    ASSERT_EQ(mproc_process_add_handle(p.native_handle(), simple.handle(), &index), MPROC_OK);
    ASSERT_EQ(index, 0u);
    p.start();
    expect_clean_exit(p);
  }
  {
    mproc::Process p(ctx(), mproc::fn<&open_handle_as_queue>, 0,
                     std::string("not an mproc object"));
    {
      mproc_test::platform::OsPipe pipe;
      ASSERT_EQ(mproc_process_add_handle(p.native_handle(), pipe.read_end(), nullptr), MPROC_OK);
    }
    p.start();
    expect_clean_exit(p);
  }
  {
    mproc::Queue<int> ints;
    mproc::Process p(ctx(), mproc::fn<&open_handle_as_string_queue>, 0);
    ASSERT_EQ(mproc_process_add_handle(p.native_handle(), ints.handle(), nullptr), MPROC_OK);
    p.start();
    expect_clean_exit(p);
  }
}

// A producer killed in the middle of copying a message, holding the put lock: the next producer
// gets the lock (owner died), rolls the half-written message back and records the loss; nothing
// else is lost or duplicated, and the loss is reported once, where the message would have been.
TEST_P(QueueTest, AProducerKilledMidPutLosesOnlyThatMessageAndTheNextProducerRepairs) {
  mproc_test::TempDir dir;
  std::string marker = dir.file("paused");
  mproc::Queue<std::string> q;
  mproc::Process victim(ctx(), mproc::fn<&put_then_pause>, q,
                        std::vector<std::string>{"one", "two", "three"}, marker);
  victim.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(marker); }))
      << "the producer never reached the middle of its put";
  mproc::Process next(ctx(), mproc::fn<&put_strings>, q,
                      std::vector<std::string>{"after-1", "after-2"});
  next.start();  // blocks on the put lock until the victim is gone
  victim.kill();
  ASSERT_TRUE(victim.join(kJoinTimeout));
  EXPECT_EQ(victim.exitcode(), -9);
  expect_clean_exit(next);

  EXPECT_EQ(q.get(kWait), "one");
  EXPECT_EQ(q.get(kWait), "two");
  EXPECT_EQ(q.get(kWait), "three");
  try {
    q.get(kWait);
    FAIL() << "the lost message was not reported";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::message_lost);
    EXPECT_TRUE(contains(e.what(), q.describe())) << e.what();
    EXPECT_TRUE(contains(e.what(), "putting")) << e.what();
  }
  EXPECT_EQ(q.get(kWait), "after-1");
  EXPECT_EQ(q.get(kWait), "after-2");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.lost(), 1u);
  q.put("still works");
  EXPECT_EQ(q.get(kWait), "still works");
}

// The same, when no other producer comes: a consumer notices the dead producer by itself, whether
// it arrives later or is already blocked in get.
TEST_P(QueueTest, AConsumerNoticesAProducerKilledMidPut) {
  mproc_test::TempDir dir;
  std::string marker = dir.file("paused");
  mproc::Queue<std::string> q;
  mproc::Process victim(ctx(), mproc::fn<&put_then_pause>, q, std::vector<std::string>{"one"},
                        marker);
  victim.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(marker); }));
  EXPECT_EQ(q.get(kWait), "one");
  mproc::Process waiting(ctx(), mproc::fn<&expect_lost>, q);
  waiting.start();  // blocks: the queue is empty and a put is in progress
  victim.kill();
  ASSERT_TRUE(victim.join(kJoinTimeout));
  expect_clean_exit(waiting);
  EXPECT_EQ(q.lost(), 1u);
  EXPECT_TRUE(q.empty());

  // And a consumer that comes after the producer was killed and joined.
  std::string marker2 = dir.file("paused2");
  mproc::Process victim2(ctx(), mproc::fn<&put_then_pause>, q, std::vector<std::string>{},
                         marker2);
  victim2.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(marker2); }));
  victim2.kill();
  ASSERT_TRUE(victim2.join(kJoinTimeout));
  try {
    q.get(kWait);
    FAIL() << "the lost message was not reported";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::message_lost);
  }
  EXPECT_EQ(q.lost(), 2u);
  q.put("fine");
  EXPECT_EQ(q.get(kWait), "fine");
}

// A consumer killed in the middle of copying a message, holding the get lock: the next consumer
// repairs; that one message is dropped and reported once, the others arrive exactly once.
TEST_P(QueueTest, AConsumerKilledMidGetLosesOnlyThatMessage) {
  mproc_test::TempDir dir;
  std::string marker = dir.file("paused");
  mproc::Queue<std::string> q, report;
  q.put("A");
  q.put("B");
  q.put("C");
  mproc::Process victim(ctx(), mproc::fn<&get_then_pause>, q, report, marker);
  victim.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(marker); }))
      << "the consumer never reached the middle of its get";
  victim.kill();
  ASSERT_TRUE(victim.join(kJoinTimeout));
  EXPECT_EQ(report.get(kWait), "A");
  try {
    q.get(kWait);
    FAIL() << "the lost message was not reported";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::message_lost);
    EXPECT_TRUE(contains(e.what(), "getting")) << e.what();
  }
  EXPECT_EQ(q.get(kWait), "C");
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.lost(), 1u);
  q.put("D");
  EXPECT_EQ(q.get(kWait), "D");
}

TEST_P(QueueTest, AMessageLostInAJoinableQueueCountsAsDone) {
  mproc_test::TempDir dir;
  std::string marker = dir.file("paused");
  mproc::JoinableQueue<std::string> q;
  mproc::Queue<std::string> report;
  q.put("A");
  q.put("B");
  mproc::Process victim(ctx(), mproc::fn<&get_then_pause>, q, report, marker);  // as a Queue
  victim.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(marker); }));
  victim.kill();
  ASSERT_TRUE(victim.join(kJoinTimeout));
  EXPECT_EQ(report.get(kWait), "A");
  EXPECT_FALSE(q.join(50ms));
  try {
    q.get(kWait);
    FAIL() << "the lost message was not reported";
  } catch (const mproc::error& e) {
    EXPECT_EQ(e.code(), mproc::errc::message_lost);
  }
  q.task_done();  // for "A", which the killed consumer took but never marked done
  EXPECT_TRUE(q.join(kWait)) << "the lost \"B\" was counted as done when its loss was reported";
  EXPECT_THROW(q.task_done(), mproc::error);
}

TEST_P(QueueTest, AConsumerKilledWhileBlockedLeavesTheQueueUsable) {
  mproc_test::TempDir dir;
  std::string marker = dir.file("waiting");
  mproc::Queue<int> q;
  mproc::Process p(ctx(), mproc::fn<&block_in_get>, q, marker);
  p.start();
  ASSERT_TRUE(mproc_test::eventually([&] { return mproc_test::file_exists(marker); }));
  p.kill();
  ASSERT_TRUE(p.join(kJoinTimeout));
  for (int i = 0; i < 1000; ++i) q.put(i);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(q.get(kWait), i);
  EXPECT_EQ(q.lost(), 0u);
}

TEST_P(QueueTest, NothingLeaksInDevShmOrInThisProcessesFds) {
  {  // warm up: a first child may open descriptors that live as long as the process (forkserver)
    mproc::Queue<int> q;
    mproc::Process p(ctx(), mproc::fn<&put_range>, q, 0, 1);
    p.start();
    expect_clean_exit(p);
  }
  mproc::active_children();  // reaps the records of earlier children (their descriptors go)
  auto shm_before = mproc_test::platform::shared_memory_names();
  auto fds_before = mproc_test::platform::open_handles();
  for (int round = 0; round < 3; ++round) {
    mproc::Queue<std::string> q;
    mproc::JoinableQueue<int> j(4);
    mproc::SimpleQueue<int> s;
    mproc::Process p(ctx(), mproc::fn<&put_blobs>, q, 20, 100000);  // grows the segment
    p.start();
    expect_clean_exit(p);
    for (int i = 0; i < 20; ++i) q.get(kWait);
    j.put(1);
    s.put(2);
  }
  mproc::active_children();
  EXPECT_EQ(mproc_test::platform::shared_memory_names(), shm_before);
  EXPECT_EQ(mproc_test::platform::open_handles(), fds_before);
}

MPROC_INSTANTIATE_FOR_METHODS(QueueTest);

}  // namespace
