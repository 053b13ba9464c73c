// mproc/mproc.hpp — the whole C++ facade: header-only C++17 over the C ABI (mproc/mproc.h).
#ifndef MPROC_MPROC_HPP
#define MPROC_MPROC_HPP

#include "mproc/array.hpp"
#include "mproc/async_result.hpp"
#include "mproc/barrier.hpp"
#include "mproc/codec.hpp"
#include "mproc/condition.hpp"
#include "mproc/error.hpp"
#include "mproc/event.hpp"
#include "mproc/function.hpp"
#include "mproc/handles.hpp"
#include "mproc/init.hpp"
#include "mproc/lock.hpp"
#include "mproc/mproc.h"
#include "mproc/pipe.hpp"
#include "mproc/pool.hpp"
#include "mproc/process.hpp"
#include "mproc/progress.hpp"
#include "mproc/queue.hpp"
#include "mproc/semaphore.hpp"
#include "mproc/serial.hpp"
#include "mproc/thread_pool.hpp"
#include "mproc/types.hpp"
#include "mproc/value.hpp"
#include "mproc/wait.hpp"

#endif  // MPROC_MPROC_HPP
