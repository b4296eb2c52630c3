#pragma once
// A minimal fork-join helper for the optional multi-threaded variants.
// POSIX threads, no exceptions: if a thread cannot be created its tasks run
// on the calling thread, so results never depend on thread creation.

#include <pthread.h>
#include <unistd.h>

#include <cstddef>
#include <type_traits>

namespace qmath::detail {

/// threads == 0 means "one per online CPU".
inline std::size_t resolve_threads(std::size_t threads) noexcept {
  if (threads != 0) return threads;
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<std::size_t>(n) : 1;
}

template <class F>
struct parallel_ctx {
  F* f;
  std::size_t begin, end;
};

template <class F>
void* parallel_trampoline(void* p) noexcept {
  auto* c = static_cast<parallel_ctx<F>*>(p);
  for (std::size_t t = c->begin; t < c->end; ++t) (*c->f)(t);
  return nullptr;
}

/// Calls f(t) for t in [0, tasks), spread over up to `threads` threads
/// (contiguous ranges of tasks; the calling thread takes the first range).
template <class F>
void parallel_for(std::size_t tasks, std::size_t threads, F&& f) noexcept {
  using Fn = std::remove_reference_t<F>;
  threads = threads < tasks ? threads : tasks;
  if (threads <= 1) {
    for (std::size_t t = 0; t < tasks; ++t) f(t);
    return;
  }
  constexpr std::size_t max_threads = 256;
  if (threads > max_threads) threads = max_threads;
  parallel_ctx<Fn> ctx[max_threads];
  pthread_t tid[max_threads];
  bool started[max_threads] = {};
  const std::size_t per = (tasks + threads - 1) / threads;
  for (std::size_t i = 0; i < threads; ++i) {
    const std::size_t b = i * per < tasks ? i * per : tasks;
    const std::size_t e = b + per < tasks ? b + per : tasks;
    ctx[i] = {&f, b, e};
  }
  for (std::size_t i = 1; i < threads; ++i) {
    started[i] = ::pthread_create(&tid[i], nullptr, &parallel_trampoline<Fn>, &ctx[i]) == 0;
  }
  parallel_trampoline<Fn>(&ctx[0]);
  for (std::size_t i = 1; i < threads; ++i) {
    if (started[i]) ::pthread_join(tid[i], nullptr);
    else parallel_trampoline<Fn>(&ctx[i]);
  }
}

}  // namespace qmath::detail
