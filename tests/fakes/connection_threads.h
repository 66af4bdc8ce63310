// The connection threads of a thread-per-connection fake server
// (FakeHttpsServer, FakeSmtpServer) and the sockets they serve, so that
// stopping wakes and joins every one.
//
// Not locked itself: the server keeps it under its own mutex, the one that
// guards its counters, so that a connection is adopted and counted at once.
//
//   absl::MutexLock lock(&mu_);
//   if (!threads_.Adopt(fd, [this, fd] { Serve(fd); })) return;  // stopping
//   ++connections_;
#ifndef MTASTS_TESTS_FAKES_CONNECTION_THREADS_H_
#define MTASTS_TESTS_FAKES_CONNECTION_THREADS_H_

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

namespace mtasts::fakes {

class ConnectionThreads {
 public:
  ConnectionThreads() = default;
  ConnectionThreads(const ConnectionThreads&) = delete;
  ConnectionThreads& operator=(const ConnectionThreads&) = delete;

  bool stopping() const { return stopping_; }

  // Serves the accepted `fd` on a thread of its own; once stopping, closes
  // it instead and returns false.
  bool Adopt(int fd, std::function<void()> serve) {
    if (stopping_) {
      close(fd);
      return false;
    }
    open_fds_.push_back(fd);
    threads_.emplace_back(std::move(serve));
    return true;
  }

  // The first call marks the server stopping and shuts down every open
  // socket, which wakes the threads blocked on them, and returns true; later
  // calls return false.
  bool BeginStop() {
    if (stopping_) return false;
    stopping_ = true;
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    return true;
  }

  // The threads to join, outside the lock: they take it to finish.
  std::vector<std::thread> TakeThreads() { return std::exchange(threads_, {}); }

  // Closes `fd`, which its thread is done with. Under the lock, so that a
  // stopping server never shuts down a reused number.
  void Close(int fd) {
    open_fds_.erase(std::remove(open_fds_.begin(), open_fds_.end(), fd), open_fds_.end());
    close(fd);
  }

 private:
  bool stopping_ = false;
  std::vector<std::thread> threads_;
  std::vector<int> open_fds_;
};

}  // namespace mtasts::fakes

#endif  // MTASTS_TESTS_FAKES_CONNECTION_THREADS_H_
