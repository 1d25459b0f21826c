// When the board reloads its lists: soon after a ticket event (debounced, so that a burst of
// events costs one reload, but never later than maxWaitMs after the first of them), never two
// reloads at once, never two starts closer than minGapMs, and every pollMs when nothing asked.

export function createRefresher(
  run,
  {
    debounceMs = 400,
    maxWaitMs = 2000,
    minGapMs = 1500,
    pollMs = 10000,
    now = () => Date.now(),
    setTimer = (f, ms) => setTimeout(f, ms),
    clearTimer = (h) => clearTimeout(h),
  } = {},
) {
  let running = false;
  let pending = false;
  let timer = null;
  let pollTimer = null;
  let firstAsk = NaN; // when the oldest unanswered request came
  let lastStart = -Infinity;
  let stopped = false;

  function schedule(delay) {
    if (timer !== null) clearTimer(timer);
    timer = setTimer(fire, Math.max(0, delay));
  }

  function schedulePoll() {
    if (pollTimer !== null) clearTimer(pollTimer);
    pollTimer = setTimer(() => {
      pollTimer = null;
      request(0);
    }, pollMs);
  }

  async function fire() {
    timer = null;
    if (stopped) return;
    if (running) {
      pending = true;
      return;
    }
    const gap = now() - lastStart;
    if (gap < minGapMs) {
      schedule(minGapMs - gap);
      return;
    }
    running = true;
    pending = false;
    firstAsk = NaN;
    lastStart = now();
    try {
      await run();
    } catch {
      // the caller shows its own errors; the poll retries
    } finally {
      running = false;
    }
    if (stopped) return;
    if (pending) {
      pending = false;
      request(0);
    }
    schedulePoll();
  }

  function request(delay = debounceMs) {
    if (stopped) return;
    if (running) {
      pending = true;
      return;
    }
    const t = now();
    if (!Number.isFinite(firstAsk)) firstAsk = t;
    schedule(Math.min(delay, firstAsk + maxWaitMs - t));
  }

  return {
    request,
    stop() {
      stopped = true;
      if (timer !== null) clearTimer(timer);
      if (pollTimer !== null) clearTimer(pollTimer);
    },
  };
}
