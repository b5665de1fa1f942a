// The reader's clock and time zone for the times the pages show. The server
// knows neither: it renders UTC and its own clock, and hydration starts from
// the same values; once a page runs in the browser, the visitor's zone and a
// clock that ticks every 30 s take over ("Active 2 min ago" stays true).
export const clock = $state<{ timeZone: string | undefined; now: number }>({
  timeZone: 'UTC',
  now: Date.now(),
});

let started = false;

/** Call from onMount (browser only): switches to the visitor's zone and starts the tick, once per page load. */
export function startClock(): void {
  if (started) return;
  started = true;
  clock.timeZone = undefined;
  clock.now = Date.now();
  setInterval(() => (clock.now = Date.now()), 30_000);
}
