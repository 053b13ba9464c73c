// Seed 001: one process sends "hello shiyanlou" through a Pipe, another receives it.
//
//   Send Data: hello shiyanlou
//   Receive Data: hello shiyanlou
//
// (Python creates the Pipe at module level and lets the fork start method hand it to the
// children; here the ends are passed as arguments, which works under every start method.)
#include <iostream>
#include <string>
#include <tuple>

#include "mproc/mproc.hpp"

void send(mproc::Connection<std::string> conn) {
  std::string data = "hello shiyanlou";
  conn.send(data);
  std::cout << "Send Data: " << data << std::endl;
}

void recv(mproc::Connection<std::string> conn) {
  std::string data = conn.recv();
  std::cout << "Receive Data: " << data << std::endl;
}

int main(int argc, char** argv) {
  mproc::init(argc, argv);
  mproc::Connection<std::string> conn1, conn2;
  std::tie(conn1, conn2) = mproc::Pipe<std::string>();
  mproc::Process(mproc::fn<&send>, conn1).start();
  mproc::Process(mproc::fn<&recv>, conn2).start();
  // As in Python, the program's end waits for its (non-daemonic) children.
  return 0;
}
