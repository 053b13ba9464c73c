// mproc/mproc.hpp — the whole C++ facade: header-only C++17 over the C ABI (mproc/mproc.h).
#ifndef MPROC_MPROC_HPP
#define MPROC_MPROC_HPP

#include "mproc/async_result.hpp"
#include "mproc/codec.hpp"
#include "mproc/error.hpp"
#include "mproc/function.hpp"
#include "mproc/handles.hpp"
#include "mproc/init.hpp"
#include "mproc/mproc.h"
#include "mproc/pool.hpp"
#include "mproc/process.hpp"
#include "mproc/progress.hpp"
#include "mproc/thread_pool.hpp"

#endif  // MPROC_MPROC_HPP
