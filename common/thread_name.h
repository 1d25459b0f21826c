// NameThisThread: gives the calling thread a name (at most 15 characters are kept) that `top -H`,
// `ps -L`, /proc/<pid>/task/*/comm, perf and gdb show, so an operator can tell which part of
// dispatchd uses the CPU: the timer engine ("timers"), routing ("routing"), the projector
// ("projector"), the archiver ("archiver"), the watch hub ("watch-hub"), a resumed watch's
// catch-up ("watch-catchup"), the org refresher ("org-refresh"), a Redis connection's I/O
// thread ("redis-io").
#ifndef DISPATCH_COMMON_THREAD_NAME_H_
#define DISPATCH_COMMON_THREAD_NAME_H_

#include <pthread.h>

#include <string>

namespace dispatch {

inline void NameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace dispatch

#endif  // DISPATCH_COMMON_THREAD_NAME_H_
