// Seed 003's Pipe section: three processes share one duplex Pipe — I1 on one end, I2 and I3 on
// the other — then poll() on a Pipe in one process.
//
//   I1 send1            I2 send            I3 send
//   I1 send2            I2 recv I1_send1   I3 recv I1_send2     (order varies from run to run)
//   I1 recv I2          I1 recv I3
//   False
//   True
//   A False             (after two seconds: poll(2 s) found nothing more)
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "mproc/mproc.hpp"

using Conn = mproc::Connection<std::string>;
using namespace std::chrono_literals;

void func_pipe1(Conn conn, std::string p_id) {
  conn.send(p_id + "_send1");
  std::printf("%s send1\n\n", p_id.c_str());
  std::fflush(stdout);

  std::this_thread::sleep_for(100ms);
  conn.send(p_id + "_send2");
  std::printf("%s send2\n\n", p_id.c_str());
  std::fflush(stdout);

  std::this_thread::sleep_for(100ms);
  std::string rec = conn.recv();
  std::printf("%s recv %s\n\n", p_id.c_str(), rec.c_str());
  std::fflush(stdout);

  std::this_thread::sleep_for(100ms);
  rec = conn.recv();
  std::printf("%s recv %s\n\n", p_id.c_str(), rec.c_str());
}

void func_pipe2(Conn conn, std::string p_id) {
  conn.send(p_id);
  std::printf("%s send\n\n", p_id.c_str());
  std::fflush(stdout);
  std::this_thread::sleep_for(100ms);
  std::string rec = conn.recv();
  std::printf("%s recv %s\n\n", p_id.c_str(), rec.c_str());
}

const char* py_bool(bool b) { return b ? "True" : "False"; }

int main(int argc, char** argv) {
  mproc::init(argc, argv);
  {
    Conn conn1, conn2;
    std::tie(conn1, conn2) = mproc::Pipe<std::string>();
    std::vector<mproc::Process> process;
    process.emplace_back(mproc::fn<&func_pipe1>, conn1, std::string("I1"));
    process.emplace_back(mproc::fn<&func_pipe2>, conn2, std::string("I2"));
    process.emplace_back(mproc::fn<&func_pipe2>, conn2, std::string("I3"));
    for (auto& p : process) p.start();
    for (auto& p : process) p.join();
  }

  Conn conn1, conn2;
  std::tie(conn1, conn2) = mproc::Pipe<std::string>(/*duplex=*/true);  // both ends send and receive
  conn1.send("A");
  std::printf("%s\n", py_bool(conn1.poll()));  // False: nothing waits for conn1
  std::printf("%s\n", py_bool(conn2.poll()));  // True: conn1's 'A' waits for conn2
  std::string a = conn2.recv();
  std::printf("%s %s\n", a.c_str(), py_bool(conn2.poll(2s)));  // waits 2 s, then: A False
  return 0;
}
