// Shared hooks: one 1-second ticker for every countdown on the page, and the app context.
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';
import { serviceClock } from './lib/time.js';

const subscribers = new Set();
let ticker = null;

// Every second; four times a second when the service clock is scaled (a demo at 600x moves
// ten service minutes a second).
const period = () => (serviceClock.scale > 1 ? 250 : 1000);
let tickerPeriod = 0;

function updateTicker() {
  if (ticker !== null && (!subscribers.size || tickerPeriod !== period())) {
    clearInterval(ticker);
    ticker = null;
  }
  if (subscribers.size && ticker === null) {
    tickerPeriod = period();
    ticker = setInterval(() => {
      for (const f of subscribers) f();
    }, tickerPeriod);
  }
}
serviceClock.subscribe(updateTicker);

// Re-renders the caller every second; returns the service's now (ms).
export function useServiceNow() {
  const [, setN] = useState(0);
  useEffect(() => {
    const f = () => setN((n) => n + 1);
    subscribers.add(f);
    const unsub = serviceClock.subscribe(f);
    updateTicker();
    return () => {
      subscribers.delete(f);
      unsub();
      updateTicker();
    };
  }, []);
  return serviceClock.now();
}

// {api, org, claims, token, signOut(message?)}
export const AppContext = createContext(null);
export const useApp = () => useContext(AppContext);
