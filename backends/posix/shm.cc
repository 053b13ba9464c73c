// backends/posix/shm.cc — shared memory as memfd + mmap: anonymous, so no /dev/shm entry exists to
// leak, even when every process using it is SIGKILLed.
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "backends/backend.h"
#include "backends/posix/fd.h"
#include "core/status.h"

struct mproc__shm {
  int fd = -1;
  void* addr = nullptr;
  size_t size = 0;
};

namespace {

mproc_status map(int fd, size_t size, const char* what, mproc__shm** out) {
  void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) {
    int e = errno;
    ::close(fd);
    return mproc__fail_os(e, std::string(what) + ": mmap of shared memory");
  }
  *out = new mproc__shm{fd, addr, size};
  return MPROC_OK;
}

}  // namespace

mproc_status mproc__shm_create(size_t size, uint64_t reserve, const char* what, mproc__shm** out) {
  if (size == 0) return mproc__failf(MPROC_E_INVAL, "%s: shared memory of 0 bytes", what);
  // A memfd is sparse and grows with ftruncate: the reservation needs nothing here; the core
  // keeps its commits within it.
  if (reserve != 0 && reserve < size) {
    return mproc__failf(MPROC_E_INTERNAL, "%s: reservation %d below the size %d", what, reserve,
                        size);
  }
  // The name only shows in /proc/<pid>/fd; it is not a file system name.
  int fd = static_cast<int>(::syscall(SYS_memfd_create, what, MFD_CLOEXEC));
  if (fd < 0) return mproc__fail_os(errno, std::string(what) + ": memfd_create");
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    int e = errno;
    ::close(fd);
    return mproc__fail_os(e, std::string(what) + ": sizing shared memory");
  }
  return map(fd, size, what, out);
}

mproc_status mproc__shm_open(intptr_t handle, const char* what, mproc__shm** out) {
  int fd = ::fcntl(static_cast<int>(handle), F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    return mproc__fail_os(errno, std::string(what) + ": handle " + std::to_string(handle));
  struct stat st;
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    int e = errno;
    ::close(fd);
    return mproc__failf(MPROC_E_INVAL, "%s: handle %d is not shared memory (%s)", what,
                        static_cast<int>(handle), mproc__os_error_text(e));
  }
  return map(fd, static_cast<size_t>(st.st_size), what, out);
}

void* mproc__shm_addr(const mproc__shm* shm) { return shm->addr; }
size_t mproc__shm_size(const mproc__shm* shm) { return shm->size; }
intptr_t mproc__shm_handle(const mproc__shm* shm) { return shm->fd; }

void mproc__shm_close(mproc__shm* shm) {
  if (shm == nullptr) return;
  ::munmap(shm->addr, shm->size);
  ::close(shm->fd);
  delete shm;
}

mproc_status mproc__shm_commit(intptr_t handle, uint64_t size, const char* what) {
  int fd = static_cast<int>(handle);
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return mproc__fail_os(errno, std::string(what) + ": fstat of shared memory");
  if (static_cast<uint64_t>(st.st_size) >= size) return MPROC_OK;
  // Sparse, like mproc__shm_create: pages are taken when first written, so a ring that doubles
  // for one large message costs the memory it uses, not twice that. (A memfd has no size limit:
  // a page that cannot be had is the OOM killer's business, as for any other memory.)
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    int e = errno;
    if (e == ENOSPC || e == ENOMEM || e == EFBIG || e == EINVAL) {
      return mproc__failf(MPROC_E_NOMEM, "%s: cannot grow shared memory to %d bytes (%s)", what,
                          size, mproc__os_error_text(e));
    }
    return mproc__fail_os(
        e, std::string(what) + ": growing shared memory to " + std::to_string(size) + " bytes");
  }
  return MPROC_OK;
}

mproc_status mproc__shm_map(intptr_t handle, uint64_t offset, size_t size, const char* what,
                            void** out) {
  void* addr = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, static_cast<int>(handle),
                      static_cast<off_t>(offset));
  if (addr == MAP_FAILED) {
    int e = errno;
    if (e == ENOMEM) {
      return mproc__failf(MPROC_E_NOMEM, "%s: cannot map %d bytes of shared memory", what, size);
    }
    return mproc__fail_os(e, std::string(what) + ": mmap of shared memory");
  }
  *out = addr;
  return MPROC_OK;
}

void mproc__shm_unmap(void* addr, size_t size) {
  if (addr != nullptr) ::munmap(addr, size);
}
